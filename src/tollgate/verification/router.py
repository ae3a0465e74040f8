"""The operator API (outside Fin's paths): reviewers' decisions on customers and their parties."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from tollgate.customers import present
from tollgate.customers.enums import CustomerStatus
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.errors import AuthenticationFailed, NotFound
from tollgate.http_docs import AUTH_401, NOT_FOUND_404, VALIDATION_422, MessageBody, responses
from tollgate.kit.responses import JSONBody
from tollgate.kit.timefmt import fractional_z, seconds_z
from tollgate.runtime import Runtime, RuntimeDep, request_transaction
from tollgate.verification import commands, operators, rfi
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.verification.schemas import (
    ApproveIn,
    HoldIn,
    OperatorLoginIn,
    OperatorTokenRead,
    PartyApproveIn,
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


async def operator_bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The bearer token; checked against the operator table inside the request's one transaction."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationFailed()
    return credentials.credentials


BearerDep = Annotated[str, Depends(operator_bearer)]

Work = Callable[[Session, operators.OperatorIdentity], Any]


async def as_operator(request: Request, runtime: Runtime, token: str, work: Work) -> Any:
    """Authenticate the operator and do ``work`` in one transaction, opened and closed in one thread-pool
    call: no transaction is held across threads or while the event loop waits (a writer on SQLite holds
    the database's one write lock, and a request thread must never wait for another to release it)."""

    def run() -> Any:
        with request_transaction(runtime, request.method) as session:
            op = operators.authenticate(session, runtime.keys, runtime.settings, runtime.now(), token)
            return work(session, op)

    return await run_in_threadpool(run)


def reviewer(op: operators.OperatorIdentity) -> Actor:
    return Actor("reviewer", op.username)


def load_customer(
    session: Session, customer_id: uuid.UUID, op: operators.OperatorIdentity | None = None
) -> Customer:
    """The customer; with ``op``, only one of the operator's API clients (else 404 like a missing one)."""
    customer = session.scalars(
        select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.parties))
    ).one_or_none()
    if customer is None or (op is not None and not op.sees(customer.client_pk)):
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
    from tollgate.console import assignment, decisions

    return {
        "version": customer.version,
        "assignee": assignment.holder_name(session, customer.id),
        "pending_decisions": [
            decisions.proposal_view(p) for p in decisions.pending_for(session, customer.id)
        ],
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
async def operator_token(body: OperatorLoginIn, runtime: RuntimeDep) -> OperatorTokenRead:
    """An operator token. The password is verified between two short transactions, never inside one."""

    def sign_in() -> tuple[str, datetime]:
        with unit_of_work(runtime.read_sessions) as session:
            password_hash = operators.password_hash_of(session, body.username)
        checked = operators.verify_password(runtime.settings, password_hash, body.password)
        with unit_of_work(runtime.write_sessions) as session:
            return operators.login(
                session,
                runtime.keys,
                runtime.settings,
                runtime.now(),
                body.username,
                body.password,
                checked=checked,
            )

    token, exp = await run_in_threadpool(sign_in)
    return OperatorTokenRead(access_token=token, expires_at=seconds_z(exp))


@router.get("/customers")
async def review_queue(
    request: Request,
    token: BearerDep,
    runtime: RuntimeDep,
    status: Annotated[CustomerStatus, Query()] = CustomerStatus.REVIEWING,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONResponse:
    """Customers in one status (the review queue by default), oldest status change first."""

    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        rows = session.scalars(
            select(Customer)
            .where(
                Customer.status == status.value,
                *([Customer.client_pk.in_(list(op.client_pks))] if op.client_pks is not None else []),
            )
            .order_by(Customer.last_status_updated_at)
            .limit(limit)
        ).all()
        base = runtime.settings.public_base_url
        return JSONBody({"data": [present.list_item(c, base) for c in rows]})

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.get("/customers/{customer_id}")
async def review_customer(
    customer_id: uuid.UUID, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        return JSONBody({"data": review_view(session, runtime, load_customer(session, customer_id, op))})

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


async def decide(request: Request, runtime: Runtime, token: str, command: commands.Command) -> JSONResponse:
    """Apply one reviewer decision through ``commands.handle`` and answer with the review view."""

    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        from tollgate.console import decisions

        customer = load_customer(session, command.customer_id, op)
        uow = runtime.work(session, reviewer(op), customer.client_pk)
        outcome = decisions.decide(uow, op, command, four_eyes=runtime.settings.four_eyes)
        if outcome.proposal is not None:
            # Four-eyes: nothing changed yet; a senior other than the proposer confirms it.
            return JSONBody({"data": decisions.proposal_view(outcome.proposal)}, status_code=202)
        return JSONBody({"data": review_view(session, runtime, outcome.customer)})

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.post("/customers/{customer_id}/approve")
async def approve(
    customer_id: uuid.UUID, body: ApproveIn, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await decide(request, runtime, token, body.command(customer_id))


@router.post("/customers/{customer_id}/reject")
async def reject(
    customer_id: uuid.UUID, body: RejectIn, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await decide(request, runtime, token, body.command(customer_id))


@router.post("/customers/{customer_id}/request-information")
async def request_information(
    customer_id: uuid.UUID,
    body: RequestInformationIn,
    request: Request,
    token: BearerDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    return await decide(request, runtime, token, body.command(customer_id))


@router.post("/customers/{customer_id}/hold")
async def hold(
    customer_id: uuid.UUID, body: HoldIn, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await decide(request, runtime, token, body.command(customer_id))


@router.post("/customers/{customer_id}/associated-parties/{party_id}/approve")
async def approve_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: PartyApproveIn,
    request: Request,
    token: BearerDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    return await decide(request, runtime, token, body.party_command(customer_id, party_id))


@router.post("/customers/{customer_id}/associated-parties/{party_id}/reject")
async def reject_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: PartyRejectIn,
    request: Request,
    token: BearerDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    return await decide(request, runtime, token, body.party_command(customer_id, party_id))


@router.post("/customers/{customer_id}/associated-parties/{party_id}/request-information")
async def request_party_information(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: RequestInformationIn,
    request: Request,
    token: BearerDep,
    runtime: RuntimeDep,
) -> JSONResponse:
    return await decide(request, runtime, token, body.party_command(customer_id, party_id))
