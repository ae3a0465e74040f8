"""Sandbox decisions for the calling API client: simulated reviews, its clock, webhook faults, reset."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tollgate.customers import repository
from tollgate.customers.models import AssociatedParty, Customer, CustomerCounter
from tollgate.documents.models import StoredFile
from tollgate.documents.service import CHECKS_JOB
from tollgate.errors import NotFound, ValidationFailed
from tollgate.jobs.models import Job
from tollgate.jobs.queue import JobStatus
from tollgate.kit.timefmt import fractional_z
from tollgate.runtime import Runtime
from tollgate.sandbox.clock import REAL_TIME, clocks_for
from tollgate.sandbox.faults import Faults
from tollgate.sandbox.models import SandboxClient
from tollgate.sandbox.schemas import MAX_OFFSET, WebhookFaultsIn
from tollgate.verification import commands
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.verification.transitions import Actor
from tollgate.webhooks import delivery as deliveries
from tollgate.webhooks.models import Delivery, Event
from tollgate.webhooks.schemas import DeliveryStatus

ACTOR_TYPE = "sandbox"
_CHUNK = 500


def actor(client_id: str) -> Actor:
    return Actor(ACTOR_TYPE, client_id)


# ---------------------------------------------------------------- simulated decisions


def load(session: Session, client_pk: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    """The client's customer, locked; another client's answers exactly like an unknown one."""
    customer = repository.get_owned(session, client_pk, customer_id, for_update=True)
    if customer is None:
        raise NotFound()
    return customer


def decide(
    session: Session, runtime: Runtime, client_pk: uuid.UUID, client_id: str, command: commands.Command
) -> Customer:
    """Apply ``command`` to one of the client's customers, at the client's time, as the sandbox: the same
    command handler as a reviewer's, so the same checks, audit rows, RFIs and webhooks."""
    uow = runtime.work(session, actor(client_id), client_pk)
    return commands.handle(uow, command, client_pk=client_pk)


# ---------------------------------------------------------------- the client's clock and faults


def _row(session: Session, client_pk: uuid.UUID, now: datetime) -> SandboxClient:
    """The client's sandbox row, created on first use (two racing requests create it once)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SandboxClient)
        .values(client_pk=client_pk, clock_offset_us=0, webhook_faults=None, updated_at=now)
        .on_conflict_do_nothing()
    )
    row = session.get(SandboxClient, client_pk, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


@dataclass(frozen=True)
class ClockView:
    now: datetime
    offset: timedelta

    def wire(self) -> dict[str, Any]:
        return {
            "now": fractional_z(self.now),
            "offset_seconds": self.offset.total_seconds(),
            "real_time": self.offset == REAL_TIME,
        }


def clock(session: Session, runtime: Runtime, client_pk: uuid.UUID) -> ClockView:
    now = runtime.now_for(client_pk, session)
    return ClockView(now, clocks_for(runtime.engine).offset(client_pk, session))


def set_clock(
    session: Session,
    runtime: Runtime,
    client_pk: uuid.UUID,
    *,
    advance_by: timedelta | None = None,
    set_to: datetime | None = None,
) -> ClockView:
    """Move the client's clock forward by ``advance_by``, to ``set_to``, or (neither) back to real time.
    Deliveries waiting for a retry are rescheduled on the new clock."""
    real = runtime.now()
    row = _row(session, client_pk, real)
    before = timedelta(microseconds=row.clock_offset_us)
    if advance_by is not None:
        offset = before + advance_by
        field = "advance_by"
    elif set_to is not None:
        offset = set_to - real
        field = "set_to"
    else:
        offset, field = REAL_TIME, ""
    if abs(offset) > MAX_OFFSET:
        raise ValidationFailed([(field, "The clock can be at most 100 years from real time")])
    row.clock_offset_us = offset // timedelta(microseconds=1)
    row.updated_at = real
    session.flush()
    clocks_for(runtime.engine).invalidate()
    view = clock(session, runtime, client_pk)
    _reschedule(session, client_pk, offset - before, real)
    return view


def _reschedule(session: Session, client_pk: uuid.UUID, moved: timedelta, now: datetime) -> None:
    """Queue again every delivery of the client waiting for a retry, due at the same time of the client's
    new clock (deliveries are due on the server's clock, so moving the client's clock moves them). The
    jobs queued before are removed, not left to wake up years later to find nothing due."""
    waiting = session.scalars(
        select(Delivery)
        .join(Event, Event.id == Delivery.event_id)
        .where(
            Event.client_pk == client_pk,
            Delivery.status == DeliveryStatus.PENDING.value,
            Delivery.next_attempt_at.is_not(None),
            Delivery.in_flight_until.is_(None),
        )
    )
    rows = list(waiting)
    if rows:
        session.execute(
            delete(Job).where(
                Job.kind == deliveries.DELIVER_JOB,
                Job.status == JobStatus.QUEUED.value,
                Job.payload["delivery_id"].as_string().in_([str(row.id) for row in rows]),
            )
        )
    for row in rows:
        due = row.next_attempt_at
        assert due is not None
        # Due at the same time of the client's clock, which moved by ``moved``: sooner on the server's.
        deliveries.schedule_attempt(session, row, due - moved, now)


def faults(session: Session, client_pk: uuid.UUID) -> Faults:
    row = session.get(SandboxClient, client_pk)
    return Faults.from_wire(row.webhook_faults if row is not None else None)


def set_faults(session: Session, client_pk: uuid.UUID, body: WebhookFaultsIn | None, now: datetime) -> Faults:
    """Replace the client's webhook faults (None: turn them off)."""
    row = _row(session, client_pk, now)
    chosen = Faults(float(body.duplicate), body.delay_seconds, body.reorder) if body is not None else Faults()
    row.webhook_faults = chosen.wire() if chosen != Faults() else None
    row.updated_at = now
    session.flush()
    return chosen


