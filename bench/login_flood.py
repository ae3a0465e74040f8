"""Another API client's reads while sixteen connections flood the operator sign-in (issue 13: a flood of
argon2 sign-ins must not starve other tenants), as ratios to the same reads on the idle server, measured
in one run.

    python -m bench.login_flood                       # SQLite
    python -m bench.login_flood --backends sqlite,postgresql --seconds 20

Per backend, on a fresh database: a real ``tollgate serve --no-worker`` in live mode (four request
threads). One client reads one customer's detail, one request at a time, for ``--seconds`` per phase:

- **idle**: nothing else runs.
- **flood**: sixteen threads post ``/ops/v1/token`` with wrong passwords as fast as the server answers,
  with rate limits off (so only the bound on concurrent argon2 verifications protects the reads).
- **flood, limited**: the same with the live-mode rate limits on (20 sign-ins a minute per address).

Figures: p50 and p99 of the detail read per phase, its ratio to idle, and the sign-in answers by status.
The results go to ``bench/results/<date>-login-flood.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bodies import ROOT, individual_body
from bench.database import BACKENDS, VAR, base_env, make_backend
from bench.server import Process, free_port, load_average

RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
FLOODERS = 16


@dataclass(frozen=True)
class Phase:
    backend: str
    phase: str
    detail_p50_ms: float
    detail_p99_ms: float
    reads: int
    sign_ins: dict[str, int]
    load_average: float


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _server(backend_name: str, limits: bool) -> tuple[Process, str, dict[str, str], object, str]:
    backend = make_backend(backend_name)
    database = "login_flood" if backend.name == "sqlite" else "tollgate_bench_login_flood"
    backend.create_empty(database)
    port = free_port()
    env = base_env(backend.url(database), VAR / "files-login-flood")
    env["TOLLGATE_MODE"] = "live"
    env["TOLLGATE_RATE_LIMITS"] = "true" if limits else "false"
    env["TOLLGATE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"

    def cli(*args: str) -> str:
        done = subprocess.run(
            [str(BIN / "tollgate"), *args], cwd=ROOT, env=env, check=True, text=True, capture_output=True
        )
        return done.stdout

    cli("migrate")
    creds = json.loads(cli("clients", "create", "--name", "reader").strip().splitlines()[-1])
    command = [str(BIN / "tollgate"), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    server = Process("server", command, env, VAR / "logs" / "login-flood" / "server.log", port)
    server.wait_ready()
    url = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{url}/v1/oauth/token", json=creds, timeout=60).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(
        f"{url}/v2/customers/individual", json=individual_body(1), headers=headers, timeout=60
    )
    created.raise_for_status()
    detail = f"{url}/v2/customers/{created.json()['data']['customer_id']}"
    return server, detail, headers, (backend, database), url


def _measure(detail: str, headers: dict[str, str], seconds: float) -> list[float]:
    samples: list[float] = []
    with httpx.Client(headers=headers, timeout=60) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            client.get(detail).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _flood_process(url: str, threads: int, stop: Any, answers: Any) -> None:
    """Flood in a process of its own: flooding threads beside the reader would hold the bench's own GIL
    and delay the reader's requests in the client, not in the server."""
    lock = threading.Lock()
    counts: Counter[str] = Counter()

    def flood() -> None:
        with httpx.Client(timeout=60) as client:
            n = 0
            while not stop.is_set():
                n += 1
                body = {"username": f"nobody{n}", "password": "wrong password!"}
                r = client.post(f"{url}/ops/v1/token", json=body)
                with lock:
                    counts[str(r.status_code)] += 1

    workers = [threading.Thread(target=flood) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    answers.update(counts)


def run_backend(name: str, seconds: float) -> list[Phase]:
    phases: list[Phase] = []
    for limits in (False, True):
        server, detail, headers, (backend, database), url = _server(name, limits)
        try:
            if not limits:
                idle = _measure(detail, headers, seconds)
                phases.append(
                    Phase(
                        name,
                        "idle",
                        _percentile(idle, 0.5),
                        _percentile(idle, 0.99),
                        len(idle),
                        {},
                        load_average(),
                    )
                )
            context = multiprocessing.get_context("spawn")
            manager = context.Manager()
            stop, answers = manager.Event(), manager.dict()
            floods = [
                context.Process(target=_flood_process, args=(url, FLOODERS // 2, stop, answers))
                for _ in range(2)
            ]
            for process in floods:
                process.start()
            time.sleep(2)
            loaded = _measure(detail, headers, seconds)
            stop.set()
            for process in floods:
                process.join()
            counted = dict(answers)
            manager.shutdown()
            label = "flood, limited" if limits else "flood"
            phases.append(
                Phase(
                    name,
                    label,
                    _percentile(loaded, 0.5),
                    _percentile(loaded, 0.99),
                    len(loaded),
                    counted,
                    load_average(),
                )
            )
        finally:
            server.stop()
            backend.drop(database)  # type: ignore[attr-defined]
    return phases


def report(phases: list[Phase]) -> str:
    idle = {p.backend: p for p in phases if p.phase == "idle"}
    lines = [
        "| backend | phase | detail p50 ms | p99 ms | p50 / idle | p99 / idle | sign-in answers | load |",
        "|---|---|--:|--:|--:|--:|---|--:|",
    ]
    for p in phases:
        base = idle[p.backend]
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(p.sign_ins.items())) or "-"
        lines.append(
            f"| {p.backend} | {p.phase} | {p.detail_p50_ms:.1f} | {p.detail_p99_ms:.1f} | "
            f"{p.detail_p50_ms / base.detail_p50_ms:.2f}x | {p.detail_p99_ms / base.detail_p99_ms:.2f}x | "
            f"{answers} | {p.load_average:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()
    phases: list[Phase] = []
    for name in args.backends.split(","):
        if name not in BACKENDS:
            raise SystemExit(f"unknown backend {name}")
        phases.extend(run_backend(name, args.seconds))
    table = report(phases)
    print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-login-flood"
    stem.with_suffix(".json").write_text(json.dumps([asdict(p) for p in phases], indent=2) + "\n")
    stem.with_suffix(".md").write_text(table + "\n")


if __name__ == "__main__":
    main()
