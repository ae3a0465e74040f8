"""`tollgate clients ...`: API clients (tenants) and their credentials."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from tollgate.auth import service as auth
from tollgate.auth.models import ApiClient
from tollgate.cli.common import fail, open_runtime, show_table
from tollgate.db import unit_of_work
from tollgate.kit.timefmt import seconds_z

clients_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option("--name", help="A unique name for the client")],
    reliance: Annotated[bool, typer.Option("--reliance", help="Allow verification_type RELIANCE")] = False,
) -> None:
    """Create an API client and print its credentials as JSON (the secret is shown only now)."""
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        if auth.get_client_by_name(session, name) is not None:
            fail(f"a client named {name!r} already exists")
        creds = auth.create_client(session, runtime.keys, runtime.now(), name=name, reliance=reliance)
    typer.echo(json.dumps({"client_id": creds.client_id, "client_secret": creds.client_secret}))


@clients_app.command("list")
def clients_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List API clients (never their secrets)."""
    runtime = open_runtime()
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
    show_table(table)


def _client(session: Session, client_id: str) -> ApiClient:
    """The client named by ``client_id``, or the command ends saying there is none."""
    client = auth.get_client_by_client_id(session, client_id)
    if client is None:
        fail(f"no client with client_id {client_id}")
    return client


@clients_app.command("rotate-secret")
def clients_rotate(client_id: Annotated[str, typer.Argument(help="The client_id to rotate")]) -> None:
    """Issue a new secret. The old secret stops working and every token of the client is revoked."""
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        client = _client(session, client_id)
        creds = auth.rotate_secret(session, runtime.keys, runtime.now(), client)
    typer.echo(json.dumps({"client_id": creds.client_id, "client_secret": creds.client_secret}))


@clients_app.command("set-reliance")
def clients_set_reliance(
    client_id: Annotated[str, typer.Argument(help="The client's client_id")],
    enabled: Annotated[
        bool, typer.Option("--enabled/--disabled", help="Allow RELIANCE, or forbid it")
    ] = True,
) -> None:
    """Allow or forbid verification_type RELIANCE for a client."""
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        client = _client(session, client_id)
        auth.set_reliance(session, client, enabled, runtime.now())
    typer.echo(json.dumps({"client_id": client_id, "reliance": enabled}))


@clients_app.command("disable")
def clients_disable(
    client_id: Annotated[str, typer.Argument(help="The client's client_id")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable the client again instead")] = False,
) -> None:
    """Disable a client: it gets no tokens and its tokens stop working on every server process within
    TOLLGATE_AUTH_CACHE_MS. With --enable, undo it: its tokens whose login was not revoked work again."""
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        client = _client(session, client_id)
        auth.set_disabled(session, client, not enable, runtime.now())
    typer.echo(json.dumps({"client_id": client_id, "disabled": not enable}))
