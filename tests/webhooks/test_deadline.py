"""An attempt's total deadline: a receiver that drips its answer a byte at a time is cut off at the
deadline, recorded as timed out, and never has two attempts of one event in flight; no transaction is open
while the attempt is on the wire."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from tests.webhooks.conftest import attempts, deliveries, endpoint, individual
from tollgate.db import unit_of_work
from tollgate.jobs.worker import Worker
from tollgate.runtime import Runtime
from tollgate.webhooks.models import Delivery, WebhookEndpoint

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n" + b"x" * 100


@dataclass
class DripReceiver:
    """Answers every POST one byte every ``pause`` seconds (about 34 s for the whole answer), until the
    client hangs up. ``on_arrival`` runs in the server's thread while the request waits for its answer."""

    on_arrival: Any = None
    pause: float = 0.2
    open_now: int = 0
    most_open: int = 0
    requests: list[tuple[float, float | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    n = len(receiver.requests)
                    receiver.requests.append((time.monotonic(), None))
                    receiver.open_now += 1
                    receiver.most_open = max(receiver.most_open, receiver.open_now)
                try:
                    if receiver.on_arrival is not None:
                        receiver.on_arrival(n)
                    for i in range(len(ANSWER)):
                        if receiver.stop.wait(receiver.pause):
                            break
                        self.wfile.write(ANSWER[i : i + 1])
                        self.wfile.flush()
                except OSError:
                    pass  # the client hung up
                finally:
                    with receiver.lock:
                        receiver.open_now -= 1
                        receiver.requests[n] = (receiver.requests[n][0], time.monotonic())
                self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def drip() -> Iterator[DripReceiver]:
    rec = DripReceiver()
    yield rec
    rec.close()


def _no_transaction_holds_the_delivery(runtime: Runtime) -> str | None:
    """Why a writer could not take the delivery and endpoint rows (or the SQLite write lock) right now,
    or None when it could."""
    url = make_url(runtime.settings.database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), timeout=0.5, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            return f"SQLite write lock held: {exc}"
        finally:
            conn.close()
        return None
    try:
        with unit_of_work(runtime.write_sessions) as s:
            s.execute(select(Delivery.id).with_for_update(nowait=True)).all()
            s.execute(select(WebhookEndpoint.id).with_for_update(nowait=True)).all()
    except Exception as exc:
        return f"rows locked: {type(exc).__name__}"
    return None


def test_a_dripping_receiver_is_cut_off_and_never_has_two_attempts_in_flight(
    api, auth_headers, runtime, drip, worker_runtime
):
    rt = worker_runtime(
        webhook_timeout_seconds=1.0,
        webhook_lease_margin_seconds=1.5,
        webhook_retry_schedule_sandbox=[0.5, 0.5],
        job_lease_seconds=3.0,
    )
    probes: list[str | None] = []
    drip.on_arrival = lambda n: probes.append(_no_transaction_holds_the_delivery(runtime))
    endpoint(api, auth_headers, drip.url)
    individual(api, auth_headers)
    workers = Worker(rt, threads=3, idle_seconds=0.02)
    workers.start()
    try:
        settled = False
        until = time.monotonic() + 20
        while time.monotonic() < until and not settled:
            settled = all(d.status != "pending" for d in deliveries(rt))
            time.sleep(0.1)
    finally:
        workers.stop()
    log = attempts(rt)
    assert settled, f"still pending after 20 s: {[(a.started_at, a.finished_at, a.error) for a in log]}"

    (d,) = deliveries(rt)
    assert d.status == "failed" and d.attempts == 3 and d.in_flight_until is None
    assert [a.number for a in log] == [1, 2, 3]
    assert [a.error for a in log] == ["Timed out after 1 s"] * 3
    assert all(a.status_code is None and a.duration_ms is not None and a.duration_ms >= 1000 for a in log)
    # Each attempt ended within its lease, and before the next one started.
    lease = timedelta(seconds=2.5)  # the attempt's lease: its 1 s deadline and the 1.5 s margin
    for a, b in zip(log, log[1:], strict=False):
        assert a.finished_at is not None and a.finished_at <= b.started_at
    assert all(a.finished_at is not None and a.finished_at - a.started_at < lease for a in log)
    # The receiver agrees: three requests, never two open at once, each cut off by the client.
    assert len(drip.requests) == 3 and drip.most_open == 1
    until = time.monotonic() + 5  # the server notices a hang-up at its next write or two
    while time.monotonic() < until and not all(closed is not None for _, closed in drip.requests):
        time.sleep(0.05)
    assert all(closed is not None for _, closed in drip.requests)
    # While each attempt was on the wire, a writer could take the rows and the lock at once.
    assert probes == [None, None, None]
