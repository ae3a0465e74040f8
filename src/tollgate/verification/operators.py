"""Reviewer accounts and their tokens (separate from API clients: another audience, another table)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.service import JWT_ALGORITHM, Keys
from tollgate.config import Settings
from tollgate.errors import AuthenticationFailed
from tollgate.kit.ids import new_uuid
from tollgate.verification.models import Operator

AUDIENCE = "tollgate-operator"
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password")


@dataclass(frozen=True)
class OperatorIdentity:
    id: uuid.UUID
    username: str


def create_operator(session: Session, now: datetime, *, username: str, password: str) -> Operator:
    if len(password) < 12:
        raise ValueError("password must be at least 12 characters")
    op = Operator(id=new_uuid(), username=username, password_hash=_hasher.hash(password), created_at=now)
    session.add(op)
    session.flush()
    return op


def get_by_username(session: Session, username: str) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.username == username)).one_or_none()


def login(
    session: Session, keys: Keys, settings: Settings, now: datetime, username: str, password: str
) -> tuple[str, datetime]:
    op = get_by_username(session, username)
    try:
        _hasher.verify(op.password_hash if op else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as exc:
        raise AuthenticationFailed() from exc
    if op is None:
        raise AuthenticationFailed()
    exp = now + timedelta(hours=12)
    token = jwt.encode(
        {
            "iss": settings.jwt_issuer,
            "aud": AUDIENCE,
            "sub": str(op.id),
            "name": op.username,
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "jti": str(new_uuid()),
        },
        keys.signing_key,
        algorithm=JWT_ALGORITHM,
    )
    return token, exp


def authenticate(
    session: Session, keys: Keys, settings: Settings, now: datetime, token: str
) -> OperatorIdentity:
    try:
        claims = jwt.decode(
            token,
            keys.signing_key,
            algorithms=[JWT_ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
        )
        op_id = uuid.UUID(str(claims["sub"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise AuthenticationFailed() from exc
    if int(claims["exp"]) <= int(now.timestamp()):
        raise AuthenticationFailed()
    op = session.get(Operator, op_id)
    if op is None:
        raise AuthenticationFailed()
    return OperatorIdentity(op.id, op.username)
