"""Webhook test helpers: real HTTP receivers on loopback, worker runtimes sharing the test database, and a
pump that runs due jobs while moving the clock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import BASE_URL
from tests.factories import individual_body
from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.jobs.worker import drain
from tollgate.kit.clock import OffsetClock
from tollgate.runtime import Runtime, build_runtime
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str:
        return str(self.json["event"]["id"])


@dataclass
class Receiver:
    """A threading HTTP server on 127.0.0.1. ``respond(request, n)`` answers the n-th request (0-based);
    it may block to play a slow receiver. ``answered`` holds the requests that got an answer."""

    respond: Callable[[Received, int], Answer] = lambda r, n: (200, {}, b"ok")
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answered: list[tuple[Received, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()
                )
                with receiver.arrived:
                    n = len(receiver.requests)
                    receiver.requests.append(got)
                    receiver.arrived.notify_all()
                status, headers, payload = receiver.respond(got, n)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    return
                with receiver.arrived:
                    receiver.answered.append((got, status))
                    receiver.arrived.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 15.0) -> bool:
        """Until ``count`` requests have arrived (answered or not)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def event_ids(self) -> list[str]:
        with self.lock:
            return [r.event_id for r in self.requests]

    def delivered_ids(self) -> list[str]:
        """Event ids of requests answered 2xx, in answer order."""
        with self.lock:
            return [r.event_id for r, status in self.answered if 200 <= status < 300]


@pytest.fixture(scope="session", autouse=True)
def sessions_know_their_settings(runtime: Runtime) -> None:
    """Events are built with the settings of the runtime that opened the session (webhooks.service.settings_for)."""
    runtime.write_sessions.configure(info={"settings": runtime.settings})
    runtime.read_sessions.configure(info={"settings": runtime.settings})


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    made: list[Receiver] = []

    def make(respond: Callable[[Received, int], Answer] | None = None, port: int = 0) -> Receiver:
        r = Receiver(respond, port) if respond else Receiver(port=port)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def worker_runtime(runtime: Runtime, clock: OffsetClock) -> Callable[..., Runtime]:
    """A runtime on the same database and clock whose settings differ (no jitter unless asked)."""

    def make(**overrides: Any) -> Runtime:
        # Live mode takes the signing key and pepper from outside the database: the same ones, here.
        values: dict[str, Any] = {
            "webhook_retry_jitter": 0.0,
            "signing_key": runtime.keys.signing_key.decode(),
            "secret_pepper": runtime.keys.pepper.decode(),
        }
        values.update(overrides)
        settings = runtime.settings.model_copy(update=values)
        rt = build_runtime(settings, clock, engine=runtime.engine)
        rt.write_sessions.configure(info={"settings": settings})
        rt.read_sessions.configure(info={"settings": settings})
        return rt

    return make


def pump(
    rt: Runtime, clock: OffsetClock, done: Callable[[], bool], *, step: timedelta, rounds: int = 40
) -> int:
    """Run every due job, then move the clock by ``step``, until ``done()``; returns the rounds used."""
    for n in range(rounds):
        drain(rt)
        if done():
            return n
        clock.offset += step
    raise AssertionError("the deliveries did not settle")


def endpoint(api: TestClient, headers: dict[str, str], url: str, **body: Any) -> dict[str, Any]:
    r = api.post("/v2/webhook-endpoints", json={"url": url, **body}, headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def individual(api: TestClient, headers: dict[str, str], n: int = 0) -> str:
    body = individual_body()
    body["basic_info"]["email"] = f"person{n}@example.com"
    r = api.post("/v2/customers/individual", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["customer_id"])


def hold(api: TestClient, headers: dict[str, str], cid: str) -> None:
    """A status change the way the sandbox makes one (the reviewer's command handler): IN_COMPLIANCE."""
    r = api.post(f"/sandbox/customers/{cid}/hold", json={}, headers=headers)
    assert r.status_code == 200, r.text


def ask(api: TestClient, headers: dict[str, str], cid: str, rfis: list[dict[str, Any]]) -> None:
    """RFIs raised through the sandbox API: ACTION_REQUIRED and a customer.rfi event."""
    r = api.post(f"/sandbox/customers/{cid}/request-information", json={"rfis": rfis}, headers=headers)
    assert r.status_code == 200, r.text


def deliveries(rt: Runtime) -> list[Delivery]:
    with unit_of_work(rt.read_sessions) as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.created_at)))


def attempts(rt: Runtime) -> list[DeliveryAttempt]:
    with unit_of_work(rt.read_sessions) as s:
        return list(s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.started_at)))


def events(rt: Runtime) -> list[Event]:
    with unit_of_work(rt.read_sessions) as s:
        return list(s.scalars(select(Event).order_by(Event.created_at)))


def endpoints(rt: Runtime) -> list[WebhookEndpoint]:
    with unit_of_work(rt.read_sessions) as s:
        return list(s.scalars(select(WebhookEndpoint)))


def all_settled(rt: Runtime) -> bool:
    return all(d.status != "pending" for d in deliveries(rt))


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        {
            "TOLLGATE_DATABASE_URL": settings.database_url,
            "TOLLGATE_KEYS": settings.keys or "",
            "TOLLGATE_PUBLIC_BASE_URL": BASE_URL,
            "TOLLGATE_MODE": settings.mode.value,
        }
    )
    env.update(extra)
    return env


def tollgate(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tollgate.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
