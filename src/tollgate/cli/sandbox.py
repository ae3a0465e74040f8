"""`tollgate sandbox ...` and `tollgate seed`: the sandbox API from the command line, demo data, fixtures."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from tollgate.auth import service as auth
from tollgate.auth.models import ApiClient
from tollgate.cli.common import describe_refusal, fail, open_runtime, read_json_object
from tollgate.customers import present
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError, from_pydantic
from tollgate.runtime import Runtime
from tollgate.sandbox import bulk as bulk_seeding
from tollgate.sandbox import fixtures, service
from tollgate.sandbox import reference as reference_pages
from tollgate.sandbox import seed as seeding
from tollgate.sandbox.schemas import ClockIn, WebhookFaultsIn
from tollgate.verification import commands, rfi
from tollgate.verification.schemas import ApproveIn, HoldIn, PartyRejectIn, RejectIn, RequestInformationIn

sandbox_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")
err = Console(stderr=True)

ClientOpt = Annotated[str, typer.Option("--client", help="The API client's name or client_id")]
CustomerArg = Annotated[str, typer.Argument(help="The customer's id")]
PartyArg = Annotated[str, typer.Argument(help="The associated party's id")]
BodyOpt = Annotated[Path | None, typer.Option("--body", help="JSON file (or -) with the body the API takes")]


def _runtime() -> Runtime:
    return open_runtime(sandbox_only=True)


def _client(session: Session, name: str) -> ApiClient:
    found = auth.get_client_by_name(session, name) or auth.get_client_by_client_id(session, name)
    if found is None:
        fail(f"no API client with name or client_id {name!r}")
    return found


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{what} must be a UUID", 2)


def _invalid(exc: ValidationError) -> NoReturn:
    fail(f"invalid --body: {describe_refusal(from_pydantic(exc.errors()))}", 2)


@contextmanager
def _transaction(runtime: Runtime) -> Iterator[Session]:
    try:
        with unit_of_work(runtime.write_sessions) as session:
            yield session
    except TollgateError as exc:
        fail(f"refused: {describe_refusal(exc)}")
    except ValidationError as exc:
        _invalid(exc)


def _decide(client: str, make: Callable[[uuid.UUID], commands.Command], customer_id: str) -> None:
    command = make(_uuid(customer_id, "customer id"))
    runtime = _runtime()
    with _transaction(runtime) as session:
        row = _client(session, client)
        customer = service.decide(session, runtime, row.id, row.client_id, command)
        entries = rfi.render_all(rfi.open_rfis(session, customer.id))
        out = present.detail(customer, runtime.settings.public_base_url, entries)
    typer.echo(json.dumps(out, indent=2))


def _parse(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        _invalid(exc)


# ---------------------------------------------------------------- simulated decisions


@sandbox_app.command("approve")
def approve(
    customer_id: CustomerArg,
    client: ClientOpt,
    note: Annotated[str | None, typer.Option(help="A note kept in the audit trail")] = None,
) -> None:
    """Approve a customer, as POST /sandbox/customers/{id}/approve does."""
    _decide(client, ApproveIn(note=note).command, customer_id)


@sandbox_app.command("reject")
def reject(
    customer_id: CustomerArg,
    client: ClientOpt,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="A reject label; repeat for several")
    ] = None,
    comment: Annotated[str, typer.Option(help="Moderation comment for the customer")] = "",
    developer_note: Annotated[str | None, typer.Option(help="Note for the integrator")] = None,
    final: Annotated[bool, typer.Option("--final/--retry", help="Final, or allow a resubmission")] = True,
    body: BodyOpt = None,
) -> None:
    """Reject a customer: final, or (--retry with rfis in --body) ACTION_REQUIRED."""
    data = {
        "reject_labels": label or [],
        "moderation_comment": comment,
        "developer_note": developer_note,
        "final": final,
        **read_json_object(body),
    }
    _decide(client, _parse(RejectIn, data).command, customer_id)


@sandbox_app.command("request-information")
def request_information(
    customer_id: CustomerArg,
    client: ClientOpt,
    body: Annotated[Path, typer.Option("--body", help='JSON file (or -): {"rfis": [...]}')],
) -> None:
    """Raise RFIs on a customer."""
    _decide(client, _parse(RequestInformationIn, read_json_object(body)).command, customer_id)


@sandbox_app.command("hold")
def hold(
    customer_id: CustomerArg,
    client: ClientOpt,
    reason: Annotated[str | None, typer.Option(help="Why the customer is held (audit trail)")] = None,
) -> None:
    """Put a customer on hold (IN_COMPLIANCE)."""
    _decide(client, HoldIn(reason=reason).command, customer_id)


@sandbox_app.command("party-approve")
def party_approve(customer_id: CustomerArg, party_id: PartyArg, client: ClientOpt) -> None:
    """Approve one associated party."""
    pid = _uuid(party_id, "party id")
    _decide(client, lambda cid: commands.ApproveParty(cid, pid), customer_id)


@sandbox_app.command("party-reject")
def party_reject(
    customer_id: CustomerArg,
    party_id: PartyArg,
    client: ClientOpt,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="A reject label; repeat for several")
    ] = None,
    for_customer: Annotated[str | None, typer.Option(help="Comment shown to the customer")] = None,
    for_developer: Annotated[str | None, typer.Option(help="Note for the integrator")] = None,
    body: BodyOpt = None,
) -> None:
    """Reject one associated party (with rfis in --body: ACTION_REQUIRED to resubmit it)."""
    data = {
        "reject_labels": label or [],
        "for_customer": for_customer,
        "for_developer": for_developer,
        **read_json_object(body),
    }
    parsed = _parse(PartyRejectIn, data)
    pid = _uuid(party_id, "party id")
    _decide(client, lambda cid: parsed.party_command(cid, pid), customer_id)


@sandbox_app.command("party-request-information")
def party_request_information(
    customer_id: CustomerArg,
    party_id: PartyArg,
    client: ClientOpt,
    body: Annotated[Path, typer.Option("--body", help='JSON file (or -): {"rfis": [...]}')],
) -> None:
    """Raise RFIs scoped to one associated party."""
    parsed = _parse(RequestInformationIn, read_json_object(body))
    pid = _uuid(party_id, "party id")
    _decide(client, lambda cid: parsed.party_command(cid, pid), customer_id)


# ---------------------------------------------------------------- clock, faults, reset


@sandbox_app.command("clock")
def clock(
    client: ClientOpt,
    advance_by: Annotated[
        str | None, typer.Option("--advance-by", help="ISO 8601 duration (P1D, PT2H) or seconds")
    ] = None,
    set_to: Annotated[str | None, typer.Option("--set-to", help="ISO 8601 date-time with an offset")] = None,
    real_time: Annotated[bool, typer.Option("--real-time", help="Back to real time")] = False,
) -> None:
    """Show the client's clock, or move it (--advance-by, --set-to) or reset it (--real-time)."""
    runtime = _runtime()
    with _transaction(runtime) as session:
        pk = _client(session, client).id
        if real_time:
            view = service.set_clock(session, runtime, pk)
        elif advance_by is not None or set_to is not None:
            body: dict[str, Any] = {}
            if advance_by is not None:
                body["advance_by"] = float(advance_by) if _number(advance_by) else advance_by
            if set_to is not None:
                body["set_to"] = set_to
            parsed = _parse(ClockIn, body)
            view = service.set_clock(session, runtime, pk, advance_by=parsed.advance_by, set_to=parsed.set_to)
        else:
            view = service.clock(session, runtime, pk)
        out = view.wire()
    typer.echo(json.dumps(out))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@sandbox_app.command("webhook-faults")
