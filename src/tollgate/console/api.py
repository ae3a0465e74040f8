"""What the console shows, for teams building their own tools on ``/ops/v1``: documents with their
findings, file downloads, notes, assignment and four-eyes confirmations."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tollgate.console import assignment, decisions
from tollgate.console import case as cases
from tollgate.console.models import CaseNote
from tollgate.documents import inspection
from tollgate.errors import NotFound
from tollgate.kit.ids import new_uuid
from tollgate.kit.responses import JSONBody
from tollgate.kit.text import NulFree
from tollgate.kit.timefmt import fractional_z
from tollgate.runtime import RuntimeDep
from tollgate.verification import operators
from tollgate.verification.router import (
    _DECISION,
    BearerDep,
    as_operator,
    load_customer,
    review_view,
    reviewer,
)
from tollgate.verification.transitions import audit

router = APIRouter(prefix="/ops/v1", tags=["Operators"], responses=_DECISION)

_TYPES = {
    inspection.DocumentKind.PDF: "application/pdf",
    inspection.DocumentKind.JPEG: "image/jpeg",
    inspection.DocumentKind.PNG: "image/png",
}


class NoteIn(NulFree):
    body: str = Field(min_length=1, max_length=5000)


class AssignmentIn(NulFree):
    action: Literal["take", "release", "reassign"]
    to: str | None = Field(default=None, max_length=100)


def _document(d: cases.DocumentView) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "associated_party_id": str(d.party_id) if d.party_id else None,
        "section": d.section,
        "type": d.doc_type,
        "number": d.number,
        "country": d.country,
        "issue_date": d.issue_date.isoformat() if d.issue_date else None,
        "expiry_date": d.expiry_date.isoformat() if d.expiry_date else None,
        "active": d.active,
        "created_at": fractional_z(d.created_at),
        "check_labels": d.labels,
        "check_comments": d.comments,
        "files": [
            {
                "id": str(f.id),
                "uri": f.uri,
                "kind": f.kind,
                "size": f.size,
                "side": f.side,
                "measured": f.measured,
                "problems": f.problems,
                "duplicate_of_documents": [anchor.removeprefix("doc-") for anchor, _ in f.duplicate_of],
                "download": f"/ops/v1/files/{f.id}",
            }
            for f in d.files
        ],
    }


@router.get("/customers/{customer_id}/documents")
async def customer_documents(
    customer_id: uuid.UUID, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Every document of the customer and its parties, with each file's findings and what the checks make
    of it now."""

    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        customer = load_customer(session, customer_id, op)
        return JSONBody({"data": [_document(d) for d in cases.documents_of(session, customer)]})

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.get("/files/{file_id}", response_class=Response)
async def download_file(
    file_id: uuid.UUID, request: Request, token: BearerDep, runtime: RuntimeDep
) -> Response:
    """A document's bytes (operators of the customer's API client only; recorded in the audit trail). The
    type is read from the bytes."""

    def work(session: Session, op: operators.OperatorIdentity) -> str:
        found = cases.stored_file(session, file_id)
        if found is None or not op.sees(found[1].client_pk):
            raise NotFound()
        sf, customer = found
        uow = runtime.work(session, reviewer(op), customer.client_pk)
        audit(uow, customer, "document_viewed", details={"file": sf.uri, "operator": op.username})
        return sf.storage_key

    key: str = await as_operator(request, runtime, token, work)
    data = await run_in_threadpool(runtime.files.get, key)
    kind = inspection.sniff(data[:16])
    if kind is None:
        raise NotFound()
    return Response(
        data,
        media_type=_TYPES[kind],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "attachment",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/customers/{customer_id}/notes")
async def list_notes(
    customer_id: uuid.UUID, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        customer = load_customer(session, customer_id, op)
        notes = cases.load(session, customer).notes
        return JSONBody(
            {
                "data": [
                    {
                        "id": str(n.id),
                        "author": n.author,
                        "body": n.body,
                        "created_at": fractional_z(n.created_at),
                    }
                    for n in notes
                ]
            }
        )

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.post("/customers/{customer_id}/notes", status_code=201)
async def add_note(
    customer_id: uuid.UUID, body: NoteIn, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        customer = load_customer(session, customer_id, op)
        uow = runtime.work(session, reviewer(op), customer.client_pk)
        note = CaseNote(
            id=new_uuid(), customer_id=customer.id, author=op.username, body=body.body, created_at=uow.now()
        )
        session.add(note)
        audit(uow, customer, "note_added")
        return JSONBody(
            {
                "data": {
                    "id": str(note.id),
                    "author": note.author,
                    "body": note.body,
                    "created_at": fractional_z(note.created_at),
                }
            },
            status_code=201,
        )

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.post("/customers/{customer_id}/assignment")
async def change_assignment(
    customer_id: uuid.UUID, body: AssignmentIn, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    """Take the case, release it, or (seniors) reassign it to another operator."""

    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        customer = load_customer(session, customer_id, op)
        uow = runtime.work(session, reviewer(op), customer.client_pk)
        if body.action == "take":
            assignment.take(uow, customer, op)
        elif body.action == "release":
            assignment.release(uow, customer, op)
        else:
            assignment.reassign(uow, customer, op, body.to or "")
        return JSONBody(
            {
                "data": {
                    "customer_id": str(customer.id),
                    "assignee": assignment.holder_name(session, customer.id),
                }
            }
        )

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result


@router.post("/customers/{customer_id}/proposals/{proposal_id}/confirm")
async def confirm_proposal(
    customer_id: uuid.UUID, proposal_id: uuid.UUID, request: Request, token: BearerDep, runtime: RuntimeDep
) -> JSONResponse:
    """A senior other than the proposer applies a four-eyes proposal."""

    def work(session: Session, op: operators.OperatorIdentity) -> JSONResponse:
        customer = load_customer(session, customer_id, op)
        uow = runtime.work(session, reviewer(op), customer.client_pk)
        changed = decisions.confirm(uow, op, customer_id, proposal_id)
        return JSONBody({"data": review_view(session, runtime, changed)})

    result: JSONResponse = await as_operator(request, runtime, token, work)
    return result
