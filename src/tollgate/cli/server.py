"""`tollgate migrate | bootstrap | serve | worker`: the server's database, first accounts and processes."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tollgate.auth import service as auth
from tollgate.cli.common import check_database, ensure_sqlite_dir, fail, migrate_database, open_runtime
from tollgate.config import get_settings
from tollgate.db import unit_of_work
from tollgate.keystore import load_key_source
from tollgate.kit.crypto import KeyError_
from tollgate.runtime import Runtime

server_app = typer.Typer(rich_markup_mode="markdown")
console = Console()


@server_app.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""
    settings = get_settings()
    ensure_sqlite_dir(settings.database_url)
    try:
        migrate_database(settings.database_url)
    except KeyError_ as exc:
        fail(f"cannot migrate: {exc}")
    console.print("[green]database is up to date[/green]")


@server_app.command()
def bootstrap(
    name: Annotated[str, typer.Option(help="Name of the development client")] = "demo",
    credentials_file: Annotated[
        Path | None,
        typer.Option(help="Where its credentials are kept", show_default="demo-client.json in TOLLGATE_HOME"),
    ] = None,
    admin_file: Annotated[
        Path | None,
        typer.Option(
            help="Where the console's first admin is kept", show_default="console-admin.json in TOLLGATE_HOME"
        ),
    ] = None,
) -> None:
    """Migrate, then create the development client and the console's first admin unless they exist.

    Prints their credentials (secrets only to a terminal) and the console's URL."""
    settings = get_settings()
    credentials_file = credentials_file or settings.home / "demo-client.json"
    admin_file = admin_file or settings.home / "console-admin.json"
    ensure_sqlite_dir(settings.database_url)
    migrate_database(settings.database_url)
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        existing = auth.get_client_by_name(session, name)
        if existing is None:
            creds = auth.create_client(session, runtime.keys, runtime.now(), name=name)
            record = {"client_id": creds.client_id, "client_secret": creds.client_secret}
        else:
            record = None
    if record is not None:
        _keep(credentials_file, record)
        console.print(f"created API client [bold]{name}[/bold]")
    elif credentials_file.exists():
        record = json.loads(credentials_file.read_text())
    if record is None:
        console.print(
            f"API client {name!r} exists but {credentials_file} is gone; "
            f"run `tollgate clients rotate-secret <client_id>` for a new secret."
        )
        _first_admin(runtime, admin_file)
        return
    console.print(f"  client_id:     {record['client_id']}", highlight=False)
    # The secret goes to a terminal only: `make run > server.log` must not put it in a log.
    if not _to_terminal(f"  client_secret: {record['client_secret']}\n"):
        console.print("  client_secret: (not written: the output is not a terminal)", highlight=False)
    console.print(f"  (shown again with: cat {credentials_file})", highlight=False)
    _first_admin(runtime, admin_file)


def _first_admin(runtime: Runtime, admin_file: Path) -> None:
    """The reviewer console's first admin, created once when there is no admin; kept like the demo client's
    credentials (a 0600 file; the password printed to a terminal only)."""
    import secrets

    from sqlalchemy import select

    from tollgate.verification import operators as ops
    from tollgate.verification.models import Operator

    url = runtime.settings.public_base_url.rstrip("/") + "/console"
    record = None
    with unit_of_work(runtime.write_sessions) as session:
        has_admin = session.scalars(select(Operator.id).where(Operator.role == ops.Role.ADMIN.value)).first()
        if has_admin is None:
            username = (
                "admin" if ops.get_by_username(session, "admin") is None else f"admin-{secrets.token_hex(3)}"
            )
            password = secrets.token_urlsafe(15)
            ops.create_operator(
                session, runtime.now(), username=username, password=password, role=ops.Role.ADMIN
            )
            record = {"username": username, "password": password, "console": url}
    if record is not None:
        _keep(admin_file, record)
        console.print(f"created the console's first admin [bold]{record['username']}[/bold]")
    elif admin_file.exists():
        record = json.loads(admin_file.read_text())
    console.print(f"reviewer console: {url}", highlight=False)
    if record is None:
        console.print("  (an admin exists; `tollgate operators list` shows the operators)", highlight=False)
        return
    console.print(f"  username:      {record['username']}", highlight=False)
    if not _to_terminal(f"  password:      {record['password']}\n"):
        console.print("  password:      (not written: the output is not a terminal)", highlight=False)
    console.print(f"  (shown again with: cat {admin_file})", highlight=False)