def webhook_faults(
    client: ClientOpt,
    duplicate: Annotated[
        float | None, typer.Option(help="Probability 0-1 that a delivered event is sent again")
    ] = None,
    delay_seconds: Annotated[float | None, typer.Option(help="Hold each new delivery this long")] = None,
    reorder: Annotated[bool | None, typer.Option("--reorder/--no-reorder", help="Newest first")] = None,
    off: Annotated[bool, typer.Option("--off", help="Turn every fault off")] = False,
) -> None:
    """Show or set the faults injected into the client's webhook deliveries."""
    runtime = _runtime()
    with _transaction(runtime) as session:
        pk = _client(session, client).id
        if off:
            found = service.set_faults(session, pk, None, runtime.now())
        elif duplicate is None and delay_seconds is None and reorder is None:
            found = service.faults(session, pk)
        else:
            current = service.faults(session, pk)
            body = WebhookFaultsIn(
                duplicate=current.duplicate if duplicate is None else duplicate,
                delay_seconds=current.delay_seconds if delay_seconds is None else delay_seconds,
                reorder=current.reorder if reorder is None else reorder,
            )
            found = service.set_faults(session, pk, body, runtime.now())
        out = found.wire()
    typer.echo(json.dumps(out))


@sandbox_app.command("reset")
def reset(
    client: ClientOpt,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Delete the client's customers, files, events, deliveries and jobs; restart its numbering."""
    if not yes:
        typer.confirm(f"Delete every customer of {client!r}?", abort=True)
    runtime = _runtime()
    with _transaction(runtime) as session:
        done = service.reset(session, _client(session, client).id)
    service.delete_files(runtime, done.file_keys)
    typer.echo(json.dumps(done.counts))


# ---------------------------------------------------------------- fixtures


@sandbox_app.command("export")
def export(client: ClientOpt) -> None:
    """Print the client's sandbox state as JSON: ``tollgate sandbox export --client NAME > fixture.json``."""
    runtime = _runtime()
    with unit_of_work(runtime.read_sessions) as session:
        document = fixtures.export(session, runtime, _client(session, client).id)
    typer.echo(json.dumps(document, indent=1, ensure_ascii=False))


@sandbox_app.command("import")
def import_(
    client: ClientOpt,
    path: Annotated[Path, typer.Argument(help="A file written by `tollgate sandbox export` (or -)")],
) -> None:
    """Replace the client's sandbox state with a fixture's."""
    document = read_json_object(path, "fixture")
    runtime = _runtime()
    with _transaction(runtime) as session:
        done = fixtures.import_(session, runtime, _client(session, client).id, document)
    service.delete_files(runtime, done.stale_file_keys)
    typer.echo(json.dumps(done.counts))


# ---------------------------------------------------------------- tollgate seed

seed_app = typer.Typer(rich_markup_mode="markdown")


@seed_app.command("seed")
def seed(
    client: Annotated[str, typer.Option("--client", help="The API client (created when it does not exist)")],
    individuals: Annotated[int, typer.Option(min=0, help="Individuals to create")] = 0,
    businesses: Annotated[int, typer.Option(min=0, help="Businesses to create")] = 0,
    reference: Annotated[
        bool, typer.Option("--reference", help="Also create the customers of Fin's two reference pages")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="Customers per transaction")] = 1000,
    random_seed: Annotated[int, typer.Option("--seed", help="Same seed, same data")] = 0,
    bulk: Annotated[
        bool,
        typer.Option("--bulk", help="Same validation and numbering, rows written in bulk (docs/sandbox.md)"),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Validating processes (with --bulk)")] = 1,
) -> None:
    """Create realistic customers through the services, in a mix of statuses, with a progress bar.

    `--bulk` writes a million customers in minutes instead of hours (docs/sandbox.md)."""
    runtime = open_runtime()  # demo and benchmark data: live mode too
    created = None
    with unit_of_work(runtime.write_sessions) as session:
        row = auth.get_client_by_name(session, client) or auth.get_client_by_client_id(session, client)
        if row is None:
            created = auth.create_client(session, runtime.keys, runtime.now(), name=client)
            row = auth.get_client_by_client_id(session, created.client_id)
        assert row is not None
        client_pk = row.id
    if created is not None:
        err.print(f"created API client [bold]{client}[/bold]")
        typer.echo(json.dumps({"client_id": created.client_id, "client_secret": created.client_secret}))
    summary: dict[str, Any] = {}
    if reference:
        with unit_of_work(runtime.write_sessions) as session:
            client_row = session.get(ApiClient, client_pk)
            assert client_row is not None
            made_before = reference_pages.existing_reference(session, client_pk)
            refs = None if made_before else reference_pages.seed_reference(session, runtime, client_row)
        if refs is None:
            err.print(
                f"the reference customers of {client!r} exist already (the detail page's business is "
                f"{made_before}); `tollgate sandbox reset --client {client}` removes them",
                highlight=False,
            )
            summary["reference"] = {"exists": True, "action_required_business": str(made_before)}
        else:
            summary["reference"] = {
                "in_compliance_business": str(refs.in_compliance_business),
                "incomplete_individual": str(refs.incomplete_individual),
                "action_required_business": str(refs.action_required_business),
            }
    total = individuals + businesses
    if total:
        columns = (
            TextColumn("[bold]seeding"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8.0f}/s"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task("seed", total=total, rate=0.0)

            def advance(progress: seeding.Progress) -> None:
                bar.update(task, completed=progress.created, rate=progress.rate)

            if bulk:
                try:
                    done = bulk_seeding.seed(
                        runtime,
                        client_pk,
                        individuals=individuals,
                        businesses=businesses,
                        batch_size=max(batch_size, 1000),
                        random_seed=random_seed,
                        workers=workers,
                        on_batch=advance,
                    )
                except ValueError as exc:
                    fail(str(exc))
            else:
                done = seeding.seed(
                    runtime,
                    client_pk,
                    individuals=individuals,
                    businesses=businesses,
                    batch_size=batch_size,
                    random_seed=random_seed,
                    on_batch=advance,
                    on_customer=advance,
                )
        summary.update(
            created=done.created,
            seconds=round(done.seconds, 1),
            per_second=round(done.rate, 1),
            by_status=dict(sorted(done.by_status.items())),
        )
    runtime.engine.dispose()
    typer.echo(json.dumps(summary))
