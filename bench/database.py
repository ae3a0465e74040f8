"""Seeded databases: made once per backend and size through ``tollgate seed``, kept, and copied into a
throw-away database for each run (a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, inspect

from bench.bodies import ROOT
from tollgate.kit.crypto import Keyring, write_key_file

VAR = ROOT / "var" / "bench"
SEED_DIR = VAR / "seed"
WORK_DIR = VAR / "work"
BIN = Path(sys.executable).parent
CLIENT_NAME = "bench"
# Validation runs in this many processes; the rows are written in batches (``tollgate seed --bulk``).
SEED_WORKERS = max(1, min(os.cpu_count() or 1, 4))
SEEDER = "tollgate seed --bulk"
MAX_SEED_RUNS = 40
# Share of businesses (each with two associated parties) among the seeded customers.
BUSINESS_SHARE = 0.2


@dataclass(frozen=True)
class SeedInfo:
    backend: str
    size: int
    individuals: int
    businesses: int
    client_id: str
    client_secret: str
    seeder: str
    seconds: float
    revisions: str = ""  # the migrations present when it was seeded, comma-separated
    runs: int = 1  # runs of the seed command it took (see Backend.seed)
    complete: bool = True

    @property
    def rate(self) -> float:
        return self.size / self.seconds if self.seconds else 0.0

    @staticmethod
    def load(path: Path) -> SeedInfo:
        data = json.loads(path.read_text())
        known = {f.name for f in fields(SeedInfo)}
        return SeedInfo(**{k: v for k, v in data.items() if k in known})


def split(size: int) -> tuple[int, int]:
    businesses = round(size * BUSINESS_SHARE)
    return size - businesses, businesses


def revisions() -> str:
    versions = ROOT / "src" / "tollgate" / "migrations" / "versions"
    return ",".join(sorted(p.stem for p in versions.glob("*.py")))


def seed_command(individuals: int, businesses: int, random_seed: int) -> list[str]:
    return [
        str(BIN / "tollgate"),
        "seed",
        "--client",
        CLIENT_NAME,
        "--individuals",
        str(individuals),
        "--businesses",
        str(businesses),
        "--bulk",
        "--workers",
        str(SEED_WORKERS),
        "--seed",
        str(random_seed),
    ]


KEY_FILE = VAR / "keys.json"


def key_file() -> Path:
    """One key file for every benchmark database, with the signing key and pepper that live mode needs
    from outside the database (docs/security.md); written on first use."""
    if not KEY_FILE.exists():
        extra = {"signing_key": secrets.token_urlsafe(48), "secret_pepper": secrets.token_urlsafe(48)}
        write_key_file(KEY_FILE, Keyring.generate(), extra)
    return KEY_FILE


def base_env(url: str, storage: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "TOLLGATE_DATABASE_URL": url,
            "TOLLGATE_STORAGE_DIR": str(storage),
            "TOLLGATE_MODE": "sandbox",
            "TOLLGATE_KEY_FILE": str(key_file()),
            # The source tree the bench belongs to, even where the installed package is another one's.
            "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        }
    )
    return env


def _run(command: list[str], env: dict[str, str], *, show_errors: bool = False) -> str:
    """Run a command in the project root and return its standard output; its standard error (progress)
    is passed through if ``show_errors``."""
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=None if show_errors else subprocess.PIPE,
    )
    return done.stdout or ""


class Backend:
    name: str

    def url(self, database: str) -> str:
        raise NotImplementedError

    def seed_name(self, size: int) -> str:
        return f"seed_{size}"

    def exists(self, database: str) -> bool:
        raise NotImplementedError

    def create_empty(self, database: str) -> None:
        raise NotImplementedError

    def drop(self, database: str) -> None:
        raise NotImplementedError

    def copy(self, source: str, target: str) -> None:
        raise NotImplementedError

    def after_seed(self, database: str) -> None:
        """Bring a freshly seeded database to the state a running installation would be in."""

    def rows(self, database: str, query: str) -> list[tuple[object, ...]]:
        """The rows of one read-only statement (no parameters: the harness writes only constants)."""
        raise NotImplementedError

    def size_bytes(self, database: str) -> int:
        raise NotImplementedError

    # ---- the seeded copy and its marker

    def marker(self, size: int) -> Path:
        return SEED_DIR / f"{self.name}-{size}.json"

    def seeded(self, size: int) -> SeedInfo | None:
        """The kept seeded database of ``size`` customers, brought up to the latest migration, if there is
        one and its schema then matches a freshly migrated database's."""
        path = self.marker(size)
        database = self.seed_name(size)
        if not path.exists() or not self.exists(database):
            return None
        info = SeedInfo.load(path)
        if (info.individuals, info.businesses) != split(size) or info.seeder != SEEDER or not info.complete:
            return None
        env = base_env(self.url(database), VAR / "files")
        try:
            _run([str(BIN / "tollgate"), "migrate"], env)
        except subprocess.CalledProcessError:
            return None
        return info if self.schema(database) == self.reference_schema() else None

    def schema(self, database: str) -> dict[str, list[str]]:
        """Tables and their columns, as SQLAlchemy's inspector sees them."""
        engine = create_engine(self.url(database).replace("postgresql://", "postgresql+psycopg://"))
        try:
            found = inspect(engine)
            return {
                t: sorted(c["name"] for c in found.get_columns(t)) for t in sorted(found.get_table_names())
            }
        finally:
            engine.dispose()

    def reference_schema(self) -> dict[str, list[str]]:
        """The schema of an empty database migrated now."""
        database = "tollgate_bench_reference" if self.name == "postgresql" else "reference"
        self.create_empty(database)
        try:
            _run([str(BIN / "tollgate"), "migrate"], base_env(self.url(database), VAR / "files"))
            return self.schema(database)
        finally:
            self.drop(database)

    def counts(self, database: str) -> tuple[int, int]:
        """Individuals and businesses of the benchmark client so far (its sequence counters)."""
        rows = self.rows(database, "SELECT type, total FROM customer_counter")
        totals = {str(kind): int(str(total)) for kind, total in rows}
        return totals.get("INDIVIDUAL", 0), totals.get("BUSINESS", 0)

    def seed(self, size: int, *, log: bool = True) -> SeedInfo:
        """Migrate an empty database, create the API client and seed ``size`` customers into it.

        A run of the seed command that stops part-way (its commits are per batch, so what it wrote is
        whole) is followed by another for what is still missing, with another random seed; an
        interrupted ``seed`` is resumed the same way from its incomplete marker.
        """
        SEED_DIR.mkdir(parents=True, exist_ok=True)
        database = self.seed_name(size)
        env = base_env(self.url(database), VAR / "files")
        individuals, businesses = split(size)
        marker = self.marker(size)
        info = SeedInfo.load(marker) if marker.exists() else None
        resume = info is not None and not info.complete and self.exists(database)
        if not resume or info is None:
            marker.unlink(missing_ok=True)
            self.create_empty(database)
            present = revisions()
            _run([str(BIN / "tollgate"), "migrate"], env)
            made = _run([str(BIN / "tollgate"), "clients", "create", "--name", CLIENT_NAME], env)
            creds = json.loads(made.strip().splitlines()[-1])
            info = SeedInfo(
                backend=self.name,
                size=size,
                individuals=individuals,
                businesses=businesses,
                client_id=creds["client_id"],
                client_secret=creds["client_secret"],
                seeder=SEEDER,
                seconds=0.0,
                revisions=present,
                runs=0,
                complete=False,
            )
            marker.write_text(json.dumps(asdict(info), indent=2))
        seconds, runs = info.seconds, info.runs
        while True:
            have_individuals, have_businesses = self.counts(database)
            todo = (individuals - have_individuals, businesses - have_businesses)
            if todo[0] <= 0 and todo[1] <= 0:
                break
            if runs >= MAX_SEED_RUNS:
                raise RuntimeError(f"{self.name} {size}: still {todo} to seed after {runs} runs")
            started = time.monotonic()
            try:
                _run(seed_command(max(todo[0], 0), max(todo[1], 0), runs), env, show_errors=log)
            except subprocess.CalledProcessError as exc:
                print(
                    f"tollgate seed stopped (exit {exc.returncode}); seeding what is missing", file=sys.stderr
                )
            seconds += time.monotonic() - started
            runs += 1
            info = replace(info, seconds=round(seconds, 1), runs=runs)
            marker.write_text(json.dumps(asdict(info), indent=2))
        self.after_seed(database)
        info = replace(info, complete=True)
        marker.write_text(json.dumps(asdict(info), indent=2))
        return info


