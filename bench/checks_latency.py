"""Create and detail latency while 12-megapixel images are checked, as ratios to the same figures on the
idle server in the same run (issue 9: within 2x), on SQLite and PostgreSQL.

    python -m bench.checks_latency                          # both backends
    python -m bench.checks_latency --backends sqlite --seconds 30

Per backend, on a fresh database: a real ``tollgate serve --no-worker`` process (default settings, four
request threads) and one ``tollgate worker --threads 3`` process. One client measures creates
(``POST /v2/customers/individual``) and detail reads (``GET /v2/customers/{id}``), one request at a time,
alternately, for a set time per phase (``--seconds``, 15 by default; idle phases half as long), in three
phases:

- **idle**: nothing else runs; measured before, between and after the loaded phases, pooled.
- **checks**: three checks jobs always running, each of a customer whose passport is a 12-megapixel JPEG
  (4000x3000) stored without findings, as files uploaded before findings were kept: the worker decodes
  each before its transaction opens, on its decoder thread (one, at a lowered CPU priority). Three
  feeder threads attach one prepared customer each, wait for its checks to finish, and attach the next.
- **uploads**: three feeder threads that each upload the 12-megapixel passport and a one-page PDF (the
  server decodes the passport outside any transaction, on its decoder thread), attach them, and wait
  for the checks (which read the findings kept at upload).

Figures: p50 and p90 latency per request kind and phase, and the ratio of each loaded phase to idle. The
results go to ``bench/results/<date>-checks-latency.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bodies import ROOT, individual_body
from bench.database import BACKENDS, VAR, Backend, base_env, make_backend
from bench.jobs import Created, _attach_body, _db_id
from bench.server import Process, free_port, load_average

RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
DATABASE = "checks_latency"
FEEDERS = 3
PREPARED_PER_FEEDER = 12


@dataclass(frozen=True)
class Phase:
    backend: str
    phase: str
    create_p50_ms: float
    create_p90_ms: float
    detail_p50_ms: float
    detail_p90_ms: float
    samples: int
    checks_done: int
    load_average: float


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _check(r: httpx.Response, status: int, what: str) -> httpx.Response:
    if r.status_code != status:
        raise RuntimeError(f"{what}: expected {status}, got {r.status_code}: {r.text[:300]}")
    return r


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Bench:
    def __init__(
        self, backend: Backend, seconds: float, passport: bytes, bill: bytes, src: Path | None = None
    ) -> None:
        self.backend = backend
        self.seconds = seconds
        self.passport = passport
        self.bill = bill
        database = DATABASE if backend.name == "sqlite" else f"tollgate_bench_{DATABASE}"
        self.database = database
        storage = VAR / "files-checks-latency"
        backend.create_empty(database)
        port = free_port()
        self.env = base_env(backend.url(database), storage)
        self.env["TOLLGATE_MODE"] = "live"
        # The bench measures the server, not its rate limits (on by default in live mode).
        self.env["TOLLGATE_RATE_LIMITS"] = "false"
        if src is not None:
            self.env["PYTHONPATH"] = f"{src}:{ROOT}"
        self.env["TOLLGATE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
        self.logs = VAR / "logs" / f"checks-latency-{backend.name}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._cli("migrate")
        creds = json.loads(self._cli("clients", "create", "--name", "bench").strip().splitlines()[-1])
        command = [str(BIN / "tollgate"), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        self.server = Process("server", command, self.env, self.logs / "server.log", port)
        self.server.wait_ready()
        worker = [str(BIN / "tollgate"), "worker", "--threads", str(FEEDERS)]
        self.worker = Process("worker", worker, self.env, self.logs / "worker.log")
        self.url = f"http://127.0.0.1:{port}"
        token = _check(httpx.post(f"{self.url}/v1/oauth/token", json=creds, timeout=60), 200, "token")
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.checks_done = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._connections: list[Any] = []
        self._numbers = iter(range(100_000, 10_000_000))
        self.raw: dict[str, tuple[list[float], list[float]]] = {}

    def _cli(self, *args: str) -> str:
        import subprocess

        done = subprocess.run(
            [str(BIN / "tollgate"), *args], cwd=ROOT, env=self.env, check=True, text=True, capture_output=True
        )
        return done.stdout

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self.worker.stop()
        self.server.stop()
        self.backend.drop(self.database)

    # --- the client that measures ---------------------------------------------------------------------

    def measure(
        self, phase: str, detail_ids: list[str], running: Callable[[], bool], seconds: float | None = None
    ) -> Phase:
        """Creates and detail reads, alternately, for ``seconds`` (the bench's phase length) or until
        ``running()`` turns false, whichever comes first."""
        creates: list[float] = []
        details: list[float] = []
        done_before = self.checks_done
        until = time.monotonic() + (self.seconds if seconds is None else seconds)
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=120) as api:
            i = 0
            while time.monotonic() < until and running():
                i += 1
                t0 = time.perf_counter()
                body = individual_body(next(self._numbers))
                _check(api.post("/v2/customers/individual", json=body), 200, "create")
                creates.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                _check(api.get(f"/v2/customers/{detail_ids[i % len(detail_ids)]}"), 200, "detail")
                details.append(time.perf_counter() - t0)
        self.raw.setdefault(phase, ([], []))
        self.raw[phase][0].extend(creates)
        self.raw[phase][1].extend(details)
        return self.phase(phase, creates, details, self.checks_done - done_before)

    def phase(self, phase: str, creates: list[float], details: list[float], checks: int) -> Phase:
        result = Phase(
            backend=self.backend.name,
            phase=phase,
            create_p50_ms=1000 * statistics.median(creates),
            create_p90_ms=1000 * _percentile(creates, 0.9),
            detail_p50_ms=1000 * statistics.median(details),
            detail_p90_ms=1000 * _percentile(details, 0.9),
            samples=len(creates),
            checks_done=checks,
            load_average=load_average(),
        )
        log(
            f"  {phase:<8} create p50 {result.create_p50_ms:7.1f} ms  p90 {result.create_p90_ms:7.1f} ms"
            f"  detail p50 {result.detail_p50_ms:7.1f} ms  p90 {result.detail_p90_ms:7.1f} ms"
            f"  ({result.samples} each, {result.checks_done} checks finished meanwhile)"
        )
        return result

    # --- the work that runs beside it -----------------------------------------------------------------

    def create(self, api: httpx.Client, n: int) -> Created:
        r = _check(api.post("/v2/customers/individual", json=individual_body(n)), 200, "create")
        data = r.json()["data"]
        tos = data["tos_policies_url"].split("tos_policies_value=")[1].split("&")[0]
        return Created(data["customer_id"], tos)

    def upload(self, api: httpx.Client, customer: Created) -> tuple[str, str]:
        files = {
            "passport": ("passport.jpg", self.passport, "image/jpeg"),
            "bill": ("bill.pdf", self.bill, "application/pdf"),
        }
        r = _check(
            api.post("/v1/customers/upload", data={"customer_id": customer.customer_id}, files=files),
            200,
            "upload",
        )
        uris = {k: v for item in r.json()["data"]["files"] for k, v in item.items()}
        return uris["passport"], uris["bill"]

    def attach_and_wait(self, api: httpx.Client, customer: Created, uris: tuple[str, str]) -> None:
        today = datetime.now(UTC).date()
        body = _attach_body(customer, uris[0], uris[1], today)
        _check(api.post(f"/v2/customers/{customer.customer_id}/individual/attach", json=body), 200, "attach")
        query = (
            "SELECT COUNT(*) FROM attach_batch WHERE status = 'processing'"
            f" AND customer_id = '{_db_id(self.backend, customer.customer_id)}'"
        )
        deadline = time.monotonic() + 600
        while self._count(query) and time.monotonic() < deadline:
            time.sleep(0.1)
        with self._lock:
            self.checks_done += 1

    def _count(self, query: str) -> int:
        """One count on this thread's own connection, kept open: a connection per poll would cost the
        database (a PostgreSQL backend process each) more than the checks being measured."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.backend.name == "sqlite":
                import sqlite3

                path = self.backend.path(self.database)  # type: ignore[attr-defined]
                conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            else:
                import psycopg

                conn = psycopg.connect(self.backend.url(self.database), autocommit=True)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return int(conn.execute(query).fetchone()[0])

    def without_findings(self, uris: list[str]) -> None:
        """Make these files look stored before findings were kept: the checks job decodes them."""
        listed = ",".join(f"'{u}'" for u in uris)
        statement = f"UPDATE stored_file SET findings = NULL WHERE uri IN ({listed})"
        if self.backend.name == "sqlite":
            import sqlite3

            conn = sqlite3.connect(self.backend.path(self.database), timeout=30)  # type: ignore[attr-defined]
            with conn:
                conn.execute(statement)
            conn.close()
        else:
            import psycopg

            with psycopg.connect(self.backend.url(self.database), autocommit=True) as conn:
                conn.execute(statement.encode())


def run_backend(
    backend: Backend, seconds: float, passport: bytes, bill: bytes, src: Path | None = None
) -> list[Phase]:
    log(f"{backend.name}: fresh database, server and worker")
    bench = Bench(backend, seconds, passport, bill, src)
    phases: list[Phase] = []
    try:
        with httpx.Client(base_url=bench.url, headers=bench.headers, timeout=300) as api:
            detail_ids = [bench.create(api, 60_000 + i).customer_id for i in range(20)]
            log(
                f"  preparing {FEEDERS * PREPARED_PER_FEEDER} customers with a 12-megapixel passport uploaded"
            )
            prepared: list[tuple[Created, tuple[str, str]]] = []
            for i in range(FEEDERS * PREPARED_PER_FEEDER):
                customer = bench.create(api, 70_000 + i)
                prepared.append((customer, bench.upload(api, customer)))
            bench.without_findings([u for _, pair in prepared for u in pair])
            # warm-up: the server's first requests and the worker's start
            bench.measure("warm-up", detail_ids, lambda: True, seconds=2)
            # Idle is measured before, between and after the loaded phases and pooled, so that a drift
            # of the shared machine's load weighs on both sides of the ratio.
            bench.measure("idle", detail_ids, lambda: True, seconds=seconds / 2)

            stop = threading.Event()
            busy = threading.Semaphore(0)

            def feed_prepared(mine: list[tuple[Created, tuple[str, str]]]) -> None:
                with httpx.Client(base_url=bench.url, headers=bench.headers, timeout=600) as own:
                    for customer, uris in mine:
                        if stop.is_set():
                            return
                        busy.release()
                        bench.attach_and_wait(own, customer, uris)

            feeders = [
                threading.Thread(target=feed_prepared, args=(prepared[k::FEEDERS],), daemon=True)
                for k in range(FEEDERS)
            ]
            for t in feeders:
                t.start()
            for _ in range(FEEDERS):
                busy.acquire()
            time.sleep(0.5)  # the three checks have been claimed
            phases.append(bench.measure("checks", detail_ids, lambda: any(t.is_alive() for t in feeders)))
            stop.set()
            for t in feeders:
                t.join()

            bench.measure("idle", detail_ids, lambda: True, seconds=seconds / 2)
            stop.clear()
            counter = iter(range(80_000, 90_000))
            counter_lock = threading.Lock()

            def feed_uploads() -> None:
                with httpx.Client(base_url=bench.url, headers=bench.headers, timeout=600) as own:
                    while not stop.is_set():
                        with counter_lock:
                            n = next(counter)
                        customer = bench.create(own, n)
                        uris = bench.upload(own, customer)
                        bench.attach_and_wait(own, customer, uris)

            uploaders = [threading.Thread(target=feed_uploads, daemon=True) for _ in range(FEEDERS)]
            for t in uploaders:
                t.start()
            time.sleep(0.5)
            phases.append(bench.measure("uploads", detail_ids, lambda: True))
            stop.set()
            for t in uploaders:
                t.join()
            bench.measure("idle", detail_ids, lambda: True, seconds=seconds / 2)
            creates, details = bench.raw["idle"]
            phases.insert(0, bench.phase("idle", creates, details, 0))
    finally:
        bench.close()
    return phases


def report(phases: list[Phase], stamp: str) -> str:
    lines = [
        f"# Create and detail latency while 12-megapixel images are checked ({stamp})",
        "",
        "One client, one request at a time; p50 / p90 in ms; ratio = loaded p50 / idle p50 (target: 2x).",
        "",
        "| backend | phase | create p50 / p90 | detail p50 / p90 | create ratio | detail ratio | checks |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    idle = {p.backend: p for p in phases if p.phase == "idle"}
    for p in phases:
        base = idle[p.backend]
        lines.append(
            f"| {p.backend} | {p.phase} | {p.create_p50_ms:.1f} / {p.create_p90_ms:.1f}"
            f" | {p.detail_p50_ms:.1f} / {p.detail_p90_ms:.1f}"
            f" | {p.create_p50_ms / base.create_p50_ms:.2f}x | {p.detail_p50_ms / base.detail_p50_ms:.2f}x"
            f" | {p.checks_done} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.checks_latency", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--seconds", type=float, default=15.0, help="length of each loaded phase (each idle phase: half)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--src", type=Path, help="serve this source tree instead")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.documents.samples import jpeg_bytes, pdf_bytes

    log("making a 12-megapixel passport scan (4000x3000 JPEG)")
    passport = jpeg_bytes(4000, 3000, seed=12)
    bill = pdf_bytes(1, "Utility bill")
    phases: list[Phase] = []
    for name in args.backends.split(","):
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}")
        src = args.src.resolve() if args.src else None
        phases.extend(run_backend(make_backend(name), args.seconds, passport, bill, src))
    phases = [p for p in phases if p.phase != "warm-up"]
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M")
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{stamp}-checks-latency.json").write_text(
        json.dumps([asdict(p) for p in phases], indent=2)
    )
    text = report(phases, stamp)
    (args.results / f"{stamp}-checks-latency.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
