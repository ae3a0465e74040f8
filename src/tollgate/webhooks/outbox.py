"""The outbox: customer events written in the transaction that makes the change.

Other domains call ``record_customer_created`` / ``record_customer_status`` / ``record_customer_rfi`` (also
reachable as ``tollgate.webhooks.service.record_*``) inside the transaction that changes the customer; the
event, one delivery per subscribed and enabled endpoint, and a job per delivery commit with it or not at all.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Uuid, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tollgate.config import Mode
from tollgate.customers import present
from tollgate.customers.models import Customer
from tollgate.kit.ids import new_uuid
from tollgate.kit.timefmt import fractional_z
from tollgate.webhooks import delivery as deliveries
from tollgate.webhooks.models import Event, EventCounter, WebhookEndpoint
from tollgate.webhooks.schemas import EventType

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


def encode(document: dict[str, Any]) -> str:
    """The one serialisation of event bodies: compact, UTF-8, keys in the order they were built."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


_INDIVIDUAL_KEYS = (
    "customer_id",
    "type",
    "customer_status",
    "email",
    "first_name",
    "last_name",
    "phone",
    "country_of_residence",
    "verification_type",
    "tos_policies_url",
    "created_at",
    "updated_at",
)
_BUSINESS_KEYS = (
    "customer_id",
    "type",
    "customer_status",
    "business_name",
    "email",
    "phone",
    "country_of_incorporation",
    "verification_type",
    "tos_policies_url",
    "associated_parties",
    "created_at",
    "updated_at",
)


def customer_snapshot(customer: Customer, base_url: str) -> dict[str, Any]:
    """``IndividualCustomerData`` / ``BusinessCustomerData``: the customer as it is now."""
    values = present.list_item(customer, base_url)
    values["verification_type"] = customer.verification_type
    if customer.type == "BUSINESS":
        parties = []
        for p in customer.parties:
            wire = present.party(p)
            # Event payloads carry sub-second times (Fin's example does), unlike the customer resource.
            wire["verification"]["updated_at"] = fractional_z(p.verification_updated_at)
            parties.append(
                {k: wire[k] for k in ("id", "email", "type", "ownership_percent")}
                | {"verification": {k: wire["verification"][k] for k in ("status", "updated_at", "reason")}}
            )
        values["associated_parties"] = parties
        return {k: values[k] for k in _BUSINESS_KEYS}
    return {k: values[k] for k in _INDIVIDUAL_KEYS}


def _next_sequence(session: Session, customer_id: uuid.UUID) -> int:
    # Lock the customer row so two transactions changing the same customer number their events in the
    # order they commit (no-op on SQLite, where writers are serialised anyway).
    session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update(key_share=True))
    last = session.scalar(select(func.max(Event.sequence)).where(Event.customer_id == customer_id))
    return int(last or 0) + 1


def next_number(session: Session, client_pk: uuid.UUID, count: int = 1) -> int:
    """The last of ``count`` new event numbers of the client (``Event.number``).

    The counter row stays locked until this transaction ends, so numbers follow the order in which
    transactions commit: one that asks for a number after this one waits until this one has committed,
    and a reader never sees number n+1 before n. On SQLite writers are serialised anyway."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(EventCounter)
        .values(client_pk=client_pk, last=count)
        .on_conflict_do_update(
            index_elements=[EventCounter.client_pk], set_={"last": EventCounter.last + count}
        )
        .returning(EventCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


_ENABLED_ENDPOINTS = (
    select(WebhookEndpoint)
    .where(WebhookEndpoint.client_pk == bindparam("client_pk", type_=Uuid), WebhookEndpoint.enabled.is_(True))
    .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
)


def _record(
    uow: UnitOfWork,
    customer: Customer,
    event_type: EventType,
    data: dict[str, Any],
    *,
    first: bool = False,
) -> Event:
    session, settings, now = uow.session, uow.settings, uow.now()
    event_id = new_uuid()
    envelope = {
        "id": str(event_id),
        "event_reference_id": str(customer.id),
        "type": event_type.value,
        "created_at": fractional_z(now),
        "sandbox_mode": settings.mode is Mode.SANDBOX,
    }
    event = Event(
        id=event_id,
        client_pk=customer.client_pk,
        type=event_type.value,
        event_reference_id=customer.id,
        customer_id=customer.id,
        # The customer was inserted in this very transaction: it has no event yet, nor can another have one.
        sequence=1 if first else _next_sequence(session, customer.id),
        number=next_number(session, customer.client_pk),
        created_at=now,
        sandbox_mode=envelope["sandbox_mode"],
        body=encode({"event": envelope, "data": data}),
    )
    session.add(event)
    session.flush()
    endpoints = session.scalars(_ENABLED_ENDPOINTS, {"client_pk": customer.client_pk})
    for endpoint in endpoints:
        if event_type.value in endpoint.event_types:
            deliveries.new_delivery(
                session, settings, event, endpoint, now, faults=uow.policies.faults, skew=uow.skew
            )
    session.flush()
    return event


def record_customer_created(uow: UnitOfWork, customer: Customer) -> Event:
    """``customer.created``, in the transaction that created ``customer`` (after its parties are added)."""
    data = customer_snapshot(customer, uow.settings.public_base_url)
    return _record(uow, customer, EventType.CUSTOMER_CREATED, data, first=True)


def record_customer_status(uow: UnitOfWork, customer: Customer) -> Event:
    """``customer.status``, in the transaction that changed the status (the snapshot shows the new one)."""
    data = customer_snapshot(customer, uow.settings.public_base_url)
    return _record(uow, customer, EventType.CUSTOMER_STATUS, data)


def record_customer_rfi(uow: UnitOfWork, customer: Customer, rfis: list[dict[str, Any]]) -> Event:
    """``customer.rfi`` with ``request_for_information`` entries in Fin's webhook shape."""
    data = {"customer_id": str(customer.id), "request_for_information": rfis}
    return _record(uow, customer, EventType.CUSTOMER_RFI, data)
