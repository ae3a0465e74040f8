"""callers cached per process: a counter that moves with every change of a client or a login family;
API clients can be disabled

Revision ID: 0011_auth_cache
Revises: 0011_read_model
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tollgate.db

revision: str = "0011_auth_cache"
down_revision: str | None = "0011_read_model"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch (copy and drop) on SQLite: dropping api_client with foreign keys on
# would delete every customer through ON DELETE CASCADE.


def upgrade() -> None:
    op.add_column("api_client", sa.Column("disabled_at", tollgate.db.UTCDateTime(), nullable=True))
    op.create_table(
        "auth_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_epoch")),
    )
    op.execute("INSERT INTO auth_epoch (id, value) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("auth_epoch")
    op.execute("ALTER TABLE api_client DROP COLUMN disabled_at")
