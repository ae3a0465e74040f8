"""The ``Principal`` dependency: the API client behind a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tollgate.auth.service import Caller, authenticate
from tollgate.errors import AuthenticationFailed
from tollgate.runtime import RuntimeDep, SessionDep

_bearer = HTTPBearer(
    auto_error=False, bearerFormat="JWT", description="Access token from POST /v1/oauth/token"
)


def current_caller(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationFailed()
    caller = authenticate(
        session,
        runtime.keys,
        runtime.settings,
        runtime.now_for,
        credentials.credentials,
    )
    request.state.caller = caller
    return caller


Principal = Annotated[Caller, Depends(current_caller)]
