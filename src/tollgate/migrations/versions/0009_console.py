"""reviewer console: operator roles, tenants, lockout and TOTP; sessions, assignment, notes, four-eyes

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tollgate.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="reviewer"))
        batch_op.add_column(sa.Column("client_pks", tollgate.db.JSONType, nullable=True))
        batch_op.add_column(sa.Column("disabled_at", tollgate.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", tollgate.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_login_at", tollgate.db.UTCDateTime(), nullable=True))

    op.create_table(
        "operator_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("operator_id", sa.Uuid(), sa.ForeignKey("operator.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(512), nullable=True),
    )
    op.create_index("ix_operator_session_operator_id", "operator_session", ["operator_id"])

    op.create_table(
        "case_assignment",
        sa.Column(
            "customer_id", sa.Uuid(), sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("operator_id", sa.Uuid(), sa.ForeignKey("operator.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assigned_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.Column("assigned_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_case_assignment_operator_id", "case_assignment", ["operator_id"])

    op.create_table(
        "case_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", tollgate.db.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_case_note_customer_created", "case_note", ["customer_id", "created_at"])

    op.create_table(
        "proposed_decision",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("customer_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.String(100), nullable=False),
        sa.Column("proposed_at", tollgate.db.UTCDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", tollgate.db.UTCDateTime(), nullable=True),
        sa.Column("details", tollgate.db.JSONType, nullable=True),
    )
    op.create_index("ix_proposed_decision_customer_status", "proposed_decision", ["customer_id", "status"])

    # The queue: cases of one status, longest waiting first, page after page (keyset on the time and id).
    op.create_index("ix_customer_status_waiting", "customer", ["status", "last_status_updated_at", "id"])
    # The console's search by email, in any case.
    op.create_index("ix_customer_email_lower", "customer", [sa.text("lower(email)")])


def downgrade() -> None:
    op.drop_index("ix_customer_email_lower", table_name="customer")
    op.drop_index("ix_customer_status_waiting", table_name="customer")
    op.drop_table("proposed_decision")
    op.drop_table("case_note")
    op.drop_table("case_assignment")
    op.drop_table("operator_session")
    with op.batch_alter_table("operator") as batch_op:
        for name in (
            "last_login_at",
            "totp_last_step",
            "totp_secret",
            "locked_until",
            "failed_logins",
            "disabled_at",
            "client_pks",
            "role",
        ):
            batch_op.drop_column(name)
