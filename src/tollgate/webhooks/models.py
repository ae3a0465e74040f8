from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, JSONType, UTCDateTime
from tollgate.kit.crypto import Sealed


class WebhookEndpoint(Base):
    """Where one API client's events are POSTed."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why it was disabled (by the receiver answering 410, or by the client); null while enabled.
    disabled_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    event_types: Mapped[list[str]] = mapped_column(JSONType)
    # Signing keys, kept as issued because every delivery is signed with them (they are not passwords).
    secret: Mapped[str] = mapped_column(String(128))
    # After a rotation the previous key keeps signing until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    """One customer event of one client, as sent: ``body`` holds the exact JSON of every delivery."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("customer_id", "sequence"),
        UniqueConstraint("client_pk", "number"),
        Index("ix_event_client_created", "client_pk", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    event_reference_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # 1, 2, 3... per customer, in the order the changes committed; deliveries follow it.
    sequence: Mapped[int] = mapped_column(Integer)
    # 1, 2, 3... per client, in the order the transactions that wrote them committed (outbox.next_number):
    # what /v2/events and ``tollgate listen`` page by. Never the clock, which a sandbox can move back.
    number: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sandbox_mode: Mapped[bool] = mapped_column(Boolean)
    # The payload as sent, sealed at rest (customer snapshots carry phones).
    body: Mapped[str] = mapped_column(Sealed("event.body"))


class EventCounter(Base):
    """The last ``Event.number`` given out for each client; its row stays locked by a transaction that
    numbers an event until that transaction ends."""

    __tablename__ = "event_counter"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True
    )
    last: Mapped[int] = mapped_column(BigInteger)


class Delivery(Base):
    """One event for one endpoint: pending until a 2xx (succeeded) or the last attempt (failed)."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index("ix_delivery_endpoint_status", "endpoint_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Failed attempts since the delivery was queued or resent; picks the next delay of the schedule.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Null while pending means: waiting for the earlier event ``waiting_for_event_id``.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    waiting_for_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    # Set while an attempt is on the wire: a lease, taken over by another worker once it has passed.
    in_flight_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One POST (or one refusal to POST) of a delivery; ``finished_at`` is null while it is on the wire."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The first bytes of the receiver's answer, decoded leniently.
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
