from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, JSONType, UTCDateTime
from tollgate.kit.crypto import Sealed, SealedJSON


class AuditEntry(Base):
    """Who did what to a customer (or one of its parties), when and why."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_customer_created", "customer_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    # The customer's version once this change was made: what changed after a version a reviewer saw.
    customer_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_type: Mapped[str] = mapped_column(String(16))  # system | reviewer | api_client | sandbox
    actor_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rfi(Base):
    """One request-for-information entry, in Fin's structure (scope, section, categories)."""

    __tablename__ = "rfi"
    __table_args__ = (Index("ix_rfi_customer_status", "customer_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # Order within one raising (several entries share raised_at): the detail lists them as raised.
    position: Mapped[int] = mapped_column(Integer, default=0)
    scope: Mapped[str] = mapped_column(String(32))
    section: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # open | answered | closed
    raised_by: Mapped[str] = mapped_column(String(128))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The answer as received (sealed: it carries document numbers and dates).
    answer: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON("rfi.answer"), nullable=True)


class Operator(Base):
    """A person of the compliance team. Passwords are chosen by people, so they are hashed with argon2id.

    ``role``: reviewer (works cases), senior (also confirms four-eyes decisions and reassigns), admin
    (also manages operators). ``client_pks``: the API clients (tenants) whose customers the operator
    sees; None for all.
    """

    __tablename__ = "operator"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    role: Mapped[str] = mapped_column(String(16), default="reviewer", server_default="reviewer")
    client_pks: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Failed sign-ins in a row; at the limit the account is locked until ``locked_until`` (or an admin).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The TOTP second factor's shared secret (base32), sealed at rest; None: no second factor.
    totp_secret: Mapped[str | None] = mapped_column(Sealed("operator.totp_secret"), nullable=True)
    # The last TOTP time step accepted: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
