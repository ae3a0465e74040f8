"""One measurement: a load of requests against a server process, with what it cost the server."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.load import Request, run_wrk
from bench.server import Machine, Process, load_average


@dataclass
class Result:
    """One row of the results: a scenario at one backend and size."""

    scenario: str
    backend: str
    size: int
    kind: str  # "http" (wrk) or "jobs" (a worker draining a queue)
    per_second: float
    count: int
    seconds: float
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    errors: int = 0
    cpu_us: float | None = None  # CPU time of the process under test per request or per job
    peak_rss_mb: float | None = None
    machine_busy: float | None = None  # cores busy on the whole machine during the measurement
    load_average: float | None = None
    response_bytes: int | None = None
    note: str = ""
    extra: dict[str, float | str] = field(default_factory=dict)


def http(
    name: str,
    process: Process,
    headers: Mapping[str, str],
    requests: Sequence[Request],
    *,
    backend: str,
    size: int,
    seconds: float,
    connections: int,
    response_bytes: int | None = None,
    note: str = "",
) -> Result:
    """Drive ``process`` with wrk; its CPU time and peak RSS are read around the run."""
    assert process.port is not None
    process.reset_peak()
    started, machine_before, cpu_before = time.monotonic(), Machine.read(), process.cpu_seconds()
    result = run_wrk(process.port, headers, requests, seconds=seconds, connections=connections)
    cpu_after, machine_after = process.cpu_seconds(), Machine.read()
    wall = max(time.monotonic() - started, 1e-9)
    return Result(
        scenario=name,
        backend=backend,
        size=size,
        kind="http",
        per_second=result.rps,
        count=result.requests,
        seconds=result.seconds,
        p50_ms=result.p50_ms,
        p90_ms=result.p90_ms,
        p99_ms=result.p99_ms,
        max_ms=result.max_ms,
        errors=result.errors + result.non_2xx,
        cpu_us=1e6 * (cpu_after - cpu_before) / max(result.requests, 1),
        peak_rss_mb=process.peak_rss() / 2**20,
        machine_busy=(machine_after.busy - machine_before.busy) / wall,
        load_average=load_average(),
        response_bytes=response_bytes,
        note=note,
    )
