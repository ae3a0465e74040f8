from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tollgate.auth.deps import Principal
from tollgate.auth.service import Caller
from tollgate.documents import inspection, service
from tollgate.documents.multipart import read_form
from tollgate.documents.schemas import BusinessAttach, IndividualAttach, PartyAttach
from tollgate.errors import Dialect, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import (
    AUTH_401,
    FIELD_MAP_400,
    NOT_FOUND_404,
    VALIDATION_422,
    CodedErrorBody,
    MessageBody,
    StatusMessageBody,
    responses,
)
from tollgate.kit.responses import JSONBody
from tollgate.runtime import Runtime, RuntimeDep, SessionDep
from tollgate.uow import UnitOfWork
from tollgate.verification.transitions import Actor

router = APIRouter(tags=["Customers"])

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "customer_id": {"type": "string", "format": "uuid"},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "additionalProperties": {"type": "string", "format": "binary"},
                }
            }
        },
    }
}


@router.post(
    "/v1/customers/upload",
    openapi_extra=_UPLOAD_BODY,
    responses=responses(AUTH_401, (413, MessageBody, "A file is larger than the limit"), VALIDATION_422),
)
@speaks(Dialect.STANDARD)
async def upload(
    request: Request, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Upload PDF, JPEG or PNG files (any field names). The type is read from the bytes. Returns one
    ``{field: uri}`` object per file, in order."""
    settings = runtime.settings
    parts = await read_form(
        request.headers.get("content-type", ""),
        request.stream(),
        max_file_bytes=settings.upload_max_file_bytes,
        max_parts=settings.upload_max_files + 1,
    )
    limits = inspection.Limits(
        max_bytes=settings.upload_max_file_bytes,
        max_pixels=settings.upload_max_pixels,
        max_pdf_pages=settings.upload_max_pdf_pages,
        min_short_side=settings.min_image_short_side,
    )

    def store() -> list[service.Uploaded]:
        return service.upload(
            session, caller, runtime.now_for(caller.id, session), parts, runtime.files, limits
        )

    uploaded = await run_in_threadpool(store)
    return JSONBody({"data": {"files": [{u.field: u.uri} for u in uploaded]}})


def _work(runtime: Runtime, session: Session, caller: Caller) -> UnitOfWork:
    return runtime.work(session, Actor("api_client", caller.client_id), caller.id)


def _client(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None, request.headers.get("user-agent"))


@router.post(
    "/v2/customers/{customer_id}/individual/attach",
    responses=responses(
        (400, StatusMessageBody, "Malformed JSON or unparseable payload"),
        AUTH_401,
        (403, CodedErrorBody, "Customer not eligible, or a file belongs to another customer"),
        NOT_FOUND_404,
        (409, CodedErrorBody, "Another attach for this customer is already in flight"),
        VALIDATION_422,
        (500, StatusMessageBody, "Internal server error"),
    ),
)
@speaks(Dialect.ATTACH_INDIVIDUAL)
@one_thread
def attach_individual(
    customer_id: uuid.UUID,
    body: IndividualAttach,
    request: Request,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Attach identity and address documents and the terms attestation; the checks run asynchronously."""
    ip, agent = _client(request)
    customer = service.attach_individual(
        _work(runtime, session, caller), caller, customer_id, body, ip=ip, agent=agent
    )
    return JSONBody({"data": {"customer_id": str(customer.id)}, "meta": None})


_FIELD_MAP_RESPONSES = responses(
    FIELD_MAP_400,
    AUTH_401,
    (403, StatusMessageBody, "Customer not eligible, or a file belongs to another customer"),
    NOT_FOUND_404,
    (409, StatusMessageBody, "Another attach for this customer is already in flight"),
    VALIDATION_422,
)


@router.post("/v2/customers/{customer_id}/business/attach", responses=_FIELD_MAP_RESPONSES)
@speaks(Dialect.FIELD_MAP)
@one_thread
def attach_business(
    customer_id: uuid.UUID,
    body: BusinessAttach,
    request: Request,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
) -> JSONResponse:
    """Attach formation, ownership and supporting documents and the terms attestation; submits the business
    (and any party documents already attached) to the checks."""
    ip, agent = _client(request)
    service.attach_business(_work(runtime, session, caller), caller, customer_id, body, ip=ip, agent=agent)
    return JSONBody({"data": {}})


@router.post(
    "/v2/customers/{customer_id}/associated-parties/individual/attach", responses=_FIELD_MAP_RESPONSES
)
@speaks(Dialect.FIELD_MAP)
@one_thread
def attach_parties(
    customer_id: uuid.UUID, body: PartyAttach, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Attach identity, address and supporting documents of associated parties."""
    service.attach_parties(_work(runtime, session, caller), caller, customer_id, body)
    return JSONBody({"data": {}})
