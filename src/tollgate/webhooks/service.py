"""Decisions about webhooks: endpoints, the event log, and sending events again.

Events themselves are written by ``outbox`` (re-exported here), in the transaction of the change.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from tollgate.config import Mode, Settings
from tollgate.errors import NotFound, ValidationFailed
from tollgate.kit.ids import new_uuid
from tollgate.webhooks import delivery as deliveries
from tollgate.webhooks import signing, urls
from tollgate.webhooks.delivery import DeliveryFaults
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event, EventCounter, WebhookEndpoint
from tollgate.webhooks.outbox import customer_snapshot as customer_snapshot
from tollgate.webhooks.outbox import record_customer_created as record_customer_created
from tollgate.webhooks.outbox import record_customer_rfi as record_customer_rfi
from tollgate.webhooks.outbox import record_customer_status as record_customer_status
from tollgate.webhooks.schemas import DeliveryStatus, EndpointCreate, EndpointUpdate, EventType

MAX_ENDPOINTS_PER_CLIENT = 16


# ---------------------------------------------------------------- endpoints


def _check_url(url: str, mode: urls.Rules | Mode, resolver: urls.Resolver) -> str:
    try:
        return urls.check_for_registration(url.strip(), mode, resolver)
    except urls.UrlRefused as exc:
        raise ValidationFailed([("url", f"URL {exc}")]) from exc


def create_endpoint(
    session: Session,
    client_pk: uuid.UUID,
    body: EndpointCreate,
    now: datetime,
    mode: urls.Rules | Mode,
    *,
    resolver: urls.Resolver = urls.system_resolve,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned once; later reads never show it)."""
    url = _check_url(body.url, mode, resolver)
    count = session.scalar(select(func.count()).where(WebhookEndpoint.client_pk == client_pk)) or 0
    if count >= MAX_ENDPOINTS_PER_CLIENT:
        raise ValidationFailed([("url", f"A client can have at most {MAX_ENDPOINTS_PER_CLIENT} endpoints")])
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        id=new_uuid(),
        client_pk=client_pk,
        url=url,
        enabled=body.enabled,
        disabled_reason=None if body.enabled else "Disabled by the client",
        event_types=_types(body.event_types),
        secret=secret,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def _types(types: Iterable[EventType]) -> list[str]:
    chosen = {t.value for t in types}
    return [t.value for t in EventType if t.value in chosen]


