"""`tollgate operators ...` and `tollgate review ...`: the reviewer's decisions without a console."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from tollgate.config import get_settings
from tollgate.db import unit_of_work
from tollgate.errors import TollgateError
from tollgate.runtime import build_runtime
from tollgate.verification import operators as ops
from tollgate.verification import service
from tollgate.verification.router import load_customer, review_view
from tollgate.verification.schemas import PartyRejectIn, RejectIn, RequestInformationIn, RfiEntryIn
from tollgate.verification.transitions import Actor

operators_app = typer.Typer(help="Reviewer accounts.", no_args_is_help=True)
review_app = typer.Typer(
    help="Review decisions on customers and their associated parties.", no_args_is_help=True
)

OperatorOpt = Annotated[str, typer.Option("--operator", help="Username of the reviewer deciding")]


@operators_app.command("create")
def operators_create(
    username: Annotated[str, typer.Option("--username")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin")
    ] = False,
) -> None:
    """Create a reviewer account (password: at least 12 characters)."""
    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    runtime = build_runtime(get_settings())
    try:
        with unit_of_work(runtime.write_sessions) as session:
            if ops.get_by_username(session, username) is not None:
                typer.echo(f"operator {username!r} already exists", err=True)
                raise typer.Exit(1)
            op = ops.create_operator(session, runtime.now(), username=username, password=password)
            typer.echo(json.dumps({"id": str(op.id), "username": op.username}))
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def _decide(customer_id: str, operator: str, decide: object) -> None:
    runtime = build_runtime(get_settings())
    try:
        with unit_of_work(runtime.write_sessions) as session:
            if ops.get_by_username(session, operator) is None:
                typer.echo(f"no operator named {operator!r}", err=True)
                raise typer.Exit(1)
            customer = load_customer(session, uuid.UUID(customer_id))
            now = runtime.now_for(customer.client_pk, session)
            decide(session, customer, Actor("reviewer", operator), now)  # type: ignore[operator]
            session.flush()
            view = review_view(session, runtime, customer)
    except TollgateError as exc:
        typer.echo(f"refused: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    except (ValueError, ValidationError) as exc:
        typer.echo(f"invalid input: {exc}", err=True)
        raise typer.Exit(2) from exc
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
    _decide(customer_id, operator, lambda s, c, a, n: service.approve(s, c, a, n, note=note))


@review_app.command("hold")
def hold(
    customer_id: str, operator: OperatorOpt, reason: Annotated[str | None, typer.Option()] = None
) -> None:
    _decide(customer_id, operator, lambda s, c, a, n: service.hold(s, c, a, n, reason=reason))


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
    extra = _load_json(body)
    parsed = RejectIn.model_validate(
        {
            "reject_labels": label,
            "moderation_comment": comment,
            "developer_note": developer_note,
            "final": final,
            **extra,
        }
    )
    _decide(
        customer_id,
        operator,
        lambda s, c, a, n: service.reject(
            s,
            c,
            a,
            n,
            rejection=parsed.rejection(),
            developer_note=parsed.developer_note,
            final=parsed.final,
            retry_rfis=[r.request() for r in parsed.rfis],
        ),
    )


@review_app.command("request-info")
def request_info(
    customer_id: str,
    operator: OperatorOpt,
    body: Annotated[Path, typer.Option(help='JSON file (or -) {"rfis": [...]} as the API takes')],
) -> None:
    parsed = RequestInformationIn.model_validate(_load_json(body))
    _decide(
        customer_id,
        operator,
        lambda s, c, a, n: service.request_information(s, c, [r.request() for r in parsed.rfis], a, n),
    )


@review_app.command("party-approve")
def party_approve(customer_id: str, party_id: str, operator: OperatorOpt) -> None:
    _decide(
        customer_id,
        operator,
        lambda s, c, a, n: service.approve_party(s, c, service.party_of(c, uuid.UUID(party_id)), a, n),
    )


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
    pid = uuid.UUID(party_id)
    parsed = PartyRejectIn.model_validate(
        {
            "reject_labels": label,
            "for_customer": for_customer,
            "for_developer": for_developer,
            **_load_json(body),
        }
    )
    _decide(
        customer_id,
        operator,
        lambda s, c, a, n: service.reject_party(
            s,
            c,
            service.party_of(c, pid),
            a,
            n,
            rejection=parsed.rejection(),
            for_customer=parsed.for_customer,
            for_developer=parsed.for_developer,
            retry_rfis=[RfiEntryIn.model_validate(r.model_dump()).request(pid) for r in parsed.rfis],
        ),
    )
