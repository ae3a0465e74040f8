"""Deliveries: the per-delivery state machine and the retry schedule.

One job (``webhooks.deliver``, payload ``{"delivery_id"}``, see ``tasks``) makes at most one attempt, and
holds no transaction while it is on the wire:

1. ``start`` (a short transaction of its own, endpoint row then delivery row locked): checks the delivery is
   pending and due, takes over an expired in-flight lease, waits behind an earlier pending event of the same
   customer, then numbers the attempt, records it as started and leases it (``in_flight_until``).
2. ``transport.send`` (no transaction open): resolves and checks the URL, POSTs the stored body, freshly
   signed, all within the send's total deadline, which is shorter than the attempt's lease: an attempt has
   always ended before another worker may take its delivery over.
3. ``finish_attempt`` (the job's own transaction, which opens after the send and commits with the job's
   completion): records the answer and either completes the delivery, schedules the next attempt (a new
   job), or fails it.

Duplicate or stale jobs are harmless: a job that finds nothing due does nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tollgate.config import Mode, Settings
from tollgate.jobs import queue
from tollgate.kit.ids import new_uuid
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from tollgate.webhooks.schemas import DeliveryStatus
from tollgate.webhooks.transport import Outcome

DELIVER_JOB = "webhooks.deliver"
INTERRUPTED = "Interrupted: the worker stopped before the receiver's answer was recorded"
ENDPOINT_DISABLED = "Endpoint disabled"
GONE_REASON = "The receiver answered 410 Gone"

PENDING, SUCCEEDED, FAILED = (
    DeliveryStatus.PENDING.value,
    DeliveryStatus.SUCCEEDED.value,
    DeliveryStatus.FAILED.value,
)


# ---------------------------------------------------------------- what a mode may change


class DeliveryFaults(Protocol):
    """What a mode may change about deliveries: the sandbox injects faults on request (``sandbox.faults``,
    wired by the runtime as part of its policies); live mode changes nothing (``NO_FAULTS``)."""

    def first_attempt_at(self, session: Session, client_pk: uuid.UUID, now: datetime) -> datetime: ...

    def reorders(self, session: Session, client_pk: uuid.UUID) -> bool: ...

    def newest_first_blocker(
        self, session: Session, delivery: Delivery, event: Event
    ) -> uuid.UUID | None: ...

    def send_again(self, session: Session, delivery: Delivery, attempt_id: uuid.UUID) -> bool: ...


class NoFaults:
    def first_attempt_at(self, session: Session, client_pk: uuid.UUID, now: datetime) -> datetime:
        return now

    def reorders(self, session: Session, client_pk: uuid.UUID) -> bool:
        return False

    def newest_first_blocker(self, session: Session, delivery: Delivery, event: Event) -> uuid.UUID | None:
        return None

    def send_again(self, session: Session, delivery: Delivery, attempt_id: uuid.UUID) -> bool:
        return False


NO_FAULTS = NoFaults()


# ---------------------------------------------------------------- schedule and secrets


def attempt_lease(settings: Settings) -> timedelta:
    """How long an attempt stays in flight before another worker may take its delivery over: the send's
    total deadline plus a margin, so the attempt is over (its process dead or its send cut off) by then."""
    return timedelta(seconds=settings.webhook_timeout_seconds + settings.webhook_lease_margin_seconds)


def job_deadline(settings: Settings) -> timedelta:
    """The deadline of one delivery job: the attempt's lease, and the margin again for the short
    transactions before and after the send."""
    return attempt_lease(settings) + timedelta(seconds=settings.webhook_lease_margin_seconds)


def retry_schedule(settings: Settings) -> list[float]:
    """Delays in seconds before attempts 2, 3, ...; its length + 1 is the number of attempts."""
    if settings.mode is Mode.LIVE:
        return list(settings.webhook_retry_schedule_live)
    return list(settings.webhook_retry_schedule_sandbox)


def retry_delay(settings: Settings, failures: int) -> timedelta | None:
    """The wait after the ``failures``-th failed attempt, jittered; None when it was the last one."""
    schedule = retry_schedule(settings)
    if failures > len(schedule):
        return None
    base = schedule[failures - 1]
    jitter = settings.webhook_retry_jitter
    factor = random.uniform(1 - jitter, 1 + jitter) if jitter else 1.0  # noqa: S311 - jitter, not crypto
    return timedelta(seconds=base * factor)


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """Newest first; the previous secret while its grace period lasts."""
    out = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        out.append(endpoint.previous_secret)
    return out


# ---------------------------------------------------------------- state changes (inside a transaction)


def lock_endpoint(session: Session, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    """Lock an endpoint row; every change to its deliveries' order or state happens under this lock."""
    stmt = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()


