from __future__ import annotations

import contextlib
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from tollgate.auth import service as auth
from tollgate.config import get_settings
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError, ValidationFailed
from tollgate.keystore import load_key_source
from tollgate.kit.crypto import KeyError_, Keyring
from tollgate.kit.timefmt import fractional_z, seconds_z
from tollgate.runtime import Runtime, build_runtime
from tollgate.webhooks import present as webhooks_present
from tollgate.webhooks import service as webhooks
from tollgate.webhooks import signing
from tollgate.webhooks.schemas import EndpointCreate, EventType

app = typer.Typer(help="Tollgate: customer onboarding server.", no_args_is_help=True)
clients = typer.Typer(help="API clients (tenants) and their credentials.", no_args_is_help=True)
app.add_typer(clients, name="clients")

from tollgate.cli.jobs import jobs_app  # noqa: E402
from tollgate.cli.operators import operators_app  # noqa: E402
from tollgate.cli.review import review_app  # noqa: E402

app.add_typer(operators_app, name="operators")
app.add_typer(review_app, name="review")

from tollgate.cli.sandbox import sandbox_app, seed  # noqa: E402

app.add_typer(sandbox_app, name="sandbox")
app.command("seed")(seed)
app.add_typer(jobs_app, name="jobs")

from tollgate.cli.customers import customers_app  # noqa: E402
from tollgate.cli.keys import keys_app  # noqa: E402

app.add_typer(keys_app, name="keys")
app.add_typer(customers_app, name="customers")
console = Console()


def open_runtime() -> Runtime:
    """The runtime of the configured server; missing keys (live mode) end the command with their reason."""
    try:
        return build_runtime(get_settings())
    except KeyError_ as exc:
        console.print(f"[red]cannot start: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None


_runtime = open_runtime


def migrate_database(url: str | None = None, keyring: Keyring | None = None) -> None:
    from tollgate.migrate import upgrade

    # Migrations that seal stored values take these keys (default: the configured ones).
    upgrade(url or get_settings().database_url, keyring=keyring)


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.parent and str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)


