"""Server processes under test: start, wait until they answer, measure CPU time and peak RSS, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.bodies import ROOT

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"GET /__bench_ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(12).startswith(b"HTTP/1.1")
    except OSError:
        return False


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    peak_rss_bytes: int


class Process:
    """A child process (server, worker or receiver) whose resources are read from /proc."""

    def __init__(
        self, name: str, command: Sequence[str], env: dict[str, str], log: Path, port: int | None = None
    ) -> None:
        self.name = name
        self.port = port
        log.parent.mkdir(parents=True, exist_ok=True)
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            list(command), cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        if self.port is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}; see {self._log.name}")
            if _answers(self.port):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not answer on port {self.port} within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process and its threads so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss(self) -> int:
        """VmHWM: the peak resident set since start or since the last ``reset_peak``."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def reset_peak(self) -> None:
        """Start a new VmHWM window (Linux: writing 5 to clear_refs resets the peak RSS)."""
        # Where this is not permitted, the peak covers the whole life of the process.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def usage(self) -> Usage:
        return Usage(self.cpu_seconds(), self.peak_rss())

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


@dataclass(frozen=True)
class Machine:
    """Whole-machine CPU counters, to tell how busy the shared machine was during a measurement."""

    busy: float
    total: float

    @staticmethod
    def read() -> Machine:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]
        total = sum(values[:8])
        return Machine(busy=(total - idle) / CLOCK_TICKS, total=total / CLOCK_TICKS)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])
