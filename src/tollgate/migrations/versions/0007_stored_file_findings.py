"""stored_file.findings: what inspecting an upload found, kept on its row

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tollgate.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Files stored before this revision have none; the checks job inspects them before its transaction.
    op.add_column("stored_file", sa.Column("findings", tollgate.db.JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stored_file") as batch_op:
        batch_op.drop_column("findings")
