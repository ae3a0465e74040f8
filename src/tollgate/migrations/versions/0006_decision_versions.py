"""decision versions: customer.version, audit_entry.customer_version, attach_batch.expected_status

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("customer_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("attach_batch") as batch:
        batch.add_column(sa.Column("expected_status", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attach_batch") as batch:
        batch.drop_column("expected_status")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("customer_version")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("version")
