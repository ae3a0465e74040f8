"""A webhook receiver for tests: a real HTTP server on a loopback port, registered as an API client's
endpoint, that checks each delivery's ``x-fin-signature`` as an integrator's receiver must and keeps the
events it accepted, so that a test can wait for one."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One accepted delivery: the parsed body and the headers it came with."""

    event: dict[str, Any]
    data: dict[str, Any]
    headers: dict[str, str]

    @property
    def type(self) -> str:
        return str(self.event.get("type"))

    @property
    def id(self) -> str:
        return str(self.event.get("id"))


def signature_is_valid(secret: str, body: bytes, signature: str) -> bool:
    """Fin's ``x-fin-signature``: the hex HMAC-SHA256 of the raw body, keyed with the whole secret."""
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _matches(delivery: Delivery, event_type: str, match: dict[str, Any]) -> bool:
    if delivery.type != event_type:
        return False
    for key, wanted in match.items():
        # ``status`` is short for the customer's ``customer_status``.
        field = "customer_status" if key == "status" else key
        if str(delivery.data.get(field)) != str(wanted):
            return False
    return True


class WebhookInbox:
    """Start with :meth:`start`; :attr:`url` is where the server posts; :meth:`wait_for` waits for an
    event; :attr:`refused` counts deliveries whose signature did not verify (answered 400)."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.deliveries: list[Delivery] = []
        self.refused = 0
        self._changed = threading.Condition()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                inbox._receive(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def start(self) -> WebhookInbox:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _receive(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        signature = handler.headers.get("x-fin-signature", "")
        if self.secret is None or not signature_is_valid(self.secret, body, signature):
            with self._changed:
                self.refused += 1
                self._changed.notify_all()
            handler.send_response(400)
            handler.end_headers()
            return
        parsed = json.loads(body)
        delivery = Delivery(parsed.get("event", {}), parsed.get("data", {}), dict(handler.headers.items()))
        with self._changed:
            self.deliveries.append(delivery)
            self._changed.notify_all()
        handler.send_response(200)
        handler.end_headers()

    def events(self, event_type: str | None = None, **match: Any) -> list[Delivery]:
        """The deliveries accepted so far (optionally of one type and matching ``match``), in order."""
        with self._changed:
            return [d for d in self.deliveries if event_type is None or _matches(d, event_type, match)]

    def wait_for(self, event_type: str, *, timeout: float = 30.0, **match: Any) -> Delivery:
        """The first delivery of ``event_type`` whose data matches ``match`` (``customer_id=...``,
        ``status=...`` for ``customer_status``, or any other key of the event's data); waits up to
        ``timeout`` seconds and fails with what did arrive."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for delivery in self.deliveries:
                    if _matches(delivery, event_type, match):
                        return delivery
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [
                        (d.type, d.data.get("customer_id"), d.data.get("customer_status"))
                        for d in self.deliveries
                    ]
                    raise AssertionError(
                        f"no {event_type} event with {match} within {timeout} s; received: {seen}; "
                        f"refused (bad signature): {self.refused}"
                    )
                self._changed.wait(left)
