"""The admin page for operators: create, change role and API clients, disable, enable, unlock, reset the
password or the second factor. The same as `tollgate operators ...`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tollgate.console import queue, sessions
from tollgate.runtime import RuntimeDep
from tollgate.verification import operators as ops
from tollgate.verification.models import Operator
from tollgate.web.console import kit

router = APIRouter(include_in_schema=False)

_DONE = {
    "created": "Operator created.",
    "role": "Role changed.",
    "clients": "API clients changed.",
    "disable": "Operator disabled and signed out.",
    "enable": "Operator enabled.",
    "unlock": "Account unlocked.",
    "password": "Password reset; the operator was signed out.",
    "totp-off": "Second factor removed; the operator sets up a new one at the next sign-in.",
}


def _page(
    session: Session,
    runtime: RuntimeDep,
    signed: sessions.SignedIn,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    now = runtime.now()
    rows = ops.list_operators(session)
    clients = queue.clients(session, signed.operator)
    names = {str(pk): name for pk, name in clients}
    return kit.html(
        "operators.html",
        status,
        me=signed,
        csrf=signed.csrf_token,
        operators=rows,
        locked={op.id: ops.locked(op, now) for op in rows},
        client_names=names,
        clients=clients,
        roles=[r.value for r in ops.Role],
        message=message,
        error=error,
    )


@router.get("/console/operators")
async def operators_page(request: Request, runtime: RuntimeDep) -> Response:
    done = _DONE.get(request.query_params.get("done", ""))

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        return _page(session, runtime, signed, message=done)

    return await kit.signed_in(request, runtime, work, admin=True)


def _client_pks(values: list[str]) -> list[uuid.UUID] | None:
    pks = []
    for v in values:
        try:
            pks.append(uuid.UUID(v))
        except ValueError:
            continue
    return pks or None


@router.post("/console/operators")
async def create_operator(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")[:1024]
    role = str(form.get("role") or "reviewer")
    clients = _client_pks([str(v) for v in form.getlist("clients")])

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        if role not in {r.value for r in ops.Role}:
            return _page(session, runtime, signed, 422, error="Pick a role.")
        try:
            ops.create_operator(
                session,
                runtime.now(),
                username=username,
                password=password,
                role=ops.Role(role),
                client_pks=clients,
            )
        except ValueError as exc:
            return _page(session, runtime, signed, 422, error=str(exc).capitalize() + ".")
        return kit.redirect("/console/operators?done=created")

    return await kit.signed_in(request, runtime, work, write=True, form=form, admin=True)


@router.post("/console/operators/{operator_id}/{action}")
async def change_operator(
    operator_id: uuid.UUID, action: str, request: Request, runtime: RuntimeDep
) -> Response:
    form = await request.form()

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        op = session.get(Operator, operator_id)
        if op is None or action not in _DONE:
            return kit.not_found(signed)
        now = runtime.now()
        if op.id == signed.operator.id and action in ("disable", "role"):
            return _page(
                session, runtime, signed, 409, error="You cannot disable yourself or change your own role."
            )
        if action == "role":
            role = str(form.get("role") or "")
            if role not in {r.value for r in ops.Role}:
                return _page(session, runtime, signed, 422, error="Pick a role.")
            ops.set_role(op, ops.Role(role))
        elif action == "clients":
            ops.set_clients(op, _client_pks([str(v) for v in form.getlist("clients")]))
        elif action == "disable":
            ops.disable(op, now)
            sessions.end_all(session, op.id)
        elif action == "enable":
            ops.enable(op)
        elif action == "unlock":
            ops.unlock(op)
        elif action == "password":
            try:
                ops.set_password(op, str(form.get("password") or "")[:1024])
            except ValueError as exc:
                return _page(session, runtime, signed, 422, error=str(exc).capitalize() + ".")
            sessions.end_all(session, op.id)
        elif action == "totp-off":
            op.totp_secret = None
            op.totp_last_step = None
        return kit.redirect(f"/console/operators?done={action}")

    return await kit.signed_in(request, runtime, work, write=True, form=form, admin=True)
