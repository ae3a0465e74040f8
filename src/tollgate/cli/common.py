"""What every `tollgate` command shares: opening the server's runtime, printing, and turning a user's
mistake (a database that is missing or not migrated, a bad body, a refused decision) into one line that
says what to do, never a traceback.

Heavy modules (SQLAlchemy, the services) are imported inside the functions, so that importing this
module stays cheap for `tollgate --help`.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from tollgate.config import Settings
    from tollgate.errors import TollgateError
    from tollgate.kit.crypto import Keyring
    from tollgate.runtime import Runtime


class CommandError(Exception):
    """A user's mistake the command explains in one message (exit status 1)."""


def out() -> Console:
    from rich.console import Console

    return Console()


def err() -> Console:
    from rich.console import Console

    # Soft wrap: a path or a command in a message is never broken across lines by the console.
    return Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with ``message`` on stderr."""
    err().print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code)


def show_table(table: Table) -> None:
    """Print ``table`` at its full width, however narrow the terminal: ids that other commands take are
    never cut (the terminal wraps the long lines instead)."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console()
    needed = Measurement.get(console, console.options.update_width(100_000), table).maximum
    if needed > console.width:
        console = Console(width=needed)
    console.print(table)


def parse_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{what} must be a UUID, not {value!r}") from None


def read_json_object(path: Path | None, option: str = "--body") -> dict[str, Any]:
    """The JSON object in ``path`` (``-``: stdin); {} when None. A file that is missing, not JSON or not an
    object ends the command with what is wrong."""
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text()
    except OSError as exc:
        fail(f"{option}: cannot read {path}: {exc.strerror}", 2)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{option}: not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", 2)
    if not isinstance(loaded, dict):
        fail(f"{option}: the body must be a JSON object", 2)
    return loaded


def describe_refusal(exc: TollgateError) -> str:
    """The reason the API would give: its message and, for a validation failure, each field's message."""
    from tollgate.errors import ValidationFailed

    if isinstance(exc, ValidationFailed) and exc.errors:
        return f"{exc.message}: " + "; ".join(f"{path}: {msg}" for path, msg in exc.errors)
    return exc.message


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as given
        return url


def _sqlite_file(url: str) -> Path | None:
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return None


def ensure_sqlite_dir(url: str) -> None:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def check_database(settings: Settings) -> None:
    """Raise :class:`CommandError` unless the configured database exists and is migrated to this
    version's latest revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from tollgate.migrate import current_revision, head_revision

    url = settings.database_url
    shown = _safe_url(url)
    path = _sqlite_file(url)
    if path is not None and not path.exists():
        raise CommandError(
            f"there is no database at {path}: run `tollgate migrate` to create it "
            "(or set TOLLGATE_HOME or TOLLGATE_DATABASE_URL to the server's data)"
        )
    try:
        current = current_revision(url)
    except SQLAlchemyError as exc:
        raise CommandError(f"cannot open the database {shown}: {_first_line(exc)}") from None
    if current is None:
        raise CommandError(f"the database {shown} is not migrated: run `tollgate migrate`")
    if current != head_revision():
        raise CommandError(
            f"the database {shown} is at revision {current}, older than this version's: "
            "run `tollgate migrate`"
        )


def open_runtime(*, sandbox_only: bool = False) -> Runtime:
    """The runtime of the configured server, once its database is known to be there and migrated."""
    from tollgate.config import get_settings
    from tollgate.runtime import build_runtime

    settings = get_settings()
    check_database(settings)
    if sandbox_only and not settings.sandbox:
        fail("the sandbox exists in sandbox mode only (TOLLGATE_MODE=sandbox)")
    return build_runtime(settings)


def migrate_database(url: str | None = None, keyring: Keyring | None = None) -> None:
    from tollgate.config import get_settings
    from tollgate.migrate import upgrade

    # Migrations that seal stored values take these keys (default: the configured ones).
    upgrade(url or get_settings().database_url, keyring=keyring)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def explain(exc: BaseException) -> str | None:
    """One line for an error a user can fix, or None for a bug (which keeps its traceback)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError

    from tollgate.errors import TollgateError, from_pydantic
    from tollgate.kit.crypto import KeyError_

    if isinstance(exc, CommandError):
        return str(exc)
    if isinstance(exc, KeyError_):
        return f"cannot start: {exc}"
    if isinstance(exc, TollgateError):
        return f"refused: {describe_refusal(exc)}"
    if isinstance(exc, ValidationError):
        return f"invalid input: {describe_refusal(from_pydantic(exc.errors()))}"
    if isinstance(exc, DBAPIError):
        from tollgate.config import get_settings

        try:
            check_database(get_settings())
        except CommandError as reason:
            return str(reason)
    # Anything else is a bug: it keeps its traceback.
    return None
