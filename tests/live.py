"""The app on a real loopback socket, served by uvicorn in a thread of the test process, on the suite's
database: for tests where real HTTP is the point (requests at once, a browser). Start one per module
where the tests allow it: a server costs a runtime and a thread."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tollgate.app import create_app
from tollgate.runtime import Runtime, build_runtime


@contextmanager
def live_server(runtime: Runtime, **settings: Any) -> Iterator[tuple[str, Runtime]]:
    """Serve the app on 127.0.0.1 with ``runtime``'s engine and clock (and ``settings`` changed), its
    ``public_base_url`` pointing at the socket; yields the base URL and the server's runtime."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    live_settings = runtime.settings.model_copy(update={"public_base_url": base, **settings})
    live = build_runtime(live_settings, runtime.clock, engine=runtime.engine)
    server = uvicorn.Server(uvicorn.Config(create_app(live_settings, runtime=live), log_level="warning"))
    server.config.access_log = False
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "live server did not start"
        time.sleep(0.02)
    try:
        yield base, live
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        live.decoder.close()


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Ask a server process to stop; kill it if it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
