"""Everything a database holds, as bytes: what an attacker with a copy of the database would read."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import inspect, text

from tollgate.runtime import Runtime


def file_bytes(path: Path) -> bytes:
    """A SQLite file and its WAL, read by another process: closing a descriptor of the database file in
    this process would drop the POSIX locks of this process's SQLite connections to it (SQLite's
    documented pitfall), and the next writer elsewhere would corrupt what they see."""
    files = [str(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    return subprocess.run(["cat", *files], capture_output=True, check=True, timeout=60).stdout


def database_bytes(runtime: Runtime) -> bytes:
    """SQLite: the database file and its WAL (recent pages live there), byte for byte. PostgreSQL: every row of every table as text."""
    engine = runtime.engine
    if engine.dialect.name == "sqlite":
        return file_bytes(Path(str(engine.url.database)))
    out: list[bytes] = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for (row,) in conn.execute(text(f'SELECT t::text FROM "{table}" t')):  # noqa: S608
                out.append(row.encode())
    return b"\n".join(out)
