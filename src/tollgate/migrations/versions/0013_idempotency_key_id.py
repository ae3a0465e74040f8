"""idempotency_key gets an id of its own: a sealed column is re-sealed by a one-column primary key

Revision ID: 0013_idempotency_key_id
Revises: 0011_auth_cache
Create Date: 2026-12-01 23:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tollgate.db

revision: str = "0013_idempotency_key_id"
down_revision: str | None = "0011_auth_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create(name: str, with_id: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
        *([sa.Column("id", sa.Uuid(), nullable=False)] if with_id else []),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", tollgate.db.UTCDateTime(), nullable=False),
    ]
    keys: list[sa.schema.SchemaItem] = (
        [
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
            sa.UniqueConstraint("client_pk", "key", name=f"uq_{name}_client_pk_key"),
        ]
        if with_id
        else [sa.PrimaryKeyConstraint("client_pk", "key", name=op.f(f"pk_{name}"))]
    )
    op.create_table(name, *columns, *keys)
    op.create_index(f"ix_{name}_created_at", name, ["created_at"])


def upgrade() -> None:
    # Stored answers live a day and are only a convenience for retries: they are not carried over.
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    _create("idempotency_key", with_id=True)


def downgrade() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    _create("idempotency_key", with_id=False)
