"""The reviewer console's queue page at a million customers: how long one page takes, over HTTP, for the
default queue, filters, searches (name, tax id through the blind index) and the next keyset page.

    nice -n 10 .venv/bin/python -m bench.console_queue --size 1000000 [--backend postgres]

Customers are written straight into the tables (one sealed phone and body reused for every row: the queue
reads neither), with statuses and waiting times spread as a busy back office has them: 5 % REVIEWING,
1 % IN_COMPLIANCE, 1 % ASSOCIATED_PARTIES_REMAINING, the rest decided or waiting on the customer. One
customer in ten has a tax id digest. The server is the real app under uvicorn on loopback; a signed-in
operator's requests are timed one at a time (latency, not throughput). Results go to
bench/results/console-queue.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert, text

from bench.database import VAR
from tollgate.app import create_app
from tollgate.auth import service as auth
from tollgate.cli.common import migrate_database
from tollgate.config import Settings
from tollgate.customers.models import Customer, IdentifierDigest
from tollgate.db import unit_of_work
from tollgate.kit.crypto import Keyring, dump_json
from tollgate.runtime import build_runtime
from tollgate.verification import operators as ops

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "console-queue.md"
STATUSES = (
    ("REVIEWING", 0.05),
    ("IN_COMPLIANCE", 0.01),
    ("ASSOCIATED_PARTIES_REMAINING", 0.01),
    ("ACTION_REQUIRED", 0.10),
    ("REJECTED", 0.05),
    ("INCOMPLETE", 0.03),
    ("APPROVED", 0.75),
)
FIRST = ("John", "Jane", "Maria", "Ahmed", "Wei", "Olga", "Pedro", "Aiko", "Liam", "Nora")
LAST = ("Doe", "Smith", "Garcia", "Khan", "Chen", "Ivanova", "Silva", "Sato", "Brown", "Quinn")
PASSWORD = "bench operator password"


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def seed(url: str, size: int, keyring: Keyring, settings: Settings) -> tuple[str, str]:
    """Fill an empty, migrated database; returns (a tax id to search for, a name to search for)."""
    runtime = build_runtime(settings)
    now = datetime.now(UTC)
    with unit_of_work(runtime.write_sessions) as session:
        auth.create_client(session, runtime.keys, now, name="bench")
        client_pk = session.scalar(text("SELECT id FROM api_client"))
        ops.create_operator(session, now, username="bench", password=PASSWORD, role=ops.Role.SENIOR)
    if isinstance(client_pk, str):
        client_pk = uuid.UUID(client_pk)
    phone = keyring.seal_text("+14155551234", "customer.phone")
    payload = keyring.seal_text(dump_json({"basic_info": {"first_name": "x"}}), "customer.payload")
    rng = random.Random(7)
    weights = [w for _, w in STATUSES]
    names = [s for s, _ in STATUSES]
    batch: list[dict[str, object]] = []
    digests: list[dict[str, object]] = []
    started = time.monotonic()
    target_tax = "123-45-0000"
    table = Customer.__table__
    dtable = IdentifierDigest.__table__
    with runtime.engine.begin() as conn:
        for n in range(size):
            business = n % 5 == 0
            status = rng.choices(names, weights)[0]
            at = now - timedelta(seconds=rng.randint(0, 30 * 24 * 3600))
            cid = uuid.UUID(int=rng.getrandbits(128), version=4)
            first, last = FIRST[n % 10], f"{LAST[(n // 10) % 10]}{n}"
            batch.append(
                {
                    "id": cid,
                    "client_pk": client_pk,
                    "type": "BUSINESS" if business else "INDIVIDUAL",
                    "seq": n // 5 + 1 if business else n - n // 5,
                    "api_version": 2,
                    "verification_type": "STANDARD",
                    "status": status,
                    "email": f"person{n}@example.com",
                    "phone": phone,
                    "country": "USA",
                    "first_name": None if business else first,
                    "last_name": None if business else last,
                    "business_name": f"Company {n}" if business else None,
                    "tos_policies_value": str(cid),
                    "payload": payload,
                    "created_at": at,
                    "updated_at": at,
                    "last_status_updated_at": at,
                    "version": 1,
                }
            )
            if n % 10 == 0:
                value = target_tax if n == 0 else f"{100000000 + n}"
                digests.append(
                    {
                        "id": uuid.uuid4(),
                        "client_pk": client_pk,
                        "customer_id": cid,
                        "source_id": None,
                        "kind": "tax_id",
                        "digest": keyring.blind_index("tax_id", value),
                    }
                )
            if len(batch) >= 20_000:
                conn.execute(insert(table).execution_options(render_nulls=True), batch)
                if digests:
                    conn.execute(insert(dtable), digests)
                batch, digests = [], []
                if (n + 1) % 200_000 == 0:
                    log(f"  {n + 1} customers ({(n + 1) / (time.monotonic() - started):.0f}/s)")
        if batch:
            conn.execute(insert(table).execution_options(render_nulls=True), batch)
        if digests:
            conn.execute(insert(dtable), digests)
    with runtime.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    runtime.engine.dispose()
    # Customers whose number ends in 56 are individuals named Pedro Ivanova<n>: one in a hundred.
    return target_tax, "pedro ivanova"


def timed(client: httpx.Client, url: str, rounds: int) -> tuple[float, float, int]:
    samples = []
    size = 0
    for _ in range(rounds):
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code)
        size = r.text.count('<tr data-customer-id="')
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)

    folder = VAR / "console"
    folder.mkdir(parents=True, exist_ok=True)
    if args.backend == "sqlite":
        path = folder / f"queue-{args.size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        import psycopg

        name = f"tollgate_bench_console_{args.size}"
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
    keyring = Keyring.generate()
    import json

    settings = Settings(
        database_url=url, keys=json.dumps(keyring.to_document()), storage_dir=str(folder / "files")
    )
    log(f"{args.backend}: migrating and seeding {args.size} customers")
    started = time.monotonic()
    migrate_database(url, keyring=keyring)
    tax, name = seed(url, args.size, keyring, settings)
    seeded = time.monotonic() - started
    log(f"seeded in {seeded:.0f} s")

    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = settings.model_copy(update={"public_base_url": base})
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rows: list[tuple[str, float, float, int]] = []
    try:
        with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
            page = client.get("/console/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            r = client.post(
                "/console/login",
                data={"csrf_token": token, "username": "bench", "password": PASSWORD, "next": ""},
            )
            assert r.status_code == 200, r.status_code
            first = client.get("/console/queue").text
            after = (
                first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
            )
            scenarios = (
                ("queue, waiting for a person (default)", "/console/queue"),
                ("queue, next keyset page", after),
                ("queue, one status (ACTION_REQUIRED)", "/console/queue?status=ACTION_REQUIRED"),
                ("queue, type BUSINESS", "/console/queue?type=BUSINESS"),
                ("queue, assignee nobody", "/console/queue?assignee=nobody"),
                ("queue, waiting at least 24 h", "/console/queue?age=24"),
                ("search, tax id (blind index)", f"/console/queue?q={tax}"),
                ("search, email", "/console/queue?q=person500000%40example.com"),
                ("search, name", f"/console/queue?q={name.replace(' ', '+')}"),
            )
            for label, url_path in scenarios:
                median, p95, count = timed(client, url_path, args.rounds)
                rows.append((label, median, p95, count))
                log(f"  {label:<42} median {median:7.1f} ms  p95 {p95:7.1f} ms  rows {count}")
    finally:
        server.should_exit = True
        thread.join(timeout=15)
    lines = [
        f"## {args.backend}, {args.size} customers ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Seeded in {seeded:.0f} s. {args.rounds} requests per line, one at a time, over loopback HTTP, "
        "whole page rendered (50 rows, counts per status included).",
        "",
        "| Page | median ms | p95 ms | rows shown |",
        "|---|---|---|---|",
        *[f"| {label} | {m:.1f} | {p:.1f} | {c} |" for label, m, p, c in rows],
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Console queue page at scale (bench/console_queue.py)\n\n"
    )
    RESULTS.write_text(previous + "\n".join(lines) + "\n")
    log(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
