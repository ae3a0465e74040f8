"""Engine, sessions and the one place that commits.

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on; PostgreSQL goes through psycopg 3.
Both run the same Alembic migrations. Errors never print bind parameters (they carry personal data).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite keeps no zone, so it is stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Plain JSON on PostgreSQL too (not JSONB): JSONB reorders object keys, and the stored rejection reasons
# and RFIs must come back in Fin's key order.
JSONType = JSON()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_BUSY_SECONDS = 30
_HOLDS_WRITER = "tollgate_holds_writer"


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)

        # Let SQLite take the write lock at BEGIN, so concurrent writers queue on busy_timeout
        # instead of failing with "database is locked" when they upgrade a read lock.
        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            dbapi_connection.isolation_level = None

        # SQLite has one writer at a time. Writers of this process queue on a lock of their own first:
        # a thread waiting on it wakes the moment the writer before it ends, while busy_timeout polls
        # with sleeps of up to 100 ms, which put seconds on the slowest creates under load
        # (docs/benchmarks.md). busy_timeout still arbitrates between processes.
        writer = threading.Lock()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # Writers take the lock at BEGIN (IMMEDIATE) so they queue on busy_timeout; readers stay
            # deferred so WAL lets them run beside a writer.
            write = conn.get_execution_options().get("tollgate_write", True)
            if write and writer.acquire(timeout=SQLITE_BUSY_SECONDS):
                conn.info[_HOLDS_WRITER] = True
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            except BaseException:
                _release(conn)
                raise

        def _release(conn: Any) -> None:
            if conn.info.pop(_HOLDS_WRITER, False):
                writer.release()

        event.listen(engine, "commit", _release)
        event.listen(engine, "rollback", _release)

        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=True, hide_parameters=True
    )


def make_sessionmaker(
    engine: Engine, *, write: bool = True, info: dict[str, Any] | None = None
) -> sessionmaker[Session]:
    """Sessions for writing (the default) or for read-only requests; ``info`` is copied to each session."""
    bind = engine if write else engine.execution_options(tollgate_write=False)
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False, info=info or {})


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction, the same rule for requests, commands and jobs: commits when the block ends
    normally, rolls back on any exception, except one that says its changes must stay (``keeps_changes``,
    e.g. a refresh-token family revoked on reuse), which commits and is raised all the same."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        if getattr(exc, "keeps_changes", False):
            session.commit()
        else:
            session.rollback()
        raise
    finally:
        session.close()
