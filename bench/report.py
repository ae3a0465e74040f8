"""Results: raw JSON, Markdown tables with the targets of issue 6 checked, and a plot of latency by size."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path

from bench.bodies import ROOT
from bench.measure import Result
from bench.server import load_average

CEILING = ("ceiling (before)", "ceiling (after)")
DETAIL = "detail read"
DETAIL_ONE = "detail read, 1 connection"
LIST_10 = "list page 1, per_page 10"
LIST_512 = "list page 1, per_page 512"
LAST_512 = "list last page, per_page 512"
CREATE_INDIVIDUAL = "create individual"
PRISM_DETAIL = "Prism 5: detail read"
PRISM_LIST = "Prism 5: list page 1, per_page 512"
MILLION = 1_000_000
NONE = "\N{EN DASH}"
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass
class Run:
    started: str
    label: str
    concurrency: int
    duration: float
    environment: dict[str, str]
    statement_tests: dict[str, str] = field(default_factory=dict)
    seeds: list[dict[str, object]] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    # When each backend was measured: a later run of the same day and label replaces the backends it
    # measures and keeps the others, so latest.md can hold SQLite and PostgreSQL run one after the other.
    measured: dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        return self.started[:10] + (f"-{self.label}" if self.label else "")

    def keep_others(self, directory: Path, backends: list[str]) -> None:
        """Take over from an earlier run of the same day and label whatever it measured of other backends."""
        path = directory / f"{self.stem}.json"
        if not path.exists():
            return
        earlier = load(path)
        self.results += [r for r in earlier.results if r.backend not in backends]
        self.seeds += [s for s in earlier.seeds if s["backend"] not in backends]
        for backend, when in earlier.measured.items():
            if backend not in backends:
                self.measured[backend] = when
                if backend in earlier.statement_tests:
                    self.statement_tests[backend] = earlier.statement_tests[backend]

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.stem}.json"
        data = asdict(self)
        path.write_text(json.dumps(data, indent=1) + "\n")
        return path


def _run_text(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    except OSError:
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr) else "?"


def environment(src: Path | None) -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in (
            "fastapi",
            "starlette",
            "uvicorn",
            "uvloop",
            "httptools",
            "sqlalchemy",
            "psycopg",
            "pydantic",
        )
    )
    dirty = _run_text(["git", "status", "--porcelain", "--", "src"])
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {
        "machine": f"{os.cpu_count()} cores ({cpu}), {memory / 2**30:.0f} GiB",
        "python": platform.python_version(),
        "packages": versions,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _run_text(["psql", "--version"]),
        "wrk": _run_text(["wrk", "--version"]).split(" Copyright")[0],
        "commit": _run_text(["git", "rev-parse", "--short", "HEAD"])
        + (" with uncommitted changes in src/" if dirty not in ("", "?") else ""),
        "source": str(src) if src else "src/ of this checkout",
        "load_average_at_start": f"{load_average():.2f}",
    }


# ---------------------------------------------------------------- figures


def _find(results: Iterable[Result], scenario: str, size: int) -> Result | None:
    return next((r for r in results if r.scenario == scenario and r.size == size), None)


def ceiling_of(results: list[Result], size: int) -> tuple[float, float] | None:
    """Mean requests/s and CPU us/request of the ceiling runs of one block."""
    runs = [r for r in (_find(results, name, size) for name in CEILING) if r is not None]
    if not runs:
        return None
    return sum(r.per_second for r in runs) / len(runs), sum(r.cpu_us or 0 for r in runs) / len(runs)


def _ms(value: float | None) -> str:
    if value is None:
        return NONE
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _rate(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    return NONE if value is None else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _size(size: int) -> str:
    return (
        f"{size // MILLION}M"
        if size % MILLION == 0
        else f"{size // 1000}k"
        if size % 1000 == 0
        else str(size)
    )


@dataclass(frozen=True)
class Target:
    name: str
    where: str
    measured: str
    verdict: str  # PASS, MISS or n/a


def _cpu_ratio(a: Result, b: Result) -> str:
    """The same comparison by server CPU per request, which other load on the machine disturbs less."""
    if not a.cpu_us or not b.cpu_us:
        return ""
    return f"; CPU per request {a.cpu_us / b.cpu_us:.2f}x"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def targets(run: Run, backend: str) -> list[Target]:
    results = [r for r in run.results if r.backend == backend]
    sizes = sorted({r.size for r in results})
    if not sizes:
        return []
    out: list[Target] = []
    big, small = sizes[-1], sizes[0]
    at_big = _size(big) + ("" if big == MILLION else " (largest size run; the target is at 1M)")
    for size in sizes:
        ceiling, detail = ceiling_of(results, size), _find(results, DETAIL, size)
        if ceiling and detail:
            share = detail.per_second / ceiling[0]
            out.append(
                Target(
                    "Detail read: at least 50% of the ceiling's throughput",
                    _size(size),
                    f"{share:.0%} ({_rate(detail.per_second)} of {_rate(ceiling[0])} req/s)",
                    _verdict(share >= 0.5),
                )
            )
    for size in sizes:
        for ours, theirs, label in (
            (DETAIL, PRISM_DETAIL, "Detail"),
            (LIST_512, PRISM_LIST, "List per_page 512"),
        ):
            a, b = _find(results, ours, size), _find(results, theirs, size)
            if a and b and b.per_second:
                times = a.per_second / b.per_second
                out.append(
                    Target(
                        f"{label} read: at least 2x Prism 5's throughput",
                        _size(size),
                        f"{times:.2f}x ({_rate(a.per_second)} vs {_rate(b.per_second)} req/s)",
                        _verdict(times >= 2),
                    )
                )
    for scenario, label in ((DETAIL, ""), (DETAIL_ONE, ", one connection (no queueing)")):
        found = _find(results, scenario, big)
        if found and found.p99_ms is not None:
            out.append(
                Target(
                    f"Detail read: p99 under 10 ms{label}",
                    at_big,
                    f"{_ms(found.p99_ms)} ms (p50 {_ms(found.p50_ms or 0)} ms)",
                    _verdict(found.p99_ms < 10),
                )
            )
    for size in sizes:
        detail, page = _find(results, DETAIL, size), _find(results, LIST_512, size)
        if detail and page and detail.p50_ms and page.p50_ms:
            times = page.p50_ms / detail.p50_ms
            out.append(
                Target(
                    "List per_page 512: under 3x the detail read's latency (p50)",
                    _size(size),
                    f"{times:.1f}x ({_ms(page.p50_ms)} vs {_ms(detail.p50_ms)} ms)",
                    _verdict(times < 3),
                )
            )
    first, last = _find(results, LIST_512, big), _find(results, LAST_512, big)
    if first and last and first.p50_ms and last.p50_ms:
        times = last.p50_ms / first.p50_ms
        out.append(
            Target(
                "Last page within 1.5x of page 1 (per_page 512, p50)",
                at_big,
                f"{times:.2f}x ({_ms(last.p50_ms)} vs {_ms(first.p50_ms)} ms){_cpu_ratio(last, first)}",
                _verdict(times <= 1.5),
            )
        )
    if big != small:
        for scenario in (DETAIL, LIST_10, LIST_512):
            a, b = _find(results, scenario, small), _find(results, scenario, big)
            if a and b and a.p50_ms and b.p50_ms:
                times = b.p50_ms / a.p50_ms
                out.append(
                    Target(
                        f"{scenario}: p50 at {_size(big)} within 1.5x of {_size(small)}",
                        f"{_size(small)} to {_size(big)}",
                        f"{times:.2f}x ({_ms(b.p50_ms)} vs {_ms(a.p50_ms)} ms){_cpu_ratio(b, a)}",
                        _verdict(times <= 1.5),
                    )
                )
    if backend == "sqlite":
        for size in sizes:
            create = _find(results, CREATE_INDIVIDUAL, size)
            if create:
                out.append(
                    Target(
                        "Create individual: at least 500 per second on SQLite",
                        _size(size),
                        f"{_rate(create.per_second)}/s",
                        _verdict(create.per_second >= 500),
                    )
                )
    server = [
        r
        for r in results
        if r.size == big and r.kind == "http" and not r.scenario.startswith(("ceiling", "Prism"))
    ]
    if server:
        peak = max(r.peak_rss_mb or 0 for r in server)
        out.append(Target("Server peak RSS under 250 MB", at_big, f"{peak:.0f} MB", _verdict(peak < 250)))
    test = run.statement_tests.get(backend)
    if test:
        out.append(
            Target(
                "No N+1: statement counts do not grow with the page size",
                "tests/customers/test_read.py",
                "test_detail_and_list_statement_counts_do_not_grow",
                test,
            )
        )
    return out


# ---------------------------------------------------------------- Markdown


COLUMNS = (
    "scenario",
    "per s",
    f"{TIMES} ceiling",
    "p50 ms",
    "p99 ms",
    "CPU \N{MICRO SIGN}s per item",
    f"CPU {TIMES} ceiling",
    "peak RSS MB",
    "machine busy (cores)",
    "errors",
    "notes",
)


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(run: Run, backend: str, size: int) -> list[str]:
    results = [r for r in run.results if r.backend == backend and r.size == size]
    ceiling = ceiling_of(results, size)
    lines = [_row(COLUMNS), "|---|" + "--:|" * (len(COLUMNS) - 2) + "---|"]
    for r in results:
        share = r.per_second / ceiling[0] if ceiling else None
        cost = (r.cpu_us / ceiling[1]) if ceiling and r.cpu_us and ceiling[1] else None
        unit = "req" if r.kind == "http" else "job"
        notes = [r.note] if r.note else []
        if r.response_bytes:
            notes.append(f"{r.response_bytes} B responses")
        cells = (
            r.scenario,
            f"{_rate(r.per_second)} {unit}/s",
            _ratio(share),
            _ms(r.p50_ms),
            _ms(r.p99_ms),
            f"{r.cpu_us or 0:.0f}",
            _ratio(cost),
            f"{r.peak_rss_mb or 0:.0f}",
            f"{r.machine_busy or 0:.2f}",
            str(r.errors),
            "; ".join(notes),
        )
        lines.append(_row(cells))
    return lines


def _seed_line(run: Run, backend: str, size: int) -> str:
    for s in run.seeds:
        if s["backend"] == backend and s["size"] == size:
            mb = int(str(s.get("bytes", 0))) / 2**20
            seconds, rate = float(str(s["seconds"])), float(str(s["rate"]))
            return (
                f"{s['individuals']} individuals and {s['businesses']} businesses (two parties each),"
                f" seeded by `{s['seeder']}` in {seconds:.0f} s ({rate:.0f} customers/s);"
                f" database {mb:.0f} MB."
            )
    return ""


INTRO = (
    "wrk, {concurrency} connections, {duration:g} s per HTTP scenario after a warm-up; one"
    " `tollgate serve --no-worker` process (uvicorn, one worker, access log off); the ceiling is the same"
    " application object answering a precomputed detail body without a database (docs/benchmarks.md)."
)
LEGEND = (
    f"Columns: *{TIMES} ceiling* is the scenario's rate over the mean rate of the two ceiling runs of the"
    " same block; *CPU \N{MICRO SIGN}s per item* is the CPU time the server (for jobs, the worker) spent per"
    f" request or job; *CPU {TIMES} ceiling* divides it by the ceiling's, a ratio that holds up when other"
    " programs share the machine; *machine busy* is how many of the machine's cores were busy in all"
    " (server, wrk, database and anything else running)."
)


def markdown(run: Run, backends: list[str]) -> str:
    title = f"# Benchmarks {run.started[:10]}{f' ({run.label})' if run.label else ''}: {', '.join(backends)}"
    lines = [
        title,
        "",
        f"Started {run.started}. " + INTRO.format(concurrency=run.concurrency, duration=run.duration),
        "",
        "| | |",
        "|---|---|",
        *(_row((k.replace("_", " "), v)) for k, v in run.environment.items()),
        "",
    ]
    for backend in backends:
        lines += [
            f"## {backend}: targets (issue 6)",
            "",
            f"Measured from {run.measured.get(backend, run.started)}.",
            "",
            _row(("target", "where", "measured", "result")),
            "|---|---|---|---|",
        ]
        lines += [_row((t.name, t.where, t.measured, f"**{t.verdict}**")) for t in targets(run, backend)]
        lines.append("")
        for size in sorted({r.size for r in run.results if r.backend == backend}):
            lines += [f"### {backend}, {_size(size)} customers", "", _seed_line(run, backend, size), ""]
            lines += _table(run, backend, size)
            lines.append("")
    lines += [LEGEND, ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- plot


def plot(run: Run, path: Path) -> Path | None:
    """Per backend: p50 and p99 latency by data size (top) and the server's CPU time per request
    (bottom), which other load on the machine disturbs less."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    backends = sorted({r.backend for r in run.results}, key=lambda b: (b != "sqlite", b))
    if not backends:
        return None
    fig, axes = plt.subplots(
        2, len(backends), figsize=(6.5 * len(backends), 8.5), squeeze=False, sharex="col"
    )
    series = [(DETAIL, "C0"), (LIST_10, "C1"), (LIST_512, "C2"), (LAST_512, "C3"), (CEILING[0], "C7")]
    for column, backend in enumerate(backends):
        results = [r for r in run.results if r.backend == backend]
        top, bottom = axes[0][column], axes[1][column]
        for scenario, colour in series:
            points = sorted((r.size, r.p50_ms, r.p99_ms, r.cpu_us) for r in results if r.scenario == scenario)
            if not points:
                continue
            xs = [p[0] for p in points]
            label = "ceiling" if scenario in CEILING else scenario
            top.plot(xs, [p[1] for p in points], "o-", color=colour, label=f"{label} p50")
            top.plot(xs, [p[2] for p in points], "x--", color=colour, alpha=0.6, label=f"{label} p99")
            bottom.plot(xs, [p[3] for p in points], "o-", color=colour, label=label)
        top.set_title(backend)
        top.set_ylabel(f"latency, ms ({run.concurrency} connections)")
        bottom.set_ylabel("server CPU per request, \N{MICRO SIGN}s")
        bottom.set_xlabel("customers in the database")
        for ax in (top, bottom):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.grid(True, which="both", alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    axes[1][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"Tollgate by data size, {run.started[:10]}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(run: Run, directory: Path, *, latest: bool) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [run.save(directory)]
    backends = sorted({r.backend for r in run.results}, key=lambda b: (b != "sqlite", b))
    for backend in backends:
        path = directory / f"{run.stem}-{backend}.md"
        path.write_text(markdown(run, [backend]))
        written.append(path)
    image = plot(run, directory / f"{run.stem}-latency.png")
    if image is not None:
        written.append(image)
    if latest:
        text = (
            markdown(run, backends).replace("\n## ", "\n![latency by data size](latest.png)\n\n## ", 1)
            if image is not None
            else markdown(run, backends)
        )
        (directory / "latest.md").write_text(text)
        written.append(directory / "latest.md")
        if image is not None:
            (directory / "latest.png").write_bytes(image.read_bytes())
            written.append(directory / "latest.png")
    return written


def load(path: Path) -> Run:
    """A saved run, to redraw its tables and plot: ``python -m bench.report bench/results/X.json``."""
    data = json.loads(path.read_text())
    results = [Result(**r) for r in data.pop("results")]
    known = {f.name for f in fields(Run)}
    return Run(**{k: v for k, v in data.items() if k in known}, results=results)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Redraw the Markdown and the plot of a saved run.")
    parser.add_argument("json", type=Path)
    parser.add_argument("--latest", action="store_true", help="also write latest.md and latest.png")
    args = parser.parse_args(argv)
    run = load(args.json)
    for path in write(run, args.json.parent, latest=args.latest):
        print(path)


if __name__ == "__main__":
    main()
