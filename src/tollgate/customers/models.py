from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, Uuid, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tollgate.db import Base, JSONType, UTCDateTime
from tollgate.kit.crypto import Sealed, SealedJSON


class CustomerCounter(Base):
    """How many customers of one type a client has; the next customer takes ``total + 1`` as its seq."""

    __tablename__ = "customer_counter"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True
    )
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("client_pk", "type", "seq"),
        # The reviewer console's queue: one status, longest waiting first, keyset pages.
        Index("ix_customer_status_waiting", "status", "last_status_updated_at", "id"),
        # The console's search by email, in any case.
        Index("ix_customer_email_lower", func.lower(text("email"))),
        # The console's search by name: a prefix of each word, as a range on the lower-cased names.
        Index("ix_customer_first_name_lower", func.lower(text("first_name"))),
        Index("ix_customer_last_name_lower", func.lower(text("last_name"))),
        Index("ix_customer_business_name_lower", func.lower(text("business_name"))),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    api_version: Mapped[int] = mapped_column(Integer, default=2)
    verification_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))

    email: Mapped[str] = mapped_column(String(254))
    # Personal data is sealed at rest (docs/security.md); the phone is shown, so it is opened on reads.
    phone: Mapped[str] = mapped_column(Sealed("customer.phone"))
    # country_of_residence (individual) or country_of_incorporation (business)
    country: Mapped[str] = mapped_column(String(3))
    first_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    business_name: Mapped[str | None] = mapped_column(String(255), nullable=True)

    tos_policies_value: Mapped[str] = mapped_column(String(36))
    tos_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    tos_accepted_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tos_accepted_user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)

    # The request body as received (sealed: it carries tax ids, dates of birth, phones), and the client's
    # own metadata, kept verbatim. The body is loaded only when read, so reads open only what they show.
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON("customer.payload"), deferred=True)
    meta_data: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)

    # When a reviewer (or the auto-approval policy) approved the company itself; parties may still be pending.
    company_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Fin's rejection_reason structure for the current decision; null until a rejection exists.
    rejection_reason: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_status_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Moves with every change of the customer, its parties, RFIs or documents (transitions.touch): a
    # decision carries the version its decider saw (verification.commands).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    parties: Mapped[list[AssociatedParty]] = relationship(
        back_populates="customer", order_by="AssociatedParty.position", cascade="all, delete-orphan"
    )


class AssociatedParty(Base):
    __tablename__ = "associated_party"
    __table_args__ = (Index("ix_associated_party_customer_position", "customer_id", "position", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16), default="INDIVIDUAL")
    email: Mapped[str] = mapped_column(String(254))
    first_name: Mapped[str] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(255))
    ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSONType)
    ownership_percent: Mapped[float | None] = mapped_column(Numeric(7, 4, asdecimal=False), nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON("associated_party.payload"), deferred=True)

    verification_status: Mapped[str] = mapped_column(String(16))
    reason_for_customer: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    reason_for_developer: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    verification_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship(back_populates="parties")


class IdentifierDigest(Base):
    """A keyed hash (blind index) of one tax id or document number, so an exact search finds the customer
    without the value being stored in the clear (``customers.search``)."""

    __tablename__ = "identifier_digest"
    __table_args__ = (Index("ix_identifier_digest_kind_digest", "kind", "digest"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    # The party (associated_party.id) or attachment (attachment.id) the value belongs to; null: the customer.
    source_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    kind: Mapped[str] = mapped_column(String(32))  # tax_id | document_number
    digest: Mapped[str] = mapped_column(String(64))


class CustomerView(Base):
    """The read model: each customer's V2 detail body and list item as the wire bytes, rendered when the
    customer changes, in the transaction of the change (``customers.readmodel``, docs/adr/0014).

    The bodies carry names, phones and emails, so they are sealed like the columns they come from. The
    public base URL of ``tos_policies_url`` is not stored: each body keeps the byte offset where a read
    splices it in, so changing ``TOLLGATE_PUBLIC_BASE_URL`` needs no rewrite."""

    __tablename__ = "customer_view"
    # A list page is one range of this index, newest first (docs/adr/0003).
    __table_args__ = (UniqueConstraint("client_pk", "type", "seq"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    client_pk: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    # ``{"data": <detail>}``, sealed; the base URL goes in at byte ``detail_splice`` of the opened body.
    detail: Mapped[str] = mapped_column(Sealed("customer_view.detail"))
    detail_splice: Mapped[int] = mapped_column(Integer)
    # The list item, sealed; the base URL goes in at byte ``item_splice``.
    item: Mapped[str] = mapped_column(Sealed("customer_view.item"))
    item_splice: Mapped[int] = mapped_column(Integer)