def _lock_delivery(session: Session, delivery_id: uuid.UUID) -> Delivery | None:
    stmt = (
        select(Delivery)
        .where(Delivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(stmt).one_or_none()


def schedule_attempt(session: Session, delivery: Delivery, at: datetime, now: datetime) -> None:
    """Make ``delivery`` due at ``at`` and queue the job that will try it (both on the server's clock)."""
    job = queue.enqueue(session, DELIVER_JOB, {"delivery_id": str(delivery.id)}, now, run_at=at)
    # Due when its job is: the queue keeps run_at on the server's clock, which the worker compares with.
    delivery.next_attempt_at = job.run_at
    delivery.waiting_for_event_id = None
    delivery.updated_at = now


def new_delivery(
    session: Session,
    settings: Settings,
    event: Event,
    endpoint: WebhookEndpoint,
    now: datetime,
    *,
    faults: DeliveryFaults,
    skew: timedelta = timedelta(0),
) -> Delivery:
    """A delivery of ``event`` to ``endpoint``, first tried now. ``now`` is on the clock of the
    transaction (a sandbox client's, ``skew`` ahead of the server's); its job is due on the server's."""
    delivery = Delivery(
        id=new_uuid(),
        event_id=event.id,
        endpoint_id=endpoint.id,
        status=PENDING,
        attempts=0,
        failures=0,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    # Sandbox mode: held back on request (webhook fault injection, docs/sandbox.md).
    first = faults.first_attempt_at(session, event.client_pk, now) - skew
    schedule_attempt(session, delivery, first, now - skew)
    return delivery


def requeue(session: Session, delivery: Delivery, now: datetime) -> bool:
    """Send a finished delivery again with a fresh schedule; a pending one is left alone (False)."""
    if delivery.status == PENDING:
        return False
    delivery.status = PENDING
    delivery.failures = 0
    delivery.completed_at = None
    schedule_attempt(session, delivery, now, now)
    return True


def _complete(delivery: Delivery, status: str, now: datetime, error: str | None) -> None:
    delivery.status = status
    delivery.next_attempt_at = None
    delivery.waiting_for_event_id = None
    delivery.in_flight_until = None
    delivery.completed_at = now
    delivery.updated_at = now
    delivery.last_error = error


def disable_endpoint(session: Session, endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Stop sending to ``endpoint``; its pending deliveries fail (they can be resent once it is enabled)."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.updated_at = now
    session.flush()
    # Deliveries on the wire right now finish on their own and then find the endpoint disabled.
    session.execute(
        update(Delivery)
        .where(
            Delivery.endpoint_id == endpoint.id,
            Delivery.status == PENDING,
            Delivery.in_flight_until.is_(None),
        )
        .values(
            status=FAILED,
            next_attempt_at=None,
            waiting_for_event_id=None,
            completed_at=now,
            updated_at=now,
            last_error=f"{ENDPOINT_DISABLED}: {reason}",
        )
        .execution_options(synchronize_session="fetch")
    )


def _kick_next(
    session: Session, endpoint_id: uuid.UUID, customer_id: uuid.UUID | None, now: datetime
) -> None:
    """Wake the earliest delivery that was waiting behind another event of the same customer."""
    if customer_id is None:
        return
    waiting = session.scalars(
        select(Delivery)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.endpoint_id == endpoint_id,
            Delivery.status == PENDING,
            Delivery.next_attempt_at.is_(None),
            Delivery.in_flight_until.is_(None),
            Event.customer_id == customer_id,
        )
        .order_by(Event.sequence)
        .limit(1)
    ).first()
    if waiting is not None:
        schedule_attempt(session, waiting, now, now)


def _blocker(session: Session, delivery: Delivery, event: Event) -> uuid.UUID | None:
    """The earliest event of the same customer still pending for the same endpoint, if any."""
    if event.customer_id is None:
        return None
    return session.scalar(
        select(Delivery.event_id)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Delivery.endpoint_id == delivery.endpoint_id,
            Delivery.status == PENDING,
            Delivery.id != delivery.id,
            Event.customer_id == event.customer_id,
            Event.sequence < event.sequence,
        )
        .order_by(Event.sequence)
        .limit(1)
    )


def _close_interrupted(session: Session, delivery: Delivery, now: datetime) -> None:
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id, DeliveryAttempt.finished_at.is_(None))
        .values(finished_at=now, error=INTERRUPTED)
        .execution_options(synchronize_session="fetch")
    )
    delivery.in_flight_until = None
    delivery.last_error = INTERRUPTED
    delivery.updated_at = now


# ---------------------------------------------------------------- one attempt


