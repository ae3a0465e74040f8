"""`tollgate keys ...`: the data keys and server secrets kept outside the database (docs/security.md)."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from tollgate.cli.common import show_table
from tollgate.config import get_settings
from tollgate.db import make_engine
from tollgate.keystore import key_file_path, load_key_source
from tollgate.kit.crypto import (
    KeyError_,
    Keyring,
    Sealed,
    SealedJSON,
    attach,
    count_not_under,
    read_key_document,
    reseal_column,
    write_key_file,
)
from tollgate.models import Base

keys_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")
console = Console()


def sealed_columns() -> list[tuple[str, str, str, str, bool]]:
    """Every sealed column of the schema: (table, key column, column, purpose, JSON)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Sealed | SealedJSON):
                (key,) = table.primary_key.columns
                found.append(
                    (
                        table.name,
                        key.name,
                        column.name,
                        column.type.purpose,
                        isinstance(column.type, SealedJSON),
                    )
                )
    return found


def fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/red]", highlight=False)
    return typer.Exit(1)


def _engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url)


def reseal_all(engine: Engine, keyring: Keyring) -> int:
    """Re-seal every value not under ``keyring``'s primary key; one transaction per column batch run."""
    total = 0
    for table, key, column, purpose, is_json in sealed_columns():
        with engine.begin() as conn:
            attach(conn, keyring)
            total += reseal_column(conn, keyring, table, key, column, purpose, json_null=is_json)
    return total


@keys_app.command("init")
def init(
    live: Annotated[bool, typer.Option(help="Also generate the signing key and pepper (live mode)")] = True,
) -> None:
    """Write a new key file (TOLLGATE_KEY_FILE, default keys.json in TOLLGATE_HOME).

    It holds the data keys and, for live mode, the JWT signing key and client-secret pepper. An existing
    key file is never overwritten."""
    path = key_file_path(get_settings())
    if path.exists():
        raise fail(f"{path} exists; keys are rotated with `tollgate keys rotate`, never overwritten")
    extra = {}
    if live:
        extra = {"signing_key": secrets.token_urlsafe(48), "secret_pepper": secrets.token_urlsafe(48)}
    write_key_file(path, Keyring.generate(), extra)
    console.print(
        f"wrote {path} (readable by its owner only); back it up: without it the data cannot be read"
    )


@keys_app.command("status")
def status() -> None:
    """Which keys there are, which one seals, and how many values each column still has under older keys."""
    try:
        source = load_key_source(get_settings(), create=False)
    except KeyError_ as exc:
        raise fail(str(exc)) from None
    keyring = source.keyring
    console.print(
        f"keys from: {source.file or 'TOLLGATE_KEYS'}; primary: {keyring.primary}; "
        f"all: {', '.join(keyring.keys)}",
        highlight=False,
    )
    table = Table("column", "values not under the primary key")
    engine = _engine()
    with engine.connect() as conn:
        for name, _key, column, _purpose, _json in sealed_columns():
            table.add_row(f"{name}.{column}", str(count_not_under(conn, keyring, name, column)))
    engine.dispose()
    show_table(table)


@keys_app.command("rotate")
def rotate(
    retire: Annotated[
        bool, typer.Option(help="Drop the older keys from the key file once nothing is sealed with them")
    ] = False,
) -> None:
    """Add a new data key to the key file as the primary, then re-seal every value under it.

    Stop the servers first, or restart them at once after: a server started before the rotation does not
    hold the new key. With TOLLGATE_KEYS, put the new key first yourself and run `tollgate keys reseal`."""
    settings = get_settings()
    try:
        source = load_key_source(settings, create=False)
    except KeyError_ as exc:
        raise fail(str(exc)) from None
    if source.file is None:
        raise fail("the keys come from TOLLGATE_KEYS: add the new key there, then run `tollgate keys reseal`")
    rotated = source.keyring.with_new_primary()
    extra = {k: v for k, v in read_key_document(source.file).items() if k in ("signing_key", "secret_pepper")}
    # The file first: a crash after this point leaves values under old keys, which the file still holds.
    write_key_file(source.file, rotated, extra)
    engine = _engine()
    changed = reseal_all(engine, rotated)
    console.print(f"new primary key {rotated.primary}; {changed} values re-sealed", highlight=False)
    if retire:
        _retire(engine, rotated, source.file, extra)
    engine.dispose()


def _retire(engine: Engine, keyring: Keyring, path: object, extra: dict[str, str]) -> None:
    with engine.connect() as conn:
        left = sum(count_not_under(conn, keyring, t, c) for t, _k, c, _p, _j in sealed_columns())
    if left:
        raise fail(f"{left} values are still sealed with older keys; nothing retired")
    old = set(keyring.keys) - {keyring.primary}
    write_key_file(path, keyring.without(old), extra)  # type: ignore[arg-type]
    console.print(f"retired {', '.join(sorted(old)) or 'nothing'}", highlight=False)


@keys_app.command("reseal")
def reseal() -> None:
    """Re-seal every value that is in the clear or under a key other than the primary one."""
    try:
        source = load_key_source(get_settings(), create=False)
    except KeyError_ as exc:
        raise fail(str(exc)) from None
    engine = _engine()
    changed = reseal_all(engine, source.keyring)
    engine.dispose()
    console.print(f"{changed} values re-sealed under {source.keyring.primary}", highlight=False)
