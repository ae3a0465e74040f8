"""Everything a database holds, as bytes: what an attacker with a copy of the database would read."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from tollgate.runtime import Runtime


def database_bytes(runtime: Runtime) -> bytes:
    """SQLite: the database file and its WAL (recent pages live there), byte for byte. PostgreSQL: every row of every table as text."""
    engine = runtime.engine
    if engine.dialect.name == "sqlite":
        path = Path(str(engine.url.database))
        parts = [path.read_bytes()]
        for suffix in ("-wal", "-journal"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                parts.append(extra.read_bytes())
        return b"".join(parts)
    out: list[bytes] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for (row,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):  # noqa: S608
                out.append(row.encode())
    return b"\n".join(out)
