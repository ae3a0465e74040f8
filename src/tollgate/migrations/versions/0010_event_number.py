"""events numbered per client in commit order (event.number, event_counter): /v2/events and
``tollgate listen`` page by it instead of the clock

Revision ID: 0010_event_number
Revises: 0012
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_event_number"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_counter",
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["api_client.id"],
            name=op.f("fk_event_counter_client_pk_api_client"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("client_pk", name=op.f("pk_event_counter")),
    )
    with op.batch_alter_table("event") as batch_op:
        batch_op.add_column(sa.Column("number", sa.BigInteger(), nullable=True))
    # Events written before this revision are numbered in the order they were listed until now.
    op.execute(
        "UPDATE event SET number = ranked.n FROM ("
        " SELECT id, ROW_NUMBER() OVER ("
        "  PARTITION BY client_pk ORDER BY created_at, customer_id, sequence, id) AS n"
        " FROM event) AS ranked"
        " WHERE event.id = ranked.id"
    )
    op.execute(
        "INSERT INTO event_counter (client_pk, last)"
        " SELECT client_pk, MAX(number) FROM event GROUP BY client_pk"
    )
    with op.batch_alter_table("event") as batch_op:
        batch_op.alter_column("number", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_event_client_pk_number"), ["client_pk", "number"])


def downgrade() -> None:
    with op.batch_alter_table("event") as batch_op:
        batch_op.drop_constraint(op.f("uq_event_client_pk_number"), type_="unique")
        batch_op.drop_column("number")
    op.drop_table("event_counter")
