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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tollgate import idempotency
from tollgate.auth.service import AccessClaims
from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.errors import (
    AuthenticationFailed,
    Conflict,
    Dialect,
    PayloadTooLarge,
    TollgateError,
    TooManyRequests,
    ValidationFailed,
    render,
)
from tollgate.ratelimit import Decision, Limiter

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_REQUEST_ID_HEADER = b"x-request-id"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_TOKEN_PATHS = frozenset({"/v1/oauth/token", "/v1/oauth/refresh-token"})
# The console's sign-in page counts its own, to answer with the page (web/console/auth.py).
_LOGIN_PATHS = frozenset({"/ops/v1/token"})
# Headers of a stored response that belong to the request that made it, not to a replay.
_NOT_REPLAYED = frozenset(
    {
        b"x-request-id",
        b"date",
        b"server",
        b"ratelimit-limit",
        b"ratelimit-remaining",
        b"ratelimit-reset",
        b"retry-after",
    }
)

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
    from tollgate.sandbox.router import sandbox_only

    table: _Table = []
    for context in iter_route_contexts(routes):
        route = context.original_route
        methods = frozenset(context.methods or ()) & _BODY_METHODS
        if not isinstance(route, APIRoute) or not methods or context.path is None:
            continue
        if not settings.sandbox and _uses(route.dependant, sandbox_only):
            continue  # in live mode the sandbox does not exist: its 404 comes before any 401
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
        extra: list[tuple[bytes, bytes]] = [(_REQUEST_ID_HEADER, rid)]

        async def guarded_send(message: Message) -> None:
            if answered:
                return  # the guard has answered already; what the application says after is dropped
            if message["type"] == "http.response.start":
                names = {k for k, _ in extra}
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in names]
                headers.extend(extra)
                message = {**message, "headers": headers}
            await send(message)

        async def answer(exc: TollgateError, dialect: Dialect) -> None:
            nonlocal answered
            response = render(exc, dialect)
            response.raw_headers.extend(extra)
            if isinstance(exc, PayloadTooLarge):
                response.headers["connection"] = "close"
            await response(scope, receive, send)
            answered = True

        claims = self._claims(scope, authorization)
        if self._settings.rate_limits_on:
            decision = await self._rate_limit(scope, claims)
            if decision is not None:
                extra.extend(decision.headers())
                if not decision.allowed:
                    await answer(TooManyRequests(), self._match(scope).dialect)
                    return

        if scope["method"] not in _BODY_METHODS or (length is None and not _chunked(scope)):
            await self.app(scope, receive, guarded_send)
            return

        rules = self._match(scope)
        if rules.needs_token and claims is None:
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

        if scope["method"] == "POST" and rules.needs_token and claims is not None:
            key = _header(scope, b"idempotency-key")
            if key is not None:
                await self._idempotent(
                    scope, limited_receive, guarded_send, answer, claims, key, rules.dialect
                )
                return
        await self.app(scope, limited_receive, guarded_send)

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        answer: Callable[[TollgateError, Dialect], Awaitable[None]],
        claims: AccessClaims,
        key: str,
        dialect: Dialect,
    ) -> None:
        """Run the request once per ``Idempotency-Key`` of the client; replay its response after
        (idempotency.py)."""
        if not idempotency.valid_key(key):
            rule = f"Must be 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters"
            await answer(ValidationFailed([("Idempotency-Key", rule)]), dialect)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away, or the body passed its limit (answered already)
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        runtime = scope["app"].state.runtime
        print_ = idempotency.fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), bytes(body)
        )
        begun = await anyio.to_thread.run_sync(_begin, runtime, claims.client_pk, key, print_)
        if begun.mismatch:
            refusal = "This key was already used with a different request"
            await answer(ValidationFailed([("Idempotency-Key", refusal)]), dialect)
            return
        if begun.busy:
            await answer(Conflict("A request with this Idempotency-Key is still in progress"), dialect)
            return
        if begun.stored is not None:
            stored = begun.stored
            headers = [*stored.headers, (b"idempotent-replayed", b"true")]
            await send({"type": "http.response.start", "status": stored.status, "headers": headers})
            await send({"type": "http.response.body", "body": stored.body, "more_body": False})
            return

        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        status = 500
        kept: list[tuple[bytes, bytes]] = []
        answer_body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                kept.extend((k, v) for k, v in message.get("headers", ()) if k.lower() not in _NOT_REPLAYED)
            elif message["type"] == "http.response.body":
                answer_body.extend(message.get("body", b""))
            await send(message)

        stored_answer: idempotency.Stored | None = None
        try:
            await self.app(scope, replay_receive, capture)
            if status < 500:
                stored_answer = idempotency.Stored(status, kept, bytes(answer_body))
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_finish, runtime, claims.client_pk, key, stored_answer)

    async def _rate_limit(self, scope: Scope, claims: AccessClaims | None) -> Decision | None:
        """Count the request against the limit that applies to it, if any."""
        settings = self._settings
        path = scope["path"]
        if path in _TOKEN_PATHS:
            key, limit = f"token-ip:{_address(scope)}", settings.rate_limit_token_per_address_per_minute
        elif path in _LOGIN_PATHS and scope["method"] == "POST":
            key, limit = f"login-ip:{_address(scope)}", settings.rate_limit_login_per_minute
        elif claims is not None:
            key, limit = f"api:{claims.client_pk}", settings.rate_limit_api_per_minute
        else:
            return None
        limiter: Limiter = scope["app"].state.runtime.limiter
        if limiter.needs_sync(key, limit, 60):
            return await anyio.to_thread.run_sync(limiter.hit, key, limit, 60)
        return limiter.hit(key, limit, 60)

    def _claims(self, scope: Scope, authorization: str) -> AccessClaims | None:
        """The claims of a correctly signed API token (signature and expiry checked in memory), or None."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            claims: AccessClaims = scope["app"].state.runtime.verify_token(token.strip())
        except AuthenticationFailed:
            return None
        return claims


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _begin(runtime: Any, client_pk: uuid.UUID, key: str, print_: str) -> idempotency.Begun:
    with unit_of_work(runtime.write_sessions) as session:
        return idempotency.begin(session, client_pk, key, print_, runtime.now())


def _finish(runtime: Any, client_pk: uuid.UUID, key: str, stored: idempotency.Stored | None) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        idempotency.finish(session, client_pk, key, stored)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes")
