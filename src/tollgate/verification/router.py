"""The operator API (outside Fin's paths): reviewers' decisions on customers and their parties."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tollgate.customers import present
from tollgate.customers.models import Customer
from tollgate.errors import AuthenticationFailed, NotFound
from tollgate.http_docs import AUTH_401, NOT_FOUND_404, VALIDATION_422, MessageBody, responses
from tollgate.kit.responses import JSONBody
from tollgate.kit.timefmt import fractional_z, seconds_z
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.verification import operators, rfi, service
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.verification.schemas import (
    ApproveIn,
    HoldIn,
    OperatorLoginIn,
    OperatorTokenRead,
    PartyRejectIn,
    RejectIn,
    RequestInformationIn,
)
from tollgate.verification.transitions import Actor

_DECISION = responses(
    AUTH_401, NOT_FOUND_404, (409, MessageBody, "The status does not allow this decision"), VALIDATION_422
)
router = APIRouter(prefix="/ops/v1", tags=["Operators"], responses=_DECISION)
_bearer = HTTPBearer(auto_error=False)


def current_operator(
    runtime: RuntimeDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> operators.OperatorIdentity:
    if credentials is None:
        raise AuthenticationFailed()
    return operators.authenticate(
        session, runtime.keys, runtime.settings, runtime.now(), credentials.credentials
    )


OperatorDep = Annotated[operators.OperatorIdentity, Depends(current_operator)]


def _actor(op: operators.OperatorIdentity) -> Actor:
    return Actor("reviewer", op.username)


def load_customer(session: Session, customer_id: uuid.UUID) -> Customer:
    customer = session.scalars(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.parties))
        .with_for_update()
    ).one_or_none()
    if customer is None:
        raise NotFound()
    return customer


def review_view(session: Session, runtime: Runtime, customer: Customer) -> dict[str, Any]:
    """Everything a reviewer needs: the Fin detail, the stored request, RFI history, the audit trail."""
    base = runtime.settings.public_base_url
    history = session.scalars(
        select(Rfi).where(Rfi.customer_id == customer.id).order_by(Rfi.raised_at, Rfi.position)
    ).all()
    trail = session.scalars(
        select(AuditEntry).where(AuditEntry.customer_id == customer.id).order_by(AuditEntry.created_at)
    ).all()
    return {
        "customer": present.detail(
            customer, base, rfi.render_all(r for r in history if r.status == rfi.OPEN)
        ),
        "request": customer.payload,
        "parties": [{"id": str(p.id), "roles": p.roles, "request": p.payload} for p in customer.parties],
        "tos_accepted_at": seconds_z(customer.tos_accepted_at) if customer.tos_accepted_at else None,
        "rfi_history": [
            {
                "id": str(r.id),
                **rfi.render(r),
                "status": r.status,
                "raised_by": r.raised_by,
                "raised_at": fractional_z(r.raised_at),
                "answered_at": fractional_z(r.answered_at) if r.answered_at else None,
                "closed_at": fractional_z(r.closed_at) if r.closed_at else None,
            }
            for r in history
        ],
        "audit": [
            {
                "at": fractional_z(a.created_at),
                "actor": f"{a.actor_type}:{a.actor_id}" if a.actor_id else a.actor_type,
                "action": a.action,
                "party_id": str(a.party_id) if a.party_id else None,
                "from": a.from_status,
                "to": a.to_status,
                "reason": a.reason,
            }
            for a in trail
        ],
    }


@router.post("/token", response_model=OperatorTokenRead)
def operator_token(body: OperatorLoginIn, runtime: RuntimeDep, session: SessionDep) -> OperatorTokenRead:
    token, exp = operators.login(
        session, runtime.keys, runtime.settings, runtime.now(), body.username, body.password
    )
    return OperatorTokenRead(access_token=token, expires_at=seconds_z(exp))


@router.get("/customers")
def review_queue(
    op: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
    status: Annotated[str, Query(max_length=32)] = "REVIEWING",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONResponse:
    """Customers in one status (the review queue by default), oldest status change first."""
    rows = session.scalars(
        select(Customer)
        .where(Customer.status == status)
        .order_by(Customer.last_status_updated_at)
        .limit(limit)
    ).all()
    base = runtime.settings.public_base_url
    return JSONBody({"data": [present.list_item(c, base) for c in rows]})


@router.get("/customers/{customer_id}")
def review_customer(
    customer_id: uuid.UUID, op: OperatorDep, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    customer = session.scalars(
        select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.parties))
    ).one_or_none()
    if customer is None:
        raise NotFound()
    return JSONBody({"data": review_view(session, runtime, customer)})


def _done(session: Session, runtime: Runtime, customer: Customer) -> JSONResponse:
    session.flush()
    return JSONBody({"data": review_view(session, runtime, customer)})


@router.post("/customers/{customer_id}/approve")
def approve(
    customer_id: uuid.UUID, body: ApproveIn, op: OperatorDep, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.approve(
        session, customer, _actor(op), runtime.now_for(customer.client_pk, session), note=body.note
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/reject")
def reject(
    customer_id: uuid.UUID, body: RejectIn, op: OperatorDep, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.reject(
        session,
        customer,
        _actor(op),
        runtime.now_for(customer.client_pk, session),
        rejection=body.rejection(),
        developer_note=body.developer_note,
        final=body.final,
        retry_rfis=[r.request() for r in body.rfis],
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/request-information")
def request_information(
    customer_id: uuid.UUID,
    body: RequestInformationIn,
    op: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.request_information(
        session,
        customer,
        [r.request() for r in body.rfis],
        _actor(op),
        runtime.now_for(customer.client_pk, session),
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/hold")
def hold(
    customer_id: uuid.UUID, body: HoldIn, op: OperatorDep, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.hold(
        session, customer, _actor(op), runtime.now_for(customer.client_pk, session), reason=body.reason
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/associated-parties/{party_id}/approve")
def approve_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: ApproveIn,
    op: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.approve_party(
        session,
        customer,
        service.party_of(customer, party_id),
        _actor(op),
        runtime.now_for(customer.client_pk, session),
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/associated-parties/{party_id}/reject")
def reject_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: PartyRejectIn,
    op: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    party = service.party_of(customer, party_id)
    service.reject_party(
        session,
        customer,
        party,
        _actor(op),
        runtime.now_for(customer.client_pk, session),
        rejection=body.rejection(),
        for_customer=body.for_customer,
        for_developer=body.for_developer,
        retry_rfis=[r.request(party_id) for r in body.rfis],
    )
    return _done(session, runtime, customer)


@router.post("/customers/{customer_id}/associated-parties/{party_id}/request-information")
def request_party_information(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: RequestInformationIn,
    op: OperatorDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    customer = load_customer(session, customer_id)
    service.party_of(customer, party_id)
    service.request_information(
        session,
        customer,
        [r.request(party_id) for r in body.rfis],
        _actor(op),
        runtime.now_for(customer.client_pk, session),
    )
    return _done(session, runtime, customer)
