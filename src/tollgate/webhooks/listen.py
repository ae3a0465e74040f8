"""``tollgate listen``: forward a client's new events to a local URL, signed like deliveries.

Nothing is recorded: the forwarder reads events as they are written and POSTs their stored bodies; it is a
development aid, separate from the registered endpoints and their delivery guarantees.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.webhooks import service, signing


@dataclass(frozen=True)
class Forwarded:
    event_id: str
    event_type: str
    created_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


def forward(
    http: httpx.Client, url: str, event_id: str, body: bytes, secret: str
) -> tuple[int | None, int, str | None]:
    started = time.monotonic()
    headers = signing.headers(body, event_id, [secret], int(time.time()))
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, int((time.monotonic() - started) * 1000), f"{type(exc).__name__}: {exc}"
    return response.status_code, int((time.monotonic() - started) * 1000), None


def listen(
    runtime: Runtime,
    client_pk: uuid.UUID,
    forward_to: str,
    secret: str,
    report: Callable[[Forwarded], None],
    *,
    after: int | None = None,
    event_types: set[str] | None = None,
    poll_seconds: float = 0.5,
    max_events: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Forward the events numbered after ``after`` (default: the latest committed one) until ``stop`` is
    set or ``max_events`` have been sent; returns how many were forwarded.

    Events are read by their number, given in the order their transactions commit (``Event.number``),
    never by their time: a sandbox clock moved back or reset neither hides an event nor sends one twice."""
    stop = stop or threading.Event()
    if after is None:
        with unit_of_work(runtime.read_sessions) as session:
            after = service.last_event_number(session, client_pk)
    cursor = after
    sent = 0
    timeout = runtime.settings.webhook_timeout_seconds
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as http:
        while not stop.is_set():
            with unit_of_work(runtime.read_sessions) as session:
                rows = [
                    (e.number, e.id, e.type, e.created_at, e.body)
                    for e in service.events_after(session, client_pk, cursor, limit=1000)
                ]
            for number, event_id, event_type, created_at, body in rows:
                cursor = number
                if event_types and event_type not in event_types:
                    continue
                code, ms, error = forward(http, forward_to, str(event_id), body.encode("utf-8"), secret)
                report(Forwarded(str(event_id), event_type, created_at, code, ms, error))
                sent += 1
                if max_events is not None and sent >= max_events:
                    return sent
            if not rows:
                stop.wait(poll_seconds)
    return sent
