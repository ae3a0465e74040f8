"""What one running server holds: settings, database, keys and clock, wired in one place."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tollgate.auth.service import AccessClaims, Keys, load_keys, verify_access_token
from tollgate.config import Settings
from tollgate.db import make_engine, make_sessionmaker, unit_of_work
from tollgate.documents import isolation
from tollgate.documents.decoder import Decoder
from tollgate.documents.storage import FileStore, LocalFileStore, S3FileStore
from tollgate.keystore import load_key_source
from tollgate.kit.clock import Clock, SystemClock
from tollgate.kit.crypto import Keyring, attach
from tollgate.ratelimit import Limiter
from tollgate.sandbox.clock import clocks_for
from tollgate.sandbox.policies import SandboxPolicies
from tollgate.uow import UnitOfWork
from tollgate.verification.policies import Policies
from tollgate.verification.transitions import Actor


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    keys: Keys
    files: FileStore
    # The data keys sealing personal data at rest (also attached to ``engine`` for sealed columns).
    keyring: Keyring
    clock: Clock = field(default_factory=SystemClock)
    policies: Policies = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    # Decodes uploaded files on low-priority threads of their own (documents/decoder.py).
    decoder: Decoder = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    # Rate limits shared through the database (ratelimit.py).
    limiter: Limiter = field(init=False, repr=False)
    # A token's signature and claims never change: each is verified once per process, on the event loop.
    verify_token: Callable[[str], AccessClaims] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.policies is None:
            self.policies = (
                SandboxPolicies(self.settings) if self.settings.sandbox else Policies(self.settings)
            )
        if self.decoder is None:
            self.decoder = Decoder(
                self.settings.decode_threads, self.settings.decode_nice, isolation.Bounds.of(self.settings)
            )
        self.limiter = Limiter(self.write_sessions, sync_seconds=self.settings.rate_limit_sync_seconds)
        self.verify_token = functools.lru_cache(maxsize=4096)(
            functools.partial(verify_access_token, self.keys, self.settings)
        )

    def now(self) -> datetime:
        return self.clock.now()

    def work(self, session: Session, actor: Actor, client_pk: uuid.UUID | None = None) -> UnitOfWork:
        """The unit of work of ``session`` for ``actor``, on the clock of ``client_pk`` (sandbox mode)."""
        return UnitOfWork(
            session, self.settings, self.clock, self.policies, actor, self.skew_for(client_pk, session)
        )

    def skew_for(self, client_pk: uuid.UUID | None, session: Session | None = None) -> timedelta:
        """How far an API client's clock is ahead of the server's: its own clock in sandbox mode
        (docs/sandbox.md), none in live mode."""
        if client_pk is None or not self.settings.sandbox:
            return timedelta(0)
        return clocks_for(self.engine).offset(client_pk, session)

    def now_for(self, client_pk: uuid.UUID | None, session: Session | None = None) -> datetime:
        """Now as an API client sees it."""
        return self.clock.now() + self.skew_for(client_pk, session)


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
    writer = make_sessionmaker(engine)
    reader = make_sessionmaker(engine, write=False)
    clock = clock or SystemClock()
    source = load_key_source(settings)
    attach(engine, source.keyring)
    with unit_of_work(writer) as session:
        keys = load_keys(session, source, clock.now())
    return Runtime(settings, engine, writer, reader, keys, build_file_store(settings), source.keyring, clock)


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with request_transaction(runtime, request.method) as session:
        yield session


def request_transaction(runtime: Runtime, method: str) -> AbstractContextManager[Session]:
    """A request's transaction: a reader for GET, HEAD and OPTIONS, a writer otherwise, with the one
    transaction rule of ``db.unit_of_work``."""
    return unit_of_work(runtime.read_sessions if method in _READ_METHODS else runtime.write_sessions)


SessionDep = Annotated[Session, Depends(request_session, scope="function")]
