"""Finding the customer a terms-of-service link names, and recording the customer's acceptance."""

from __future__ import annotations

import hmac
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.customers.models import Customer
from tollgate.verification.transitions import Actor, audit, touch

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

# Longer values are refused before any lookup: ``tos_policies_value`` is a UUID string (36 characters).
_MAX_VALUE_LENGTH = 64
# Compared against when the customer does not exist, so both failures take the same path.
_NO_VALUE = str(uuid.UUID(int=0))
_USER_AGENT_LENGTH = 512
_IP_LENGTH = 64

CUSTOMER = Actor("customer")


def _parse_id(raw: str) -> uuid.UUID | None:
    # Only the canonical 36-character form; uuid.UUID alone would also take braces, urn: and bare hex.
    if len(raw) != 36:
        return None
    try:
        value = uuid.UUID(raw)
    except ValueError:
        return None
    return value if str(value) == raw.lower() else None


def find(session: Session, customer_id: str, value: str, *, for_update: bool = False) -> Customer | None:
    """The customer whose id and secret ``tos_policies_value`` both match, or None for any mismatch."""
    cid = _parse_id(customer_id)
    if cid is None or not value or len(value) > _MAX_VALUE_LENGTH:
        return None
    stmt = select(Customer).where(Customer.id == cid)
    if for_update:
        # Two clicks racing: the second waits for the first and then sees its acceptance (PostgreSQL);
        # SQLite writers are already serialised by BEGIN IMMEDIATE.
        stmt = stmt.with_for_update()
    customer = session.scalars(stmt).one_or_none()
    expected = customer.tos_policies_value if customer is not None else _NO_VALUE
    if not hmac.compare_digest(expected.encode(), value.encode()) or customer is None:
        return None
    return customer


def display_name(customer: Customer) -> str:
    if customer.business_name:
        return customer.business_name
    return " ".join(part for part in (customer.first_name, customer.last_name) if part)


def accept(uow: UnitOfWork, customer: Customer, ip: str | None, user_agent: str | None) -> bool:
    """Record the acceptance unless one is already recorded. Returns True when this call recorded it."""
    session, now = uow.session, uow.now()
    if customer.tos_accepted_at is not None:
        return False
    customer.tos_accepted_at = now
    customer.tos_accepted_ip = ip[:_IP_LENGTH] if ip else None
    customer.tos_accepted_user_agent = user_agent[:_USER_AGENT_LENGTH] if user_agent else None
    touch(customer, now)
    audit(
        uow,
        customer,
        "tos_accepted",
        details={"ip": customer.tos_accepted_ip, "user_agent": customer.tos_accepted_user_agent},
    )
    _answer_tos_rfis(uow, customer)
    session.flush()
    return True


def _answer_tos_rfis(uow: UnitOfWork, customer: Customer) -> None:
    """Accepting on the page answers an open RFI on ``tos_policies_value``. When nothing else is
    outstanding, the customer is submitted to the checks again, as an answer by PATCH would."""
    from tollgate.customers.enums import CustomerStatus
    from tollgate.documents import service as documents
    from tollgate.verification import rfi as rfis

    session, now = uow.session, uow.now()
    open_rows = rfis.open_rfis(session, customer.id)
    tos_rows = [r for r in open_rows if r.section == "tos_policies_value"]
    if not tos_rows:
        return
    rfis.mark_answered(tos_rows, {"tos_policies_value": "accepted on the terms page"}, now)
    others = [r for r in open_rows if r.section != "tos_policies_value"]
    if (
        others
        or customer.status != CustomerStatus.ACTION_REQUIRED.value
        or documents.in_flight(session, customer)
    ):
        return
    batch = documents.start_batch(uow, customer, "tos_accepted")
    for row in tos_rows:
        row.answer = {**(row.answer or {}), "batch_id": str(batch.id)}
