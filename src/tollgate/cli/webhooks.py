"""`tollgate webhooks ...` and `tollgate listen`: an API client's webhook endpoints and events."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, NoReturn

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from tollgate.auth import service as auth
from tollgate.cli.common import describe_refusal, fail, open_runtime, parse_uuid, show_table
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError
from tollgate.kit.timefmt import fractional_z
from tollgate.webhooks import present as webhooks_present
from tollgate.webhooks import service as webhooks
from tollgate.webhooks import signing
from tollgate.webhooks.schemas import EndpointCreate, EventType
from tollgate.webhooks.urls import Rules

webhooks_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")
listen_app = typer.Typer(rich_markup_mode="markdown")

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
            fail(f"no client with client_id or name {client!r}")
        return found.id
    every = auth.list_clients(session)
    if len(every) != 1:
        fail(f"there are {len(every)} clients: name one with --client")
    return every[0].id


def _fail(exc: TollgateError) -> NoReturn:
    fail(describe_refusal(exc))


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


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="Where events are POSTed")],
    event_type: EventTypesOption = None,
    client: ClientOption = None,
) -> None:
    """Register an endpoint; prints it as JSON with its secret (shown only now)."""
    runtime = open_runtime()
    body = EndpointCreate(url=url, event_types=event_type or list(EventType))
    try:
        with unit_of_work(runtime.write_sessions) as session:
            pk = _client_pk(session, client)
            mode = Rules.of(runtime.settings)
            endpoint, secret = webhooks.create_endpoint(session, pk, body, runtime.now_for(pk, session), mode)
            out = webhooks_present.endpoint(endpoint, secret=secret)
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@webhooks_app.command("list")
def webhooks_list(
    client: ClientOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The client's endpoints (never their secrets)."""
    runtime = open_runtime()
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
    show_table(table)


@webhooks_app.command("remove")
def webhooks_remove(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    client: ClientOption = None,
) -> None:
    """Delete an endpoint and its delivery history."""
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            webhooks.delete_endpoint(
                session, _client_pk(session, client), parse_uuid(endpoint_id, "endpoint id")
            )
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps({"deleted": endpoint_id}))


@webhooks_app.command("rotate-secret")
def webhooks_rotate_secret(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id")],
    grace: Annotated[
        int | None,
        typer.Option("--grace", min=0, help="Seconds the old secret keeps signing (default: server setting)"),
    ] = None,
    client: ClientOption = None,
) -> None:
    """Issue a new secret for an endpoint; prints it as JSON (shown only now)."""
    runtime = open_runtime()
    seconds = runtime.settings.webhook_secret_grace_seconds if grace is None else grace
    try:
        with unit_of_work(runtime.write_sessions) as session:
            endpoint, secret = webhooks.rotate_secret(
                session,
                _client_pk(session, client),
                parse_uuid(endpoint_id, "endpoint id"),
                runtime.now(),
                timedelta(seconds=seconds),
            )
            out = webhooks_present.endpoint(endpoint, secret=secret)
    except TollgateError as exc:
        _fail(exc)
    typer.echo(json.dumps(out))


@webhooks_app.command("resend")
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
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            pk = _client_pk(session, client)
            now = runtime.now_for(pk, session)
            if failed_since is not None:
                since = parse_since(failed_since, now)  # the client's clock; deliveries run on the server's
                count = webhooks.resend_failed_since(session, pk, since, runtime.now())
                out: dict[str, object] = {"resent": count}
            else:
                target = parse_uuid(endpoint, "endpoint id") if endpoint else None
                which = parse_uuid(str(event_id), "event id")
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


@webhooks_app.command("events")
def webhooks_events(
    client: ClientOption = None,
    failed: Annotated[bool, typer.Option("--failed", help="Only events with a failed delivery")] = False,
    limit: Annotated[int, typer.Option(min=1, max=512, help="How many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The client's latest events with the state of their deliveries (failed ones are dead letters)."""
    runtime = open_runtime()
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
    show_table(table)


@listen_app.command()
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
    runtime = open_runtime()
    with unit_of_work(runtime.read_sessions) as session:
        pk = _client_pk(session, client)
        # Every event committed after "Ready!" is forwarded.
        after = webhooks.last_event_number(session, pk)
    secret = secret or signing.new_secret()
    typer.echo(f"Ready! Forwarding events to {forward_to} (Ctrl-C to quit)")
    typer.echo(f"Signing secret: {secret}")

    def report(f: Forwarded) -> None:
        answer = f"error: {f.error}" if f.status_code is None else f"[{f.status_code}] ({f.duration_ms} ms)"
        typer.echo(f"{fractional_z(f.created_at)}  {f.event_type:<16}  {f.event_id}  -> {answer}")

    types = {t.value for t in event_type} if event_type else None
    with contextlib.suppress(KeyboardInterrupt):
        forward_events(
            runtime, pk, forward_to, secret, report, after=after, event_types=types, max_events=max_events
        )
