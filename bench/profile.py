"""CPU profiles of the running server with py-spy (``pip install py-spy``), summarised as Markdown.

py-spy samples the server process from outside, so the server runs unmodified. ``--gil`` keeps only the
samples of the thread holding the GIL: in a Python server that is where the CPU goes, and a thread waiting
on the database or the socket does not show up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

RATE = 250


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, raw: Path, load: Callable[[], object]) -> bool:
    """Sample ``pid`` while ``load()`` runs; collapsed stacks go to ``raw``. False without py-spy."""
    binary = py_spy()
    if binary is None:
        return False
    raw.parent.mkdir(parents=True, exist_ok=True)
    command = [binary, "record", "--pid", str(pid), "--format", "raw", "--output", str(raw)]
    command += ["--rate", str(RATE), "--duration", str(max(1, round(seconds))), "--gil", "--nonblocking"]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load()
    finally:
        spy.wait(timeout=seconds + 60)
    return raw.exists()


def _frame(text: str) -> str:
    """``function (path/to/module.py:123)`` without the line number, the path from the package on."""
    name, _, where = text.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})" if where else name


def summarise(raw: Path, title: str, top: int = 25) -> str:
    """The frames holding the most CPU: by self time, and by inclusive time within Tollgate's code."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return f"## {title}\n\nNo samples.\n"
    lines = [f"## {title}", "", f"{total} samples at {RATE} Hz (`py-spy record --gil`).", ""]
    lines += ["Self time:", "", "| share | frame |", "|--:|---|"]
    lines += [f"| {n / total:.1%} | `{frame}` |" for frame, n in own.most_common(top)]
    project = [(f, n) for f, n in inclusive.most_common() if "tollgate/" in f or "(bench/" in f]
    lines += ["", "Inclusive time in Tollgate's code:", "", "| share | frame |", "|--:|---|"]
    lines += [f"| {n / total:.1%} | `{frame}` |" for frame, n in project[:top]]
    return "\n".join(lines) + "\n"
