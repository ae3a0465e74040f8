"""Jobs cannot run forever: a job that kills its worker ends dead after its attempts, a killed worker's
job is taken over once its lease runs out, a long handler keeps its lease while it works, and a handler
past its kind's deadline fails with its writes rolled back. Workers are real processes where a process
is the point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.jobs import queue, worker
from tollgate.jobs.models import Job
from tollgate.runtime import Runtime

from .worker_process import MARKER, slow

ROOT = Path(__file__).resolve().parents[2]
LEASE = timedelta(seconds=1)
# Worker processes get a longer lease: a busy machine may leave a process's heartbeat waiting a while.
PROCESS_LEASE = timedelta(seconds=2)


@pytest.fixture
def register() -> Iterator[Callable[..., None]]:
    kinds: list[str] = []

    def add(kind: str, fn: worker.Handler, **options: timedelta) -> None:
        worker.handler(kind, **options)(fn)
        kinds.append(kind)

    yield add
    for kind in kinds:
        worker._HANDLERS.pop(kind, None)


def _enqueue(runtime: Runtime, kind: str, payload: dict[str, object], max_attempts: int = 3) -> uuid.UUID:
    with unit_of_work(runtime.write_sessions) as session:
        return queue.enqueue(session, kind, payload, runtime.now(), max_attempts=max_attempts).id


def _job(runtime: Runtime, job_id: uuid.UUID) -> Job:
    with runtime.read_sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _markers(runtime: Runtime) -> int:
    with runtime.read_sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.kind == MARKER)) or 0)


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        TOLLGATE_DATABASE_URL=settings.database_url,
        TOLLGATE_KEYS=settings.keys or "",
        TOLLGATE_WEBHOOK_TIMEOUT_SECONDS="0.2",
    )
    env.update(extra)
    return env


def _worker_process(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.jobs.worker_process", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _lease_over(runtime: Runtime, job_id: uuid.UUID) -> bool:
    job = _job(runtime, job_id)
    return job.locked_until is None or job.locked_until < runtime.now()


def test_a_job_that_kills_its_worker_ends_dead_after_its_attempts(runtime, settings):
    job_id = _enqueue(runtime, "test.poison", {}, max_attempts=2)
    env = _env(settings, TOLLGATE_JOB_LEASE_SECONDS=str(LEASE.total_seconds()))
    exits = []
    for _ in range(3):
        assert _wait(lambda: _lease_over(runtime, job_id))
        proc = _worker_process(env, "--once")
        _, err = proc.communicate(timeout=120)
        exits.append(proc.returncode)
        assert proc.returncode in (0, 3), err
    # Two attempts, each killing its worker; then the next claim buries the job instead of running it.
    assert exits == [3, 3, 0]
    with unit_of_work(runtime.write_sessions) as session:  # never claimed again, whatever the kind
        assert queue.claim(session, "any", runtime.now() + timedelta(days=1), lease=LEASE) is None
    job = _job(runtime, job_id)
    assert job.status == "dead" and job.attempts == 2
    assert job.locked_by is None and job.locked_until is None
    assert job.last_error is not None
    assert job.last_error.startswith("Worker lost: ") and "attempt 2 of 2" in job.last_error
    with unit_of_work(runtime.write_sessions) as session:
        assert [j.id for j in queue.dead_jobs(session)] == [job_id]


def test_a_worker_killed_mid_job_is_taken_over_after_its_lease_and_finishes_once(runtime, settings, register):
    register("test.slow", slow)
    job_id = _enqueue(runtime, "test.slow", {"sleep": 120})
    env = _env(settings, TOLLGATE_JOB_LEASE_SECONDS=str(PROCESS_LEASE.total_seconds()))
    proc = _worker_process(env, "--threads", "1")
    try:
        assert _wait(lambda: f":{proc.pid}:" in (_job(runtime, job_id).locked_by or "")), (
            proc.stderr.read() if proc.poll() is not None else "not claimed"
        )
        # While its worker lives, the heartbeat renews the lease: for three leases, nobody else takes it.
        until = time.monotonic() + 3 * PROCESS_LEASE.total_seconds()
        while time.monotonic() < until:
            assert not worker.run_one(runtime, "other", lease=LEASE)
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert _job(runtime, job_id).status == "running" and _markers(runtime) == 0  # its work died with it

    # Once the lease has run out, another worker takes the job over and finishes it, once.
    assert _wait(lambda: worker.run_one(runtime, "other", lease=LEASE), timeout=10)
    job = _job(runtime, job_id)
    assert job.status == "done" and job.attempts == 2
    assert job.last_error is not None and job.last_error.startswith("Worker lost: ")
    assert _markers(runtime) == 1
    assert not worker.run_one(runtime, "other", lease=LEASE)


def test_a_long_handler_keeps_its_lease(runtime, register):
    calls: list[str] = []
    started = threading.Event()

    def long(session, ctx):
        calls.append(threading.current_thread().name)
        started.set()
        time.sleep(3 * LEASE.total_seconds())  # no transaction open meanwhile
        queue.enqueue(session, MARKER, {}, ctx.now())

    register("test.long", long)
    job_id = _enqueue(runtime, "test.long", {})
    first = threading.Thread(
        target=worker.run_one, args=(runtime, "first"), kwargs={"lease": LEASE}, name="first"
    )
    first.start()
    assert started.wait(30)
    others = []
    while first.is_alive():
        others.append(worker.run_one(runtime, "second", lease=LEASE))
        time.sleep(0.05)
    first.join()
    assert len(others) > 5 and not any(others)
    assert calls == ["first"]
    job = _job(runtime, job_id)
    assert job.status == "done" and job.attempts == 1 and job.last_error is None
    assert _markers(runtime) == 1


def test_a_handler_past_its_deadline_fails_and_its_writes_are_rolled_back(runtime, clock, register):
    def overrun(session, ctx):
        queue.enqueue(session, MARKER, {}, ctx.now())
        session.flush()  # written in the job's transaction
        time.sleep(1.0)

    register("test.overrun", overrun, deadline=timedelta(seconds=0.5))
    job_id = _enqueue(runtime, "test.overrun", {}, max_attempts=2)
    assert worker.run_one(runtime, "w1", lease=LEASE)
    job = _job(runtime, job_id)
    assert job.status == "queued" and job.attempts == 1 and job.locked_by is None
    assert job.last_error == (
        "Deadline exceeded: test.overrun ran longer than its 0.5 s deadline on attempt 1; "
        "its work was rolled back"
    )
    assert _markers(runtime) == 0

    # The last attempt past its deadline leaves the job dead, with nothing written either.
    assert job.run_at > job.updated_at  # backing off
    clock.offset += timedelta(minutes=5)
    assert worker.run_one(runtime, "w1", lease=LEASE)
    job = _job(runtime, job_id)
    assert job.status == "dead" and job.attempts == 2
    assert job.last_error is not None and job.last_error.startswith("Deadline exceeded: ")
    assert _markers(runtime) == 0


def test_a_handler_that_checks_its_deadline_stops_early(runtime, register):
    steps: list[int] = []

    def careful(session, ctx):
        for n in range(100):
            ctx.check()
            steps.append(n)
            time.sleep(0.05)

    register("test.careful", careful, deadline=timedelta(seconds=0.3))
    job_id = _enqueue(runtime, "test.careful", {})
    assert worker.run_one(runtime, "w1", lease=LEASE)
    assert 0 < len(steps) < 100
    job = _job(runtime, job_id)
    assert job.status == "queued" and job.last_error is not None
    assert job.last_error.startswith("Deadline exceeded: test.careful ran longer than its 0.3 s deadline")
