"""Requests for information: raise, render, answer, close. Entries keep Fin's structure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, bindparam, select
from sqlalchemy.orm import Session

from tollgate.customers.models import Customer
from tollgate.kit.ids import new_uuid
from tollgate.verification.models import Rfi

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"

# Fin's sections by customer type (DOMAIN.md 10).
CUSTOMER_SECTIONS = {
    "INDIVIDUAL": frozenset(
        {
            "proof_of_identity",
            "proof_of_address",
            "identifying_documents",
            "address_documents",
            "tos_policies_value",
        }
    ),
    "BUSINESS": frozenset(
        {
            "formation_documents",
            "ownership_documents",
            "supporting_documents",
            # a business created through V1
            "company_details",
            "ownership_structure",
            "legal_presence",
            "tos_policies_value",
        }
    ),
}
PARTY_SECTIONS = frozenset({"identifying_documents", "tax_info", "address_documents", "supporting_documents"})


def field(
    name: str, data_type: str, status: str, reason: str | None = None, *, options: list[str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"field_name": name, "data_type": data_type, "status": status}
    if reason is not None:
        out["reason"] = reason
    out["options"] = options or []
    return out


def raise_rfi(
    session: Session,
    customer: Customer,
    *,
    section: str,
    categories: list[dict[str, Any]],
    raised_by: str,
    now: datetime,
    party_id: uuid.UUID | None = None,
    position: int = 0,
) -> Rfi:
    row = Rfi(
        id=new_uuid(),
        position=position,
        customer_id=customer.id,
        party_id=party_id,
        scope="ASSOCIATED_PARTY" if party_id else "CUSTOMER",
        section=section,
        categories=categories,
        status=OPEN,
        raised_by=raised_by,
        raised_at=now,
    )
    session.add(row)
    return row


# Each party's entries first, then the customer's own sections, as in Fin's reference example (and
# docs/verification.md); within each, in the order raised.
_ORDER = (Rfi.party_id.is_(None), Rfi.raised_at, Rfi.position, Rfi.id)
_OPEN = (
    select(Rfi)
    .where(Rfi.customer_id == bindparam("customer_id", type_=Uuid), Rfi.status == OPEN)
    .order_by(*_ORDER)
)


def open_rfis(session: Session, customer_id: uuid.UUID) -> list[Rfi]:
    return list(session.scalars(_OPEN, {"customer_id": customer_id}))


def open_rfis_for(session: Session, customer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Rfi]]:
    ids = list(customer_ids)
    out: dict[uuid.UUID, list[Rfi]] = {i: [] for i in ids}
    if not ids:
        return out
    for row in session.scalars(
        select(Rfi).where(Rfi.customer_id.in_(ids), Rfi.status == OPEN).order_by(*_ORDER)
    ):
        out[row.customer_id].append(row)
    return out


def render(row: Rfi) -> dict[str, Any]:
    """The detail endpoint's entry: scope, associated_party_id (party scope only), section, categories."""
    out: dict[str, Any] = {"scope": row.scope}
    if row.party_id is not None:
        out["associated_party_id"] = str(row.party_id)
    out["section"] = row.section
    out["categories"] = row.categories
    return out


def render_all(rows: Iterable[Rfi]) -> list[dict[str, Any]]:
    return [render(r) for r in rows]


def close_raised_by_checks(session: Session, customer_id: uuid.UUID, now: datetime) -> list[Rfi]:
    """Close the open RFIs the automated checks raised (they raise again whatever still fails); return the
    ones people raised, which stay open until they are answered."""
    remaining: list[Rfi] = []
    for row in open_rfis(session, customer_id):
        if row.raised_by.startswith("system:"):
            row.status = CLOSED
            row.closed_at = now
        else:
            remaining.append(row)
    return remaining


def close_all(session: Session, customer_id: uuid.UUID, now: datetime) -> None:
    for row in open_rfis(session, customer_id):
        row.status = CLOSED
        row.closed_at = now


def mark_answered(rows: Iterable[Rfi], answer: dict[str, Any], now: datetime) -> None:
    for row in rows:
        row.status = ANSWERED
        row.answered_at = now
        row.answer = answer
