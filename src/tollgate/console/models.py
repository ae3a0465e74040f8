from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, JSONType, UTCDateTime
from tollgate.kit.crypto import Sealed


class OperatorSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored here."""

    __tablename__ = "operator_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)


class CaseAssignment(Base):
    """Who works a customer's case now (at most one operator)."""

    __tablename__ = "case_assignment"

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operator.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by: Mapped[str] = mapped_column(String(100))


class CaseNote(Base):
    """An internal note by an operator on a case; never shown to the customer or the API client."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_customer_created", "customer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(100))
    # Sealed: reviewers write what they saw in the documents.
    body: Mapped[str] = mapped_column(Sealed("case_note.body"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProposedDecision(Base):
    """A decision waiting for a second operator (four-eyes): applied only when a senior other than the
    proposer confirms it, through ``verification.commands.handle`` like any decision."""

    __tablename__ = "proposed_decision"
    __table_args__ = (Index("ix_proposed_decision_customer_status", "customer_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))  # approve | reject_final | approve_party | ...
    # The command's fields (rejection labels and texts), sealed: texts may name personal details.
    command: Mapped[str] = mapped_column(Sealed("proposed_decision.command"))
    customer_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # pending | confirmed | withdrawn | refused
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
