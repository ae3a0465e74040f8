"""The sandbox API (outside Fin's paths, sandbox mode only): simulated decisions on the caller's customers,
the caller's clock, webhook faults and reset. In live mode every path answers 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Body, Depends
from fastapi.responses import JSONResponse

from tollgate.auth.deps import Principal
from tollgate.customers import present
from tollgate.customers.models import Customer
from tollgate.customers.schemas import CustomerDetailRead
from tollgate.errors import Dialect, NotFound, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import AUTH_401, NOT_FOUND_404, VALIDATION_422, MessageBody, responses
from tollgate.kit.responses import JSONBody
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.sandbox import service
from tollgate.sandbox.faults import Faults
from tollgate.sandbox.schemas import (
    ClockIn,
    ClockRead,
    ResetRead,
    WebhookFaultsIn,
    WebhookFaultsRead,
)
from tollgate.verification import commands, rfi
from tollgate.verification.schemas import ApproveIn, HoldIn, PartyRejectIn, RejectIn, RequestInformationIn


async def sandbox_only(runtime: RuntimeDep) -> None:
    """In live mode the sandbox does not exist: 404 before anything else, credentials included."""
    if not runtime.settings.sandbox:
        raise NotFound()


_COMMON = responses(AUTH_401, NOT_FOUND_404, VALIDATION_422)
_DECISION = responses(
    AUTH_401, NOT_FOUND_404, (409, MessageBody, "The customer's status does not allow this"), VALIDATION_422
)
router = APIRouter(
    prefix="/sandbox", tags=["Sandbox"], dependencies=[Depends(sandbox_only)], responses=_COMMON
)


def _detail(session: SessionDep, runtime: Runtime, customer: Customer) -> JSONResponse:
    entries = rfi.render_all(rfi.open_rfis(session, customer.id))
    return JSONBody({"data": present.detail(customer, runtime.settings.public_base_url, entries)})


def _decide(
    caller: Principal,
    runtime: Runtime,
    session: SessionDep,
    customer_id: uuid.UUID,
    command: commands.Command,
) -> JSONResponse:
    customer = service.decide(session, runtime, caller.id, caller.client_id, command)
    return _detail(session, runtime, customer)


# ---------------------------------------------------------------- simulated decisions


@router.post("/customers/{customer_id}/approve", response_model=CustomerDetailRead, responses=_DECISION)
@speaks(Dialect.STANDARD)
@one_thread
def approve(
    customer_id: uuid.UUID,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    body: Annotated[ApproveIn | None, Body()] = None,
) -> JSONResponse:
    """Approve the customer as a reviewer would (a business waits in ASSOCIATED_PARTIES_REMAINING until its
    parties are approved). Same body as the operator API; fires the same webhooks."""
    return _decide(caller, runtime, session, customer_id, (body or ApproveIn()).command(customer_id))


@router.post("/customers/{customer_id}/reject", response_model=CustomerDetailRead, responses=_DECISION)
@speaks(Dialect.STANDARD)
@one_thread
def reject(
    customer_id: uuid.UUID, body: RejectIn, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Reject: final (REJECTED) or, with ``final: false`` and ``rfis``, ACTION_REQUIRED to resubmit."""
    return _decide(caller, runtime, session, customer_id, body.command(customer_id))


