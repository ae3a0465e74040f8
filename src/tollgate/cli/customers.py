"""`tollgate customers find`: exact search by tax id or document number, through the blind index;
`tollgate customers rebuild-views`: render every customer's stored bodies again (the read model)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from tollgate.auth.models import ApiClient
from tollgate.cli.common import open_runtime
from tollgate.customers import readmodel, search
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime

customers_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")
console = Console()


@customers_app.command("find")
def find(
    tax_id: Annotated[str | None, typer.Option(help="An exact tax id (separators and case aside)")] = None,
    document_number: Annotated[str | None, typer.Option(help="An exact identity document number")] = None,
) -> None:
    """Print the customers (id, client, type, status) whose tax id or document number is the one given."""
    if (tax_id is None) == (document_number is None):
        console.print("[red]give exactly one of --tax-id and --document-number[/red]")
        raise typer.Exit(2)
    runtime: Runtime = open_runtime()
    kind, value = (search.TAX_ID, tax_id) if tax_id is not None else (search.DOCUMENT_NUMBER, document_number)
    assert value is not None
    with unit_of_work(runtime.read_sessions) as session:
        ids = search.find_customers(session, runtime.keyring, kind, value)
        rows = session.execute(
            select(Customer.id, ApiClient.name, Customer.type, Customer.status)
            .join(ApiClient, ApiClient.id == Customer.client_pk)
            .where(Customer.id.in_(ids))
            .order_by(Customer.created_at, Customer.id)
        ).all()
    for row in rows:
        console.print(f"{row.id}  {row.name}  {row.type}  {row.status}", highlight=False)
    if not rows:
        console.print("no customer found")
    runtime.engine.dispose()


@customers_app.command("rebuild-views")
def rebuild_views() -> None:
    """Render every customer's detail body and list item again and store them (customers.readmodel), in
    one transaction: the bodies a read serves equal a fresh render when it ends. Writes are rendered at
    commit already; this is for a database changed by hand or restored from a dump of an older release."""
    runtime: Runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        total = readmodel.rebuild(session, progress=lambda n: console.print(f"{n} rendered", highlight=False))
    console.print(f"[green]{total} customers rendered[/green]", highlight=False)
    runtime.engine.dispose()
