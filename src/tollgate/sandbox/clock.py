"""Each API client's clock: real time plus the offset the client chose (POST /sandbox/clock).

Reading an offset must cost nothing on the request path, so each process keeps the offsets of the few
clients whose clock is not real time in memory, one table read at most every ``REFRESH_SECONDS``. A change
made in this process is seen at once (``invalidate``); one made by another process (a worker, the CLI)
within ``REFRESH_SECONDS``.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tollgate.sandbox.models import SandboxClient

REFRESH_SECONDS = 1.0
REAL_TIME = timedelta(0)


class ClientClocks:
    """The clock offsets of one database's clients, cached for the whole process."""

    def __init__(self, engine: Engine, refresh_seconds: float = REFRESH_SECONDS) -> None:
        # Reads never take SQLite's write lock (see db.make_engine).
        self._engine = engine.execution_options(tollgate_write=False)
        self._refresh_seconds = refresh_seconds
        self._offsets: dict[uuid.UUID, timedelta] = {}
        self._loaded_at: float | None = None
        self._lock = threading.Lock()

    def offset(self, client_pk: uuid.UUID, session: Session | None = None) -> timedelta:
        """How far ``client_pk``'s clock is ahead of real time (negative: behind). With ``session`` a
        refresh reads through it, so a request never waits for a second connection."""
        loaded_at = self._loaded_at
        if loaded_at is None or time.monotonic() - loaded_at > self._refresh_seconds:
            self._refresh(session, wait=loaded_at is None)
        return self._offsets.get(client_pk, REAL_TIME)

    def invalidate(self) -> None:
        """Forget every offset: the next read loads them again (call after changing one)."""
        self._loaded_at = None

    def _refresh(self, session: Session | None, *, wait: bool) -> None:
        # One thread refreshes; the others keep the previous offsets meanwhile, unless there are none yet.
        if not self._lock.acquire(blocking=wait):
            return
        try:
            stmt = select(SandboxClient.client_pk, SandboxClient.clock_offset_us).where(
                SandboxClient.clock_offset_us != 0
            )
            if session is not None:
                rows = session.execute(stmt).all()
            else:
                with self._engine.connect() as conn:
                    rows = conn.execute(stmt).all()
            self._offsets = {pk: timedelta(microseconds=us) for pk, us in rows}
            self._loaded_at = time.monotonic()
        finally:
            self._lock.release()


_registry: weakref.WeakKeyDictionary[Engine, ClientClocks] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def clocks_for(engine: Engine) -> ClientClocks:
    """The one cache of ``engine``'s database in this process, shared by every runtime built on it."""
    with _registry_lock:
        found = _registry.get(engine)
        if found is None:
            found = _registry[engine] = ClientClocks(engine)
        return found
