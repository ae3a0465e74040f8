"""Operators' browser sessions: a random cookie token (only its hash stored), a CSRF token per session, an
idle timeout and an absolute lifetime."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tollgate.config import Settings
from tollgate.console.models import OperatorSession
from tollgate.verification import operators
from tollgate.verification.models import Operator

# A session's last_seen_at is written at most this often (a page view is otherwise a read).
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    operator: operators.OperatorIdentity
    session_id: str
    csrf_token: str
    # The operator must set up a second factor before anything else (live mode requires one).
    needs_totp: bool
    needs_touch: bool


def start(
    session: Session,
    settings: Settings,
    op: Operator,
    now: datetime,
    ip: str | None,
    user_agent: str | None,
) -> str:
    """A new session for ``op``; returns the cookie's token."""
    token = secrets.token_urlsafe(32)
    session.add(
        OperatorSession(
            id=_hash(token),
            operator_id=op.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=settings.console_session_max_seconds),
            ip=ip[:64] if ip else None,
            user_agent=user_agent[:512] if user_agent else None,
        )
    )
    # Old sessions of anyone are cleared now and then (here: at each sign-in).
    session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
    session.flush()
    return token


def lookup(session: Session, settings: Settings, token: str | None, now: datetime) -> SignedIn | None:
    """The signed-in operator of a cookie token, or None (unknown, expired, idle too long, disabled)."""
    if not token or len(token) > 128:
        return None
    row = session.get(OperatorSession, _hash(token))
    if row is None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > timedelta(seconds=settings.console_idle_timeout_seconds):
        return None
    op = session.get(Operator, row.operator_id)
    if op is None or op.disabled_at is not None:
        return None
    return SignedIn(
        operators.identity(op),
        row.id,
        row.csrf_token,
        needs_totp=settings.require_totp and not op.totp_secret,
        needs_touch=now - row.last_seen_at >= TOUCH_EVERY,
    )


def touch(session: Session, session_id: str, now: datetime) -> None:
    row = session.get(OperatorSession, session_id)
    if row is not None and row.last_seen_at < now:
        row.last_seen_at = now


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(OperatorSession).where(OperatorSession.id == _hash(token)))


def end_all(session: Session, operator_id: object) -> None:
    """Sign an operator out everywhere (disabled, password reset)."""
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator_id))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def active_count(session: Session, operator_id: object, now: datetime) -> int:
    rows = session.scalars(
        select(OperatorSession.id).where(
            OperatorSession.operator_id == operator_id, OperatorSession.expires_at > now
        )
    ).all()
    return len(rows)
