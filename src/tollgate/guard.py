"""The request guard: the outermost layer of the application, before any route reads a byte of a body.

- Every response carries ``X-Request-Id`` (500s included: the guard sits outside Starlette's error
  middleware): the caller's own when it is short and plain (so it cannot smuggle anything into logs),
  otherwise a new UUID.
- A request that needs a bearer token and has no correctly signed one is answered 401 before its body is
  read, so an anonymous caller cannot make the server read (or hold) a large body.
- Every body is limited before it is read: a declared ``Content-Length`` over the limit is answered 413 at
  once, and a streamed body is cut off as soon as it passes the limit. The 413 speaks the endpoint's
  error dialect (errors.py) and names the limit that applies. The limit is ``request_max_body_bytes``,
  unless the endpoint declares its own with ``body_limit`` (the upload).

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs
the rest of the application in another task and streams the response through memory channels, which
measured as a tenfold p99 under load (docs/benchmarks.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tollgate.config import Settings
from tollgate.errors import AuthenticationFailed, Dialect, PayloadTooLarge, TollgateError, render

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_REQUEST_ID_HEADER = b"x-request-id"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., Any])


def body_limit(limit: Callable[[Settings], int]) -> Callable[[F], F]:
    """Declare an endpoint's own body limit, computed from the settings (instead of
    ``request_max_body_bytes``)."""

    def mark(fn: F) -> F:
        fn.__tollgate_body_limit__ = limit  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class _RouteRules:
    dialect: Dialect
    max_body: int
    needs_token: bool


def _uses(dependant: Any, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


_Table = list[tuple[re.Pattern[str], frozenset[str], _RouteRules]]


def _route_table(routes: list[Any], settings: Settings) -> _Table:
    """(path pattern, methods, rules) of every API route that takes a body."""
    from tollgate.auth.deps import signed_token

    table: _Table = []
    for context in iter_route_contexts(routes):
        route = context.original_route
        methods = frozenset(context.methods or ()) & _BODY_METHODS
        if not isinstance(route, APIRoute) or not methods or context.path is None:
            continue
        endpoint = route.endpoint
        limit = getattr(endpoint, "__tollgate_body_limit__", None)
        rules = _RouteRules(
            dialect=getattr(endpoint, "__tollgate_dialect__", Dialect.STANDARD),
            max_body=limit(settings) if limit is not None else settings.request_max_body_bytes,
            needs_token=_uses(route.dependant, signed_token),
        )
        pattern, _, _ = compile_path(context.path)
        table.append((pattern, methods, rules))
    return table


class RequestGuard:
    def __init__(self, app: ASGIApp, routes: Callable[[], list[Any]], settings: Settings) -> None:
        self.app = app
        self._routes = routes
        self._settings = settings
        self._default = _RouteRules(Dialect.STANDARD, settings.request_max_body_bytes, False)
        self._table: _Table | None = None

    def _match(self, scope: Scope) -> _RouteRules:
        if self._table is None:
            self._table = _route_table(self._routes(), self._settings)
        path, method = scope["path"], scope["method"]
        for pattern, methods, rules in self._table:
            if method in methods and pattern.match(path):
                return rules
        return self._default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = ""
        length: int | None = None
        authorization = ""
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_HEADER:
                given = value.decode("latin-1")
            elif name == b"content-length":
                length = int(value) if value.isdigit() else -1
            elif name == b"authorization":
                authorization = value.decode("latin-1")
        rid = (given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4())).encode("ascii")
        answered = False

        async def guarded_send(message: Message) -> None:
            if answered:
                return  # the guard has answered already; what the application says after is dropped
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _REQUEST_ID_HEADER]
                headers.append((_REQUEST_ID_HEADER, rid))
                message = {**message, "headers": headers}
            await send(message)

        async def answer(exc: TollgateError, dialect: Dialect) -> None:
            nonlocal answered
            response = render(exc, dialect)
            response.headers["x-request-id"] = rid.decode("ascii")
            if isinstance(exc, PayloadTooLarge):
                response.headers["connection"] = "close"
            await response(scope, receive, send)
            answered = True

        if scope["method"] not in _BODY_METHODS or (length is None and not _chunked(scope)):
            await self.app(scope, receive, guarded_send)
            return

        rules = self._match(scope)
        if rules.needs_token and not self._token_ok(scope, authorization):
            await answer(AuthenticationFailed(), rules.dialect)
            return
        limit = rules.max_body
        if length is not None and length > limit:
            await answer(_too_large(limit), rules.dialect)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now, then tell the application the client has gone: it stops reading and
                    # whatever it answers is dropped by ``guarded_send``.
                    await answer(_too_large(limit), rules.dialect)
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, guarded_send)

    def _token_ok(self, scope: Scope, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            scope["app"].state.runtime.verify_token(token.strip())
        except AuthenticationFailed:
            return False
        return True


def _chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes")