class SQLite(Backend):
    name = "sqlite"

    def path(self, database: str) -> Path:
        return (SEED_DIR if database.startswith("seed_") else WORK_DIR) / f"{database}.db"

    def url(self, database: str) -> str:
        return f"sqlite:///{self.path(database)}"

    def exists(self, database: str) -> bool:
        return self.path(database).exists()

    def drop(self, database: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path(database)}{suffix}").unlink(missing_ok=True)

    def create_empty(self, database: str) -> None:
        self.drop(database)
        self.path(database).parent.mkdir(parents=True, exist_ok=True)

    def rows(self, database: str, query: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.path(database), timeout=30)
        try:
            return list(conn.execute(query).fetchall())
        finally:
            conn.close()

    def after_seed(self, database: str) -> None:
        with sqlite3.connect(self.path(database)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def copy(self, source: str, target: str) -> None:
        self.drop(target)
        self.path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(source), self.path(target))

    def size_bytes(self, database: str) -> int:
        return self.path(database).stat().st_size


class PostgreSQL(Backend):
    name = "postgresql"

    def __init__(self, server: str = "postgresql://postgres@127.0.0.1:5432") -> None:
        self.server = server

    def seed_name(self, size: int) -> str:
        return f"tollgate_bench_seed_{size}"

    def url(self, database: str) -> str:
        return f"{self.server}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(f"{self.server}/postgres", autocommit=True)

    def exists(self, database: str) -> bool:
        with self._admin() as conn:
            row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        return row is not None

    def drop(self, database: str) -> None:
        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))

    def create_empty(self, database: str) -> None:
        self.drop(database)
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def rows(self, database: str, query: str) -> list[tuple[object, ...]]:
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            return list(conn.execute(query.encode()).fetchall())

    def after_seed(self, database: str) -> None:
        # What autovacuum would have done on a running installation by now.
        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")

    def copy(self, source: str, target: str) -> None:
        self.drop(target)
        with self._admin() as conn:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}")
            conn.execute(statement.format(sql.Identifier(target), sql.Identifier(source)))

    def size_bytes(self, database: str) -> int:
        with self._admin() as conn:
            row = conn.execute("SELECT pg_database_size(%s)", (database,)).fetchone()
        return int(str(row[0])) if row else 0


BACKENDS = ("sqlite", "postgresql")


def make_backend(name: str, postgres: str = "postgresql://postgres@127.0.0.1:5432") -> Backend:
    if name == "sqlite":
        return SQLite()
    if name == "postgresql":
        return PostgreSQL(postgres)
    raise ValueError(f"unknown backend {name!r}")


def prepared(backend: Backend, size: int, *, reseed: bool = False, log: bool = True) -> SeedInfo:
    """The seeded database of ``size`` customers, made now when missing, stale or ``reseed``."""
    if reseed:
        backend.marker(size).unlink(missing_ok=True)
    info = None if reseed else backend.seeded(size)
    return info or backend.seed(size, log=log)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.database sqlite 1000000``: seed ahead of a run (a million takes a while)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("backend", choices=BACKENDS)
    parser.add_argument("sizes", help="comma-separated, e.g. 10000,100000")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    backend = make_backend(args.backend)
    for size in (int(s) for s in args.sizes.split(",")):
        info = prepared(backend, size, reseed=args.reseed)
        print(f"{backend.name} {size}: {info.seeder}, {info.seconds:.0f} s, {info.rate:.0f}/s", flush=True)


if __name__ == "__main__":
    main()
