"""the customers' read model: each customer's detail body and list item as stored bytes

Creates ``customer_view`` and fills it for the customers already stored, rendering them with the
renderer of the release that runs it (``customers.readmodel``), sealed with the data keys. A later
revision that changes what a body shows fills the table again the same way (``readmodel.rebuild``).

Revision ID: 0011_read_model
Revises: 0010_event_number
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.orm import Session

from tollgate.kit.crypto import Keyring, attach

revision: str = "0011_read_model"
down_revision: str | None = "0010_event_number"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keyring() -> Keyring:
    given = context.config.attributes.get("keyring")
    if isinstance(given, Keyring):
        return given
    from tollgate.config import get_settings
    from tollgate.keystore import load_key_source

    return load_key_source(get_settings()).keyring


def upgrade() -> None:
    op.create_table(
        "customer_view",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detail_splice", sa.Integer(), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.Column("item_splice", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_customer_view_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_view")),
        sa.UniqueConstraint("client_pk", "type", "seq", name=op.f("uq_customer_view_client_pk_type_seq")),
    )
    conn = op.get_bind()
    if conn.execute(sa.text("SELECT 1 FROM customer LIMIT 1")).first() is None:
        return
    from tollgate.customers import readmodel

    attach(conn, _keyring())
    # The session joins the migration's transaction; what it writes commits with the migration.
    with Session(bind=conn, join_transaction_mode="create_savepoint", autoflush=False) as session:
        readmodel.rebuild(session)
        session.commit()


def downgrade() -> None:
    op.drop_table("customer_view")
