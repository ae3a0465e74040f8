"""Fin's V1 attaches: the customer's id in the body, answers 200, 401 or 422 only. The business and the
associated-party attaches are deprecated by Fin (2026-05-20): they work and say so (``Deprecation``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tollgate.auth.deps import Principal
from tollgate.auth.service import Caller
from tollgate.documents.schemas import Attached, IndividualAttached
from tollgate.documents.service import v1_attach
from tollgate.documents.v1_schemas import V1BusinessAttach, V1IndividualAttach, V1PartyAttach
from tollgate.errors import Dialect, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import (
    AUTH_401,
    VALIDATION_422,
    deprecated_header_doc,
    deprecation_headers,
    responses,
)
from tollgate.kit.responses import JSONBody
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.uow import UnitOfWork
from tollgate.verification.transitions import Actor

router = APIRouter(tags=["Customers"])

BUSINESS_ATTACH_V2 = "/v2/customers/{customer_id}/business/attach"
PARTY_ATTACH_V2 = "/v2/customers/{customer_id}/associated-parties/individual/attach"


def _work(runtime: Runtime, session: Session, caller: Caller) -> UnitOfWork:
    return runtime.work(session, Actor("api_client", caller.client_id), caller.id)


def _deprecated_ok(successor: str) -> dict[int | str, dict[str, object]]:
    return {200: {"model": Attached, "description": "OK", "headers": deprecated_header_doc(successor)}}


@router.post(
    "/v1/customers/individual/attach",
    response_model=IndividualAttached,
    responses=responses(AUTH_401, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def attach_individual_v1(
    body: V1IndividualAttach, request: Request, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Attach a proof of identity, a proof of address and the terms attestation to a V1 individual; the
    checks run asynchronously."""
    agent = request.headers.get("user-agent")
    ip = request.client.host if request.client else None
    customer = v1_attach.attach_individual(_work(runtime, session, caller), caller, body, ip=ip, agent=agent)
    return JSONBody({"data": {"customer_id": str(customer.id)}})


@router.post(
    "/v1/customers/business/attach",
    deprecated=True,
    response_model=Attached,
    responses={**_deprecated_ok(BUSINESS_ATTACH_V2), **responses(AUTH_401, VALIDATION_422)},
)
@speaks(Dialect.STANDARD)
@one_thread
def attach_business_v1(
    body: V1BusinessAttach, request: Request, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Attach company details, ownership structure and legal presence documents and the terms attestation
    to a V1 business; submits it (with any party documents already attached) to the checks."""
    agent = request.headers.get("user-agent")
    ip = request.client.host if request.client else None
    v1_attach.attach_business(_work(runtime, session, caller), caller, body, ip=ip, agent=agent)
    return JSONBody({"data": {}}, headers=deprecation_headers(BUSINESS_ATTACH_V2))


@router.post(
    "/v1/customers/associated-parties/individual/attach",
    deprecated=True,
    response_model=Attached,
    responses={**_deprecated_ok(PARTY_ATTACH_V2), **responses(AUTH_401, VALIDATION_422)},
)
@speaks(Dialect.STANDARD)
@one_thread
def attach_parties_v1(
    body: V1PartyAttach, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Attach each party's proof of identity and proof of address (several parties per request)."""
    v1_attach.attach_parties(_work(runtime, session, caller), caller, body)
    return JSONBody({"data": {}}, headers=deprecation_headers(PARTY_ATTACH_V2))