@app.command()
def migrate() -> None:
    """Apply database migrations up to the latest."""
    settings = get_settings()
    _ensure_sqlite_dir(settings.database_url)
    try:
        migrate_database(settings.database_url)
    except KeyError_ as exc:
        console.print(f"[red]cannot migrate: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print("[green]database is up to date[/green]")


@clients.command("create")
def clients_create(
    name: Annotated[str, typer.Option("--name", help="A unique name for the client")],
    reliance: Annotated[bool, typer.Option("--reliance", help="Allow verification_type RELIANCE")] = False,
) -> None:
    """Create an API client and print its credentials as JSON (the secret is shown only now)."""
    runtime = _runtime()
    with unit_of_work(runtime.write_sessions) as session:
        if auth.get_client_by_name(session, name) is not None:
            console.print(f"[red]a client named {name!r} already exists[/red]", highlight=False)
            raise typer.Exit(1)
        creds = auth.create_client(session, runtime.keys, runtime.now(), name=name, reliance=reliance)
    typer.echo(json.dumps({"client_id": creds.client_id, "client_secret": creds.client_secret}))


@clients.command("list")
def clients_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List API clients (never their secrets)."""
    runtime = _runtime()
    with unit_of_work(runtime.read_sessions) as session:
        rows = [
            {
                "name": c.name,
                "client_id": c.client_id,
                "reliance": c.reliance_enabled,
                "created_at": seconds_z(c.created_at),
            }
            for c in auth.list_clients(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("name", "client_id", "reliance", "created_at")
    for r in rows:
        reliance = "yes" if r["reliance"] else "no"
        table.add_row(str(r["name"]), str(r["client_id"]), reliance, str(r["created_at"]))
    console.print(table)


@clients.command("rotate-secret")
def clients_rotate(client_id: Annotated[str, typer.Argument(help="The client_id to rotate")]) -> None:
    """Issue a new secret. The old secret stops working and every token of the client is revoked."""
    runtime = _runtime()
    with unit_of_work(runtime.write_sessions) as session:
        client = auth.get_client_by_client_id(session, client_id)
        if client is None:
            console.print(f"[red]no client with client_id {client_id}[/red]", highlight=False)
            raise typer.Exit(1)
        creds = auth.rotate_secret(session, runtime.keys, runtime.now(), client)
    typer.echo(json.dumps({"client_id": creds.client_id, "client_secret": creds.client_secret}))


@clients.command("set-reliance")
def clients_set_reliance(
    client_id: Annotated[str, typer.Argument()],
    enabled: Annotated[bool, typer.Option("--enabled/--disabled")] = True,
) -> None:
    """Allow or forbid verification_type RELIANCE for a client."""
    runtime = _runtime()
    with unit_of_work(runtime.write_sessions) as session:
        client = auth.get_client_by_client_id(session, client_id)
        if client is None:
            console.print(f"[red]no client with client_id {client_id}[/red]", highlight=False)
            raise typer.Exit(1)
        auth.set_reliance(session, client, enabled, runtime.now())
    typer.echo(json.dumps({"client_id": client_id, "reliance": enabled}))


@app.command()
def bootstrap(
    name: Annotated[str, typer.Option(help="Name of the development client")] = "demo",
    credentials_file: Annotated[
        Path | None,
        typer.Option(help="Where its credentials are kept  [default: demo-client.json in TOLLGATE_HOME]"),
    ] = None,
    admin_file: Annotated[
        Path | None,
        typer.Option(
            help="Where the console's first admin is kept  [default: console-admin.json in TOLLGATE_HOME]"
        ),
    ] = None,
) -> None:
    """Migrate, create the development client and the console's first admin if there are none; print
    their credentials and the console's URL."""
    settings = get_settings()
    credentials_file = credentials_file or settings.home / "demo-client.json"
    admin_file = admin_file or settings.home / "console-admin.json"
    _ensure_sqlite_dir(settings.database_url)
    migrate_database(settings.database_url)
    runtime = _runtime()
    with unit_of_work(runtime.write_sessions) as session:
        existing = auth.get_client_by_name(session, name)
        if existing is None:
            creds = auth.create_client(session, runtime.keys, runtime.now(), name=name)
            record = {"client_id": creds.client_id, "client_secret": creds.client_secret}
        else:
            record = None
    if record is not None:
        credentials_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(credentials_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2)
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
        admin_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(admin_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2)
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


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
    job_worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Also run the job workers (checks, webhook deliveries) here; default TOLLGATE_SERVE_WORKER",
        ),
    ] = None,
    worker_threads: Annotated[int, typer.Option(min=1, help="Job worker threads")] = 4,
) -> None:
    """Serve the API with uvicorn, and run the job workers in the same process unless --no-worker."""
    import uvicorn

    from tollgate.jobs.worker import Worker

    settings = get_settings()
    try:
        load_key_source(settings)
    except KeyError_ as exc:
        console.print(f"[red]cannot start: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    run_jobs = settings.serve_worker if job_worker is None else job_worker
    background = Worker(_runtime(), threads=worker_threads) if run_jobs else None
    if background is not None:
        background.start()
    try:
        uvicorn.run(
            "tollgate.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
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


@app.command()
def worker(
    threads: Annotated[int, typer.Option(min=1, help="Threads claiming jobs")] = 4,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit")] = False,
) -> None:
    """Run the job workers (webhook deliveries and other background jobs) until stopped."""
    import signal

    from tollgate.jobs.worker import Worker, drain

    runtime = _runtime()
    if once:
        typer.echo(json.dumps({"jobs_run": drain(runtime)}))
        return
    signal.signal(signal.SIGTERM, _interrupt)
    console.print(f"worker running with {threads} threads (Ctrl-C to stop)", highlight=False)
    with contextlib.suppress(KeyboardInterrupt):
        Worker(runtime, threads=threads).run_forever()


# ---------------------------------------------------------------- webhooks

webhooks_cli = typer.Typer(help="Webhook endpoints and events of an API client.", no_args_is_help=True)
app.add_typer(webhooks_cli, name="webhooks")

ClientOption = Annotated[
    str | None, typer.Option("--client", help="client_id or name; optional when there is only one client")
]
EventTypesOption = Annotated[
    list[EventType] | None, typer.Option("--event-type", help="Repeat for several; all types by default")
]


def _client_pk(session: Session, client: str | None) -> uuid.UUID:
    if client:
        found = auth.get_client_by_client_id(session, client) or auth.get_client_by_name(session, client)
        if found is None:
            console.print(f"[red]no client with client_id or name {client!r}[/red]", highlight=False)
            raise typer.Exit(1)
        return found.id
    every = auth.list_clients(session)
    if len(every) != 1:
        console.print(f"[red]there are {len(every)} clients: name one with --client[/red]", highlight=False)
        raise typer.Exit(1)
    return every[0].id


def _fail(exc: TollgateError) -> NoReturn:
    detail = ""
    if isinstance(exc, ValidationFailed):
        detail = "; ".join(f"{path}: {msg}" for path, msg in exc.errors)
    console.print(f"[red]{exc.message}{': ' + detail if detail else ''}[/red]", highlight=False)
    raise typer.Exit(1)


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{what} must be a UUID") from exc


_SPANS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str, now: datetime) -> datetime:
    """``30m`` / ``2h`` / ``1d`` / ``45s`` ago, or an ISO 8601 time (UTC when no offset is given)."""
    text = text.strip()
    if len(text) > 1 and text[-1] in _SPANS and text[:-1].isdigit():
        return now - timedelta(seconds=int(text[:-1]) * _SPANS[text[-1]])
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter("use an ISO 8601 time or a span such as 30m, 2h, 1d") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@webhooks_cli.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where events are POSTed")],
    event_type: EventTypesOption = None,
    client: ClientOption = None,
) -> None:
    """Register an endpoint; prints it as JSON with its secret (shown only now)."""
    runtime = _runtime()
    body = EndpointCreate(url=url, event_types=event_type or list(EventType))
    try:
        with unit_of_work(runtime.write_sessions) as session:
            pk = _client_pk(session, client)
            from tollgate.webhooks.urls import Rules

            mode = Rules.of(runtime.settings)
            endpoint, secret = webhooks.create_endpoint(session, pk, body, runtime.now_for(pk, session), mode)
            out = webhooks_present.endpoint(endpoint, secret=secret)
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@webhooks_cli.command("list")
def webhooks_list(
    client: ClientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The client's endpoints (never their secrets)."""
    runtime = _runtime()
    with unit_of_work(runtime.read_sessions) as session:
        endpoints = webhooks.list_endpoints(session, _client_pk(session, client))
        rows = [webhooks_present.endpoint(e) for e in endpoints]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "url", "enabled", "event types", "created_at")
    for r in rows:
        enabled = "yes" if r["enabled"] else f"no ({r['disabled_reason']})"
        table.add_row(r["id"], r["url"], enabled, ", ".join(r["event_types"]), r["created_at"])
    console.print(table)


