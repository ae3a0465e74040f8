"""Decoding untrusted files without slowing the requests beside it.

A file is decoded in full once (``findings.inspect``): at upload, or by the checks job for a file stored
before findings were kept. A 12-megapixel image costs about a second of CPU, and on a small machine a
few at once would take every core from the threads that answer requests. So every decode of a process
runs on the ``Decoder``'s own threads (``TOLLGATE_DECODE_THREADS``, one by default), which lower their
own CPU priority (``TOLLGATE_DECODE_NICE``, 10 by default) when they start: when the CPU is contended,
the request threads run first and decoding takes what is left. Pillow and pypdf's inflate release the
GIL while they work, so the priority holds for the part that costs.

A PDF is parsed in a bounded child process besides (documents/isolation.py): its cost depends on its
structure, not on its size. The decoder thread waits for the child, so the number of parses at once is
bounded by the same threads.

Lowering one thread's priority is ``setpriority(PRIO_PROCESS, <thread id>)`` on Linux; where a platform
does not allow it, the decoder threads keep the process's priority (and are still bounded in number).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from tollgate.documents import findings, inspection, isolation

log = logging.getLogger(__name__)
T = TypeVar("T")
_numbers = itertools.count(1)


def lower_priority(nice: int) -> bool:
    """Lower the calling thread's CPU priority by ``nice`` steps; False where the platform refuses."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(current + nice, 19))
    except OSError as exc:  # not Linux, or not allowed
        log.debug("decoder thread keeps its priority: %s", exc)
        return False
    return True


class Decoder:
    """Runs ``findings.inspect`` on a few low-priority threads of its own; callers wait for the result.
    The threads start at the first decode, so commands that never decode start none."""

    def __init__(self, threads: int = 1, nice: int = 10, bounds: isolation.Bounds | None = None) -> None:
        self.threads = threads
        self.nice = nice
        self.bounds = bounds or isolation.Bounds(nice=nice)
        self.name = f"decoder-{next(_numbers)}"
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def native_thread_ids(self) -> list[int]:
        """The operating system's ids of this decoder's threads (to see their priority)."""
        return [
            t.native_id
            for t in threading.enumerate()
            if t.name.startswith(f"{self.name}_") and t.native_id is not None
        ]

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    self.threads,
                    thread_name_prefix=self.name,
                    initializer=lower_priority,
                    initargs=(self.nice,),
                )
            return self._pool

    def check(
        self, data: bytes, kind: inspection.DocumentKind | None, limits: inspection.Limits
    ) -> list[inspection.Refusal]:
        """Why an upload must be refused at once (``inspection.check_upload``); a PDF is read in a bounded
        child process, and one that exceeds the bounds is refused with them named."""
        if kind is not inspection.DocumentKind.PDF:
            return inspection.check_upload(data, kind, limits)
        try:
            return (
                self._executor().submit(self._isolated, inspection.check_upload, data, kind, limits).result()
            )
        except isolation.ParseExceeded:
            message = f"PDF could not be read within the limits ({self.bounds.describe()})."
            return [inspection.Refusal(inspection.RefusalCode.UNREADABLE, message)]

    def inspect(
        self, data: bytes, kind: inspection.DocumentKind, limits: inspection.Limits
    ) -> dict[str, Any]:
        """Decode ``data`` and return the findings record to keep (slow: never inside a transaction)."""
        if kind is not inspection.DocumentKind.PDF:
            return self._executor().submit(findings.inspect, data, kind, limits).result()
        try:
            return self._executor().submit(self._isolated, findings.inspect, data, kind, limits).result()
        except isolation.ParseExceeded as exc:
            problem = inspection.finding(
                inspection.FindingCode.CORRUPTED, f"the PDF could not be read within the limits: it {exc}"
            )
            return findings.as_record(inspection.Inspection(kind, problems=(problem,)))

    def _isolated(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            return isolation.run(fn, args, self.bounds)
        except RuntimeError as exc:  # the parser raised: the file is unreadable, as in-process
            raise isolation.ParseExceeded(f"could not be parsed ({exc})") from exc

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
