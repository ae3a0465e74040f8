"""Prism 5 (``@stoplight/prism-cli``) mocking Fin's OpenAPI: a stateless peer in ``make bench``.

Prism answers each operation with the example of Fin's document
(``tests/reference/fin-customers-openapi.yml``), holding no state at all: what an integrator would run
instead of Tollgate. It is installed from the npm registry into ``var/bench/prism`` (not the
repository) on first use, and served on loopback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bench.bodies import ROOT
from bench.database import VAR
from bench.server import Process, free_port

PACKAGE = "@stoplight/prism-cli@5"
HOME = VAR / "prism"
SPEC = ROOT / "tests" / "reference" / "fin-customers-openapi.yml"


def install() -> Path:
    """The ``prism`` executable, installed with npm into ``var/bench/prism`` when missing."""
    binary = HOME / "node_modules" / ".bin" / "prism"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install Prism (Debian: apt-get install npm)")
    HOME.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--prefix", str(HOME), "--no-audit", "--no-fund", "--loglevel=error", PACKAGE],
        check=True,
    )
    return binary


def start(logs: Path) -> Process:
    """``prism mock`` of Fin's document on a free loopback port (static examples, one process)."""
    binary = install()
    port = free_port()
    command = [str(binary), "mock", "--host", "127.0.0.1", "--port", str(port), str(SPEC)]
    process = Process("prism", command, dict(os.environ), logs / "prism.log", port)
    process.wait_ready(timeout=120)
    return process
