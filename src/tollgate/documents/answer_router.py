"""PATCH /v1/customers/{customer_id}: answering requests for information (docs/rfi.md)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from tollgate.auth.deps import Principal
from tollgate.documents import answer
from tollgate.documents.answer_schemas import RfiAnswerRead, RfiAnswerUpdate
from tollgate.errors import Dialect, ValidationFailed, render, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import (
    AUTH_401,
    FIELD_MAP_400,
    NOT_FOUND_404,
    VALIDATION_422,
    responses,
)
from tollgate.kit.responses import JSONBody
from tollgate.runtime import RuntimeDep, SessionDep
from tollgate.verification.transitions import Actor

router = APIRouter(tags=["Customers"])

CustomerIdPath = Annotated[
    str,
    Path(
        description="Unique identifier of the customer to update",
        json_schema_extra={"format": "uuid"},
    ),
]


@router.patch(
    "/v1/customers/{customer_id}",
    response_model=RfiAnswerRead,
    responses=responses(
        FIELD_MAP_400,
        AUTH_401,
        NOT_FOUND_404,
        VALIDATION_422,
    ),
)
@speaks(Dialect.FIELD_MAP)
@one_thread
def answer_rfis(
    customer_id: CustomerIdPath,
    body: RfiAnswerUpdate,
    request: Request,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Answer the customer's open requests for information with only the sections, parties and document
    types they ask for. The documents follow the attach rules; the checks then run again."""
    try:
        cid = uuid.UUID(customer_id)
    except ValueError:
        # Fin declares 422 (its formatting-error shape) for a malformed path, 400 for the body.
        return render(ValidationFailed([("customer_id", "Must be a UUID")]), Dialect.STANDARD)
    ip = request.client.host if request.client else None
    uow = runtime.work(session, Actor("api_client", caller.client_id), caller.id)
    customer = answer.answer_rfis(uow, caller, cid, body, ip, request.headers.get("user-agent"))
    return JSONBody({"data": {"customer_id": str(customer.id)}})
