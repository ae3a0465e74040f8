"""What every console page shares: rendering with strict headers, the session cookie, running a page's
database work for a signed-in operator in one transaction, CSRF checks."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tollgate.console import queue, sessions
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError
from tollgate.runtime import Runtime

COOKIE = "tollgate_console"
LOGIN_COOKIE = "tollgate_console_login"

# Scripts, styles, images and workers only from this server; PDFs are drawn by pdf.js from bytes fetched
# here (blob: for its worker's URLs). Forms post only here, and no other site may frame a page.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

env = Environment(loader=PackageLoader("tollgate.web", "templates"), autoescape=True, auto_reload=False)


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else ""


def _iso(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""


env.filters["when"] = _when
env.filters["iso"] = _iso
env.filters["age"] = queue.age_label


def html(template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    body = env.get_template(f"console/{template}").render(**context)
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def set_session_cookie(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=runtime.settings.console_session_max_seconds,
        path="/",
        httponly=True,
        samesite="strict",
        secure=not runtime.settings.sandbox,
    )


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def set_login_cookie(response: Response, runtime: Runtime, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/console",
        httponly=True,
        samesite="strict",
        secure=not runtime.settings.sandbox,
    )


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def not_found(signed: sessions.SignedIn | None = None) -> HTMLResponse:
    return html("message.html", 404, me=signed, title="Not found", message="There is nothing here.")


def refused_form(signed: sessions.SignedIn) -> HTMLResponse:
    return html(
        "message.html",
        403,
        me=signed,
        title="Form refused",
        message=(
            "This form was refused: it did not carry the security token of this session (it was sent from "
            "elsewhere, or the page is too old). Go back, reload the page and try again."
        ),
    )


def error_text(exc: TollgateError) -> str:
    """The refusal in words, with each field's reason when the input was invalid."""
    from tollgate.errors import ValidationFailed

    if isinstance(exc, ValidationFailed) and exc.errors:
        return exc.message + ": " + "; ".join(f"{path}: {msg}" for path, msg in exc.errors)
    return exc.message


def error_page(signed: sessions.SignedIn | None, exc: TollgateError) -> HTMLResponse:
    return html("message.html", exc.status_code, me=signed, title="Refused", message=error_text(exc))


Work = Callable[[Session, sessions.SignedIn], Response]


async def signed_in(
    request: Request,
    runtime: Runtime,
    work: Work,
    *,
    write: bool = False,
    form: Mapping[str, Any] | None = None,
    admin: bool = False,
    senior: bool = False,
    on_error: Callable[[sessions.SignedIn, TollgateError], Response] | None = None,
    allow_without_totp: bool = False,
) -> Response:
    """Run ``work`` for the signed-in operator in one transaction (a writer for posts), in one thread-pool
    call. Not signed in: to the sign-in page. A post whose CSRF token is not the session's: refused, and
    nothing runs."""
    token = request.cookies.get(COOKIE)
    path = request.url.path
    if request.url.query and request.method == "GET":
        path += "?" + request.url.query

    def run() -> Response:
        now = runtime.now()
        signed: sessions.SignedIn | None = None
        factory = runtime.write_sessions if write else runtime.read_sessions
        try:
            with unit_of_work(factory) as session:
                signed = sessions.lookup(session, runtime.settings, token, now)
                if signed is None:
                    return redirect(f"/console/login?next={quote(path, safe='')}")
                if form is not None and not sessions.csrf_ok(signed.csrf_token, form.get("csrf_token")):
                    return refused_form(signed)
                if signed.needs_totp and not allow_without_totp:
                    return redirect("/console/account")
                if (admin and not signed.operator.admin) or (senior and not signed.operator.senior):
                    return html(
                        "message.html",
                        403,
                        me=signed,
                        title="Not allowed",
                        message="Your role does not allow this.",
                    )
                if write and signed.needs_touch:
                    sessions.touch(session, signed.session_id, now)
                response = work(session, signed)
        except TollgateError as exc:
            if signed is None:
                raise
            return on_error(signed, exc) if on_error else error_page(signed, exc)
        if not write and signed.needs_touch:
            with unit_of_work(runtime.write_sessions) as session:
                sessions.touch(session, signed.session_id, now)
        return response

    result: Response = await run_in_threadpool(run)
    return result


def safe_next(value: str | None) -> str:
    """Only a path of the console itself (never another site, never a scheme-relative URL)."""
    if value and value.startswith("/console") and not value.startswith("//") and "\\" not in value:
        return value
    return "/console/queue"
