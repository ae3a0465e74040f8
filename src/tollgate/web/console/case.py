"""The case page and what is done from it: documents, the audited tax-id reveal, notes, assignment, and
decisions (with a confirmation step, the version the page showed, and four-eyes)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from tollgate.console import assignment, decisions, sessions
from tollgate.console import case as cases
from tollgate.console.models import CaseNote
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.documents import inspection
from tollgate.errors import NotFound, TollgateError
from tollgate.kit.ids import new_uuid
from tollgate.runtime import Runtime, RuntimeDep
from tollgate.verification import commands
from tollgate.verification.router import load_customer
from tollgate.verification.schemas import (
    ApproveIn,
    HoldIn,
    PartyApproveIn,
    PartyRejectIn,
    RejectIn,
    RequestInformationIn,
)
from tollgate.verification.transitions import Actor, audit
from tollgate.web.console import kit

router = APIRouter(include_in_schema=False)

_DONE = {
    "approve": "Approved.",
    "reject": "Rejected.",
    "request-info": "Information requested: the integrator sees it in request_for_information.",
    "hold": "Put on hold.",
    "proposed": "Proposed: it takes effect when a senior confirms it.",
    "confirmed": "Confirmed and applied.",
    "withdrawn": "Proposal withdrawn.",
    "take": "You have this case.",
    "release": "Case released.",
    "reassign": "Case reassigned.",
    "note": "Note added.",
}
ACTIONS = ("approve", "reject", "request-info", "hold")
_FILE_TYPES = {
    inspection.DocumentKind.PDF: "application/pdf",
    inspection.DocumentKind.JPEG: "image/jpeg",
    inspection.DocumentKind.PNG: "image/png",
}
_FILE_CSP = "default-src 'none'; img-src 'self'; plugin-types application/pdf; sandbox"


def _actor(signed: sessions.SignedIn) -> Actor:
    return Actor("reviewer", signed.operator.username)


def _customer(session: Session, signed: sessions.SignedIn, customer_id: uuid.UUID) -> Customer:
    return load_customer(session, customer_id, signed.operator)


def _page(
    session: Session,
    runtime: Runtime,
    signed: sessions.SignedIn,
    customer: Customer,
    *,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
    reveal_tax: bool = False,
) -> Response:
    view = cases.load(session, customer, reveal_tax=reveal_tax)
    return kit.html(
        "case.html",
        status,
        me=signed,
        csrf=signed.csrf_token,
        v=view,
        message=message,
        error=error,
        revealed=reveal_tax,
        four_eyes=runtime.settings.four_eyes,
        describe=decisions.describe,
        now=runtime.now(),
    )


@router.get("/console/cases/{customer_id}")
async def case_page(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    done = _DONE.get(request.query_params.get("done", ""))

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        return _page(session, runtime, signed, customer, message=done)

    return await kit.signed_in(request, runtime, work)


@router.post("/console/cases/{customer_id}/reveal-tax")
async def reveal_tax(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        uow = runtime.work(session, _actor(signed), customer.client_pk)
        audit(uow, customer, "tax_id_revealed", details={"operator": signed.operator.username})
        return _page(session, runtime, signed, customer, reveal_tax=True)

    return await kit.signed_in(request, runtime, work, write=True, form=form)


@router.get("/console/files/{file_id}")
async def document_file(file_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    """A document's bytes, for a signed-in operator of the customer's API client only: anything else (no
    session, an API token, another tenant's operator, an unknown id) is the same 404. The type is read from
    the bytes, never from the uploaded name; every view is in the audit trail."""
    token = request.cookies.get(kit.COOKIE)
    gone = Response(
        "Not found", status_code=404, media_type="text/plain", headers={"X-Content-Type-Options": "nosniff"}
    )

    def find() -> str | None:
        now = runtime.now()
        with unit_of_work(runtime.write_sessions) as session:
            signed = sessions.lookup(session, runtime.settings, token, now)
            if signed is None or signed.needs_totp:
                return None
            found = cases.stored_file(session, file_id)
            if found is None or not signed.operator.sees(found[1].client_pk):
                return None
            sf, customer = found
            uow = runtime.work(session, _actor(signed), customer.client_pk)
            audit(
                uow,
                customer,
                "document_viewed",
                details={"file": sf.uri, "operator": signed.operator.username},
            )
            if signed.needs_touch:
                sessions.touch(session, signed.session_id, now)
            return sf.storage_key

    key = await run_in_threadpool(find)
    if key is None:
        return gone
    try:
        data = await run_in_threadpool(runtime.files.get, key)
    except Exception:
        return gone
    kind = inspection.sniff(data[:16])
    if kind is None:
        return gone
    return Response(
        data,
        media_type=_FILE_TYPES[kind],
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _FILE_CSP,
            "Content-Disposition": "inline",
            "Cache-Control": "private, no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )


@router.post("/console/cases/{customer_id}/notes")
async def add_note(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    body = str(form.get("body") or "").strip()[:5000]

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        if not body:
            return _page(session, runtime, signed, customer, status=422, error="Write the note first.")
        uow = runtime.work(session, _actor(signed), customer.client_pk)
        session.add(
            CaseNote(
                id=new_uuid(),
                customer_id=customer.id,
                author=signed.operator.username,
                body=body,
                created_at=uow.now(),
            )
        )
        audit(uow, customer, "note_added")
        return kit.redirect(f"/console/cases/{customer_id}?done=note#notes")

    return await kit.signed_in(request, runtime, work, write=True, form=form)


@router.post("/console/cases/{customer_id}/assignment")
async def change_assignment(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    to = str(form.get("to") or "").strip()[:100]

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        uow = runtime.work(session, _actor(signed), customer.client_pk)
        if action == "take":
            assignment.take(uow, customer, signed.operator)
        elif action == "release":
            assignment.release(uow, customer, signed.operator)
        elif action == "reassign":
            assignment.reassign(uow, customer, signed.operator, to)
        else:
            return kit.not_found(signed)
        return kit.redirect(f"/console/cases/{customer_id}?done={action}")

    return await kit.signed_in(
        request, runtime, work, write=True, form=form, on_error=_case_error(runtime, customer_id)
    )


def _case_error(runtime: Runtime, customer_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A refused action shows the case as it is now, with the reason on top."""

    def render(signed: sessions.SignedIn, exc: TollgateError) -> Response:
        with unit_of_work(runtime.read_sessions) as session:
            try:
                customer = _customer(session, signed, customer_id)
            except NotFound:
                return kit.not_found(signed)
            return _page(
                session, runtime, signed, customer, status=exc.status_code, error=kit.error_text(exc)
            )

    return render


# -- decisions ---------------------------------------------------------------------------------------


def _rfi_entry(form: FormData) -> dict[str, Any]:
    fields = []
    for name, data_type in cases.RFI_FIELDS:
        status = str(form.get(f"f_{name}") or "")
        if status not in ("INVALID", "MISSING", "EXPIRED"):
            continue
        reason = str(form.get(f"r_{name}") or "").strip() or str(form.get(f"rt_{name}") or "").strip()
        item: dict[str, Any] = {"field_name": name, "data_type": data_type, "status": status}
        if reason:
            item["reason"] = reason[:500]
        fields.append(item)
    return {
        "section": str(form.get("section") or ""),
        "categories": [{"document_type": str(form.get("document_type") or ""), "fields": fields}],
    }


def _command(customer_id: uuid.UUID, form: FormData) -> tuple[commands.Command, list[tuple[str, str]], Any]:
    """The command a decision form describes, the summary shown at confirmation, and (RFIs) the entry the
    integrator will read. Input errors raise pydantic's ValidationError."""
    action = str(form.get("action") or "")
    party = str(form.get("party") or "")
    party_id = uuid.UUID(party) if party else None
    version = int(str(form.get("version") or "-1"))
    version_value = version if version >= 0 else None
    summary: list[tuple[str, str]] = []
    preview: Any = None
    if action == "approve":
        if party_id:
            cmd: commands.Command = PartyApproveIn(expected_version=version_value).party_command(
                customer_id, party_id
            )
        else:
            note = str(form.get("note") or "").strip() or None
            cmd = ApproveIn(expected_version=version_value, note=note).command(customer_id)
            if note:
                summary.append(("Note", note))
    elif action == "hold":
        reason = str(form.get("reason") or "").strip() or None
        cmd = HoldIn(expected_version=version_value, reason=reason).command(customer_id)
        if reason:
            summary.append(("Reason", reason))
    elif action == "reject":
        final = str(form.get("final") or "") == "FINAL"
        labels = [str(v) for v in form.getlist("labels")]
        for_customer = str(form.get("for_customer") or "").strip()
        for_developer = str(form.get("for_developer") or "").strip() or None
        summary += [
            ("Kind", "FINAL: nothing can follow" if final else "RETRY: the customer may resubmit"),
            ("Reject labels", ", ".join(labels)),
            ("For the customer", for_customer),
            ("For the developer", for_developer or ""),
        ]
        entry = _rfi_entry(form)
        rfis = [entry] if not final and entry["section"] and entry["categories"][0]["fields"] else []
        if party_id:
            cmd = PartyRejectIn(
                expected_version=version_value,
                reject_labels=labels,
                for_customer=for_customer or None,
                for_developer=for_developer,
                rfis=rfis,
            ).party_command(customer_id, party_id)
        else:
            cmd = RejectIn(
                expected_version=version_value,
                reject_labels=labels,
                moderation_comment=for_customer,
                developer_note=for_developer,
                final=final,
                rfis=rfis,
            ).command(customer_id)
        if rfis:
            preview = _preview(rfis[0], party_id)
        if not labels:
            raise ValueError("Pick at least one reject label")
    elif action == "request-info":
        entry = _rfi_entry(form)
        parsed = RequestInformationIn(expected_version=version_value, rfis=[entry])
        cmd = parsed.party_command(customer_id, party_id) if party_id else parsed.command(customer_id)
        preview = _preview(entry, party_id)
    else:
        raise ValueError("Unknown decision")
    return cmd, summary, preview


def _preview(entry: dict[str, Any], party_id: uuid.UUID | None) -> dict[str, Any]:
    """The request_for_information entry as GET /v2/customers/{id} will show it."""
    from tollgate.verification.schemas import RfiEntryIn

    request = RfiEntryIn.model_validate(entry).request(party_id)
    out: dict[str, Any] = {"scope": "ASSOCIATED_PARTY" if party_id else "CUSTOMER"}
    if party_id:
        out["associated_party_id"] = str(party_id)
    out.update({"section": request.section, "categories": request.categories})
    return out


def _titles(action: str, party: bool) -> str:
    what = {
        "approve": "Approve",
        "reject": "Reject",
        "request-info": "Request information",
        "hold": "Put on hold",
    }
    return what.get(action, action) + (" the associated party" if party else "")


@router.get("/console/cases/{customer_id}/decide")
async def decision_form(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    action = request.query_params.get("action", "")
    party = request.query_params.get("party", "")
    seen = request.query_params.get("version", "")

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        if action not in ACTIONS or (party and not any(str(p.id) == party for p in customer.parties)):
            return kit.not_found(signed)
        if party and action == "hold":
            return kit.not_found(signed)
        view = cases.load(session, customer)
        return kit.html(
            "decide.html",
            me=signed,
            csrf=signed.csrf_token,
            v=view,
            action=action,
            party=party,
            title=_titles(action, bool(party)),
            labels=cases.REJECT_LABELS,
            reasons=cases.RFI_REASONS,
            doc_types=cases.DOCUMENT_TYPES,
            rfi_fields=cases.RFI_FIELDS,
            four_eyes=runtime.settings.four_eyes and action in ("approve", "reject"),
            error=None,
            version=int(seen) if seen.isdigit() else customer.version,
        )

    return await kit.signed_in(request, runtime, work)


@router.post("/console/cases/{customer_id}/rfi-preview")
async def rfi_preview(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    """The request_for_information entry the form describes, as the integrator will read it (htmx)."""
    form = await request.form()

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            _customer(session, signed, customer_id)
            _, _, preview = _command(customer_id, form)
            text = json.dumps(preview, indent=2)
        except (ValidationError, ValueError) as exc:
            text = f"Not complete yet: {_error_text(exc)}"
        except NotFound:
            return kit.not_found(signed)
        return kit.html("rfi_preview.html", text=text)

    return await kit.signed_in(request, runtime, work, form=form)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"] if not isinstance(x, int))
            parts.append(f"{loc}: {err['msg']}")
        return "; ".join(parts)
    return str(exc)


@router.post("/console/cases/{customer_id}/decide")
async def decide(customer_id: uuid.UUID, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    step = str(form.get("step") or "review")
    action = str(form.get("action") or "")
    party = str(form.get("party") or "")

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        try:
            command, summary, preview = _command(customer_id, form)
        except (ValidationError, ValueError) as exc:
            view = cases.load(session, customer)
            return kit.html(
                "decide.html",
                422,
                me=signed,
                csrf=signed.csrf_token,
                v=view,
                action=action,
                party=party,
                title=_titles(action, bool(party)),
                labels=cases.REJECT_LABELS,
                reasons=cases.RFI_REASONS,
                doc_types=cases.DOCUMENT_TYPES,
                rfi_fields=cases.RFI_FIELDS,
                four_eyes=runtime.settings.four_eyes and action in ("approve", "reject"),
                error=_error_text(exc),
                version=int(str(form.get("version") or "0"))
                if str(form.get("version") or "").isdigit()
                else customer.version,
            )
        four_eyes = runtime.settings.four_eyes and decisions.needs_second_pair(command)
        if step != "confirm":
            carried = [(k, str(v)) for k, v in form.multi_items() if k not in ("csrf_token", "step")]
            return kit.html(
                "confirm.html",
                me=signed,
                csrf=signed.csrf_token,
                v=cases.load(session, customer),
                title=_titles(action, bool(party)),
                summary=summary,
                preview=json.dumps(preview, indent=2) if preview is not None else None,
                carried=carried,
                four_eyes=four_eyes,
            )
        uow = runtime.work(session, _actor(signed), customer.client_pk)
        outcome = decisions.decide(uow, signed.operator, command, four_eyes=runtime.settings.four_eyes)
        done = "proposed" if outcome.proposal is not None else action
        return kit.redirect(f"/console/cases/{customer_id}?done={done}")

    return await kit.signed_in(
        request, runtime, work, write=True, form=form, on_error=_case_error(runtime, customer_id)
    )


@router.post("/console/cases/{customer_id}/proposals/{proposal_id}/{what}")
async def proposal(
    customer_id: uuid.UUID, proposal_id: uuid.UUID, what: str, request: Request, runtime: RuntimeDep
) -> Response:
    form = await request.form()

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        try:
            customer = _customer(session, signed, customer_id)
        except NotFound:
            return kit.not_found(signed)
        uow = runtime.work(session, _actor(signed), customer.client_pk)
        if what == "confirm":
            decisions.confirm(uow, signed.operator, customer_id, proposal_id)
            return kit.redirect(f"/console/cases/{customer_id}?done=confirmed")
        if what == "withdraw":
            decisions.withdraw(uow, signed.operator, customer_id, proposal_id)
            return kit.redirect(f"/console/cases/{customer_id}?done=withdrawn")
        return kit.not_found(signed)

    return await kit.signed_in(
        request, runtime, work, write=True, form=form, on_error=_case_error(runtime, customer_id)
    )
