"""`tollgate serve --ephemeral` as a test starts it: a subprocess whose first line of output is its API
client's credentials; stopped with SIGINT at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tollgate.testing.server import stop, wait_until_up


@contextmanager
def ephemeral_server(tmp: Path) -> Iterator[dict[str, str]]:
    """Yields ``{"client_id", "client_secret", "base_url"}`` once the server answers; its temporary
    folder is made under ``tmp`` (TMPDIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env["TMPDIR"] = str(tmp)
    server = subprocess.Popen(
        [sys.executable, "-m", "tollgate", "serve", "--ephemeral", "--port", "0"],
        env=env,
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = json.loads(server.stdout.readline())
        wait_until_up(line["base_url"], server, 60)
        yield line
    finally:
        stop(server, timeout=30)
    assert server.returncode == 0, server.stderr.read() if server.stderr else ""
