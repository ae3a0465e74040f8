"""The terms-of-service page that ``tos_policies_url`` opens: GET shows it, POST records the acceptance.

Outside Fin's API: excluded from the OpenAPI schema, and every answer is HTML (errors included), built here
rather than raised, so the JSON error handler never sees these routes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader

from tollgate.customers.models import Customer
from tollgate.runtime import RuntimeDep, SessionDep
from tollgate.web import service

router = APIRouter(include_in_schema=False)

# No script at all, styles only from our own stylesheet, the form may only post back here, and no other
# site may frame the page (a framed, disguised Accept button would be clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The page's own URL carries the secret tos_policies_value: never hand it to another site. (Not
    # no-referrer: with it, browsers send "Origin: null" on the page's own form post.)
    "Referrer-Policy": "same-origin",
    # A personal page: no shared cache may keep it, no search engine may list it.
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}

_env = Environment(loader=PackageLoader("tollgate.web", "templates"), autoescape=True, auto_reload=False)


@cache
def _stylesheet() -> bytes:
    return files("tollgate.web").joinpath("static/tos.css").read_bytes()


def _prefix(public_base_url: str) -> str:
    """The path the server is published under, as tos_policies_url is built from public_base_url."""
    return urlsplit(public_base_url).path.rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _html(template: str, status_code: int, **context: object) -> HTMLResponse:
    body = _env.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status_code, headers=_SECURITY_HEADERS)


def _not_found(prefix: str) -> HTMLResponse:
    # One page for every kind of mismatch, so it tells nothing about which value was wrong.
    return _html("not_found.html", 404, prefix=prefix)


def _accepted_label(at: datetime) -> tuple[str, str]:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ"), f"{at.day} {at:%B %Y at %H:%M} UTC"


def _page(customer: Customer, prefix: str, text: str) -> HTMLResponse:
    accepted = _accepted_label(customer.tos_accepted_at) if customer.tos_accepted_at else None
    return _html(
        "tos.html",
        200,
        prefix=prefix,
        name=service.display_name(customer),
        terms=[p.strip() for p in text.split("\n\n") if p.strip()],
        customer_id=str(customer.id),
        tos_policies_value=customer.tos_policies_value,
        accepted=accepted,
    )


def _cross_site(request: Request, public_base_url: str) -> bool:
    """True for a POST another site made the browser send (the page itself always posts same-origin).

    Sec-Fetch-Site is set by the browser and cannot be forged by a page; browsers too old to send it are
    judged by Origin. A request with neither (not a browser) has nothing a CSRF attack could borrow anyway.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    return origin.lower() not in {_origin(public_base_url), _origin(str(request.base_url))}


@router.get("/tos", response_class=HTMLResponse)
def tos_page(
    runtime: RuntimeDep,
    session: SessionDep,
    customer_id: Annotated[str, Query()] = "",
    tos_policies_value: Annotated[str, Query()] = "",
) -> Response:
    settings = runtime.settings
    prefix = _prefix(settings.public_base_url)
    customer = service.find(session, customer_id, tos_policies_value)
    if customer is None:
        return _not_found(prefix)
    return _page(customer, prefix, settings.tos_text)


@router.post("/tos/accept", response_class=HTMLResponse)
def tos_accept(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    customer_id: Annotated[str, Form()] = "",
    tos_policies_value: Annotated[str, Form()] = "",
) -> Response:
    settings = runtime.settings
    prefix = _prefix(settings.public_base_url)
    if _cross_site(request, settings.public_base_url):
        return _html("refused.html", 403, prefix=prefix)
    customer = service.find(session, customer_id, tos_policies_value, for_update=True)
    if customer is None:
        return _not_found(prefix)
    # The client address as the ASGI server reports it; behind a reverse proxy, uvicorn's
    # --forwarded-allow-ips (FORWARDED_ALLOW_IPS) decides whose X-Forwarded-For is believed (docs/tos.md).
    ip = request.client.host if request.client else None
    uow = runtime.work(session, service.CUSTOMER, customer.client_pk)
    service.accept(uow, customer, ip, request.headers.get("user-agent"))
    query = urlencode({"customer_id": str(customer.id), "tos_policies_value": customer.tos_policies_value})
    # Post/redirect/get: reloading the page afterwards never posts again.
    return RedirectResponse(f"{prefix}/tos?{query}", status_code=303, headers=_SECURITY_HEADERS)


@router.get("/tos/style.css")
def tos_stylesheet() -> Response:
    return Response(
        _stylesheet(),
        media_type="text/css",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=3600"},
    )
