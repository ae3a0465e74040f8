"""Background work: the automated checks after an attach, and webhook deliveries, each through one
``tollgate worker`` process.

The work is queued first (the server runs with ``--no-worker``), then a worker process starts and drains
it. The rate is read from the rows the worker wrote (completion times of the first and last item), so the
worker's start-up is not counted; its CPU time per item is read between the first and the last poll that
saw progress.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlparse

import httpx

from bench.bodies import ROOT, individual_body
from bench.database import Backend
from bench.measure import Result
from bench.server import Machine, Process, free_port, load_average

CHECKS_JOB = "verification.checks"
SETUP_THREADS = 4

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Documents:
    """Real files, made once: a passport scan (JPEG) and a utility bill (PDF)."""

    passport: bytes
    bill: bytes

    @staticmethod
    def make() -> Documents:
        sys.path.insert(0, str(ROOT))
        from tests.documents.samples import jpeg_bytes, pdf_bytes

        return Documents(passport=jpeg_bytes(900, 1200, seed=7), bill=pdf_bytes(1, "Utility bill"))


@dataclass(frozen=True)
class Created:
    customer_id: str
    tos_value: str


def _parallel(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return list(pool.map(fn, items))


def create_individuals(api: httpx.Client, count: int, offset: int) -> list[Created]:
    def one(i: int) -> Created:
        r = api.post("/v2/customers/individual", json=individual_body(offset + i))
        r.raise_for_status()
        data = r.json()["data"]
        query = parse_qs(urlparse(data["tos_policies_url"]).query)
        return Created(data["customer_id"], query["tos_policies_value"][0])

    return _parallel(one, range(count))


def _attach_body(created: Created, passport_uri: str, bill_uri: str, today: date) -> dict[str, object]:
    return {
        "identifying_documents": [
            {
                "type": "PASSPORT",
                "number": "X1234567",
                "country": "USA",
                "issue_date": (today - timedelta(days=700)).isoformat(),
                "expiry_date": (today + timedelta(days=3000)).isoformat(),
                "files": [{"uri": passport_uri}],
            }
        ],
        "address_documents": [
            {
                "type": "UTILITY_BILL",
                "country": "USA",
                "issue_date": (today - timedelta(days=10)).isoformat(),
                "files": [{"uri": bill_uri}],
            }
        ],
        "tos_policies_value": created.tos_value,
    }


def upload_and_attach(api: httpx.Client, customers: list[Created], docs: Documents) -> tuple[float, float]:
    """Upload both documents of each customer, then attach them; returns (uploads/s, attaches/s)."""

    def upload(c: Created) -> tuple[str, str]:
        files = {
            "passport": ("passport.jpg", docs.passport, "image/jpeg"),
            "bill": ("bill.pdf", docs.bill, "application/pdf"),
        }
        r = api.post("/v1/customers/upload", data={"customer_id": c.customer_id}, files=files)
        r.raise_for_status()
        uris = {k: v for item in r.json()["data"]["files"] for k, v in item.items()}
        return uris["passport"], uris["bill"]

    started = time.monotonic()
    uris = _parallel(upload, customers)
    uploaded = time.monotonic()
    today = datetime.now().date()

    def attach(pair: tuple[Created, tuple[str, str]]) -> None:
        c, (passport, bill) = pair
        r = api.post(
            f"/v2/customers/{c.customer_id}/individual/attach", json=_attach_body(c, passport, bill, today)
        )
        if r.status_code != 200:
            raise RuntimeError(f"attach answered {r.status_code}: {r.text[:300]}")

    _parallel(attach, zip(customers, uris, strict=True))
    attached = time.monotonic()
    n = len(customers)
    return n / (uploaded - started), n / (attached - uploaded)


def _instant(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class Drained:
    count: int
    failed: int
    per_second: float
    cpu_us: float
    peak_rss_mb: float
    machine_busy: float
    seconds: float


def drain(
    backend: Backend,
    database: str,
    env: dict[str, str],
    log: Path,
    *,
    expected: int,
    threads: int,
    progress_sql: str,
    times_sql: str,
    timeout: float = 900.0,
) -> Drained:
    """Start one worker process and wait until ``progress_sql`` (finished, failed) reaches ``expected``."""
    command = [str(Path(sys.executable).parent / "tollgate"), "worker", "--threads", str(threads)]
    worker = Process("worker", command, env, log)
    first: tuple[int, float, float, Machine] | None = None
    last: tuple[int, float, float, Machine] | None = None
    failed = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if worker.popen.poll() is not None:
                raise RuntimeError(f"the worker exited with {worker.popen.returncode}; see {log}")
            finished, failed = (int(str(v or 0)) for v in backend.rows(database, progress_sql)[0])
            sample = (finished + failed, worker.cpu_seconds(), time.monotonic(), Machine.read())
            if sample[0] and first is None:
                first = sample
            if last is None or sample[0] > last[0]:
                last = sample
            if finished + failed >= expected:
                break
        else:
            raise TimeoutError(f"the worker did not finish {expected} items in {timeout:.0f} s")
        peak = worker.peak_rss()
    finally:
        worker.stop()
    assert first is not None and last is not None
    stamps = sorted(_instant(v[0]) for v in backend.rows(database, times_sql))
    span = (stamps[-1] - stamps[0]).total_seconds() if len(stamps) > 1 else 0.0
    done_between = max(last[0] - first[0], 1)
    wall = max(last[2] - first[2], 1e-9)
    return Drained(
        count=expected,
        failed=failed,
        per_second=(len(stamps) - 1) / span if span > 0 else 0.0,
        cpu_us=1e6 * (last[1] - first[1]) / done_between,
        peak_rss_mb=peak / 2**20,
        machine_busy=(last[3].busy - first[3].busy) / wall,
        seconds=span,
    )


def _result(name: str, backend: str, size: int, drained: Drained, note: str) -> Result:
    return Result(
        scenario=name,
        backend=backend,
        size=size,
        kind="jobs",
        per_second=drained.per_second,
        count=drained.count,
        seconds=drained.seconds,
        errors=drained.failed,
        cpu_us=drained.cpu_us,
        peak_rss_mb=drained.peak_rss_mb,
        machine_busy=drained.machine_busy,
        load_average=load_average(),
        note=note,
    )


def attach_and_checks(
    api: httpx.Client,
    backend: Backend,
    database: str,
    env: dict[str, str],
    logs: Path,
    *,
    size: int,
    count: int,
    threads: int,
    docs: Documents,
) -> Result:
    """``count`` new individuals with real documents attached, then one worker runs their checks."""
    customers = create_individuals(api, count, offset=10_000_000 + threads * 100_000)
    ids = ",".join(f"'{_db_id(backend, c.customer_id)}'" for c in customers)
    uploads, attaches = upload_and_attach(api, customers, docs)
    where = f"kind = '{CHECKS_JOB}' AND payload_customer IN ({ids})"
    where = where.replace("payload_customer", _json_customer(backend))
    drained = drain(
        backend,
        database,
        env,
        logs / f"worker-checks-{threads}.log",
        expected=count,
        threads=threads,
        progress_sql=(
            f"SELECT SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) FROM job WHERE {where}"
        ),
        times_sql=f"SELECT updated_at FROM job WHERE status = 'done' AND {where}",
    )
    statuses = backend.rows(
        database, f"SELECT status, COUNT(*) FROM customer WHERE id IN ({ids}) GROUP BY status ORDER BY 2 DESC"
    )
    outcome = ", ".join(f"{n} {status}" for status, n in statuses)
    note = (
        f"{_threads(threads)} in one worker process; then {outcome};"
        f" uploads {uploads:.0f}/s, attaches {attaches:.0f}/s through the API"
    )
    return _result(f"attach + checks ({_threads(threads)})", backend.name, size, drained, note)


def webhook_deliveries(
    api: httpx.Client,
    backend: Backend,
    database: str,
    env: dict[str, str],
    logs: Path,
    *,
    size: int,
    count: int,
    threads: int,
) -> Result:
    """A local receiver registered for ``customer.created``; ``count`` customers created; one worker
    delivers their events."""
    port = free_port()
    receiver = Process(
        "receiver", [sys.executable, "-m", "bench.receiver", str(port)], env, logs / "receiver.log", port
    )
    try:
        receiver.wait_ready()
        r = api.post(
            "/v2/webhook-endpoints",
            json={"url": f"http://127.0.0.1:{port}/hook", "event_types": ["customer.created"]},
        )
        r.raise_for_status()
        endpoint = _db_id(backend, r.json()["data"]["id"])
        create_individuals(api, count, offset=20_000_000 + threads * 100_000)
        where = f"endpoint_id = '{endpoint}'"
        drained = drain(
            backend,
            database,
            env,
            logs / f"worker-webhooks-{threads}.log",
            expected=count,
            threads=threads,
            progress_sql=(
                f"SELECT SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) FROM delivery WHERE {where}"
            ),
            times_sql=f"SELECT completed_at FROM delivery WHERE status = 'succeeded' AND {where}",
        )
        received = int(httpx.get(f"http://127.0.0.1:{port}/count").text)
        api.delete(f"/v2/webhook-endpoints/{r.json()['data']['id']}")
    finally:
        receiver.stop()
    note = f"{_threads(threads)} in one worker process; the receiver counted {received}"
    return _result(f"webhook deliveries ({_threads(threads)})", backend.name, size, drained, note)


def _threads(count: int) -> str:
    return f"{count} thread{'s' if count > 1 else ''}"


def _db_id(backend: Backend, value: str) -> str:
    """A UUID as the database stores it (SQLite: 32 hex digits; PostgreSQL: the uuid type's text)."""
    parsed = uuid.UUID(value)
    return parsed.hex if backend.name == "sqlite" else str(parsed)


def _json_customer(backend: Backend) -> str:
    """The job payload's customer id as a comparable expression, in the id format of ``_db_id``."""
    if backend.name == "sqlite":
        return "replace(json_extract(payload, '$.customer_id'), '-', '')"
    return "(payload ->> 'customer_id')"
