"""Interleaved A/B: two source trees on the same data (is a change faster, and by how much?), or one
source tree on two data sizes (does a request cost more with more customers?).

    python -m bench.ab --b /tmp/tollgate-variant/src --label pool-size
    python -m bench.ab --a /tmp/base/src --b /tmp/variant/src --scenarios detail,list-512 --rounds 5
    python -m bench.ab --size 10000 --b-size 1000000 --scenarios detail,list-10,list-512,list-last-512

Two servers (A and B, each ``tollgate serve --no-worker`` in live mode with its tree first on
PYTHONPATH) run side by side on copies of the seeded databases; each round drives every scenario against
A and B in turn (the order alternating between rounds), so both see the same machine. The medians over
the rounds are compared: requests per second, latency and, steadier on a shared machine, the server's CPU
time per request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import measure
from bench.bodies import ROOT, business_body, individual_body
from bench.ceiling_app import ASYNC_PATH
from bench.database import VAR, Backend, base_env, make_backend, prepared
from bench.load import Request
from bench.measure import Result
from bench.server import Process, free_port

BIN = Path(sys.executable).parent
SCENARIOS = (
    "ceiling",
    "detail",
    "list-10",
    "list-512",
    "list-last-512",
    "token",
    "create-individual",
    "create-business",
)


@dataclass
class Side:
    name: str
    src: Path
    size: int
    server: Process
    ceiling: Process
    headers: dict[str, str]
    creds: dict[str, str]
    ids: list[str]
    total: int  # individuals, for the last page
    database: str


def _start(backend: Backend, name: str, src: Path, size: int, logs: Path) -> Side:
    seed = prepared(backend, size)
    creds = {"client_id": seed.client_id, "client_secret": seed.client_secret}
    database = f"ab_{name.lower()}_{size}"
    if backend.name == "postgresql":
        database = f"tollgate_bench_{database}"
    backend.copy(backend.seed_name(size), database)
    url = backend.url(database)
    port = free_port()
    env = base_env(url, VAR / "files-ab")
    env["PYTHONPATH"] = f"{src}:{ROOT}"
    env["TOLLGATE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["TOLLGATE_MODE"] = "live"
    # The bench measures the server, not its rate limits (on by default in live mode).
    env["TOLLGATE_RATE_LIMITS"] = "false"
    command = [str(BIN / "tollgate"), "serve", "--no-worker", "--port", str(port)]
    server = Process(name, command, env, logs / f"server-{name}.log", port)
    ceiling_port = free_port()
    ceiling_command = [sys.executable, "-m", "uvicorn", "bench.ceiling_app:create_app", "--factory"]
    ceiling_command += ["--port", str(ceiling_port), "--log-level", "info", "--no-access-log"]
    ceiling = Process(f"{name} ceiling", ceiling_command, env, logs / f"ceiling-{name}.log", ceiling_port)
    server.wait_ready()
    ceiling.wait_ready()
    token = httpx.post(f"http://127.0.0.1:{port}/v1/oauth/token", json=creds).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sample = backend.rows(database, "SELECT id FROM customer ORDER BY random() LIMIT 5000")
    ids = [str(uuid.UUID(str(row[0]))) for row in sample]
    count = backend.rows(database, "SELECT total FROM customer_counter WHERE type = 'INDIVIDUAL'")
    return Side(name, src, size, server, ceiling, headers, creds, ids, int(str(count[0][0])), database)


def _requests(scenario: str, side: Side) -> list[Request]:
    ids, total, creds = side.ids, side.total, side.creds

    def bodies(make: Callable[[int], dict[str, object]]) -> list[str]:
        return [json.dumps(make(7_000_000 + i), separators=(",", ":")) for i in range(300)]

    if scenario == "ceiling":
        return [Request("GET", ASYNC_PATH.format(customer_id=i)) for i in ids[:1000]]
    if scenario == "detail":
        return [Request("GET", f"/v2/customers/{i}") for i in ids]
    if scenario == "list-10":
        return [Request("GET", "/v2/customers?type=INDIVIDUAL&per_page=10")]
    if scenario == "list-512":
        return [Request("GET", "/v2/customers?type=INDIVIDUAL&per_page=512")]
    if scenario == "list-last-512":
        page = max(total // 512, 1)
        return [Request("GET", f"/v2/customers?type=INDIVIDUAL&per_page=512&current_page={page}")]
    if scenario == "token":
        return [Request("POST", "/v1/oauth/token", json.dumps(creds))]
    if scenario == "create-individual":
        return [Request("POST", "/v2/customers/individual", b) for b in bodies(individual_body)]
    if scenario == "create-business":
        return [Request("POST", "/v2/customers/business", b) for b in bodies(business_body)]
    raise ValueError(scenario)


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) + "/" if resolved.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, default=ROOT / "src", help="source tree A (default: src/)")
    parser.add_argument("--b", type=Path, help="source tree B (default: the same as A)")
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--size", type=int, default=10_000, help="customers in A's database")
    parser.add_argument("--b-size", type=int, help="customers in B's database (default: --size)")
    parser.add_argument("--scenarios", default="detail,list-10,list-512,token,create-individual")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--label", default="ab", help="names the results file")
    parser.add_argument("--describe", default="", help="what B changes, for the results file")
    args = parser.parse_args(argv)
    scenarios = args.scenarios.split(",")
    for s in scenarios:
        if s not in SCENARIOS:
            parser.error(f"unknown scenario {s!r}; choose among {', '.join(SCENARIOS)}")
    src_b = args.b or args.a
    size_b = args.b_size or args.size
    if src_b == args.a and size_b == args.size:
        parser.error("A and B are the same: give --b or --b-size")
    backend = make_backend(args.backend)
    logs = VAR / "logs" / f"ab-{args.label}"
    sides: list[Side] = []
    try:
        for name, src, size in (("A", args.a, args.size), ("B", src_b, size_b)):
            sides.append(_start(backend, name, src.resolve(), size, logs))
        results: dict[tuple[str, str], list[Result]] = {}
        for round_number in range(args.rounds):
            order = sides if round_number % 2 == 0 else list(reversed(sides))
            for scenario in scenarios:
                for side in order:
                    requests = _requests(scenario, side)
                    for seconds in (1.0, args.duration):  # a warm-up, then the measurement
                        r = measure.http(
                            scenario,
                            side.ceiling if scenario == "ceiling" else side.server,
                            side.headers,
                            requests,
                            backend=args.backend,
                            size=side.size,
                            seconds=seconds,
                            connections=args.concurrency,
                        )
                    results.setdefault((scenario, side.name), []).append(r)
                    print(
                        f"round {round_number + 1} {scenario:<18} {side.name}: {r.per_second:7.0f}/s"
                        f" p50 {r.p50_ms or 0:7.2f} ms cpu {r.cpu_us or 0:7.0f} us errors {r.errors}",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        for side in sides:
            side.server.stop()
            side.ceiling.stop()
            backend.drop(side.database)
    lines = [
        f"# A/B {args.label}, {datetime.now(UTC).isoformat(timespec='seconds')}",
        "",
        *([args.describe, ""] if args.describe else []),
        f"A: `{_shown(args.a)}`, {args.size} customers; B: `{_shown(src_b)}`, {size_b} customers;"
        f" {args.backend};"
        f" {args.rounds} interleaved rounds of {args.duration:g} s, {args.concurrency} connections; medians.",
        "",
        "| scenario | A req/s | B req/s | B/A | A CPU µs/req | B CPU µs/req | B/A CPU | A p50 ms"
        " | B p50 ms | B/A p50 | A p99 ms | B p99 ms |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for scenario in scenarios:
        a, b = results[(scenario, "A")], results[(scenario, "B")]
        ra, rb = statistics.median(r.per_second for r in a), statistics.median(r.per_second for r in b)
        ca, cb = statistics.median(r.cpu_us or 0 for r in a), statistics.median(r.cpu_us or 0 for r in b)
        pa, pb = statistics.median(r.p50_ms or 0 for r in a), statistics.median(r.p50_ms or 0 for r in b)
        qa, qb = statistics.median(r.p99_ms or 0 for r in a), statistics.median(r.p99_ms or 0 for r in b)
        lines.append(
            f"| {scenario} | {ra:.0f} | {rb:.0f} | {rb / ra:.2f} | {ca:.0f} | {cb:.0f} | {cb / ca:.2f}"
            f" | {pa:.2f} | {pb:.2f} | {pb / pa:.2f} | {qa:.1f} | {qb:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench" / "results" / "ab" / f"{datetime.now(UTC):%Y-%m-%d}-{args.label}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