@router.post(
    "/customers/{customer_id}/request-information", response_model=CustomerDetailRead, responses=_DECISION
)
@speaks(Dialect.STANDARD)
@one_thread
def request_information(
    customer_id: uuid.UUID,
    body: RequestInformationIn,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Raise RFIs: ACTION_REQUIRED (an APPROVED customer stays APPROVED) and a ``customer.rfi`` webhook."""
    return _decide(caller, runtime, session, customer_id, body.command(customer_id))


@router.post("/customers/{customer_id}/hold", response_model=CustomerDetailRead, responses=_DECISION)
@speaks(Dialect.STANDARD)
@one_thread
def hold(
    customer_id: uuid.UUID,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    body: Annotated[HoldIn | None, Body()] = None,
) -> JSONResponse:
    """Put the customer on hold (IN_COMPLIANCE)."""
    return _decide(caller, runtime, session, customer_id, (body or HoldIn()).command(customer_id))


@router.post(
    "/customers/{customer_id}/associated-parties/{party_id}/approve",
    response_model=CustomerDetailRead,
    responses=_DECISION,
)
@speaks(Dialect.STANDARD)
@one_thread
def approve_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    body: Annotated[ApproveIn | None, Body()] = None,
) -> JSONResponse:
    """Approve one associated party; the last one approves a business waiting for its parties."""
    return _decide(
        caller,
        runtime,
        session,
        customer_id,
        commands.ApproveParty(customer_id, party_id, (body or ApproveIn()).expected_version),
    )


@router.post(
    "/customers/{customer_id}/associated-parties/{party_id}/reject",
    response_model=CustomerDetailRead,
    responses=_DECISION,
)
@speaks(Dialect.STANDARD)
@one_thread
def reject_party(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: PartyRejectIn,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Reject one associated party; with ``rfis`` the business moves to ACTION_REQUIRED to resubmit it."""
    return _decide(caller, runtime, session, customer_id, body.party_command(customer_id, party_id))


@router.post(
    "/customers/{customer_id}/associated-parties/{party_id}/request-information",
    response_model=CustomerDetailRead,
    responses=_DECISION,
)
@speaks(Dialect.STANDARD)
@one_thread
def request_party_information(
    customer_id: uuid.UUID,
    party_id: uuid.UUID,
    body: RequestInformationIn,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Raise RFIs scoped to one associated party."""
    return _decide(caller, runtime, session, customer_id, body.party_command(customer_id, party_id))


# ---------------------------------------------------------------- clock


@router.get("/clock", response_model=ClockRead)
@speaks(Dialect.STANDARD)
@one_thread
def get_clock(caller: Principal, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """The caller's current time and how far it is from real time."""
    return JSONBody({"data": service.clock(session, runtime, caller.id).wire()})


@router.post("/clock", response_model=ClockRead)
@speaks(Dialect.STANDARD)
@one_thread
def set_clock(body: ClockIn, caller: Principal, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """Move the caller's clock: ``{"advance_by": "P1D"}`` (or seconds) or
    ``{"set_to": "2027-01-01T00:00:00Z"}``. Token expiry, document expiry checks, RFI ages, event times and
    webhook retries follow it."""
    view = service.set_clock(session, runtime, caller.id, advance_by=body.advance_by, set_to=body.set_to)
    return JSONBody({"data": view.wire()})


@router.delete("/clock", response_model=ClockRead)
@speaks(Dialect.STANDARD)
@one_thread
def real_time(caller: Principal, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """Return the caller's clock to real time."""
    return JSONBody({"data": service.set_clock(session, runtime, caller.id).wire()})


# ---------------------------------------------------------------- webhook faults


def _faults(found: Faults) -> JSONResponse:
    return JSONBody({"data": found.wire()})


@router.get("/webhook-faults", response_model=WebhookFaultsRead)
@speaks(Dialect.STANDARD)
@one_thread
def get_webhook_faults(caller: Principal, session: SessionDep) -> JSONResponse:
    """The faults injected into the caller's webhook deliveries (all off by default)."""
    return _faults(service.faults(session, caller.id))


@router.post("/webhook-faults", response_model=WebhookFaultsRead)
@speaks(Dialect.STANDARD)
@one_thread
def set_webhook_faults(
    body: WebhookFaultsIn, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Duplicate (probability 0-1, or true), delay (seconds) or reorder the caller's deliveries from now on.
    Replaces the previous setting."""
    return _faults(service.set_faults(session, caller.id, body, runtime.now()))


@router.delete("/webhook-faults", response_model=WebhookFaultsRead)
@speaks(Dialect.STANDARD)
@one_thread
def clear_webhook_faults(caller: Principal, runtime: RuntimeDep, session: SessionDep) -> JSONResponse:
    """Turn every fault off."""
    return _faults(service.set_faults(session, caller.id, None, runtime.now()))


# ---------------------------------------------------------------- reset


@router.post("/reset", response_model=ResetRead)
@speaks(Dialect.STANDARD)
@one_thread
def reset(
    caller: Principal, runtime: RuntimeDep, session: SessionDep, background: BackgroundTasks
) -> JSONResponse:
    """Delete the caller's customers (with their parties, documents and files, RFIs and audit trail), events,
    deliveries and jobs, and restart its customer numbering. Nothing of any other client is touched; the
    clock, webhook faults and endpoints stay. Returns what was deleted."""
    done = service.reset(session, caller.id)
    # The bytes go once the transaction has committed (background tasks run after the response).
    background.add_task(service.delete_files, runtime, done.file_keys)
    return JSONBody({"data": done.counts}, background=background)
