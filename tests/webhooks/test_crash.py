"""Crashes and concurrency: a worker killed mid-delivery loses nothing; two workers never make the same
attempt twice (PostgreSQL, where workers really run side by side)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.webhooks.conftest import (
    all_settled,
    attempts,
    cli_env,
    deliveries,
    endpoint,
    events,
    individual,
    pump,
    spawn,
)
from tollgate.db import unit_of_work
from tollgate.jobs import queue
from tollgate.jobs.worker import Worker
from tollgate.runtime import build_runtime
from tollgate.webhooks.delivery import DELIVER_JOB, INTERRUPTED
from tollgate.webhooks.models import Delivery


def test_a_worker_killed_mid_delivery_loses_nothing(
    api, auth_headers, settings, runtime, clock, receivers, worker_runtime
):
    stall = threading.Event()

    def respond(r, n):
        if n == 0:
            stall.wait(60)  # the first request is held open until the worker has been killed
        return 200, {}, b"ok"

    rec = receivers(respond)
    endpoint(api, auth_headers, rec.url)
    for n in range(3):
        individual(api, auth_headers, n)

    env = cli_env(settings, TOLLGATE_WEBHOOK_TIMEOUT_SECONDS="120", TOLLGATE_JOB_LEASE_SECONDS="180")
    proc = spawn("worker", "--threads", "2", env=env)
    try:
        assert rec.wait_for(1, timeout=60), proc.stderr.read() if proc.poll() is not None else "no request"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    stall.set()

    # The stalled delivery is left pending with its attempt open (others may be too: the second thread
    # can be killed between sending and recording).
    stalled_event = rec.requests[0].event_id
    (stalled,) = [d for d in deliveries(runtime) if str(d.event_id) == stalled_event]
    assert stalled.status == "pending" and stalled.in_flight_until is not None
    stalled_id = stalled.id

    # Another worker takes over once the dead worker's leases have run out.
    rt = worker_runtime()
    pump(rt, clock, lambda: all_settled(rt), step=timedelta(minutes=3))

    assert all(d.status == "succeeded" for d in deliveries(rt))
    assert sorted(set(rec.delivered_ids())) == sorted(str(e.id) for e in events(rt))
    log = [a for a in attempts(rt) if a.delivery_id == stalled_id]
    assert [a.error for a in log] == [INTERRUPTED, None]
    assert [a.status_code for a in log] == [None, 200]


@pytest.mark.skipif(
    not os.environ.get("TOLLGATE_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="two workers side by side need PostgreSQL (SQLite serialises writers)",
)
def test_two_workers_never_make_the_same_attempt_twice(
    api, auth_headers, settings, runtime, receivers, worker_runtime
):
    lock = threading.Lock()
    seen: Counter[tuple[str, str]] = Counter()

    def respond(r, n):
        with lock:
            seen[(r.path, r.event_id)] += 1
            first = seen[(r.path, r.event_id)] == 1
        return (500, {}, b"once more") if first else (200, {}, b"ok")

    rec = receivers(respond)
    endpoint(api, auth_headers, rec.url + "/a")
    endpoint(api, auth_headers, rec.url + "/b")
    for n in range(12):
        individual(api, auth_headers, n)
    # Queue every delivery's job four times over, so both workers race for the same deliveries.
    with unit_of_work(runtime.write_sessions) as s:
        for d in s.scalars(select(Delivery)):
            for _ in range(3):
                queue.enqueue(s, DELIVER_JOB, {"delivery_id": str(d.id)}, runtime.now())

    fast = {"webhook_retry_schedule_sandbox": [0.2, 0.2, 0.2], "webhook_retry_jitter": 0.0}
    one = worker_runtime(**fast)
    other_settings = runtime.settings.model_copy(update=fast)
    other = build_runtime(other_settings, runtime.clock)  # its own engine and pool, like a second process
    workers = [Worker(one, threads=4, idle_seconds=0.01), Worker(other, threads=4, idle_seconds=0.01)]
    for w in workers:
        w.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all_settled(one):
            time.sleep(0.1)
    finally:
        for w in workers:
            w.stop()
        other.engine.dispose()

    rows = deliveries(one)
    assert len(rows) == 24 and all(d.status == "succeeded" for d in rows)
    assert set(seen.values()) == {2}  # one failed attempt and one successful one, never a repeat
    numbers: dict[object, list[int]] = {}
    for a in attempts(one):
        numbers.setdefault(a.delivery_id, []).append(a.number)
    assert sorted(sorted(v) for v in numbers.values()) == [[1, 2]] * 24
    assert len(rec.requests) == sum(len(v) for v in numbers.values()) == 48