@webhooks_cli.command("remove")
def webhooks_remove(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    client: ClientOption = None,
) -> None:
    """Delete an endpoint and its delivery history."""
    runtime = _runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            webhooks.delete_endpoint(session, _client_pk(session, client), _uuid(endpoint_id, "endpoint id"))
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps({"deleted": endpoint_id}))


@webhooks_cli.command("rotate-secret")
def webhooks_rotate_secret(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    grace: Annotated[
        int | None,
        typer.Option("--grace", min=0, help="Seconds the old secret keeps signing (default: server setting)"),
    ] = None,
    client: ClientOption = None,
) -> None:
    """Issue a new secret for an endpoint; prints it as JSON (shown only now)."""
    runtime = _runtime()
    seconds = runtime.settings.webhook_secret_grace_seconds if grace is None else grace
    try:
        with unit_of_work(runtime.write_sessions) as session:
            endpoint, secret = webhooks.rotate_secret(
                session,
                _client_pk(session, client),
                _uuid(endpoint_id, "endpoint id"),
                runtime.now(),
                timedelta(seconds=seconds),
            )
            out = webhooks_present.endpoint(endpoint, secret=secret)
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@webhooks_cli.command("resend")
def webhooks_resend(
    event_id: Annotated[str | None, typer.Argument(help="The event to send again")] = None,
    failed_since: Annotated[
        str | None, typer.Option("--failed-since", help="Deliveries failed since: ISO time, or 30m / 2h / 1d")
    ] = None,
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Only to this endpoint (with EVENT_ID)")
    ] = None,
    client: ClientOption = None,
) -> None:
    """Send one event again, or every failed delivery since a time, with a fresh retry schedule."""
    if (event_id is None) == (failed_since is None):
        raise typer.BadParameter("give an EVENT_ID or --failed-since, not both")
    runtime = _runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            pk = _client_pk(session, client)
            now = runtime.now_for(pk, session)
            if failed_since is not None:
                since = parse_since(failed_since, now)  # the client's clock; deliveries run on the server's
                count = webhooks.resend_failed_since(session, pk, since, runtime.now())
                out: dict[str, object] = {"resent": count}
            else:
                target = _uuid(endpoint, "endpoint id") if endpoint else None
                which = _uuid(str(event_id), "event id")
                event = webhooks.resend_event(
                    session,
                    runtime.settings,
                    runtime.policies.faults,
                    pk,
                    which,
                    runtime.now(),
                    endpoint_id=target,
                )
                out = {"resent": 1, "event_id": str(event.id)}
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@webhooks_cli.command("events")
def webhooks_events(
    client: ClientOption = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only events with a failed delivery")] = False,
    limit: Annotated[int, typer.Option(min=1, max=512, help="How many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The client's latest events with the state of their deliveries (failed ones are dead letters)."""
    runtime = _runtime()
    with unit_of_work(runtime.read_sessions) as session:
        page = webhooks.list_events(session, _client_pk(session, client), per_page=limit, failed=failed)
        by_event = webhooks.deliveries_of(session, [e.id for e in page.events])
        rows = [webhooks_present.event(e, by_event[e.id]) for e in page.events]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("created_at", "type", "event id", "customer", "deliveries")
    for r in rows:
        states = ", ".join(f"{d['status']} ({d['attempts']})" for d in r["deliveries"]) or "-"
        event = r["event"]
        table.add_row(event["created_at"], event["type"], event["id"], event["event_reference_id"], states)
    console.print(table)


@app.command()
def listen(
    forward_to: Annotated[str, typer.Option("--forward-to", help="Local URL that receives the events")],
    client: ClientOption = None,
    secret: Annotated[
        str | None,
        typer.Option("--secret", envvar="TOLLGATE_LISTEN_SECRET", help="whsec_ secret (default: a new one)"),
    ] = None,
    event_type: EventTypesOption = None,
    max_events: Annotated[int | None, typer.Option("--max-events", min=1, help="Stop after N events")] = None,
) -> None:
    """Forward the client's new events to a local URL, signed like deliveries, printing each answer."""
    from tollgate.webhooks.listen import Forwarded
    from tollgate.webhooks.listen import listen as forward_events

    if secret is not None and not secret.startswith(signing.SECRET_PREFIX):
        raise typer.BadParameter(f"the secret must start with {signing.SECRET_PREFIX}")
    runtime = _runtime()
    with unit_of_work(runtime.read_sessions) as session:
        pk = _client_pk(session, client)
    secret = secret or signing.new_secret()
    typer.echo(f"Ready! Forwarding events to {forward_to} (Ctrl-C to quit)")
    typer.echo(f"Signing secret: {secret}")

    def report(f: Forwarded) -> None:
        answer = f"error: {f.error}" if f.status_code is None else f"[{f.status_code}] ({f.duration_ms} ms)"
        typer.echo(f"{fractional_z(f.created_at)}  {f.event_type:<16}  {f.event_id}  -> {answer}")

    types = {t.value for t in event_type} if event_type else None
    with contextlib.suppress(KeyboardInterrupt):
        forward_events(runtime, pk, forward_to, secret, report, event_types=types, max_events=max_events)


@app.command()
def version() -> None:
    """Print Tollgate's version."""
    from importlib.metadata import version as installed

    typer.echo(f"tollgate {installed('tollgate')}")


def main() -> None:
    """The `tollgate` command (also `python -m tollgate`)."""
    app(prog_name="tollgate")


if __name__ == "__main__":
    main()
