"""The `tollgate` command.

Each command lives in a module of its own, imported only when that command runs: `tollgate --help` lists
them from the table below without loading SQLAlchemy, FastAPI or the services. Every command runs inside
one handler that turns a user's mistake into a line that says what to do (``common.explain``).
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

import typer
from typer import _click as click  # typer (>= 0.29) carries its own click; its groups are built on it
from typer.core import TyperCommand, TyperGroup, TyperOption


class Entry(NamedTuple):
    module: str
    app: str  # the module's typer.Typer
    command: str | None  # one command of that Typer, or None for the Typer as a group
    # The line `tollgate --help` shows: a group's help; for a command, the first paragraph of its
    # docstring (a test keeps them equal).
    help: str


COMMANDS: dict[str, Entry] = {
    "migrate": Entry(
        "tollgate.cli.server", "server_app", "migrate", "Apply database migrations up to the latest."
    ),
    "bootstrap": Entry(
        "tollgate.cli.server",
        "server_app",
        "bootstrap",
        "Migrate, then create the development client and the console's first admin unless they exist.",
    ),
    "serve": Entry(
        "tollgate.cli.server",
        "server_app",
        "serve",
        "Serve the API with uvicorn, and run the job workers in the same process unless --no-worker.",
    ),
    "worker": Entry(
        "tollgate.cli.server",
        "server_app",
        "worker",
        "Run the job workers (webhook deliveries and other background jobs) until stopped.",
    ),
    "clients": Entry(
        "tollgate.cli.clients", "clients_app", None, "API clients (tenants) and their credentials."
    ),
    "customers": Entry(
        "tollgate.cli.customers",
        "customers_app",
        None,
        "Customers of every client, found by exact identifiers.",
    ),
    "review": Entry(
        "tollgate.cli.review",
        "review_app",
        None,
        "Review decisions on customers and their associated parties.",
    ),
    "operators": Entry(
        "tollgate.cli.operators",
        "operators_app",
        None,
        "Operator accounts of the reviewer console and /ops/v1.",
    ),
    "webhooks": Entry(
        "tollgate.cli.webhooks", "webhooks_app", None, "Webhook endpoints and events of an API client."
    ),
    "listen": Entry(
        "tollgate.cli.webhooks",
        "listen_app",
        "listen",
        "Forward the client's new events to a local URL, signed like deliveries, printing each answer.",
    ),
    "sandbox": Entry(
        "tollgate.cli.sandbox",
        "sandbox_app",
        None,
        "Sandbox mode: simulated decisions, the client's clock, webhook faults, reset and fixtures.",
    ),
    "seed": Entry(
        "tollgate.cli.sandbox",
        "seed_app",
        "seed",
        "Create realistic customers through the services, in a mix of statuses, with a progress bar.",
    ),
    "jobs": Entry(
        "tollgate.cli.jobs", "jobs_app", None, "Background jobs: the dead ones, and retrying them."
    ),
    "keys": Entry("tollgate.cli.keys", "keys_app", None, "Data keys, the signing key and the secret pepper."),
}


def load(name: str) -> click.Command:
    """The real command behind ``name``, importing its module."""
    entry = COMMANDS[name]
    group = typer.main.get_group(getattr(importlib.import_module(entry.module), entry.app))
    if entry.command is None:
        group.help = entry.help
        command: click.Command = group
    else:
        command = group.commands[entry.command]
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """Lists every command from ``COMMANDS``; imports one only to run it (or show its own help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        loaded = super().get_command(ctx, cmd_name)
        if loaded is not None or cmd_name not in COMMANDS:
            return loaded
        # For the list of commands: a stand-in with the one-line help.
        return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name].help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = str(args[0]) if args else None
        if name in COMMANDS and name not in self.commands:
            self.add_command(load(name), name)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as exc:
            from tollgate.cli.common import err, explain

            message = explain(exc)
            if message is None:
                raise
            err().print(f"[red]{message}[/red]", highlight=False)
            ctx.exit(1)


def _flag_type(self: TyperOption, ctx: click.Context) -> str | None:
    """No type column for a flag: typer labels flags ``<bool>``, which reads like a value to type."""
    if self.is_flag or self.count:
        return None
    return _option_type(self, ctx)


_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

app = typer.Typer(
    cls=LazyGroup,
    rich_markup_mode="markdown",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_show_locals=False,
)


@app.callback()
def tollgate() -> None:
    """Tollgate: a customer-onboarding server speaking Fin.com's Customers API, and its back office.

    Settings come from `TOLLGATE_*` environment variables (README.md); the database, uploaded files
    and keys live in `TOLLGATE_HOME` unless set one by one.
    """


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
