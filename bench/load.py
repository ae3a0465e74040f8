"""The load generator: wrk (Debian's package) in its own process, one thread, keep-alive connections.

wrk is written in C and spends a few microseconds of CPU per request, so on a two-core machine it leaves
the other core to the server; a Python load generator would need about as much CPU per request as the
server under test and would cap the ceiling measurement at its own speed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.bodies import ROOT

SCRIPT = ROOT / "bench" / "wrk" / "requests.lua"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: int
    non_2xx: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk is not installed: `apt-get install wrk` (Debian) or see docs/benchmarks.md for the setup"
        )
    return found


def write_requests(path: Path, headers: Mapping[str, str], requests: Iterable[Request]) -> int:
    count = 0
    with path.open("w") as out:
        for name, value in headers.items():
            out.write(f"H\t{name}\t{value}\n")
        for r in requests:
            if "\t" in r.path or "\n" in r.body or "\t" in r.body:
                raise ValueError("request paths and bodies must not contain tabs or newlines")
            out.write(f"R\t{r.method}\t{r.path}\t{r.body}\n")
            count += 1
    if not count:
        raise ValueError("no requests to send")
    return count


def run_wrk(
    port: int,
    headers: Mapping[str, str],
    requests: Iterable[Request],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
) -> WrkResult:
    """Drive ``127.0.0.1:port`` with ``connections`` keep-alive connections for ``seconds``."""
    with tempfile.TemporaryDirectory(prefix="tollgate-bench-") as tmp:
        spec, out = Path(tmp) / "requests.tsv", Path(tmp) / "out.json"
        write_requests(spec, headers, requests)
        command = [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(SCRIPT),
            f"http://127.0.0.1:{port}",
        ]
        env = {"BENCH_REQUESTS": str(spec), "BENCH_OUT": str(out), "PATH": "/usr/bin:/bin"}
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(
                f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )
        raw = json.loads(out.read_text())
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        non_2xx=raw["status_errors"],
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )
