"""The worker loop: claims job rows, runs their handlers, retries with backoff."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tollgate.db import unit_of_work
from tollgate.jobs import queue
from tollgate.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    runtime: Runtime
    job_id: uuid.UUID
    attempt: int
    payload: dict[str, object]

    def now(self) -> datetime:
        return self.runtime.now()


class RetryLater(Exception):
    """Raised by a handler to be retried at a given time (e.g. a 429 with Retry-After)."""

    def __init__(self, message: str, at: datetime) -> None:
        super().__init__(message)
        self.at = at


Handler = Callable[[Session, JobContext], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def handlers() -> dict[str, Handler]:
    # Import the modules that register handlers, so a worker knows every kind.
    from tollgate import tasks  # noqa: F401

    return _HANDLERS


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_one(runtime: Runtime, name: str, *, lease: timedelta = timedelta(seconds=60)) -> bool:
    """Claim and run one job. Returns False when there was nothing to do."""
    registry = handlers()
    with unit_of_work(runtime.write_sessions) as session:
        job = queue.claim(session, name, runtime.now(), lease=lease, kinds=list(registry))
        if job is None:
            return False
        job_id, kind, attempt, payload = job.id, job.kind, job.attempts, dict(job.payload)
    ctx = JobContext(runtime, job_id, attempt, payload)
    try:
        with unit_of_work(runtime.write_sessions) as session:
            registry[kind](session, ctx)
            queue.complete(session, job_id, name, runtime.now())
    except queue.LeaseLost:
        log.warning("job %s (%s): lease lost, work rolled back", job_id, kind)
    except RetryLater as exc:
        with unit_of_work(runtime.write_sessions) as session:
            queue.fail(session, job_id, name, runtime.now(), str(exc), retry_at=exc.at)
    except Exception:
        error = traceback.format_exc(limit=5)
        log.exception("job %s (%s) failed on attempt %s", job_id, kind, attempt)
        with unit_of_work(runtime.write_sessions) as session:
            queue.fail(session, job_id, name, runtime.now(), error)
    return True


def drain(runtime: Runtime, *, max_jobs: int = 10_000) -> int:
    """Run jobs until none is runnable now (tests, CLI ``--once``)."""
    name = worker_name()
    done = 0
    while done < max_jobs and run_one(runtime, name):
        done += 1
    return done


class Worker:
    """``threads`` loops claiming jobs until ``stop()``; idle loops poll every ``idle_seconds``."""

    def __init__(self, runtime: Runtime, *, threads: int = 4, idle_seconds: float = 0.2) -> None:
        self.runtime = runtime
        self.threads = threads
        self.idle_seconds = idle_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _loop(self) -> None:
        name = worker_name()
        while not self._stop.is_set():
            try:
                busy = run_one(self.runtime, name)
            except Exception:
                log.exception("worker loop error")
                busy = False
            if not busy:
                self._stop.wait(self.idle_seconds)

    def start(self) -> None:
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"tollgate-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def run_forever(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            self.stop()
