"""`tollgate operators ...`: the compliance team's accounts (the console's Operators page does the same)."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from tollgate.auth import service as auth
from tollgate.cli.common import open_runtime
from tollgate.console import sessions
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.verification import operators as ops
from tollgate.verification.models import Operator

operators_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")

RoleOpt = Annotated[ops.Role, typer.Option("--role", help="reviewer, senior or admin")]
ClientOpt = Annotated[
    list[str],
    typer.Option(
        "--client", help="Limit to this API client (client_id or name); repeat for several; none: all"
    ),
]
UsernameArg = Annotated[str, typer.Argument(help="The operator's username")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _client_pks(session: Session, names: list[str]) -> list[uuid.UUID] | None:
    if not names:
        return None
    pks = []
    for name in names:
        client = auth.get_client_by_client_id(session, name) or auth.get_client_by_name(session, name)
        if client is None:
            raise _fail(f"no API client {name!r}")
        pks.append(client.id)
    return pks


def _row(session: Session, op: Operator, now: object) -> dict[str, object]:
    from tollgate.auth.models import ApiClient

    clients = None
    if op.client_pks is not None:
        clients = [(c.name if (c := session.get(ApiClient, uuid.UUID(pk))) else pk) for pk in op.client_pks]
    return {
        "id": str(op.id),
        "username": op.username,
        "role": op.role,
        "clients": clients if clients is not None else "all",
        "disabled": op.disabled_at is not None,
        "locked_until": op.locked_until.isoformat() if ops.locked(op, now) and op.locked_until else None,  # type: ignore[arg-type]
        "totp": op.totp_secret is not None,
    }


def _change(username: str, change: Callable[[Runtime, Session, Operator], None]) -> None:
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            op = ops.get_by_username(session, username)
            if op is None:
                raise _fail(f"no operator named {username!r}")
            change(runtime, session, op)
            typer.echo(json.dumps(_row(session, op, runtime.now())))
    except ValueError as exc:
        raise _fail(str(exc)) from exc


@operators_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", help="The username to sign in with")],
    role: RoleOpt = ops.Role.REVIEWER,
    client: ClientOpt = [],  # noqa: B006
    password_stdin: PasswordStdin = False,
) -> None:
    """Create an operator (password: at least 12 characters)."""
    password = _password(password_stdin)
    runtime = open_runtime()
    try:
        with unit_of_work(runtime.write_sessions) as session:
            if ops.get_by_username(session, username) is not None:
                raise _fail(f"operator {username!r} already exists")
            op = ops.create_operator(
                session,
                runtime.now(),
                username=username,
                password=password,
                role=role,
                client_pks=_client_pks(session, client),
            )
            typer.echo(json.dumps(_row(session, op, runtime.now())))
    except ValueError as exc:
        raise _fail(str(exc)) from exc


@operators_app.command("list")
def list_() -> None:
    """Every operator, one JSON object a line."""
    runtime = open_runtime()
    with unit_of_work(runtime.read_sessions) as session:
        for op in ops.list_operators(session):
            typer.echo(json.dumps(_row(session, op, runtime.now())))


@operators_app.command("disable")
def disable(username: UsernameArg) -> None:
    """Stop an operator signing in, and end their sessions."""

    def change(runtime: Runtime, session: Session, op: Operator) -> None:
        ops.disable(op, runtime.now())
        sessions.end_all(session, op.id)

    _change(username, change)


@operators_app.command("enable")
def enable(username: UsernameArg) -> None:
    """Let a disabled operator sign in again."""
    _change(username, lambda _r, _s, op: ops.enable(op))


@operators_app.command("unlock")
def unlock(username: UsernameArg) -> None:
    """Lift the lock after too many failed sign-ins."""
    _change(username, lambda _r, _s, op: ops.unlock(op))


@operators_app.command("set-role")
def set_role(
    username: UsernameArg, role: Annotated[ops.Role, typer.Argument(help="reviewer, senior or admin")]
) -> None:
    """Change an operator's role."""
    _change(username, lambda _r, _s, op: ops.set_role(op, role))


@operators_app.command("set-clients")
def set_clients(username: UsernameArg, client: ClientOpt = []) -> None:  # noqa: B006
    """Limit an operator to some API clients (none given: all)."""
    _change(username, lambda _r, session, op: ops.set_clients(op, _client_pks(session, client)))


@operators_app.command("reset-password")
def reset_password(
    username: UsernameArg,
    password_stdin: PasswordStdin = False,
    totp: Annotated[bool, typer.Option("--reset-totp", help="Also remove the second factor")] = False,
) -> None:
    """Set a new password (this also unlocks the account and ends its sessions)."""
    password = _password(password_stdin)

    def change(runtime: Runtime, session: Session, op: Operator) -> None:
        ops.set_password(op, password)
        if totp:
            op.totp_secret = None
            op.totp_last_step = None
        sessions.end_all(session, op.id)

    _change(username, change)