def _keep(path: Path, record: dict[str, str]) -> None:
    """Write credentials where only their owner reads them (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=2)


def _to_terminal(text: str) -> bool:
    """Write ``text`` where only a person sees it: stdout when it is a terminal, else the controlling
    terminal; False when there is none (output redirected, no tty)."""
    if sys.stdout.isatty():
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    try:
        with open("/dev/tty", "w") as tty:
            tty.write(text)
        return True
    except OSError:
        return False


@server_app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Bind address", show_default="TOLLGATE_HOST, else 127.0.0.1")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on", show_default="TOLLGATE_PORT, else 8000")
    ] = None,
    workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
    job_worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Also run the job workers (checks, webhook deliveries) here",
            show_default="TOLLGATE_SERVE_WORKER, else yes",
        ),
    ] = None,
    worker_threads: Annotated[int, typer.Option(min=1, help="Job worker threads")] = 4,
    ephemeral: Annotated[
        bool,
        typer.Option(
            "--ephemeral",
            help="A new database and file store in a temporary folder, deleted at exit; prints an API "
            "client's credentials as one JSON line on stdout (`--port 0`: any free port)",
        ),
    ] = False,
) -> None:
    """Serve the API with uvicorn, and run the job workers in the same process unless --no-worker.

    Serving on another port or host? Set `TOLLGATE_PUBLIC_BASE_URL` to match: the terms-of-service links,
    the JWT issuer and the console's links are built from it. With `--ephemeral` it is set for you."""
    if ephemeral:
        with tempfile.TemporaryDirectory(prefix="tollgate-ephemeral-") as home:
            host, port = _ephemeral_home(Path(home), host, port)
            _serve(host, port, workers, job_worker, worker_threads)
        return
    _serve(host, port, workers, job_worker, worker_threads)


def _ephemeral_home(home: Path, host: str | None, port: int | None) -> tuple[str, int]:
    """Point every setting at ``home``, migrate, make an API client and print its credentials."""
    from tollgate.kit.crypto import Keyring

    host = host or get_settings().host
    port = port if port is not None else get_settings().port
    if port == 0:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
    base_url = f"http://{host}:{port}"
    os.environ.update(
        TOLLGATE_HOME=str(home),
        TOLLGATE_DATABASE_URL=f"sqlite:///{home / 'tollgate.db'}",
        TOLLGATE_STORAGE_DIR=str(home / "files"),
        TOLLGATE_KEYS=json.dumps(Keyring.generate().to_document()),
        TOLLGATE_PUBLIC_BASE_URL=base_url,
    )
    for name in ("TOLLGATE_KEY_FILE", "TOLLGATE_SIGNING_KEY", "TOLLGATE_SECRET_PEPPER"):
        os.environ.pop(name, None)
    get_settings.cache_clear()
    migrate_database()
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        creds = auth.create_client(session, runtime.keys, runtime.now(), name="ephemeral")
    runtime.engine.dispose()
    runtime.decoder.close()
    line = {"client_id": creds.client_id, "client_secret": creds.client_secret, "base_url": base_url}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    return host, port


def _serve(
    host: str | None, port: int | None, workers: int, job_worker: bool | None, worker_threads: int
) -> None:
    import uvicorn

    from tollgate.jobs.worker import Worker

    settings = get_settings()
    try:
        load_key_source(settings)
    except KeyError_ as exc:
        fail(f"cannot start: {exc}")
    # The app is built inside uvicorn, where a missing table would end in a long traceback: check first.
    check_database(settings)
    run_jobs = settings.serve_worker if job_worker is None else job_worker
    background = Worker(open_runtime(), threads=worker_threads) if run_jobs else None
    if background is not None:
        background.start()
    try:
        uvicorn.run(
            "tollgate.app:create_app",
            factory=True,
            host=host or settings.host,
            port=settings.port if port is None else port,
            workers=workers,
            log_level="info",
            access_log=False,
        )
    finally:
        if background is not None:
            background.stop()


# ---------------------------------------------------------------- job workers


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@server_app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="Threads claiming jobs")] = 4,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit")] = False,
) -> None:
    """Run the job workers (webhook deliveries and other background jobs) until stopped."""
    import signal

    from tollgate.jobs.worker import Worker, drain

    runtime = open_runtime()
    if once:
        typer.echo(json.dumps({"jobs_run": drain(runtime)}))
        return
    signal.signal(signal.SIGTERM, _interrupt)
    console.print(f"worker running with {threads} threads (Ctrl-C to stop)", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        Worker(runtime, threads=threads).run_forever()
