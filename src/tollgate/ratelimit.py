"""Rate limits shared by every server process through the database.

Each limit is a fixed window (a minute by default) counted per key (``api:<client>``, ``token-ip:<address>``,
``token-client:<client_id>``, ``login-ip:<address>``). A process counts its own hits in memory and adds them
to the shared row of the window (``rate_limit_counter``, one upsert that returns the new total) at most
every ``TOLLGATE_RATE_LIMIT_SYNC_SECONDS``, and at once when its own estimate reaches the limit. So a
request costs no database round trip in the common case, and the processes together can overshoot a
limit by at most what they admit between two synchronisations (``processes x rate x sync interval``),
which the documentation states.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Integer, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from tollgate.db import Base, unit_of_work


class RateLimitCounter(Base):
    """The hits of one key in one window, summed over every process."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    # Seconds until the window ends and the count starts again.
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset).encode()),
        ]
        if not self.allowed:
            out.append((b"retry-after", str(self.reset).encode()))
        return out


@dataclass
class _Window:
    start: int
    shared: int = 0  # the total of every process at the last synchronisation
    pending: int = 0  # this process's hits since
    synced_at: float = -math.inf


class Limiter:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        sync_seconds: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._sync_seconds = sync_seconds
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def needs_sync(self, key: str, limit: int, window: int) -> bool:
        """Whether the next ``hit`` for ``key`` will touch the database (call it off the event loop)."""
        now = self._clock()
        with self._lock:
            current = self._windows.get(key)
            start = int(now // window) * window
            if current is None or current.start != start:
                return True
            return self._due(current, limit, now)

    def _due(self, current: _Window, limit: int, now: float) -> bool:
        estimate = current.shared + current.pending + 1
        if estimate > limit and current.shared > limit:
            return False  # already over on the shared count: refuse without asking again
        return now - current.synced_at >= self._sync_seconds or estimate >= limit

    def hit(self, key: str, limit: int, window: int) -> Decision:
        """Count one request for ``key`` and say whether it is within ``limit`` per ``window`` seconds."""
        now = self._clock()
        start = int(now // window) * window
        with self._lock:
            current = self._windows.get(key)
            if current is None or current.start != start:
                current = self._windows[key] = _Window(start)
            current.pending += 1
            sync = self._due(current, limit, now) or current.synced_at == -math.inf
            pending = current.pending if sync else 0
            if sync:
                current.pending = 0
        if sync:
            total = self._add(key, start, pending, now)
            with self._lock:
                current.shared = max(current.shared, total)
                current.synced_at = now
        with self._lock:
            count = current.shared + current.pending
        reset = max(1, math.ceil(start + window - now))
        return Decision(count <= limit, limit, max(0, limit - count), reset)

    def _add(self, key: str, start: int, pending: int, now: float) -> int:
        with unit_of_work(self._sessions) as session:
            insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
            stmt = insert(RateLimitCounter).values(key=key, window_start=start, count=pending)
            upsert = stmt.on_conflict_do_update(
                index_elements=["key", "window_start"],
                set_={"count": RateLimitCounter.count + stmt.excluded.count},
            ).returning(RateLimitCounter.count)
            total = int(session.execute(upsert).scalar_one())
            if now - self._last_sweep > 3600:
                # Windows older than a day are of no use to anyone.
                self._last_sweep = now
                session.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < now - 86400))
            return total
