"""A real Tollgate server for a test session: `tollgate serve` in a subprocess on a free loopback port,
with a temporary data home (SQLite database, file store, keys), or a temporary database created on a
PostgreSQL server and dropped at the end. Nothing of it outlives :meth:`TollgateServer.stop`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tollgate.runtime import Runtime


@dataclass(frozen=True)
class Credentials:
    """An API client of the test server: what an integrator configures their client with."""

    base_url: str
    client_id: str
    client_secret: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(base_url: str, process: subprocess.Popen[Any], timeout: float) -> None:
    """Return once the server at ``base_url`` answers; raise when ``process`` exits or time runs out."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the Tollgate server exited with status {process.returncode} at start")
        try:
            if httpx.get(f"{base_url}/v1/countries", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Tollgate server did not answer within {timeout} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    """Stop a server as Ctrl-C does (it finishes what it serves), killing it if it takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class TollgateServer:
    """Start with :meth:`start`, make API clients with :meth:`new_client`, end with :meth:`stop`."""

    def __init__(self, *, postgres_url: str | None = None, startup_timeout: float = 60.0) -> None:
        self.postgres_url = postgres_url
        self.startup_timeout = startup_timeout
        self.home = Path(tempfile.mkdtemp(prefix="tollgate-test-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{self.home / 'tollgate.db'}"
        self._database_name: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._runtime: Runtime | None = None
        self._keys = ""
        self._clients = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> TollgateServer:
        from tollgate.kit.crypto import Keyring
        from tollgate.migrate import upgrade

        keyring = Keyring.generate()
        self._keys = json.dumps(keyring.to_document())
        if self.postgres_url:
            self.database_url = self._create_database(self.postgres_url)
        upgrade(self.database_url, keyring=keyring)
        # The sandbox keys (signing key, pepper) are made here, before the server reads them.
        self._runtime = self._build_runtime()
        log = (self.home / "server.log").open("wb")
        self._process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "tollgate", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.environment(),
            cwd=self.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            wait_until_up(self.base_url, self._process, self.startup_timeout)
        except RuntimeError as exc:
            log_text = self.log()
            self.stop()
            raise RuntimeError(f"{exc}:\n{log_text}") from None
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            stop(process)
        if self._runtime is not None:
            self._runtime.engine.dispose()
            self._runtime.decoder.close()
            self._runtime = None
        if self._database_name is not None and self.postgres_url:
            self._drop_database(self.postgres_url, self._database_name)
            self._database_name = None
        shutil.rmtree(self.home, ignore_errors=True)

    def environment(self) -> dict[str, str]:
        """The server's environment: the caller's, without its own TOLLGATE_* settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
        env.update(
            TOLLGATE_HOME=str(self.home),
            TOLLGATE_DATABASE_URL=self.database_url,
            TOLLGATE_KEYS=self._keys,
            TOLLGATE_PUBLIC_BASE_URL=self.base_url,
            TOLLGATE_MODE="sandbox",
            # Webhook retries every second or two: a test waits for a redelivery, not for minutes.
            TOLLGATE_WEBHOOK_RETRY_SCHEDULE_SANDBOX="[1, 1, 2, 2, 5]",
        )
        return env

    def log(self) -> str:
        path = self.home / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ------------------------------------------------------------------ API clients

    def _build_runtime(self) -> Runtime:
        from tollgate.config import Mode, Settings
        from tollgate.runtime import build_runtime

        settings = Settings(
            home=self.home,
            database_url=self.database_url,
            storage_dir=str(self.home / "files"),
            keys=self._keys,
            public_base_url=self.base_url,
            mode=Mode.SANDBOX,
        )
        return build_runtime(settings)

    def new_client(self, name: str | None = None) -> Credentials:
        """A new API client (a tenant of its own: it sees none of the other clients' customers)."""
        from tollgate.auth import service as auth
        from tollgate.db import unit_of_work

        runtime = self._runtime
        if runtime is None:
            raise RuntimeError("the server is not running")
        self._clients += 1
        with unit_of_work(runtime.write_sessions) as session:
            issued = auth.create_client(
                session, runtime.keys, runtime.now(), name=name or f"test-client-{self._clients}"
            )
        return Credentials(self.base_url, issued.client_id, issued.client_secret)

    # ------------------------------------------------------------------ PostgreSQL

    def _create_database(self, url: str) -> str:
        from sqlalchemy.engine import make_url

        name = f"tollgate_test_{uuid.uuid4().hex[:12]}"
        _run_sql(url, f'CREATE DATABASE "{name}"')
        self._database_name = name
        return make_url(url).set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def _drop_database(url: str, name: str) -> None:
        _run_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_sql(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE and DROP DATABASE need that)."""
    from sqlalchemy import text

    from tollgate.db import make_engine

    engine = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
