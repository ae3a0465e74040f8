"""The worker loop: claims job rows, runs their handlers under a renewed lease and a deadline, retries with
backoff (docs/adr/0005-jobs-in-the-database.md)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.jobs import queue
from tollgate.runtime import Runtime

log = logging.getLogger(__name__)

# A handler kind that declares no deadline of its own gets this one.
DEFAULT_DEADLINE = timedelta(minutes=10)


class DeadlineExceeded(Exception):
    """The handler ran past its kind's deadline: the attempt failed and its work is rolled back."""


class RetryLater(Exception):
    """Raised by a handler to be retried at a given time (e.g. a 429 with Retry-After)."""

    def __init__(self, message: str, at: datetime) -> None:
        super().__init__(message)
        self.at = at


@dataclass(frozen=True)
class JobContext:
    runtime: Runtime
    job_id: uuid.UUID
    attempt: int
    payload: dict[str, object]
    kind: str
    worker: str
    # The attempt's deadline on ``time.monotonic()``, and its length.
    deadline: float
    limit: timedelta

    def now(self) -> datetime:
        return self.runtime.now()

    def remaining(self) -> float:
        """Seconds left before the deadline (0 once it has passed)."""
        return max(self.deadline - time.monotonic(), 0.0)

    def past_deadline(self) -> bool:
        return time.monotonic() >= self.deadline

    def deadline_error(self) -> str:
        return (
            f"Deadline exceeded: {self.kind} ran longer than its {self.limit.total_seconds():g} s deadline "
            f"on attempt {self.attempt}; its work was rolled back"
        )

    def check(self) -> None:
        """Raise ``DeadlineExceeded`` once the deadline has passed (handlers may call it between steps)."""
        if self.past_deadline():
            raise DeadlineExceeded(self.deadline_error())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A short transaction of its own, for a step that must commit before slow work (a webhook attempt's
        start). It commits only while the job is still leased to this worker and before the deadline."""
        with unit_of_work(self.runtime.write_sessions) as session:
            yield session
            self.check()
            if not queue.holds(session, self.job_id, self.worker):
                raise queue.LeaseLost(str(self.job_id))


Handler = Callable[[Session, JobContext], None]
Deadline = timedelta | Callable[[Settings], timedelta]


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    run: Handler
    deadline: Deadline

    def deadline_for(self, settings: Settings) -> timedelta:
        return self.deadline if isinstance(self.deadline, timedelta) else self.deadline(settings)


_HANDLERS: dict[str, HandlerSpec] = {}


def handler(kind: str, *, deadline: Deadline = DEFAULT_DEADLINE) -> Callable[[Handler], Handler]:
    """Register the handler of ``kind``. ``deadline`` (or a function of the settings giving it) bounds one
    attempt: past it the lease is no longer renewed, the attempt counts as failed and nothing it wrote in
    the job's transaction commits."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = HandlerSpec(kind, fn, deadline)
        return fn

    return register


def handlers() -> dict[str, HandlerSpec]:
    # Import the modules that register handlers, so a worker knows every kind.
    from tollgate import tasks  # noqa: F401

    return _HANDLERS


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def default_lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.job_lease_seconds)


class Heartbeat:
    """Renews a running job's lease every third of the lease, each renewal a short transaction of its own
    that only extends a lease still held by this worker, so a long handler is never taken over while its
    worker lives. At the deadline it stops renewing and records the attempt as failed: the handler's own
    completion is then refused and its work rolled back. A killed worker stops renewing with it, and the
    job is taken over (or buried, after its last attempt) once the lease runs out."""

    def __init__(self, ctx: JobContext, lease: timedelta) -> None:
        self.ctx = ctx
        self.lease = lease
        self.interval = max(lease.total_seconds() / 3, 0.01)
        self.lost = False
        self.timed_out = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"tollgate-lease-{ctx.job_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        ctx = self.ctx
        sessions = ctx.runtime.write_sessions
        while not self._stop.wait(min(self.interval, ctx.remaining())):
            if ctx.past_deadline():
                self.timed_out = True
                try:
                    with unit_of_work(sessions) as session:
                        queue.fail(session, ctx.job_id, ctx.worker, ctx.now(), ctx.deadline_error())
                except Exception:
                    log.exception("job %s: recording the deadline failed", ctx.job_id)
                return
            try:
                with unit_of_work(sessions) as session:
                    renewed = queue.renew(session, ctx.job_id, ctx.worker, ctx.now(), lease=self.lease)
            except Exception:
                log.exception("job %s: lease renewal failed, trying again", ctx.job_id)
                continue
            if not renewed:
                self.lost = True
                return


def _record_failure(runtime: Runtime, ctx: JobContext, error: str, retry_at: datetime | None = None) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        queue.fail(session, ctx.job_id, ctx.worker, runtime.now(), error, retry_at=retry_at)


def run_one(runtime: Runtime, name: str, *, lease: timedelta | None = None) -> bool:
    """Claim and run one job. Returns False when there was nothing to do.

    The handler's writes and the job's completion commit in one transaction, which opens at the handler's
    first statement: a handler does its slow work (network, files) before it touches ``session``."""
    registry = handlers()
    lease = lease or default_lease(runtime.settings)
    with unit_of_work(runtime.write_sessions) as session:
        job = queue.claim(session, name, runtime.now(), lease=lease, kinds=list(registry))
        if job is None:
            return False
        job_id, kind, attempt, payload = job.id, job.kind, job.attempts, dict(job.payload)
    spec = registry[kind]
    limit = spec.deadline_for(runtime.settings)
    deadline = time.monotonic() + limit.total_seconds()
    ctx = JobContext(runtime, job_id, attempt, payload, kind, name, deadline, limit)
    beat = Heartbeat(ctx, lease)
    beat.start()
    try:
        try:
            with unit_of_work(runtime.write_sessions) as session:
                spec.run(session, ctx)
                ctx.check()
                queue.complete(session, job_id, name, runtime.now())
        finally:
            beat.stop()
    except DeadlineExceeded as exc:
        log.warning("job %s (%s): %s", job_id, kind, exc)
        _record_failure(runtime, ctx, str(exc))
    except queue.LeaseLost:
        if beat.timed_out:
            log.warning("job %s (%s): %s", job_id, kind, ctx.deadline_error())
        else:
            log.warning("job %s (%s): lease lost, work rolled back", job_id, kind)
    except RetryLater as exc:
        _record_failure(runtime, ctx, str(exc), exc.at)
    except Exception:
        log.exception("job %s (%s) failed on attempt %s", job_id, kind, attempt)
        error = traceback.format_exc(limit=5)
        if ctx.past_deadline():
            error = f"{ctx.deadline_error()}\n{error}"
        _record_failure(runtime, ctx, error)
    return True


def drain(runtime: Runtime, *, max_jobs: int = 10_000, lease: timedelta | None = None) -> int:
    """Run jobs until none is runnable now (tests, CLI ``--once``)."""
    name = worker_name()
    done = 0
    while done < max_jobs and run_one(runtime, name, lease=lease):
        done += 1
    return done


class Worker:
    """``threads`` loops claiming jobs until ``stop()``; idle loops poll every ``idle_seconds``."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        threads: int = 4,
        idle_seconds: float = 0.2,
        lease: timedelta | None = None,
    ) -> None:
        self.runtime = runtime
        self.threads = threads
        self.idle_seconds = idle_seconds
        self.lease = lease
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _loop(self) -> None:
        name = worker_name()
        while not self._stop.is_set():
            try:
                busy = run_one(self.runtime, name, lease=self.lease)
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
