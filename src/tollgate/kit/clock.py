"""The clock enters through a small Protocol so tests and the sandbox can move time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at


class OffsetClock:
    """Real time shifted by an adjustable offset (tests, sandbox clock control)."""

    def __init__(self) -> None:
        from datetime import timedelta

        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


# A transaction working in a sandbox client's time (docs/sandbox.md) notes how far that time is from the
# server's on its session, so the jobs it queues are still due on the server's clock.
_SKEW_KEY = "tollgate.clock_skew"


def note_skew(session: Session, skew: timedelta) -> None:
    """Times handed to ``session``'s work are ``skew`` ahead of the server's clock."""
    session.info[_SKEW_KEY] = skew


def server_time(session: Session, at: datetime) -> datetime:
    """``at``, a time of the transaction's own clock, on the server's clock."""
    skew = session.info.get(_SKEW_KEY)
    return at - skew if isinstance(skew, timedelta) else at
