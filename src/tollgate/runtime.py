"""What one running server holds: settings, database, keys and clock, wired in one place."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tollgate.auth.service import AccessClaims, Keys, load_keys, verify_access_token
from tollgate.config import Settings
from tollgate.db import make_engine, make_sessionmaker, unit_of_work
from tollgate.documents.storage import FileStore, LocalFileStore, S3FileStore
from tollgate.errors import TollgateError
from tollgate.kit.clock import Clock, SystemClock, note_skew
from tollgate.sandbox.clock import clocks_for


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    keys: Keys
    files: FileStore
    clock: Clock = field(default_factory=SystemClock)
    # A token's signature and claims never change: each is verified once per process, on the event loop.
    verify_token: Callable[[str], AccessClaims] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.verify_token = functools.lru_cache(maxsize=4096)(
            functools.partial(verify_access_token, self.keys, self.settings)
        )

    def now(self) -> datetime:
        return self.clock.now()

    def now_for(self, client_pk: uuid.UUID | None, session: Session | None = None) -> datetime:
        """Now as an API client sees it: in sandbox mode, its own clock (docs/sandbox.md). Given the
        transaction's ``session``, jobs queued in it stay due on the server's clock."""
        now = self.clock.now()
        if client_pk is None or not self.settings.sandbox:
            return now
        skew = clocks_for(self.engine).offset(client_pk, session)
        if session is not None:
            note_skew(session, skew)
        return now + skew


def build_file_store(settings: Settings) -> FileStore:
    if settings.s3_bucket:
        return S3FileStore.connect(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    return LocalFileStore(settings.storage_dir)


def build_runtime(settings: Settings, clock: Clock | None = None, engine: Engine | None = None) -> Runtime:
    engine = engine or make_engine(
        settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    # Code that only has a session (the webhooks outbox) finds the runtime's settings on it.
    info = {"settings": settings}
    writer = make_sessionmaker(engine, info=info)
    reader = make_sessionmaker(engine, write=False, info=info)
    clock = clock or SystemClock()
    with unit_of_work(writer) as session:
        keys = load_keys(session, settings, clock.now())
    return Runtime(settings, engine, writer, reader, keys, build_file_store(settings), clock)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with request_transaction(runtime, request.method) as session:
        yield session


@contextmanager
def request_transaction(runtime: Runtime, method: str) -> Iterator[Session]:
    """A request's session: a reader for GET, HEAD and OPTIONS, a writer otherwise. Committed when the
    work succeeds, and also when it fails with an error that keeps its changes (a refused transition is
    recorded); rolled back otherwise."""
    factory = runtime.read_sessions if method in _READ_METHODS else runtime.write_sessions
    session = factory()
    try:
        yield session
        session.commit()
    except TollgateError as exc:
        if exc.keeps_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(request_session, scope="function")]
