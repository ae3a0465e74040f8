"""Parsing an untrusted PDF in a child process with bounded CPU time, memory and wall time.

A PDF is a program more than a picture: a 1 KB file whose page tree repeats one child ten times on each
of seven levels costs pypdf seconds of CPU to count its pages, and a few such files in one upload would
hold the server's interpreter (and its database connections) while they parse. So every PDF is read in a
child process of its own, started from a fork server (a small, single-threaded process that has imported
the parsers once), which before it parses:

- lowers its own CPU priority by ``TOLLGATE_DECODE_NICE`` steps, so requests run first;
- limits its CPU time (``RLIMIT_CPU``: the kernel kills it past ``TOLLGATE_UPLOAD_PARSE_CPU_SECONDS``) and
  its address space (``RLIMIT_AS``: ``TOLLGATE_UPLOAD_PARSE_MEMORY_BYTES``).

The parent waits at most ``TOLLGATE_UPLOAD_PARSE_SECONDS`` and kills the child past it. A child that is
killed, runs out of memory or dies is a ``ParseExceeded``: the caller refuses the file with a clear
message. Images need none of this: their cost is bounded by the pixel limit, checked from the header.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from tollgate.config import Settings

T = TypeVar("T")

_PRELOAD = ["tollgate.documents.findings", "tollgate.documents.inspection"]
_context_lock = threading.Lock()
_context: Any = None


@dataclass(frozen=True)
class Bounds:
    cpu_seconds: int = 5
    memory_bytes: int = 1024 * 1024 * 1024
    wall_seconds: float = 15.0
    nice: int = 10

    @classmethod
    def of(cls, settings: Settings) -> Bounds:
        return cls(
            cpu_seconds=settings.upload_parse_cpu_seconds,
            memory_bytes=settings.upload_parse_memory_bytes,
            wall_seconds=settings.upload_parse_seconds,
            nice=settings.decode_nice,
        )

    def describe(self) -> str:
        return (
            f"{self.cpu_seconds} s of CPU, {self.memory_bytes // (1024 * 1024)} MiB of memory "
            f"and {self.wall_seconds:g} s"
        )


class ParseExceeded(Exception):
    """The child parsing a file was stopped by a limit, or died."""


def _fork_server() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
        return _context


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], bounds: Bounds) -> None:
    try:
        if bounds.nice > 0:
            os.nice(bounds.nice)
        resource.setrlimit(resource.RLIMIT_CPU, (bounds.cpu_seconds, bounds.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (bounds.memory_bytes, bounds.memory_bytes))
        result = fn(*args)
    except MemoryError:
        conn.send(("exceeded", "memory"))
    except BaseException as exc:  # the parser's own error travels back as text
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        conn.send(("ok", result))
    finally:
        conn.close()


def run(fn: Callable[..., T], args: tuple[Any, ...], bounds: Bounds) -> T:
    """``fn(*args)`` in a bounded child process; raises ``ParseExceeded`` when a bound stops it (and
    ``RuntimeError`` when ``fn`` itself raised). ``fn`` and its arguments must be picklable."""
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, fn, args, bounds), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(bounds.wall_seconds):
            raise ParseExceeded(f"took more than {bounds.wall_seconds:g} s")
        try:
            status, value = receiver.recv()
        except EOFError as exc:  # killed (CPU limit) or died before answering
            raise ParseExceeded("was stopped by a limit") from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "exceeded":
        raise ParseExceeded(f"ran out of {value}")
    if status == "error":
        raise RuntimeError(value)
    result: T = value
    return result
