"""``make bench``: Tollgate against its web stack's ceiling, by backend and data size.

For each backend and size: a seeded database (made once through ``tollgate seed``, then copied into a
throw-away database), a real ``tollgate serve`` process, the ceiling app on the same stack, and wrk as
the load generator in its own process on loopback. See docs/benchmarks.md.

    python -m bench.run                       # 10k, 100k and 1M customers, SQLite and PostgreSQL
    python -m bench.run --sizes 10000,100000 --backends sqlite
    python -m bench.run --quick               # 10k only, short runs: checks that everything works
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench import jobs, measure, prism, profile, report
from bench.bodies import ROOT, business_body, individual_body
from bench.ceiling_app import ASYNC_PATH, SYNC_PATH
from bench.database import BACKENDS, VAR, Backend, PostgreSQL, SeedInfo, base_env, make_backend, prepared
from bench.load import Request, wrk_path
from bench.measure import Result
from bench.server import Process, free_port

RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
DETAIL_SAMPLE = 10_000
JSON = {"Content-Type": "application/json"}
SECRET = ("client_id", "client_secret")  # kept in var/bench/seed/, never in the results
SCENARIOS = (
    "statements",
    "ceiling",
    "detail",
    "detail-1",
    "list-10",
    "list-512",
    "list-last-512",
    "ceiling-sync",
    "prism",
    "token",
    "create-individual",
    "create-business",
    "checks",
    "webhooks",
)


@dataclass
class Options:
    sizes: list[int]
    backends: list[str]
    duration: float
    warmup: float
    concurrency: int
    checks: int
    deliveries: int
    worker_threads: list[int]
    reseed: bool
    src: Path | None
    label: str
    only: set[str]
    results: Path
    postgres: str
    profile: set[str]
    stamp: str = ""


def parse(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", help="customers per database, comma-separated (default 10000,100000,1000000)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--duration", type=float, help="seconds per HTTP scenario (default 10)")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load before each (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="open connections (default 8)")
    parser.add_argument("--checks", type=int, help="attaches whose checks one worker runs (default 200)")
    parser.add_argument("--deliveries", type=int, help="webhook deliveries one worker sends (default 500)")
    parser.add_argument("--worker-threads", help="worker thread counts to measure, e.g. 1,4 (default 1,4)")
    parser.add_argument("--quick", action="store_true", help="10k only, 3 s per scenario, few jobs")
    parser.add_argument("--reseed", action="store_true", help="seed again even if a seeded copy is kept")
    parser.add_argument("--src", type=Path, help="serve this source tree instead (A/B of a change)")
    parser.add_argument("--label", default="", help="suffix of the results files; not written to latest.md")
    parser.add_argument("--only", help=f"scenarios to run, comma-separated, among: {', '.join(SCENARIOS)}")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where results are written")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument(
        "--profile",
        default="",
        help="HTTP scenarios to profile afterwards with py-spy, comma-separated (e.g. detail,list-512)",
    )
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    backends = args.backends.split(",")
    for name in backends:
        if name not in BACKENDS:
            parser.error(f"unknown backend {name!r}")
    sizes = args.sizes or ("10000" if quick else "10000,100000,1000000")
    threads = args.worker_threads or ("1" if quick else "1,4")
    return Options(
        sizes=[int(s) for s in sizes.split(",")],
        backends=backends,
        duration=args.duration or (3.0 if quick else 10.0),
        warmup=args.warmup if args.warmup is not None else (1.0 if quick else 2.0),
        concurrency=args.concurrency,
        checks=args.checks or (20 if quick else 200),
        deliveries=args.deliveries or (50 if quick else 500),
        worker_threads=[int(t) for t in threads.split(",")],
        reseed=args.reseed,
        src=args.src.resolve() if args.src else None,
        label=args.label,
        only=only,
        results=args.results,
        postgres=args.postgres,
        profile=set(filter(None, args.profile.split(","))),
    )


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def statement_count_test(backend: Backend) -> str:
    """Run the N+1 test (tests/customers/test_read.py) against this backend: PASS or MISS."""
    env = base_env("", VAR / "files-test")
    env.pop("TOLLGATE_DATABASE_URL")
    database = "tollgate_bench_statements"
    if isinstance(backend, PostgreSQL):
        backend.create_empty(database)
        env["TOLLGATE_TEST_DATABASE_URL"] = backend.url(database)
    test = "tests/customers/test_read.py::test_detail_and_list_statement_counts_do_not_grow"
    done = subprocess.run(
        [str(BIN / "pytest"), test, "-q"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if isinstance(backend, PostgreSQL):
        backend.drop(database)
    return "PASS" if done.returncode == 0 else "MISS"


@dataclass
class Block:
    """One backend at one size: the servers, the API client and what has been measured."""

    options: Options
    backend: Backend
    size: int
    seed: SeedInfo
    database: str
    logs: Path
    env: dict[str, str]
    server: Process
    ceiling: Process
    api: httpx.Client
    headers: dict[str, str]
    ids: list[str]
    results: list[Result] = field(default_factory=list)

    def http(
        self,
        key: str,
        name: str,
        process: Process,
        requests: list[Request],
        *,
        response_bytes: int,
        note: str = "",
        connections: int | None = None,
    ) -> Result:
        o = self.options
        connections = connections or o.concurrency
        if o.warmup > 0:
            measure.http(
                name,
                process,
                self.headers,
                requests,
                backend="",
                size=0,
                seconds=o.warmup,
                connections=connections,
            )
        result = measure.http(
            name,
            process,
            self.headers,
            requests,
            backend=self.backend.name,
            size=self.size,
            seconds=o.duration,
            connections=connections,
            response_bytes=response_bytes,
            note=note,
        )
        self.results.append(result)
        log(
            f"  {name:<32} {result.per_second:8.0f}/s  p50 {result.p50_ms or 0:7.2f} ms"
            f"  p99 {result.p99_ms or 0:7.2f} ms  cpu {result.cpu_us or 0:7.0f} us  errors {result.errors}"
        )
        if key in o.profile:
            self.profile(key, name, process, requests)
        return result

    def profile(self, key: str, name: str, process: Process, requests: list[Request]) -> None:
        """Run the scenario again under py-spy (not measured) and write a summary of where the CPU went."""
        o = self.options
        stem = f"{o.stamp}-{self.backend.name}-{self.size}-{key}"
        raw = VAR / "profiles" / f"{stem}.txt"

        def load() -> None:
            measure.http(
                name,
                process,
                self.headers,
                requests,
                backend="",
                size=0,
                seconds=o.duration,
                connections=o.concurrency,
            )

        if not profile.record(process.pid, o.duration, raw, load):
            log("  (py-spy is not installed: `pip install py-spy` to profile)")
            return
        title = f"{name}: {self.backend.name}, {self.size} customers, {o.concurrency} connections"
        out = o.results / "profiles" / f"{stem}.md"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(f"# Profile: {title}\n\n" + profile.summarise(raw, "Where the server's CPU went"))
        log(f"  profile: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


def _env(options: Options, backend: Backend, database: str, port: int, mode: str) -> dict[str, str]:
    env = base_env(backend.url(database), VAR / "files-work")
    env["TOLLGATE_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    env["TOLLGATE_MODE"] = mode
    # The bench measures the server, not its rate limits (on by default in live mode).
    env["TOLLGATE_RATE_LIMITS"] = "false"
    if options.src is not None:
        env["PYTHONPATH"] = f"{options.src}:{ROOT}"
    return env


def start_server(
    options: Options, backend: Backend, database: str, seed: SeedInfo, logs: Path, *, mode: str
) -> tuple[Process, httpx.Client, dict[str, str]]:
    """``tollgate serve --no-worker`` on a free port; an API client holding a token of the seeded client."""
    port = free_port()
    env = _env(options, backend, database, port, mode)
    command = [str(BIN / "tollgate"), "serve", "--no-worker", "--port", str(port)]
    server = Process(f"server ({mode})", command, env, logs / f"server-{mode}.log", port)
    server.wait_ready()
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    creds = {"client_id": seed.client_id, "client_secret": seed.client_secret}
    token = _check(api.post("/v1/oauth/token", json=creds), 200, "token").json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    return server, api, env


def _sample_ids(backend: Backend, database: str) -> list[str]:
    rows = backend.rows(database, f"SELECT id FROM customer ORDER BY random() LIMIT {DETAIL_SAMPLE}")
    return [str(uuid.UUID(str(row[0]))) for row in rows]


def _check(response: httpx.Response, status: int, what: str) -> httpx.Response:
    if response.status_code != status:
        raise RuntimeError(f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}")
    return response


def start_block(options: Options, backend: Backend, size: int) -> Block:
    seed = prepared(backend, size, reseed=options.reseed)
    database = f"work_{size}" if backend.name == "sqlite" else f"tollgate_bench_work_{size}"
    log(f"{backend.name} {size}: copying the seeded database ({seed.seeder}, {seed.rate:.0f} customers/s)")
    backend.copy(backend.seed_name(size), database)
    logs = VAR / "logs" / f"{backend.name}-{size}"
    server, api, env = start_server(options, backend, database, seed, logs, mode="live")
    headers = {"Authorization": api.headers["Authorization"], "Content-Type": "application/json"}
    ceiling_port = free_port()
    ids = _sample_ids(backend, database)
    bodies = [_check(api.get(f"/v2/customers/{i}"), 200, "detail").content for i in ids[:200]]
    mean = sum(len(b) for b in bodies) / len(bodies)
    body_file = logs / "ceiling-body.json"
    body_file.write_bytes(min(bodies, key=lambda b: abs(len(b) - mean)))
    ceiling_env = dict(env, BENCH_CEILING_BODY=str(body_file))
    ceiling = Process(
        "ceiling",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ceiling_app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(ceiling_port),
            "--workers",
            "1",
            "--log-level",
            "info",
            "--no-access-log",
        ],
        ceiling_env,
        logs / "ceiling.log",
        ceiling_port,
    )
    ceiling.wait_ready()
    return Block(options, backend, size, seed, database, logs, env, server, ceiling, api, headers, ids)


def run_block(block: Block, docs: jobs.Documents) -> list[Result]:
    o, api = block.options, block.api
    ids = block.ids
    ceiling_bytes = len((block.logs / "ceiling-body.json").read_bytes())
    detail = [Request("GET", f"/v2/customers/{i}") for i in ids]
    ceiling = [Request("GET", ASYNC_PATH.format(customer_id=i)) for i in ids[:1000]]
    ceiling_sync = [Request("GET", SYNC_PATH.format(customer_id=i)) for i in ids[:1000]]
    _check(api.get(ceiling[0].path.replace("/bench", "/__none")), 404, "404 on the server")

    def size_of(path: str, status: int = 200) -> int:
        return len(_check(api.get(path), status, path).content)

    def ceiling_run(when: str) -> None:
        if "ceiling" in o.only:
            probe = httpx.get(f"http://127.0.0.1:{block.ceiling.port}{ceiling[0].path}")
            _check(probe, 200, "ceiling")
            block.http(
                "ceiling", f"ceiling ({when})", block.ceiling, ceiling, response_bytes=len(probe.content)
            )

    ceiling_run("before")
    if "detail" in o.only:
        block.http(
            "detail", "detail read", block.server, detail, response_bytes=ceiling_bytes, note="random ids"
        )
    if "detail-1" in o.only:
        # The latency of a lone request: with one connection nothing queues behind anything else.
        block.http(
            "detail-1",
            "detail read, 1 connection",
            block.server,
            detail,
            response_bytes=ceiling_bytes,
            note="random ids, one connection",
            connections=1,
        )
    first = _check(api.get("/v2/customers?type=INDIVIDUAL&per_page=512"), 200, "list").json()["data"]
    total = first["pagination"]["total"]
    last_full = max(total // 512, 1)
    lists: list[tuple[str, str, str]] = [
        ("list-10", "list page 1, per_page 10", "/v2/customers?type=INDIVIDUAL&per_page=10"),
        ("list-512", "list page 1, per_page 512", "/v2/customers?type=INDIVIDUAL&per_page=512"),
        (
            "list-last-512",
            "list last page, per_page 512",
            f"/v2/customers?type=INDIVIDUAL&per_page=512&current_page={last_full}",
        ),
    ]
    for key, name, path in lists:
        if key in o.only:
            items = len(_check(api.get(path), 200, path).json()["data"]["customers"])
            note = f"page {path.rsplit('=', 1)[-1] if 'current_page' in path else 1} of {total} individuals"
            block.http(
                key,
                name,
                block.server,
                [Request("GET", path)],
                response_bytes=size_of(path),
                note=f"{note}, {items} items",
            )
    if "prism" in o.only:
        # The same reads from a stateless mock of Fin's API (Prism answers each with its example).
        mock = prism.start(block.logs)
        try:
            base = f"http://127.0.0.1:{mock.port}"
            list_path = "/v2/customers?type=INDIVIDUAL&per_page=512"
            for key, name, requests, probe_path in (
                ("prism", report.PRISM_DETAIL, detail, detail[0].path),
                ("prism", report.PRISM_LIST, [Request("GET", list_path)], list_path),
            ):
                probe = _check(httpx.get(base + probe_path, headers=block.headers), 200, name)
                block.http(
                    key, name, mock, requests, response_bytes=len(probe.content), note="Fin's example body"
                )
        finally:
            mock.stop()
    if "ceiling-sync" in o.only:
        probe = httpx.get(f"http://127.0.0.1:{block.ceiling.port}{ceiling_sync[0].path}")
        _check(probe, 200, "ceiling-sync")
        block.http(
            "ceiling-sync",
            "ceiling, thread-pool handler",
            block.ceiling,
            ceiling_sync,
            response_bytes=len(probe.content),
            note="a plain def handler, as Tollgate's endpoints are",
        )
    if "token" in o.only:
        creds = json.dumps({"client_id": block.seed.client_id, "client_secret": block.seed.client_secret})
        r = _check(api.post("/v1/oauth/token", content=creds, headers=JSON), 200, "token")
        block.http(
            "token",
            "token issue",
            block.server,
            [Request("POST", "/v1/oauth/token", creds)],
            response_bytes=len(r.content),
        )
    creates: list[tuple[str, str, str, Callable[[int], dict[str, object]], int]] = [
        ("create-individual", "create individual", "/v2/customers/individual", individual_body, 200),
        ("create-business", "create business", "/v2/customers/business", business_body, 201),
    ]
    for key, name, path, make, status in creates:
        if key in o.only:
            bodies = [json.dumps(make(5_000_000 + i), separators=(",", ":")) for i in range(500)]
            r = _check(api.post(path, content=bodies[0], headers=JSON), status, name)
            requests = [Request("POST", path, b) for b in bodies]
            block.http(key, name, block.server, requests, response_bytes=len(r.content))
    ceiling_run("after")
    for threads in o.worker_threads:
        if "checks" in o.only:
            log(f"  attach + checks: {o.checks} customers, {threads} worker thread(s)")
            result = jobs.attach_and_checks(
                api,
                block.backend,
                block.database,
                block.env,
                block.logs,
                size=block.size,
                count=o.checks,
                threads=threads,
                docs=docs,
            )
            block.results.append(result)
            log(f"  {result.scenario:<32} {result.per_second:8.1f}/s  ({result.note})")
    if "webhooks" in o.only:
        # Live mode refuses loopback receivers by design, so this part runs in sandbox mode.
        server, sandbox_api, env = start_server(
            o, block.backend, block.database, block.seed, block.logs, mode="sandbox"
        )
        try:
            for threads in o.worker_threads:
                log(f"  webhook deliveries: {o.deliveries}, {threads} worker thread(s)")
                result = jobs.webhook_deliveries(
                    sandbox_api,
                    block.backend,
                    block.database,
                    env,
                    block.logs,
                    size=block.size,
                    count=o.deliveries,
                    threads=threads,
                )
                block.results.append(result)
                log(f"  {result.scenario:<32} {result.per_second:8.1f}/s  ({result.note})")
        finally:
            sandbox_api.close()
            server.stop()
    return block.results


def stop_block(block: Block) -> None:
    block.api.close()
    block.server.stop()
    block.ceiling.stop()
    block.backend.drop(block.database)


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    wrk_path()
    started = datetime.now(UTC)
    options.stamp = f"{started:%Y-%m-%d}" + (f"-{options.label}" if options.label else "")
    docs = jobs.Documents.make()
    run = report.Run(
        started=started.isoformat(timespec="seconds"),
        label=options.label,
        concurrency=options.concurrency,
        duration=options.duration,
        environment=report.environment(options.src),
    )
    run.keep_others(options.results, options.backends)
    for name in options.backends:
        run.measured[name] = datetime.now(UTC).isoformat(timespec="seconds")
        backend = make_backend(name, options.postgres)
        if "statements" in options.only:
            log(f"{name}: the N+1 statement-count test")
            run.statement_tests[name] = statement_count_test(backend)
        for size in options.sizes:
            block = start_block(options, backend, size)
            try:
                seed = {k: v for k, v in asdict(block.seed).items() if k not in SECRET}
                run.seeds.append(
                    seed | {"rate": block.seed.rate, "bytes": backend.size_bytes(backend.seed_name(size))}
                )
                run.results += run_block(block, docs)
            finally:
                stop_block(block)
            run.save(options.results)
    paths = report.write(run, options.results, latest=not options.label and options.src is None)
    for path in paths:
        log(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    log(f"done in {(datetime.now(UTC) - started).total_seconds() / 60:.1f} min")


if __name__ == "__main__":
    main()
