from __future__ import annotations

import uuid

import anyio
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tollgate.auth.deps import Principal, SignedTokenDep, read_caller
from tollgate.auth.service import Caller
from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.documents import inspection, service
from tollgate.documents.multipart import Part, read_form
from tollgate.documents.schemas import (
    Attached,
    BusinessAttach,
    IndividualAttach,
    IndividualAttachRead,
    PartyAttach,
    UploadRead,
)
from tollgate.documents.service import uploads
from tollgate.errors import Dialect, speaks
from tollgate.guard import body_limit
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


def upload_body_limit(settings: Settings) -> int:
    """The whole upload: every file and text field at its limit, with room for the parts' headers."""
    per_part = 8 * 1024
    return settings.upload_max_files * (
        settings.upload_max_file_bytes + per_part
    ) + settings.upload_max_fields * (settings.upload_max_field_bytes + per_part)


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
    response_model=UploadRead,
    responses=responses(AUTH_401, (413, MessageBody, "A file is larger than the limit"), VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@body_limit(upload_body_limit)
async def upload(request: Request, signed: SignedTokenDep, runtime: RuntimeDep) -> JSONResponse:
    """Upload PDF, JPEG or PNG files (any field names). The type is read from the bytes. Returns one
    ``{field: uri}`` object per file, in order."""
    # No transaction waits for the client, a decoder or the file store (documents/service/uploads.py):
    # a short read authenticates, the body is read, the files are inspected and stored, and one short
    # write transaction records them.
    settings = runtime.settings
    caller = await run_in_threadpool(read_caller, request, runtime, signed)
    parts = await read_form(
        request.headers.get("content-type", ""),
        request.stream(),
        max_file_bytes=settings.upload_max_file_bytes,
        max_files=settings.upload_max_files,
        max_fields=settings.upload_max_fields,
        max_field_bytes=settings.upload_max_field_bytes,
    )
    customer_id = uploads.customer_id_of(parts)
    if customer_id is not None:
        await run_in_threadpool(_check_customer, runtime, caller, customer_id)
    limits = inspection.Limits(
        max_bytes=settings.upload_max_file_bytes,
        max_pixels=settings.upload_max_pixels,
        max_pdf_pages=settings.upload_max_pdf_pages,
        min_short_side=settings.min_image_short_side,
    )
    # Decoding and storing run in threads of their own, a few at a time, so that uploads never take
    # every request thread from the creates and reads.
    files = await anyio.to_thread.run_sync(
        _prepare_and_put, runtime, caller, parts, limits, limiter=_inspectors(request)
    )
    # Shielded: once the rows may be committed, a client that goes away must not make the server
    # delete the objects they point to.
    with anyio.CancelScope(shield=True):
        try:
            uploaded = await run_in_threadpool(_record, runtime, caller, customer_id, files)
        except BaseException:
            await run_in_threadpool(uploads.discard, runtime.files, files)
            raise
    return JSONBody({"data": {"files": [{u.field: u.uri} for u in uploaded]}})


def _work(runtime: Runtime, session: Session, caller: Caller) -> UnitOfWork:
    return runtime.work(session, Actor("api_client", caller.client_id), caller.id)


def _inspectors(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter: anyio.CapacityLimiter | None = getattr(state, "upload_inspectors", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(state.runtime.settings.upload_inspection_threads)
        state.upload_inspectors = limiter
    return limiter


def _check_customer(runtime: Runtime, caller: Caller, customer_id: uuid.UUID) -> None:
    with unit_of_work(runtime.read_sessions) as session:
        uploads.check_customer(session, caller, customer_id)


def _prepare_and_put(
    runtime: Runtime, caller: Caller, parts: list[Part], limits: inspection.Limits
) -> list[uploads.Prepared]:
    files = uploads.prepare(caller, parts, limits, runtime.decoder.inspect, runtime.decoder.check)
    uploads.put(runtime.files, files)
    return files


def _record(
    runtime: Runtime, caller: Caller, customer_id: uuid.UUID | None, files: list[uploads.Prepared]
) -> list[uploads.Uploaded]:
    with unit_of_work(runtime.write_sessions) as session:
        return uploads.record(session, caller, customer_id, files, runtime.now_for(caller.id, session))


def _client(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None, request.headers.get("user-agent"))


@router.post(
    "/v2/customers/{customer_id}/individual/attach",
    response_model=IndividualAttachRead,
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


_FIELD_MAP_RESPONSES = responses(FIELD_MAP_400, AUTH_401, NOT_FOUND_404, VALIDATION_422)


@router.post(
    "/v2/customers/{customer_id}/business/attach", response_model=Attached, responses=_FIELD_MAP_RESPONSES
)
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
    "/v2/customers/{customer_id}/associated-parties/individual/attach",
    response_model=Attached,
    responses=_FIELD_MAP_RESPONSES,
)
@speaks(Dialect.FIELD_MAP)
@one_thread
def attach_parties(
    customer_id: uuid.UUID, body: PartyAttach, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Attach identity, address and supporting documents of associated parties."""
    service.attach_parties(_work(runtime, session, caller), caller, customer_id, body)
    return JSONBody({"data": {}})
