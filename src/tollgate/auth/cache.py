"""Callers cached per process, so an authenticated request makes no database round trip for its token.

What a token's validity depends on in the database (its client: secret generation, disabled or deleted,
the flags a request reads; its login family: revoked) is cached per process by ``(client, family)``.
Every change of a client or a family moves one counter, ``auth_epoch``, in the transaction of the change
(a Session hook, so no path can forget it: ``tollgate clients ...``, a rotation's bulk revocation, a
refresh-token reuse). A process reads the counter at most once per ``Settings.auth_cache_ms`` and, when it
has moved, forgets every cached caller. So a revocation stops its tokens on every process within
``auth_cache_ms`` of its commit (docs/adr/0014); with 0 every request reads the database as before.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm import attributes as orm_attributes

from tollgate.auth.models import ApiClient, AuthEpoch, RefreshFamily

# Most (client, family) pairs kept; past it the cache is emptied whole and refills from the next reads.
MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class Standing:
    """What the database says of one (client, family): enough to accept or refuse a token."""

    id: uuid.UUID
    client_id: str
    name: str
    reliance_enabled: bool
    auto_approve: bool | None
    secret_generation: int
    revoked: bool
    disabled: bool


_READ_EPOCH = select(AuthEpoch.value).where(AuthEpoch.id == 1)


class CallerCache:
    def __init__(self, max_age_seconds: float) -> None:
        self._max_age = max_age_seconds
        self._entries: dict[tuple[uuid.UUID, uuid.UUID], Standing] = {}
        self._epoch: int | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def standing(
        self,
        session: Session,
        client_pk: uuid.UUID,
        family_id: uuid.UUID,
        load: Callable[[], Standing | None],
    ) -> Standing | None:
        if self._max_age <= 0:
            return load()
        self._check(session)
        key = (client_pk, family_id)
        found = self._entries.get(key)
        if found is not None:
            return found
        epoch = self._epoch
        found = load()
        # Kept only if no check saw the counter move while it was read: a row read just before a
        # revocation committed must not outlive the check that saw the revocation.
        if found is not None and epoch == self._epoch:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = found
        return found

    def _check(self, session: Session) -> None:
        if time.monotonic() - self._checked_at < self._max_age:
            return
        with self._lock:
            started = time.monotonic()
            if started - self._checked_at < self._max_age:
                return
            epoch = int(session.scalar(_READ_EPOCH) or 0)
            if epoch != self._epoch:
                self._entries.clear()
                self._epoch = epoch
            # Measured from before the read: the bound holds from the moment the counter was read.
            self._checked_at = started

    def invalidate(self) -> None:
        """Read the counter on the next request (this process has just moved it)."""
        self._checked_at = float("-inf")


_caches: weakref.WeakKeyDictionary[Engine, CallerCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine, max_age_ms: int) -> CallerCache:
    """The one cache of ``engine``'s database in this process."""
    with _caches_lock:
        found = _caches.get(engine)
        if found is None:
            found = _caches[engine] = CallerCache(max_age_ms / 1000)
        return found


# ------------------------------------------------------------------------- moving the counter


def _bump_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(AuthEpoch).values(id=1, value=1)
    return stmt.on_conflict_do_update(index_elements=[AuthEpoch.id], set_={"value": AuthEpoch.value + 1})


_BUMPS = {name: _bump_statement(name) for name in ("postgresql", "sqlite")}


_BUMPED = "tollgate.auth.bumped"


def bump(session: Session) -> None:
    """Move the counter in ``session``'s transaction (done by the hooks below)."""
    session.execute(_BUMPS[session.get_bind().dialect.name])
    session.info[_BUMPED] = True


def _after_commit(session: Session) -> None:
    # The process that made the change sees it on its next request; the others within auth_cache_ms.
    if session.info.pop(_BUMPED, False):
        with _caches_lock:
            caches = list(_caches.values())
        for cache in caches:
            cache.invalidate()


def _after_rollback(session: Session) -> None:
    session.info.pop(_BUMPED, None)


def _changes_standing(session: Session) -> bool:
    for obj in session.dirty:
        if isinstance(obj, ApiClient) and session.is_modified(obj):
            return True
        if isinstance(obj, RefreshFamily) and orm_attributes.get_history(obj, "revoked_at").has_changes():
            return True
    return any(isinstance(obj, ApiClient | RefreshFamily) for obj in session.deleted)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    if _changes_standing(session):
        bump(session)


def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in (ApiClient, RefreshFamily):
        bump(state.session)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "do_orm_execute", _on_execute)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)