@dataclass(frozen=True)
class Plan:
    """Everything one attempt needs, read under lock before the transaction ends."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempt_id: uuid.UUID
    number: int
    event_id: str
    url: str
    body: bytes
    secrets: tuple[str, ...]


def start(
    session: Session, settings: Settings, faults: DeliveryFaults, delivery_id: uuid.UUID, now: datetime
) -> Plan | None:
    """Step 1: decide whether an attempt is due now and, if so, number it, record it and lease it."""
    endpoint_id = session.scalar(select(Delivery.endpoint_id).where(Delivery.id == delivery_id))
    if endpoint_id is None:
        return None
    endpoint = lock_endpoint(session, endpoint_id)
    delivery = _lock_delivery(session, delivery_id)
    if endpoint is None or delivery is None or delivery.status != PENDING:
        return None
    if delivery.in_flight_until is not None:
        if delivery.in_flight_until > now:
            # Another worker is sending it. Look again when its lease ends, in case that worker dies.
            queue.enqueue(
                session, DELIVER_JOB, {"delivery_id": str(delivery.id)}, now, run_at=delivery.in_flight_until
            )
            return None
        _close_interrupted(session, delivery, now)
        delivery.next_attempt_at = now
    if delivery.next_attempt_at is None or delivery.next_attempt_at > now:
        return None  # waiting behind an earlier event, or another job is queued for the due time
    event = session.get(Event, delivery.event_id)
    if event is None:
        return None
    if not endpoint.enabled:
        _complete(
            delivery, FAILED, now, f"{ENDPOINT_DISABLED}: {endpoint.disabled_reason or 'by the client'}"
        )
        _kick_next(session, endpoint.id, event.customer_id, now)
        return None
    # Sandbox mode: a client that asked for reordering gets a customer's events newest first.
    reorder = faults.reorders(session, event.client_pk)
    blocker = (faults.newest_first_blocker if reorder else _blocker)(session, delivery, event)
    if blocker is not None:
        delivery.next_attempt_at = None
        delivery.waiting_for_event_id = blocker
        delivery.updated_at = now
        return None
    delivery.attempts += 1
    delivery.in_flight_until = now + attempt_lease(settings)
    delivery.waiting_for_event_id = None
    delivery.last_attempt_at = now
    delivery.updated_at = now
    attempt = DeliveryAttempt(
        id=new_uuid(), delivery_id=delivery.id, number=delivery.attempts, started_at=now
    )
    session.add(attempt)
    session.flush()
    return Plan(
        delivery_id=delivery.id,
        endpoint_id=endpoint.id,
        attempt_id=attempt.id,
        number=attempt.number,
        event_id=str(event.id),
        url=endpoint.url,
        body=event.body.encode("utf-8"),
        secrets=tuple(active_secrets(endpoint, now)),
    )


def finish_attempt(
    session: Session, settings: Settings, faults: DeliveryFaults, plan: Plan, outcome: Outcome, now: datetime
) -> None:
    """Step 3: record the answer, then complete, reschedule or fail the delivery."""
    endpoint = lock_endpoint(session, plan.endpoint_id)
    delivery = _lock_delivery(session, plan.delivery_id)
    attempt = session.get(DeliveryAttempt, plan.attempt_id)
    if attempt is not None:
        attempt.finished_at = now
        attempt.status_code = outcome.status_code
        attempt.duration_ms = outcome.duration_ms
        attempt.response_body = outcome.response_body
        attempt.error = outcome.error
    if (
        endpoint is None
        or delivery is None
        or delivery.status != PENDING
        or delivery.attempts != plan.number
        or delivery.in_flight_until is None
    ):
        return  # our lease ran out and another worker took over: the attempt is recorded, nothing more
    customer_id = session.scalar(select(Event.customer_id).where(Event.id == delivery.event_id))
    delivery.in_flight_until = None
    delivery.last_status_code = outcome.status_code
    delivery.updated_at = now
    if outcome.delivered:
        _complete(delivery, SUCCEEDED, now, None)
        _kick_next(session, endpoint.id, customer_id, now)
        if faults.send_again(session, delivery, plan.attempt_id):  # sandbox: a duplicate on request
            requeue(session, delivery, now)
        return
    if outcome.status_code == 410:
        _complete(delivery, FAILED, now, GONE_REASON)
        disable_endpoint(session, endpoint, GONE_REASON, now)
        return
    delivery.failures += 1
    delivery.last_error = outcome.describe()
    delay = retry_delay(settings, delivery.failures)
    if delay is None:
        _complete(delivery, FAILED, now, delivery.last_error)
        _kick_next(session, endpoint.id, customer_id, now)
        return
    if outcome.retry_after is not None:
        delay = timedelta(seconds=min(outcome.retry_after, settings.webhook_max_retry_after_seconds))
    schedule_attempt(session, delivery, now + delay, now)
