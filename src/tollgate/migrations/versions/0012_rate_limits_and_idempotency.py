"""rate_limit_counter and idempotency_key: rate limits and Idempotency-Key shared by every process

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-01 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tollgate.db

revision: str = "0012"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_counter")),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        # Sealed (kit/crypto.py): the stored response carries what the customer sent.
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_pk", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_table("rate_limit_counter")
