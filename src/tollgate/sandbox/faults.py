"""Webhook fault injection, per API client and in sandbox mode only: deliveries duplicated, delayed or
reordered on request, so integrators can prove their receivers idempotent and order-tolerant.

``webhooks.delivery`` asks them through ``SandboxFaults`` (wired by the runtime as the sandbox's
policies) at three points (a new delivery, the start of an attempt, a success); with no faults set, each
answers what live mode does.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tollgate.config import Settings
from tollgate.sandbox.models import SandboxClient
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event
from tollgate.webhooks.schemas import DeliveryStatus


@dataclass(frozen=True)
class Faults:
    # Probability that an event, once delivered, is delivered once more.
    duplicate: float = 0.0
    # How long each new delivery waits before its first attempt.
    delay_seconds: float = 0.0
    # A customer's events due together no longer wait for each other; the newest goes first.
    reorder: bool = False

    def wire(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> Faults:
        if not data:
            return NONE
        return cls(
            duplicate=float(data.get("duplicate", 0.0)),
            delay_seconds=float(data.get("delay_seconds", 0.0)),
            reorder=bool(data.get("reorder", False)),
        )


NONE = Faults()


def of_client(session: Session, settings: Settings, client_pk: uuid.UUID) -> Faults:
    """The faults ``client_pk`` asked for; none in live mode, whatever the table holds."""
    if not settings.sandbox:
        return NONE
    row = session.get(SandboxClient, client_pk)
    return Faults.from_wire(row.webhook_faults if row is not None else None)


def first_attempt_at(session: Session, settings: Settings, client_pk: uuid.UUID, now: datetime) -> datetime:
    """When a new delivery is first tried: now, or ``delay_seconds`` later."""
    delay = of_client(session, settings, client_pk).delay_seconds
    return now + timedelta(seconds=delay) if delay else now


def reorders(session: Session, settings: Settings, client_pk: uuid.UUID) -> bool:
    return of_client(session, settings, client_pk).reorder


def newest_first_blocker(session: Session, delivery: Delivery, event: Event) -> uuid.UUID | None:
    """With ``reorder``: the delivery waits for the newest later event of the same customer that is due or
    on the wire for the same endpoint (not for earlier ones, as live mode does). Waiting deliveries are
    woken as usual when another delivery of the customer finishes, so none waits forever."""
    if event.customer_id is None:
        return None
    return session.scalar(
        select(Delivery.event_id)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.endpoint_id == delivery.endpoint_id,
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.id != delivery.id,
            Event.customer_id == event.customer_id,
            Event.sequence > event.sequence,
            or_(Delivery.next_attempt_at.is_not(None), Delivery.in_flight_until.is_not(None)),
        )
        .order_by(Event.sequence.desc())
        .limit(1)
    )


class SandboxFaults:
    """The sandbox's faults as deliveries ask for them (``webhooks.delivery.DeliveryFaults``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def first_attempt_at(self, session: Session, client_pk: uuid.UUID, now: datetime) -> datetime:
        return first_attempt_at(session, self.settings, client_pk, now)

    def reorders(self, session: Session, client_pk: uuid.UUID) -> bool:
        return reorders(session, self.settings, client_pk)

    def newest_first_blocker(self, session: Session, delivery: Delivery, event: Event) -> uuid.UUID | None:
        return newest_first_blocker(session, delivery, event)

    def send_again(self, session: Session, delivery: Delivery, attempt_id: uuid.UUID) -> bool:
        return send_again(session, self.settings, delivery, attempt_id)


def send_again(session: Session, settings: Settings, delivery: Delivery, attempt_id: uuid.UUID) -> bool:
    """With ``duplicate``: whether a delivery that has just succeeded for the first time goes out once
    more (the same event id and body, as a retry after a lost answer would)."""
    client_pk = session.scalar(select(Event.client_pk).where(Event.id == delivery.event_id))
    if client_pk is None:
        return False
    probability = of_client(session, settings, client_pk).duplicate
    if probability <= 0 or random.random() >= probability:  # noqa: S311 - a test fault, not crypto
        return False
    earlier_successes = session.scalar(
        select(func.count())
        .select_from(DeliveryAttempt)
        .where(
            DeliveryAttempt.delivery_id == delivery.id,
            DeliveryAttempt.id != attempt_id,
            DeliveryAttempt.status_code >= 200,
            DeliveryAttempt.status_code < 300,
        )
    )
    return not earlier_successes
