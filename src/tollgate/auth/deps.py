"""The ``Principal`` dependency: the API client behind a bearer token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from tollgate.auth.cache import cache_for
from tollgate.auth.service import AccessClaims, Caller, authenticate
from tollgate.db import unit_of_work
from tollgate.errors import AuthenticationFailed, RuleCheck, TollgateError
from tollgate.runtime import Runtime, RuntimeDep, SessionDep

_bearer = HTTPBearer(
    auto_error=False, bearerFormat="JWT", description="Access token from POST /v1/oauth/token"
)


@dataclass(frozen=True)
class SignedToken:
    token: str
    claims: AccessClaims


async def signed_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> SignedToken:
    """The bearer token, correctly signed (no database: it runs on the event loop). A request without
    one is refused before its parameters are looked at, so callers without a token learn nothing."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationFailed()
    runtime: Runtime = request.app.state.runtime
    claims = runtime.verify_token(credentials.credentials)
    return SignedToken(credentials.credentials, claims)


SignedTokenDep = Annotated[SignedToken, Depends(signed_token)]


def caller_of(request: Request, runtime: Runtime, session: Session, signed: SignedToken) -> Caller:
    """The client behind a signed token, if the token still holds (expiry on the client's clock,
    revocation, secret rotation)."""
    cache = cache_for(runtime.engine, runtime.settings.auth_cache_ms)
    caller = authenticate(
        session,
        runtime.keys,
        runtime.settings,
        runtime.now_for,
        signed.token,
        verified=signed.claims,
        cache=cache,
    )
    request.state.caller = caller
    return caller


def read_caller(request: Request, runtime: Runtime, signed: SignedToken) -> Caller:
    """``caller_of`` in a short read transaction of its own, for an endpoint that must not hold a
    transaction while it waits (an upload reading its body)."""
    with unit_of_work(runtime.read_sessions) as session:
        return caller_of(request, runtime, session, signed)


def current_caller(
    request: Request, runtime: RuntimeDep, session: SessionDep, signed: SignedTokenDep
) -> Caller:
    return caller_of(request, runtime, session, signed)


Principal = Annotated[Caller, Depends(current_caller)]


def _wants_token(dependant: Dependant) -> bool:
    return any(d.call is signed_token or _wants_token(d) for d in dependant.dependencies)


async def authenticate_request(request: Request) -> None:
    """Check the caller as the matched endpoint's dependencies would, for an answer given before they
    ran (``errors.install``): nothing for an endpoint that takes no token, else the token and its client."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None or not _wants_token(dependant):
        return
    signed = await signed_token(request, await _bearer(request))
    await run_in_threadpool(read_caller, request, request.app.state.runtime, signed)


async def client_now(request: Request) -> datetime:
    """Now on the clock of the caller whose signed token the request carries (the request guard has
    checked it is there), for rules run before the endpoint (``errors.checks_beside_schema``)."""
    signed = await signed_token(request, await _bearer(request))
    runtime: Runtime = request.app.state.runtime
    return await run_in_threadpool(runtime.now_for, signed.claims.client_pk)


def beside_schema(check: Callable[[Any, date], list[tuple[str, str]]]) -> RuleCheck:
    """``check(body, today)`` on a body the schema refused, today on the caller's clock: an endpoint's
    rules for ``errors.checks_beside_schema``."""

    async def rules(request: Request, raw: Any) -> list[tuple[str, str]]:
        try:
            today = (await client_now(request)).date()
        except TollgateError:
            return []
        return await run_in_threadpool(check, raw, today)

    return rules
