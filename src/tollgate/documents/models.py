from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, JSONType, UTCDateTime
from tollgate.kit.crypto import Sealed


class StoredFile(Base):
    """An uploaded file: who owns it, what its bytes are, where they live."""

    __tablename__ = "stored_file"
    __table_args__ = (Index("ix_stored_file_client_uri", "client_pk", "uri", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), nullable=True, index=True
    )
    uri: Mapped[str] = mapped_column(String(300))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    field_name: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(8))  # PDF | JPEG | PNG
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # What inspecting the bytes found (documents/findings.py), recorded at upload; None for a file
    # stored before findings were kept, inspected by the checks job before its transaction.
    findings: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A document attached to a customer (or one of its parties) by an attach call or an RFI answer."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_customer_active", "customer_id", "active"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    batch_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    section: Mapped[str] = mapped_column(String(64))
    doc_type: Mapped[str] = mapped_column(String(64))
    # Sealed at rest; found by exact number through customers.search (a keyed hash).
    number: Mapped[str | None] = mapped_column(Sealed("attachment.number"), nullable=True)
    country: Mapped[str | None] = mapped_column(String(3), nullable=True)
    state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issue_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # [{"uri": "/abc_x.png", "side": "FRONT" | "BACK" | None}]
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AttachBatch(Base):
    """One accepted attach (or RFI answer); a customer has at most one in processing at a time."""

    __tablename__ = "attach_batch"
    __table_args__ = (Index("ix_attach_batch_customer_status", "customer_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(
        String(32)
    )  # individual_attach | business_attach | party_attach | rfi_answer
    status: Mapped[str] = mapped_column(String(16))  # processing | done | superseded
    # The customer's status the checks of this batch expect to find (PROCESSING, or APPROVED for an answer
    # to an RFI raised after approval); a customer that moved on meanwhile is not decided by them.
    expected_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
