"""The job queue: retries with backoff, dead jobs, leases, and no double claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tollgate.db import unit_of_work
from tollgate.jobs import queue, worker
from tollgate.jobs.models import Job

CALLS: list[str] = []


@pytest.fixture(autouse=True)
def test_handlers():
    @worker.handler("test.fail")
    def fail(session, ctx):
        CALLS.append("fail")
        raise RuntimeError("boom")

    @worker.handler("test.ok")
    def ok(session, ctx):
        CALLS.append(str(ctx.payload["n"]))

    CALLS.clear()
    yield
    worker._HANDLERS.pop("test.fail", None)
    worker._HANDLERS.pop("test.ok", None)


def _enqueue(runtime, kind, payload, max_attempts=3):
    with unit_of_work(runtime.write_sessions) as session:
        return queue.enqueue(session, kind, payload, runtime.now(), max_attempts=max_attempts).id


def _job(runtime, job_id) -> Job:
    with runtime.read_sessions() as session:
        return session.get(Job, job_id)


def test_failing_job_backs_off_then_dies(runtime, clock):
    job_id = _enqueue(runtime, "test.fail", {}, max_attempts=3)
    for attempt in (1, 2):
        assert worker.run_one(runtime, "w1")
        job = _job(runtime, job_id)
        assert job.status == "queued" and job.attempts == attempt
        assert job.run_at > runtime.now()  # backed off
        assert "boom" in job.last_error
        assert not worker.run_one(runtime, "w1")  # not runnable before its time
        clock.offset += timedelta(hours=2)
    assert worker.run_one(runtime, "w1")
    assert _job(runtime, job_id).status == "dead"
    assert CALLS == ["fail", "fail", "fail"]


def test_backoff_grows():
    assert queue.backoff(1).total_seconds() <= 2
    assert queue.backoff(6).total_seconds() >= 32
    assert queue.backoff(50).total_seconds() <= 3600


def test_expired_lease_is_claimed_again(runtime, clock):
    job_id = _enqueue(runtime, "test.ok", {"n": 1})
    with unit_of_work(runtime.write_sessions) as session:
        claimed = queue.claim(session, "dead-worker", runtime.now(), lease=timedelta(seconds=30))
        assert claimed is not None and claimed.id == job_id
    assert not worker.run_one(runtime, "w2")  # still leased
    clock.offset += timedelta(seconds=31)
    assert worker.run_one(runtime, "w2")
    job = _job(runtime, job_id)
    assert job.status == "done" and job.attempts == 2
    assert CALLS == ["1"]


def test_lost_lease_rolls_the_work_back(runtime):
    job_id = _enqueue(runtime, "test.ok", {"n": 1})
    with unit_of_work(runtime.write_sessions) as session:
        queue.claim(session, "w1", runtime.now(), lease=timedelta(seconds=30))
    with pytest.raises(queue.LeaseLost), unit_of_work(runtime.write_sessions) as session:
        queue.complete(session, job_id, "someone-else", runtime.now())
    assert _job(runtime, job_id).status == "running"


def _cli(settings, *args):
    env = {**os.environ, "TOLLGATE_DATABASE_URL": settings.database_url, "TOLLGATE_KEYS": settings.keys}
    return subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_lists_and_retries_dead_jobs(runtime, settings):
    job_id = _enqueue(runtime, "test.fail", {"customer_id": "x"}, max_attempts=1)
    worker.run_one(runtime, "w1")
    listed = [json.loads(line) for line in _cli(settings, "jobs", "dead").stdout.splitlines()]
    assert [j["id"] for j in listed] == [str(job_id)]
    assert listed[0]["kind"] == "test.fail" and listed[0]["attempts"] == 1
    retried = _cli(settings, "jobs", "retry", str(job_id))
    assert retried.returncode == 0, retried.stderr
    job = _job(runtime, job_id)
    assert job.status == "queued" and job.attempts == 0
    assert _cli(settings, "jobs", "retry", str(job_id)).returncode == 1  # not dead any more


@pytest.mark.skipif(
    not os.environ.get("TOLLGATE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SKIP LOCKED is PostgreSQL's",
)
def test_concurrent_workers_never_claim_the_same_job(runtime):
    ids = {_enqueue(runtime, "test.ok", {"n": i}) for i in range(60)}
    claims: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        start.wait()
        while True:
            with unit_of_work(runtime.write_sessions) as session:
                job = queue.claim(session, name, runtime.now(), lease=timedelta(minutes=5))
                if job is None:
                    return
                with lock:
                    claims.append(str(job.id))

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claims) == sorted(str(i) for i in ids)  # each exactly once
    with runtime.read_sessions() as session:
        owners = {j.locked_by for j in session.scalars(select(Job))}
    assert len(owners) > 1  # the work really was shared
