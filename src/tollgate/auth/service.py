"""Clients, secrets and tokens: every decision about who the caller is."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tollgate.auth.cache import CallerCache, Standing
from tollgate.auth.models import ApiClient, RefreshFamily, RefreshToken, ServerKey
from tollgate.config import Settings
from tollgate.errors import AuthenticationFailed
from tollgate.keystore import KeySource
from tollgate.kit.ids import new_uuid

JWT_ALGORITHM = "HS256"
SIGNING_KEY = "jwt_signing_key"
PEPPER_KEY = "client_secret_pepper"

# A time, or a client's clock: tokens live on the time of the client they belong to (sandbox clocks).
ClientNow = datetime | Callable[[uuid.UUID], datetime]


def _at(now: ClientNow, client_pk: uuid.UUID) -> datetime:
    return now(client_pk) if callable(now) else now


@dataclass(frozen=True)
class Keys:
    signing_key: bytes
    pepper: bytes


@dataclass(frozen=True)
class Caller:
    """The authenticated API client a request acts for."""

    id: uuid.UUID
    client_id: str
    name: str
    reliance_enabled: bool
    auto_approve: bool | None


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    issued_at: datetime


def _stored_key(session: Session, name: str, now: datetime) -> str:
    """A server secret generated once and kept in the database, sealed (``ServerKey.value``): usable
    only together with the data keys, which live outside the database (docs/security.md)."""
    existing = session.get(ServerKey, name)
    if existing is not None:
        return existing.value
    value = secrets.token_urlsafe(48)
    try:
        with session.begin_nested():
            session.add(ServerKey(name=name, value=value, created_at=now))
    except IntegrityError:
        # Another process created it first; use theirs.
        row = session.get(ServerKey, name)
        assert row is not None
        return row.value
    return value


def load_keys(session: Session, source: KeySource, now: datetime) -> Keys:
    """Keys from the environment or the key file when given (always, in live mode: ``load_key_source``
    refuses to start without them), otherwise generated once and kept sealed in the database."""
    signing = source.signing_key or _stored_key(session, SIGNING_KEY, now)
    pepper = source.secret_pepper or _stored_key(session, PEPPER_KEY, now)
    return Keys(signing_key=signing.encode(), pepper=pepper.encode())


def hash_secret(keys: Keys, secret: str) -> str:
    return hmac.new(keys.pepper, secret.encode(), hashlib.sha256).hexdigest()


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# ---------------------------------------------------------------- clients


def create_client(
    session: Session, keys: Keys, now: datetime, *, name: str, reliance: bool = False
) -> IssuedCredentials:
    secret = secrets.token_urlsafe(32)
    client = ApiClient(
        id=new_uuid(),
        client_id=str(new_uuid()),
        name=name,
        secret_hash=hash_secret(keys, secret),
        secret_generation=1,
        reliance_enabled=reliance,
        created_at=now,
        updated_at=now,
    )
    session.add(client)
    session.flush()
    return IssuedCredentials(client_id=client.client_id, client_secret=secret)


def get_client_by_name(session: Session, name: str) -> ApiClient | None:
    return session.scalars(select(ApiClient).where(ApiClient.name == name)).one_or_none()


def get_client_by_client_id(session: Session, client_id: str) -> ApiClient | None:
    return session.scalars(select(ApiClient).where(ApiClient.client_id == client_id)).one_or_none()


def list_clients(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.created_at, ApiClient.name)))


def rotate_secret(session: Session, keys: Keys, now: datetime, client: ApiClient) -> IssuedCredentials:
    """New secret; the old one stops working and every token of the client is revoked."""
    secret = secrets.token_urlsafe(32)
    client.secret_hash = hash_secret(keys, secret)
    client.secret_generation += 1
    client.updated_at = now
    session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.client_pk == client.id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return IssuedCredentials(client_id=client.client_id, client_secret=secret)


def set_reliance(session: Session, client: ApiClient, enabled: bool, now: datetime) -> None:
    client.reliance_enabled = enabled
    client.updated_at = now


def set_disabled(session: Session, client: ApiClient, disabled: bool, now: datetime) -> None:
    """Disable a client (no new tokens; its tokens stop working) or enable it again."""
    client.disabled_at = now if disabled else None
    client.updated_at = now


# ---------------------------------------------------------------- tokens


def _mint(
    session: Session, keys: Keys, settings: Settings, now: datetime, client: ApiClient, family: RefreshFamily
) -> TokenPair:
    access_exp = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(client.id),
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(access_exp.timestamp()),
        "jti": str(new_uuid()),
        "gen": client.secret_generation,
        "fam": str(family.id),
        "typ": "access",
    }
    access = jwt.encode(claims, keys.signing_key, algorithm=JWT_ALGORITHM)
    refresh_exp = min(now + timedelta(seconds=settings.refresh_token_ttl_seconds), family.expires_at)
    refresh = "rt_" + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_uuid(),
            family_id=family.id,
            token_hash=_sha256(refresh),
            created_at=now,
            expires_at=refresh_exp,
        )
    )
    session.flush()
    return TokenPair(access, access_exp.replace(microsecond=0), refresh, refresh_exp, now)


def issue_tokens(
    session: Session, keys: Keys, settings: Settings, now: ClientNow, *, client_id: str, client_secret: str
) -> TokenPair:
    client = get_client_by_client_id(session, client_id)
    presented = hash_secret(keys, client_secret)
    # Compare even for unknown ids so the answer takes the same time either way.
    expected = client.secret_hash if client is not None else "0" * 64
    if not hmac.compare_digest(presented, expected) or client is None or client.disabled_at is not None:
        raise AuthenticationFailed()
    now = _at(now, client.id)
    family = RefreshFamily(
        id=new_uuid(),
        client_pk=client.id,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_family_max_age_seconds),
    )
    session.add(family)
    session.flush()
    return _mint(session, keys, settings, now, client, family)


class RefreshReuse(AuthenticationFailed):
    """A retired refresh token was presented; its family has been revoked (and must stay revoked)."""

    keeps_changes = True


def refresh_tokens(
    session: Session, keys: Keys, settings: Settings, now: ClientNow, *, refresh_token: str
) -> TokenPair:
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == _sha256(refresh_token)).with_for_update()
    ).one_or_none()
    if row is None:
        raise AuthenticationFailed()
    family = session.get(RefreshFamily, row.family_id, with_for_update=True)
    assert family is not None
    now = _at(now, family.client_pk)
    if family.revoked_at is not None or family.expires_at <= now or row.expires_at <= now:
        raise AuthenticationFailed()
    if row.used_at is not None:
        family.revoked_at = now
        session.flush()
        raise RefreshReuse()
    client = session.get(ApiClient, family.client_pk)
    if client is None or client.disabled_at is not None:
        raise AuthenticationFailed()
    row.used_at = now
    return _mint(session, keys, settings, now, client, family)


# Built once: it runs on every authenticated request (docs/benchmarks.md).
_CALLER = (
    select(
        ApiClient.id,
        ApiClient.client_id,
        ApiClient.name,
        ApiClient.reliance_enabled,
        ApiClient.auto_approve,
        ApiClient.secret_generation,
        ApiClient.disabled_at,
        RefreshFamily.revoked_at,
    )
    .join(RefreshFamily, RefreshFamily.client_pk == ApiClient.id)
    .where(ApiClient.id == bindparam("client_pk"), RefreshFamily.id == bindparam("family_id"))
)


@dataclass(frozen=True)
class AccessClaims:
    """What a correctly signed access token says; whether it still holds is ``authenticate``'s question."""

    client_pk: uuid.UUID
    family_id: uuid.UUID
    generation: Any
    expires: int


