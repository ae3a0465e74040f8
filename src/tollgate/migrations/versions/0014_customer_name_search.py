"""Indexes for the console's search by name: lower-cased first, last and business names

Revision ID: 0014_customer_name_search
Revises: 0013_idempotency_key_id
Create Date: 2026-12-02 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_customer_name_search"
down_revision: str | None = "0013_idempotency_key_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("first_name", "last_name", "business_name")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_customer_{column}_lower", "customer", [sa.text(f"lower({column})")])


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_customer_{column}_lower", table_name="customer")