# ---------------------------------------------------------------- reset


@dataclass
class Reset:
    counts: dict[str, int]
    # Store keys of the deleted files: removed from the store once the transaction has committed.
    file_keys: list[str]


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(stmt) or 0)


def _client_jobs(session: Session, client_pk: uuid.UUID) -> list[uuid.UUID]:
    """Jobs about the client's customers (checks) and deliveries, whatever their state. Jobs carry ids in
    their payload, so the candidates are read once and their ids checked against the client's rows."""
    by_customer: dict[str, list[uuid.UUID]] = {}
    by_delivery: dict[str, list[uuid.UUID]] = {}
    rows = session.execute(
        select(Job.id, Job.kind, Job.payload).where(Job.kind.in_((CHECKS_JOB, deliveries.DELIVER_JOB)))
    )
    for job_id, kind, payload in rows:
        if kind == CHECKS_JOB and payload.get("customer_id"):
            by_customer.setdefault(str(payload["customer_id"]), []).append(job_id)
        elif payload.get("delivery_id"):
            by_delivery.setdefault(str(payload["delivery_id"]), []).append(job_id)
    found: list[uuid.UUID] = []
    for chunk in _chunks(list(by_customer)):
        owned = session.scalars(
            select(Customer.id).where(Customer.client_pk == client_pk, Customer.id.in_(_uuids(chunk)))
        )
        found.extend(job for cid in owned for job in by_customer[str(cid)])
    for chunk in _chunks(list(by_delivery)):
        owned = session.scalars(
            select(Delivery.id)
            .join(Event, Event.id == Delivery.event_id)
            .where(Event.client_pk == client_pk, Delivery.id.in_(_uuids(chunk)))
        )
        found.extend(job for did in owned for job in by_delivery[str(did)])
    return found


def _uuids(values: Iterable[str]) -> list[uuid.UUID]:
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue
    return out


def reset(session: Session, client_pk: uuid.UUID) -> Reset:
    """Delete the client's customers with everything hanging from them (parties, attachments, files, RFIs,
    audit rows, jobs), its events and deliveries, and its customer counters, so numbering starts again at
    1 (docs/adr/0003). Nothing of another client is touched; the clock, faults and webhook endpoints stay."""
    customers = select(Customer.id).where(Customer.client_pk == client_pk)
    events = select(Event.id).where(Event.client_pk == client_pk)
    counts = {
        "customers": _count(session, select(func.count()).select_from(customers.subquery())),
        "associated_parties": _count(
            session,
            select(func.count())
            .select_from(AssociatedParty)
            .where(AssociatedParty.customer_id.in_(customers)),
        ),
        "files": _count(session, select(func.count()).where(StoredFile.client_pk == client_pk)),
        "rfis": _count(session, select(func.count()).select_from(Rfi).where(Rfi.customer_id.in_(customers))),
        "audit_entries": _count(
            session, select(func.count()).select_from(AuditEntry).where(AuditEntry.customer_id.in_(customers))
        ),
        "events": _count(session, select(func.count()).select_from(events.subquery())),
        "deliveries": _count(
            session, select(func.count()).select_from(Delivery).where(Delivery.event_id.in_(events))
        ),
    }
    jobs = _client_jobs(session, client_pk)
    counts["jobs"] = len(jobs)
    keys = list(session.scalars(select(StoredFile.storage_key).where(StoredFile.client_pk == client_pk)))
    for chunk in _chunks(jobs):
        session.execute(delete(Job).where(Job.id.in_(chunk)).execution_options(synchronize_session=False))
    # Deliveries and their attempts go with their events, and parties, attachments, batches, RFIs and
    # audit rows with their customers (ON DELETE CASCADE).
    session.execute(
        delete(Event).where(Event.client_pk == client_pk).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(StoredFile)
        .where(StoredFile.client_pk == client_pk)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Customer).where(Customer.client_pk == client_pk).execution_options(synchronize_session=False)
    )
    session.execute(
        delete(CustomerCounter)
        .where(CustomerCounter.client_pk == client_pk)
        .execution_options(synchronize_session=False)
    )
    session.expunge_all()
    return Reset(counts, keys)


def delete_files(runtime: Runtime, keys: Iterable[str]) -> None:
    """Remove the bytes of deleted files (after the rows are gone for good)."""
    for key in keys:
        runtime.files.delete(key)