def list_endpoints(session: Session, client_pk: uuid.UUID) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.client_pk == client_pk)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(
    session: Session, client_pk: uuid.UUID, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    """The client's endpoint; another client's answers exactly like an unknown one."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.client_pk == client_pk
    )
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    endpoint = session.scalars(stmt).one_or_none()
    if endpoint is None:
        raise NotFound()
    return endpoint


def update_endpoint(
    session: Session,
    client_pk: uuid.UUID,
    endpoint_id: uuid.UUID,
    body: EndpointUpdate,
    now: datetime,
    mode: urls.Rules | Mode,
    *,
    resolver: urls.Resolver = urls.system_resolve,
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, client_pk, endpoint_id, lock=True)
    if body.url is not None:
        endpoint.url = _check_url(body.url, mode, resolver)
    if body.event_types is not None:
        endpoint.event_types = _types(body.event_types)
    if body.enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
    elif body.enabled is False and endpoint.enabled:
        deliveries.disable_endpoint(session, endpoint, "Disabled by the client", now)
    endpoint.updated_at = now
    session.flush()
    return endpoint


def delete_endpoint(session: Session, client_pk: uuid.UUID, endpoint_id: uuid.UUID) -> None:
    """Remove the endpoint with its deliveries; their queued jobs find nothing and stop."""
    endpoint = get_endpoint(session, client_pk, endpoint_id, lock=True)
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session,
    client_pk: uuid.UUID,
    endpoint_id: uuid.UUID,
    now: datetime,
    grace: timedelta,
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing (as the previous) for ``grace``."""
    endpoint = get_endpoint(session, client_pk, endpoint_id, lock=True)
    secret = signing.new_secret()
    if grace > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + grace
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = secret
    endpoint.updated_at = now
    session.flush()
    return endpoint, secret


# ---------------------------------------------------------------- events: reading


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    next_cursor: str | None


def _encode_cursor(event: Event) -> str:
    raw = json.dumps([event.number]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        [number] = json.loads(raw)
        if type(number) is not int or not 0 < number < 2**63:
            raise ValueError("not an event number")
        return number
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        raise ValidationFailed([("cursor", "Invalid cursor")]) from exc


def _has_failed_delivery() -> ColumnElement[bool]:
    return exists().where(Delivery.event_id == Event.id, Delivery.status == DeliveryStatus.FAILED.value)


def list_events(
    session: Session,
    client_pk: uuid.UUID,
    *,
    per_page: int,
    cursor: str | None = None,
    event_type: EventType | None = None,
    customer_id: uuid.UUID | None = None,
    failed: bool = False,
) -> EventPage:
    """The client's events, newest first (the order their transactions committed, whatever the clock
    said), ``per_page`` at a time; the cursor continues after the last."""
    stmt = select(Event).where(Event.client_pk == client_pk)
    if event_type is not None:
        stmt = stmt.where(Event.type == event_type.value)
    if customer_id is not None:
        stmt = stmt.where(Event.customer_id == customer_id)
    if failed:
        stmt = stmt.where(_has_failed_delivery())
    if cursor:
        stmt = stmt.where(Event.number < _decode_cursor(cursor))
    rows = list(session.scalars(stmt.order_by(Event.number.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return EventPage(rows, _encode_cursor(rows[-1]) if more and rows else None)


def get_event(session: Session, client_pk: uuid.UUID, event_id: uuid.UUID) -> Event:
    event = session.scalars(
        select(Event).where(Event.id == event_id, Event.client_pk == client_pk)
    ).one_or_none()
    if event is None:
        raise NotFound()
    return event


def deliveries_of(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Delivery]]:
    out: dict[uuid.UUID, list[Delivery]] = {i: [] for i in event_ids}
    if not event_ids:
        return out
    rows = session.scalars(
        select(Delivery).where(Delivery.event_id.in_(event_ids)).order_by(Delivery.created_at, Delivery.id)
    )
    for row in rows:
        out[row.event_id].append(row)
    return out


def attempts_of(session: Session, delivery_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[DeliveryAttempt]]:
    out: dict[uuid.UUID, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return out
    rows = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
    )
    for row in rows:
        out[row.delivery_id].append(row)
    return out


def last_event_number(session: Session, client_pk: uuid.UUID) -> int:
    """The number of the client's latest committed event (0 before the first)."""
    return int(session.scalar(select(EventCounter.last).where(EventCounter.client_pk == client_pk)) or 0)


def events_after(session: Session, client_pk: uuid.UUID, number: int, *, limit: int = 100) -> list[Event]:
    """The client's events numbered after ``number``, in the order they committed (``tollgate listen``)."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.client_pk == client_pk, Event.number > number)
            .order_by(Event.number)
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- events: sending again


def resend_event(
    session: Session,
    settings: Settings,
    faults: DeliveryFaults,
    client_pk: uuid.UUID,
    event_id: uuid.UUID,
    now: datetime,
    *,
    endpoint_id: uuid.UUID | None = None,
) -> Event:
    """Send an event again, with a fresh schedule, to one endpoint or to every enabled endpoint that
    subscribes to its type. A delivery still pending is left as it is."""
    event = get_event(session, client_pk, event_id)
    if endpoint_id is not None:
        endpoint = get_endpoint(session, client_pk, endpoint_id)
        if not endpoint.enabled:
            raise ValidationFailed([("endpoint_id", "Endpoint is disabled; enable it first")])
        targets = [endpoint]
    else:
        targets = [e for e in list_endpoints(session, client_pk) if e.enabled and event.type in e.event_types]
        if not targets:
            raise ValidationFailed([("endpoint_id", f"No enabled endpoint subscribes to {event.type}")])
    for endpoint in targets:
        locked = deliveries.lock_endpoint(session, endpoint.id)
        if locked is None:
            continue
        existing = session.scalars(
            select(Delivery)
            .where(Delivery.event_id == event.id, Delivery.endpoint_id == endpoint.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if existing is None:
            deliveries.new_delivery(session, settings, event, locked, now, faults=faults)
        else:
            deliveries.requeue(session, existing, now)
    session.flush()
    return event


def resend_failed_since(session: Session, client_pk: uuid.UUID, since: datetime, now: datetime) -> int:
    """Send again every failed delivery of the client (to an enabled endpoint) that failed at or after
    ``since``; returns how many."""
    rows = list(
        session.scalars(
            select(Delivery)
            .join(Event, Event.id == Delivery.event_id)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .where(
                Event.client_pk == client_pk,
                Delivery.status == DeliveryStatus.FAILED.value,
                Delivery.completed_at >= since,
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(Event.created_at, Event.sequence)
        )
    )
    # Take the endpoint locks in one order, so two resends cannot wait on each other.
    for endpoint_id in sorted({row.endpoint_id for row in rows}):
        deliveries.lock_endpoint(session, endpoint_id)
    count = 0
    for row in rows:
        locked = session.scalars(
            select(Delivery)
            .where(Delivery.id == row.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        if deliveries.requeue(session, locked, now):
            count += 1
    session.flush()
    return count
