"""A live server and Debian's chromium, shared by a module's browser tests; axe-core run in the page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.live import live_server as shared_live_server
from tollgate.kit.clock import Clock
from tollgate.runtime import Runtime

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Where screenshots go: docs/console/ when TOLLGATE_SCREENSHOT_DIR says so (how docs/console.md's pictures
# are made), else the test's temporary directory.
SCREENSHOT_DIR = os.environ.get("TOLLGATE_SCREENSHOT_DIR")


@contextmanager
def live_server(runtime: Runtime, clock: Clock, **overrides: Any) -> Iterator[tuple[str, Runtime]]:
    """The app on a real loopback socket (tests/live.py), on the suite's database and clock."""
    assert runtime.clock is clock
    with shared_live_server(runtime, **overrides) as served:
        yield served


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run the vendored axe-core in the page (through the DevTools protocol, so the page's CSP, which
    forbids inline script, still holds for the page itself); the violations of the given impacts."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def shoot(page: Any, name: str, fallback: Path) -> Path:
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else fallback
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
