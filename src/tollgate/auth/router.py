from __future__ import annotations

from fastapi import APIRouter

from tollgate.auth import service
from tollgate.auth.schemas import TokenCreate, TokenRead, TokenRefresh
from tollgate.errors import TooManyRequests
from tollgate.handler import one_thread
from tollgate.http_docs import AUTH_401, VALIDATION_422, responses
from tollgate.kit.timefmt import token_instant
from tollgate.runtime import RuntimeDep, SessionDep

router = APIRouter(tags=["Authentication"])


def _read(pair: service.TokenPair) -> TokenRead:
    return TokenRead(
        access_token=pair.access_token,
        access_token_ttl=token_instant(pair.access_expires_at),
        refresh_token=pair.refresh_token,
        refresh_token_ttl=token_instant(pair.refresh_expires_at),
        current_time=token_instant(pair.issued_at),
    )


@router.post("/v1/oauth/token", response_model=TokenRead, responses=responses(AUTH_401, VALIDATION_422))
@one_thread
def issue_token(body: TokenCreate, runtime: RuntimeDep, session: SessionDep) -> TokenRead:
    """Trade client credentials for an access token and a refresh token."""
    settings = runtime.settings
    if settings.rate_limits_on:
        key, limit = f"token-client:{body.client_id}", settings.rate_limit_token_per_minute
        decision = runtime.limiter.hit(key, limit, 60)
        if not decision.allowed:
            raise TooManyRequests(headers=decision.headers())
    pair = service.issue_tokens(
        session,
        runtime.keys,
        runtime.settings,
        runtime.now_for,
        client_id=body.client_id,
        client_secret=body.client_secret,
    )
    return _read(pair)


@router.post(
    "/v1/oauth/refresh-token", response_model=TokenRead, responses=responses(AUTH_401, VALIDATION_422)
)
@one_thread
def refresh_token(body: TokenRefresh, runtime: RuntimeDep, session: SessionDep) -> TokenRead:
    """Trade a refresh token for a new pair. The presented token is retired; presenting it again revokes
    every token descended from the same login."""
    pair = service.refresh_tokens(
        session,
        runtime.keys,
        runtime.settings,
        runtime.now_for,
        refresh_token=body.refresh_token,
    )
    return _read(pair)
