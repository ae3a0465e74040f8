"""`tollgate review ...`: the reviewer's decisions without a console."""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from tollgate.config import get_settings
from tollgate.console import decisions
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError, ValidationFailed
from tollgate.runtime import build_runtime
from tollgate.verification import commands
from tollgate.verification import operators as ops
from tollgate.verification.router import load_customer, review_view
from tollgate.verification.schemas import PartyRejectIn, RejectIn, RequestInformationIn
from tollgate.verification.transitions import Actor

review_app = typer.Typer(
    help="Review decisions on customers and their associated parties.", no_args_is_help=True
)

OperatorOpt = Annotated[str, typer.Option("--operator", help="Username of the reviewer deciding")]


def _decide(operator: str, make: Callable[[], commands.Command]) -> None:
    """Build the command (its input is checked first) and apply it through ``commands.handle``: the same
    decision, audit rows, RFIs and webhooks as the operator API and the console."""
    try:
        command = make()
    except (ValueError, ValidationError) as exc:
        typer.echo(f"invalid input: {exc}", err=True)
        raise typer.Exit(2) from exc
    runtime = build_runtime(get_settings())
    try:
        with unit_of_work(runtime.write_sessions) as session:
            account = ops.get_by_username(session, operator)
            if account is None or account.disabled_at is not None:
                typer.echo(f"no active operator named {operator!r}", err=True)
                raise typer.Exit(1)
            me = ops.identity(account)
            customer = load_customer(session, command.customer_id, me)
            uow = runtime.work(session, Actor("reviewer", operator), customer.client_pk)
            if runtime.settings.four_eyes and command.expected_version is None:
                # A proposal records the version it was made on: the one this command was given.
                command = dataclasses.replace(command, expected_version=customer.version)
            outcome = decisions.decide(uow, me, command, four_eyes=runtime.settings.four_eyes)
            if outcome.proposal is not None:
                typer.echo(json.dumps(decisions.proposal_view(outcome.proposal), indent=2))
                return
            view = review_view(session, runtime, outcome.customer)
    except ValidationFailed as exc:
        details = "; ".join(f"{path}: {msg}" for path, msg in exc.errors)
        typer.echo(f"refused: {exc.message}: {details}", err=True)
        raise typer.Exit(1) from exc
    except TollgateError as exc:
        typer.echo(f"refused: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(view["customer"], indent=2))


def _load_json(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    text = sys.stdin.read() if str(path) == "-" else path.read_text()
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


@review_app.command("queue")
def queue(status: Annotated[str, typer.Option()] = "REVIEWING") -> None:
    """Customers waiting in a status (REVIEWING by default)."""
    from sqlalchemy import select

    from tollgate.customers.models import Customer

    runtime = build_runtime(get_settings())
    with unit_of_work(runtime.read_sessions) as session:
        for c in session.scalars(
            select(Customer).where(Customer.status == status).order_by(Customer.last_status_updated_at)
        ):
            name = c.business_name or f"{c.first_name} {c.last_name}"
            typer.echo(f"{c.id}  {c.type:<10}  {c.status:<28}  {name}")


@review_app.command("show")
def show(customer_id: str) -> None:
    """Everything about one customer: detail, stored request, RFI history, audit trail."""
    runtime = build_runtime(get_settings())
    with unit_of_work(runtime.read_sessions) as session:
        customer = load_customer(session, uuid.UUID(customer_id))
        typer.echo(json.dumps(review_view(session, runtime, customer), indent=2, default=str))


@review_app.command("approve")
def approve(
    customer_id: str, operator: OperatorOpt, note: Annotated[str | None, typer.Option()] = None
) -> None:
    _decide(operator, lambda: commands.Approve(uuid.UUID(customer_id), note))


@review_app.command("hold")
def hold(
    customer_id: str, operator: OperatorOpt, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    _decide(operator, lambda: commands.Hold(uuid.UUID(customer_id), reason))


@review_app.command("reject")
def reject(
    customer_id: str,
    operator: OperatorOpt,
    label: Annotated[list[str], typer.Option("--label", help="A reject label; repeat for several")] = [],  # noqa: B006
    comment: Annotated[str, typer.Option(help="Moderation comment for the customer")] = "",
    developer_note: Annotated[str | None, typer.Option(help="Note for the integrator")] = None,
    final: Annotated[bool, typer.Option("--final/--retry", help="Final, or allow a resubmission")] = True,
    body: Annotated[
        Path | None, typer.Option(help="JSON file (or -) with documents and rfis, as the API takes")
    ] = None,
) -> None:
    def make() -> commands.Command:
        parsed = RejectIn.model_validate(
            {
                "reject_labels": label,
                "moderation_comment": comment,
                "developer_note": developer_note,
                "final": final,
                **_load_json(body),
            }
        )
        return parsed.command(uuid.UUID(customer_id))

    _decide(operator, make)


@review_app.command("request-info")
def request_info(
    customer_id: str,
    operator: OperatorOpt,
    body: Annotated[Path, typer.Option(help='JSON file (or -) {"rfis": [...]} as the API takes')],
) -> None:
    _decide(
        operator,
        lambda: RequestInformationIn.model_validate(_load_json(body)).command(uuid.UUID(customer_id)),
    )


@review_app.command("party-approve")
def party_approve(customer_id: str, party_id: str, operator: OperatorOpt) -> None:
    _decide(operator, lambda: commands.ApproveParty(uuid.UUID(customer_id), uuid.UUID(party_id)))


@review_app.command("party-reject")
def party_reject(
    customer_id: str,
    party_id: str,
    operator: OperatorOpt,
    label: Annotated[list[str], typer.Option("--label")] = [],  # noqa: B006
    for_customer: Annotated[str | None, typer.Option()] = None,
    for_developer: Annotated[str | None, typer.Option()] = None,
    body: Annotated[Path | None, typer.Option(help="JSON file (or -) with documents and rfis")] = None,
) -> None:
    def make() -> commands.Command:
        parsed = PartyRejectIn.model_validate(
            {
                "reject_labels": label,
                "for_customer": for_customer,
                "for_developer": for_developer,
                **_load_json(body),
            }
        )
        return parsed.party_command(uuid.UUID(customer_id), uuid.UUID(party_id))

    _decide(operator, make)


@review_app.command("confirm")
def confirm(customer_id: str, proposal_id: str, operator: OperatorOpt) -> None:
    """Confirm a four-eyes proposal (a senior other than the proposer)."""
    runtime = build_runtime(get_settings())
    try:
        with unit_of_work(runtime.write_sessions) as session:
            account = ops.get_by_username(session, operator)
            if account is None or account.disabled_at is not None:
                typer.echo(f"no active operator named {operator!r}", err=True)
                raise typer.Exit(1)
            me = ops.identity(account)
            customer = load_customer(session, uuid.UUID(customer_id), me)
            uow = runtime.work(session, Actor("reviewer", operator), customer.client_pk)
            changed = decisions.confirm(uow, me, customer.id, uuid.UUID(proposal_id))
            view = review_view(session, runtime, changed)
    except TollgateError as exc:
        typer.echo(f"refused: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(view["customer"], indent=2))
