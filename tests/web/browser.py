"""A live server and Debian's chromium, shared by a module's browser tests; axe-core run in the page."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tollgate.app import create_app
from tollgate.config import Settings
from tollgate.kit.clock import Clock
from tollgate.runtime import Runtime, build_runtime

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
    """The app on a real loopback socket, public_base_url pointing at it; the same database and engine."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings: Settings = runtime.settings.model_copy(update={"public_base_url": base, **overrides})
    live_runtime = build_runtime(settings, clock, engine=runtime.engine)
    app = create_app(settings, runtime=live_runtime)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "live server did not start"
        time.sleep(0.02)
    try:
        yield base, live_runtime
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


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
