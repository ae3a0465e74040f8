"""Operator accounts (the compliance team) and their API tokens: roles, tenants, sign-in with a limit on
failed attempts, an optional TOTP second factor. Separate from API clients: another audience, another table.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import jwt
import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.service import JWT_ALGORITHM, Keys
from tollgate.config import Settings
from tollgate.errors import AuthenticationFailed, TooManyRequests
from tollgate.kit.ids import new_uuid
from tollgate.verification.models import Operator

AUDIENCE = "tollgate-operator"
MIN_PASSWORD = 12
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password")
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _verify_slots(settings: Settings) -> threading.BoundedSemaphore:
    size = max(1, settings.request_threads // 2)
    with _slots_lock:
        if size not in _slots:
            _slots[size] = threading.BoundedSemaphore(size)
        return _slots[size]


class Role(StrEnum):
    REVIEWER = "reviewer"
    SENIOR = "senior"
    ADMIN = "admin"


# What each role may do beyond working cases.
_RANK = {Role.REVIEWER: 0, Role.SENIOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True)
class OperatorIdentity:
    id: uuid.UUID
    username: str
    role: Role = Role.REVIEWER
    # The API clients whose customers this operator may see; None: all.
    client_pks: frozenset[uuid.UUID] | None = None

    @property
    def senior(self) -> bool:
        """Seniors and admins confirm four-eyes decisions and reassign cases."""
        return _RANK[self.role] >= _RANK[Role.SENIOR]

    @property
    def admin(self) -> bool:
        return self.role is Role.ADMIN

    def sees(self, client_pk: uuid.UUID) -> bool:
        return self.client_pks is None or client_pk in self.client_pks


def identity(op: Operator) -> OperatorIdentity:
    pks = None if op.client_pks is None else frozenset(uuid.UUID(p) for p in op.client_pks)
    return OperatorIdentity(op.id, op.username, Role(op.role), pks)


class LoginFailed(AuthenticationFailed):
    """A wrong password (or code): the failure is counted, so the transaction keeps its changes."""

    keeps_changes = True

    def __init__(self, message: str = "Authentication failed", *, locked_until: datetime | None = None):
        super().__init__(message)
        self.locked_until = locked_until


class SecondFactorNeeded(AuthenticationFailed):
    """The password was right; the operator's TOTP code is missing."""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must be at least {MIN_PASSWORD} characters")


def create_operator(
    session: Session,
    now: datetime,
    *,
    username: str,
    password: str,
    role: Role = Role.REVIEWER,
    client_pks: list[uuid.UUID] | None = None,
) -> Operator:
    _check_password(password)
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise ValueError("username must be 1 to 100 characters without spaces")
    if get_by_username(session, username) is not None:
        raise ValueError(f"operator {username!r} already exists")
    op = Operator(
        id=new_uuid(),
        username=username,
        password_hash=_hasher.hash(password),
        created_at=now,
        role=Role(role).value,
        client_pks=None if client_pks is None else sorted(str(p) for p in client_pks),
        failed_logins=0,
    )
    session.add(op)
    session.flush()
    return op


def get_by_username(session: Session, username: str) -> Operator | None:
    return session.scalars(select(Operator).where(Operator.username == username)).one_or_none()


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.username)))


def set_password(op: Operator, password: str) -> None:
    _check_password(password)
    op.password_hash = _hasher.hash(password)
    op.failed_logins = 0
    op.locked_until = None


def set_role(op: Operator, role: Role) -> None:
    op.role = Role(role).value


def set_clients(op: Operator, client_pks: list[uuid.UUID] | None) -> None:
    op.client_pks = None if client_pks is None else sorted(str(p) for p in client_pks)


def disable(op: Operator, now: datetime) -> None:
    if op.disabled_at is None:
        op.disabled_at = now


def enable(op: Operator) -> None:
    op.disabled_at = None


def unlock(op: Operator) -> None:
    op.failed_logins = 0
    op.locked_until = None