def verify_access_token(keys: Keys, settings: Settings, token: str) -> AccessClaims:
    """Signature, algorithm, issuer, audience and required claims; no database, no clock."""
    try:
        claims = jwt.decode(
            token,
            keys.signing_key,
            algorithms=[JWT_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            # Times are checked by ``authenticate`` against the client's clock (sandbox clocks).
            options={
                "require": ["exp", "iat", "iss", "aud", "sub", "jti", "gen", "fam"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
            leeway=0,
        )
        if claims.get("typ") != "access":
            raise AuthenticationFailed()
        return AccessClaims(
            client_pk=uuid.UUID(str(claims["sub"])),
            family_id=uuid.UUID(str(claims["fam"])),
            generation=claims["gen"],
            expires=int(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise AuthenticationFailed() from exc


def authenticate(
    session: Session,
    keys: Keys,
    settings: Settings,
    now: ClientNow,
    token: str,
    verified: AccessClaims | None = None,
    cache: CallerCache | None = None,
) -> Caller:
    """The caller behind an access token: verified (unless ``verified`` says it was), not expired on the
    client's clock, its login family not revoked, its client not disabled and its secret not rotated since.
    With ``cache`` what the database says of the client and family may be up to ``auth_cache_ms`` old."""
    claims = verified or verify_access_token(keys, settings, token)
    if claims.expires <= int(_at(now, claims.client_pk).timestamp()):
        raise AuthenticationFailed()

    def load() -> Standing | None:
        row = session.execute(
            _CALLER, {"client_pk": claims.client_pk, "family_id": claims.family_id}
        ).one_or_none()
        if row is None:
            return None
        return Standing(
            id=row.id,
            client_id=row.client_id,
            name=row.name,
            reliance_enabled=row.reliance_enabled,
            auto_approve=row.auto_approve,
            secret_generation=row.secret_generation,
            revoked=row.revoked_at is not None,
            disabled=row.disabled_at is not None,
        )

    found = load() if cache is None else cache.standing(session, claims.client_pk, claims.family_id, load)
    if found is None or found.revoked or found.disabled or found.secret_generation != claims.generation:
        raise AuthenticationFailed()
    return Caller(
        id=found.id,
        client_id=found.client_id,
        name=found.name,
        reliance_enabled=found.reliance_enabled,
        auto_approve=found.auto_approve,
    )
