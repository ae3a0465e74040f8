"""Signing in and out, and the operator's own account (the TOTP second factor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tollgate.console import sessions
from tollgate.db import unit_of_work
from tollgate.errors import AuthenticationFailed, TooManyRequests
from tollgate.runtime import RuntimeDep
from tollgate.verification import operators
from tollgate.verification.models import Operator
from tollgate.web.console import kit

router = APIRouter(include_in_schema=False)


def _login_page(
    runtime: RuntimeDep,
    token: str,
    next_url: str,
    status: int = 200,
    error: str | None = None,
    username: str = "",
) -> Response:
    response = kit.html(
        "login.html",
        status,
        me=None,
        csrf=token,
        next=next_url,
        error=error,
        username=username,
        require_totp=runtime.settings.require_totp,
    )
    kit.set_login_cookie(response, runtime, token)
    return response


@router.get("/console")
async def console_home() -> Response:
    return kit.redirect("/console/queue")


@router.get("/console/login")
async def login_form(
    request: Request, runtime: RuntimeDep, next: Annotated[str, Query(max_length=2000)] = ""
) -> Response:
    token = request.cookies.get(kit.LOGIN_COOKIE) or kit.new_login_token()
    return _login_page(runtime, token, kit.safe_next(next))


@router.post("/console/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    username = str(form.get("username") or "")[:100]
    password = str(form.get("password") or "")[:1024]
    code = str(form.get("code") or "")[:16] or None
    next_url = kit.safe_next(str(form.get("next") or ""))
    expected = request.cookies.get(kit.LOGIN_COOKIE)
    given = str(form.get("csrf_token") or "")
    fresh = kit.new_login_token()
    if not expected or not sessions.csrf_ok(expected, given):
        return _login_page(
            runtime,
            fresh,
            next_url,
            403,
            "This sign-in form expired or was not sent from this page; try again.",
        )
    ip, agent = kit.client_ip(request), request.headers.get("user-agent")

    def run() -> str:
        now = runtime.now()
        settings = runtime.settings
        if settings.rate_limits_on:
            limit = settings.rate_limit_login_per_minute
            decision = runtime.limiter.hit(f"login-ip:{ip}", limit, 60)
            if not decision.allowed:
                raise TooManyRequests(
                    f"Too many sign-ins from this address; try again in {decision.reset} seconds.",
                    decision.headers(),
                )
        # The slow password verification runs between two short transactions, never inside one.
        with unit_of_work(runtime.read_sessions) as session:
            password_hash = operators.password_hash_of(session, username)
        checked = operators.verify_password(settings, password_hash, password)
        with unit_of_work(runtime.write_sessions) as session:
            op = operators.check_credentials(
                session, settings, now, username, password, code, checked=checked
            )
            return sessions.start(session, runtime.settings, op, now, ip, agent)

    try:
        token = await run_in_threadpool(run)
    except AuthenticationFailed as exc:
        message = exc.message
        if message == "Authentication failed":
            message = "Wrong username, password or code."
        return _login_page(runtime, fresh, next_url, 401, message, username)
    except TooManyRequests as exc:
        page = _login_page(runtime, fresh, next_url, 429, exc.message, username)
        page.raw_headers.extend(exc.headers)
        return page
    response = kit.redirect(next_url)
    kit.set_session_cookie(response, runtime, token)
    response.delete_cookie(kit.LOGIN_COOKIE, path="/console")
    return response


@router.post("/console/logout")
async def logout(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    token = request.cookies.get(kit.COOKIE)

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        sessions.end(session, token)
        response = kit.redirect("/console/login")
        response.delete_cookie(kit.COOKIE, path="/")
        return response

    return await kit.signed_in(request, runtime, work, write=True, form=form, allow_without_totp=True)


@router.get("/console/account")
async def account(request: Request, runtime: RuntimeDep) -> Response:
    def work(session: Session, signed: sessions.SignedIn) -> Response:
        op = session.get(Operator, signed.operator.id)
        assert op is not None
        secret = None if op.totp_secret else operators.new_totp_secret()
        return kit.html(
            "account.html",
            me=signed,
            operator=op,
            secret=secret,
            uri=operators.totp_uri(op.username, secret) if secret else None,
            required=runtime.settings.require_totp,
            message=None,
        )

    return await kit.signed_in(request, runtime, work, allow_without_totp=True)


@router.post("/console/account/totp")
async def account_totp(request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    action = str(form.get("action") or "enable")
    secret = str(form.get("secret") or "")[:64]
    code = str(form.get("code") or "")[:16]

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        op = session.get(Operator, signed.operator.id)
        assert op is not None
        now = runtime.now()
        if action == "disable":
            if runtime.settings.require_totp:
                return kit.html(
                    "message.html",
                    409,
                    me=signed,
                    title="Refused",
                    message="A second factor is required on this server.",
                )
            op.totp_secret = None
            op.totp_last_step = None
            return kit.redirect("/console/account")
        step = operators.totp_step(secret, code, now) if len(secret) >= 16 else None
        if step is None:
            return kit.html(
                "account.html",
                422,
                me=signed,
                operator=op,
                secret=secret,
                uri=operators.totp_uri(op.username, secret),
                required=runtime.settings.require_totp,
                message="That code does not match; check the time on your device and try again.",
            )
        op.totp_secret = secret
        op.totp_last_step = step
        return kit.redirect("/console/queue")

    return await kit.signed_in(request, runtime, work, write=True, form=form, allow_without_totp=True)