def locked(op: Operator, now: datetime) -> bool:
    return op.locked_until is not None and op.locked_until > now


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(username: str, secret: str, issuer: str = "Tollgate") -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step ``code`` is valid for (this one or the one before or after), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        at = now + timedelta(seconds=30 * drift)
        if totp.verify(code, for_time=at, valid_window=0):
            return int(at.timestamp()) // 30
    return None


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of verifying a password against the hash an operator had when it was read."""

    password_hash: str | None
    ok: bool


def password_hash_of(session: Session, username: str) -> str | None:
    """The operator's password hash, read in a short transaction of its own before the slow verification."""
    op = get_by_username(session, username)
    return op.password_hash if op is not None else None


def verify_password(settings: Settings, password_hash: str | None, password: str) -> PasswordCheck:
    """argon2-verify ``password`` (against a dummy hash for an unknown operator, so both take as long).

    Slow on purpose, so never inside a transaction (a SQLite writer would hold the write lock meanwhile).
    At most half the request threads verify at once, and a sign-in past that is told to retry rather than
    wait for a thread, so a flood of sign-ins cannot take every thread from the API's other callers."""
    slots = _verify_slots(settings)
    if not slots.acquire(blocking=False):
        raise TooManyRequests("Too many sign-ins at once; try again in a moment", [(b"retry-after", b"1")])
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
        ok = password_hash is not None
    except (VerificationError, InvalidHashError):
        ok = False
    finally:
        slots.release()
    return PasswordCheck(password_hash, ok)


def check_credentials(
    session: Session,
    settings: Settings,
    now: datetime,
    username: str,
    password: str,
    code: str | None = None,
    *,
    checked: PasswordCheck | None = None,
) -> Operator:
    """The operator whose password (and TOTP code, when the operator has a second factor) is right.

    ``checked`` is the password verified beforehand, outside any transaction (``verify_password``); it
    holds only if the operator's hash has not changed since. Without it the password is verified here.

    Every failure is the same 401, except a locked account, which says until when (a person must know
    to wait or to ask an admin). A wrong password or code counts; at the limit the account locks.
    """
    op = get_by_username(session, username)
    if op is not None and locked(op, now):
        raise AuthenticationFailed(_locked_message(op))
    if checked is None:
        checked = verify_password(settings, op.password_hash if op else None, password)
    ok = checked.ok and op is not None and checked.password_hash == op.password_hash
    if op is None:
        raise AuthenticationFailed()
    if ok and op.totp_secret:
        if not code:
            raise SecondFactorNeeded("Enter the 6-digit code from your authenticator app")
        step = totp_step(op.totp_secret, code, now)
        ok = step is not None and (op.totp_last_step is None or step > op.totp_last_step)
        if ok:
            op.totp_last_step = step
    if not ok:
        op.failed_logins += 1
        if op.failed_logins >= settings.console_login_max_failures:
            op.locked_until = now + timedelta(seconds=settings.console_lockout_seconds)
            op.failed_logins = 0
            raise LoginFailed(_locked_message(op), locked_until=op.locked_until)
        raise LoginFailed()
    if op.disabled_at is not None:
        raise AuthenticationFailed("This account is disabled; ask an admin")
    op.failed_logins = 0
    op.locked_until = None
    op.last_login_at = now
    return op


def _locked_message(op: Operator) -> str:
    assert op.locked_until is not None
    return (
        f"Too many failed sign-ins: this account is locked until {op.locked_until:%Y-%m-%d %H:%M} UTC. "
        "An admin can unlock it sooner."
    )


def login(
    session: Session,
    keys: Keys,
    settings: Settings,
    now: datetime,
    username: str,
    password: str,
    code: str | None = None,
    *,
    checked: PasswordCheck | None = None,
) -> tuple[str, datetime]:
    """An operator API token (``/ops/v1/token``)."""
    op = check_credentials(session, settings, now, username, password, code, checked=checked)
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
    if op is None or op.disabled_at is not None:
        raise AuthenticationFailed()
    return identity(op)
