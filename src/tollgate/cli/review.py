"""`tollgate review ...`: the reviewer's decisions without a console."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from tollgate.cli.common import describe_refusal, fail, open_runtime, parse_uuid, read_json_object
from tollgate.console import decisions
from tollgate.customers.enums import CustomerStatus
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError, from_pydantic
from tollgate.verification import commands
from tollgate.verification import operators as ops
from tollgate.verification.router import load_customer, review_view
from tollgate.verification.schemas import PartyRejectIn, RejectIn, RequestInformationIn
from tollgate.verification.transitions import Actor

review_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")

OperatorOpt = Annotated[str, typer.Option("--operator", help="Username of the reviewer deciding")]
CustomerArg = Annotated[str, typer.Argument(help="The customer's id")]
PartyArg = Annotated[str, typer.Argument(help="The associated party's id")]
LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="A reject label; repeat for several")]


def _decide(operator: str, make: Callable[[], commands.Command]) -> None:
    """Build the command (its input is checked first) and apply it through ``commands.handle``: the same
    decision, audit rows, RFIs and webhooks as the operator API and the console."""
    try:
        command = make()
    except ValidationError as exc:
        fail(f"invalid input: {describe_refusal(from_pydantic(exc.errors()))}", 2)
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            account = ops.get_by_username(session, operator)
            if account is None or account.disabled_at is not None:
                fail(f"no active operator named {operator!r}")
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
    except TollgateError as exc:
        fail(f"refused: {describe_refusal(exc)}")
    typer.echo(json.dumps(view["customer"], indent=2))


@review_app.command("queue")
def queue(
    status: Annotated[
        CustomerStatus, typer.Option(help="The status whose customers are listed")
    ] = CustomerStatus.REVIEWING,
) -> None:
    """Customers in a status (REVIEWING by default), the longest waiting first: id, type, status, name."""
    from sqlalchemy import select

    from tollgate.customers.models import Customer

    runtime = open_runtime()
    with unit_of_work(runtime.read_sessions) as session:
        for c in session.scalars(
            select(Customer).where(Customer.status == status.value).order_by(Customer.last_status_updated_at)
        ):
            name = c.business_name or f"{c.first_name} {c.last_name}"
            typer.echo(f"{c.id}  {c.type:<10}  {c.status:<28}  {name}")


@review_app.command("show")
def show(customer_id: CustomerArg) -> None:
    """Everything about one customer: detail, stored request, RFI history, audit trail."""
    runtime = open_runtime()
    with unit_of_work(runtime.read_sessions) as session:
        customer = load_customer(session, parse_uuid(customer_id, "the customer id"))
        typer.echo(json.dumps(review_view(session, runtime, customer), indent=2, default=str))


@review_app.command("approve")
def approve(
    customer_id: CustomerArg,
    operator: OperatorOpt,
    note: Annotated[str | None, typer.Option(help="A note kept in the audit trail")] = None,
) -> None:
    """Approve a customer, as POST /ops/v1/customers/{id}/approve does."""
    cid = parse_uuid(customer_id, "the customer id")
    _decide(operator, lambda: commands.Approve(cid, note))


@review_app.command("hold")
def hold(
    customer_id: CustomerArg,
    operator: OperatorOpt,
    reason: Annotated[str | None, typer.Option(help="Why the customer is held (audit trail)")] = None,
) -> None:
    """Put a customer on hold (IN_COMPLIANCE), as POST /ops/v1/customers/{id}/hold does."""
    cid = parse_uuid(customer_id, "the customer id")
    _decide(operator, lambda: commands.Hold(cid, reason))


@review_app.command("reject")
def reject(
    customer_id: CustomerArg,
    operator: OperatorOpt,
    label: LabelOpt = None,
    comment: Annotated[str, typer.Option(help="Moderation comment for the customer")] = "",
    developer_note: Annotated[str | None, typer.Option(help="Note for the integrator")] = None,
    final: Annotated[bool, typer.Option("--final/--retry", help="Final, or allow a resubmission")] = True,
    body: Annotated[
        Path | None, typer.Option(help="JSON file (or -) with documents and rfis, as the API takes")
    ] = None,
) -> None:
    """Reject a customer: final, or (--retry with rfis in --body) ACTION_REQUIRED to resubmit."""
    cid = parse_uuid(customer_id, "the customer id")
    data = read_json_object(body)

    def make() -> commands.Command:
        parsed = RejectIn.model_validate(
            {
                "reject_labels": label or [],
                "moderation_comment": comment,
                "developer_note": developer_note,
                "final": final,
                **data,
            }
        )
        return parsed.command(cid)

    _decide(operator, make)


@review_app.command("request-info")
def request_info(
    customer_id: CustomerArg,
    operator: OperatorOpt,
    body: Annotated[Path, typer.Option(help='JSON file (or -) {"rfis": [...]} as the API takes')],
) -> None:
    """Raise RFIs on a customer (ACTION_REQUIRED), as POST /ops/v1/customers/{id}/request-information."""
    cid = parse_uuid(customer_id, "the customer id")
    data = read_json_object(body)
    _decide(operator, lambda: RequestInformationIn.model_validate(data).command(cid))


@review_app.command("party-approve")
def party_approve(customer_id: CustomerArg, party_id: PartyArg, operator: OperatorOpt) -> None:
    """Approve one associated party."""
    cid, pid = parse_uuid(customer_id, "the customer id"), parse_uuid(party_id, "the party id")
    _decide(operator, lambda: commands.ApproveParty(cid, pid))


@review_app.command("party-reject")
def party_reject(
    customer_id: CustomerArg,
    party_id: PartyArg,
    operator: OperatorOpt,
    label: LabelOpt = None,
    for_customer: Annotated[str | None, typer.Option(help="Comment shown to the customer")] = None,
    for_developer: Annotated[str | None, typer.Option(help="Note for the integrator")] = None,
    body: Annotated[Path | None, typer.Option(help="JSON file (or -) with documents and rfis")] = None,
) -> None:
    """Reject one associated party (with rfis in --body: ACTION_REQUIRED to resubmit it)."""
    cid, pid = parse_uuid(customer_id, "the customer id"), parse_uuid(party_id, "the party id")
    data = read_json_object(body)

    def make() -> commands.Command:
        parsed = PartyRejectIn.model_validate(
            {
                "reject_labels": label or [],
                "for_customer": for_customer,
                "for_developer": for_developer,
                **data,
            }
        )
        return parsed.party_command(cid, pid)

    _decide(operator, make)


@review_app.command("party-request-info")
def party_request_info(
    customer_id: CustomerArg,
    party_id: PartyArg,
    operator: OperatorOpt,
    body: Annotated[Path, typer.Option(help='JSON file (or -) {"rfis": [...]} as the API takes')],
) -> None:
    """Raise RFIs scoped to one associated party, as POST
    /ops/v1/customers/{id}/associated-parties/{party_id}/request-information does."""
    cid, pid = parse_uuid(customer_id, "the customer id"), parse_uuid(party_id, "the party id")
    data = read_json_object(body)
    _decide(operator, lambda: RequestInformationIn.model_validate(data).party_command(cid, pid))


@review_app.command("confirm")
def confirm(
    customer_id: CustomerArg,
    proposal_id: Annotated[str, typer.Argument(help="The proposal's id, as `review` printed it")],
    operator: OperatorOpt,
) -> None:
    """Confirm a four-eyes proposal (a senior other than the proposer)."""
    cid, pid = parse_uuid(customer_id, "the customer id"), parse_uuid(proposal_id, "the proposal id")
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            account = ops.get_by_username(session, operator)
            if account is None or account.disabled_at is not None:
                fail(f"no active operator named {operator!r}")
            me = ops.identity(account)
            customer = load_customer(session, cid, me)
            uow = runtime.work(session, Actor("reviewer", operator), customer.client_pk)
            changed = decisions.confirm(uow, me, customer.id, pid)
            view = review_view(session, runtime, changed)
    except TollgateError as exc:
        fail(f"refused: {describe_refusal(exc)}")
    typer.echo(json.dumps(view["customer"], indent=2))
