"""Test fixtures: a real database (SQLite by default, PostgreSQL when TOLLGATE_TEST_DATABASE_URL is set),
migrated once with Alembic, emptied before each test; the app driven over HTTP."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tollgate.app import create_app
from tollgate.auth import service as auth
from tollgate.cli.common import migrate_database
from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.kit.clock import OffsetClock
from tollgate.kit.crypto import Keyring
from tollgate.models import Base
from tollgate.runtime import Runtime, build_runtime

BASE_URL = "http://tollgate.test"
# Fixed data keys for the test database (a PostgreSQL test database outlives one run).
TEST_KEYRING = Keyring(keys={"test1": b"\x01" * 32}, primary="test1", index_key=b"\x02" * 32)
TEST_KEYS = json.dumps(TEST_KEYRING.to_document())


def pytest_configure(config: pytest.Config) -> None:
    # Commands the tests run would otherwise keep what they write (a key file, demo credentials) in the
    # user's data home: give the run a home of its own, removed at the end.
    if "TOLLGATE_HOME" not in os.environ:
        home = tempfile.mkdtemp(prefix="tollgate-home-")
        os.environ["TOLLGATE_HOME"] = home
        config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TOLLGATE_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tollgate-test.db'}"
    migrate_database(url, keyring=TEST_KEYRING)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    storage = tmp_path_factory.mktemp("files")
    return Settings(
        database_url=database_url,
        public_base_url=BASE_URL,
        storage_dir=str(storage),
        keys=TEST_KEYS,
    )


@pytest.fixture(scope="session")
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture(scope="session")
def runtime(settings: Settings, clock: OffsetClock) -> Iterator[Runtime]:
    rt = build_runtime(settings, clock)
    yield rt
    rt.engine.dispose()


# auth_epoch only ever moves forward: a process caching callers compares it with what it saw last.
_KEEP = {"server_key", "alembic_version", "auth_epoch"}


def _wipe(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in _KEEP:
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def clean_db(runtime: Runtime, clock: OffsetClock) -> Iterator[None]:
    _wipe(runtime)
    clock.offset = timedelta(0)
    yield
    clock.offset = timedelta(0)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def make_client(runtime: Runtime) -> Callable[..., auth.IssuedCredentials]:
    """Create an API client directly through the service; returns its credentials."""
    counter = iter(range(1_000_000))

    def make(name: str | None = None, *, reliance: bool = False) -> auth.IssuedCredentials:
        with unit_of_work(runtime.write_sessions) as session:
            return auth.create_client(
                session,
                runtime.keys,
                runtime.now(),
                name=name or f"client-{next(counter)}",
                reliance=reliance,
            )

    return make


@pytest.fixture
def login(api: TestClient) -> Callable[[auth.IssuedCredentials], dict[str, str]]:
    def do(creds: auth.IssuedCredentials) -> dict[str, str]:
        r = api.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return do


@pytest.fixture
def auth_headers(
    make_client: Callable[..., auth.IssuedCredentials], login: Callable[..., dict[str, str]]
) -> dict[str, str]:
    return login(make_client("main"))


@pytest.fixture
def sql_counter(runtime: Runtime) -> Iterator[list[str]]:
    """Collects every SQL statement the engine runs while the fixture is active."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    yield statements
    event.remove(runtime.engine, "before_cursor_execute", record)
