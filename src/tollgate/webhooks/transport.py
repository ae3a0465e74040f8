"""The HTTP side of a delivery: resolve and check the URL, POST the signed body, read the answer.

It touches no database, so a delivery holds no transaction while a receiver takes its time. One attempt has
one total deadline (``webhook_timeout_seconds``) for the address lookup, connect, TLS, send and the whole
answer: every socket operation waits at most what is left of it, so a receiver that drips its answer a few
bytes at a time is cut off at the deadline like one that does not answer at all.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import certifi
import httpcore
import httpx

from tollgate.config import Settings
from tollgate.webhooks import signing, urls

RESPONSE_HEAD_BYTES = 1024


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    duration_ms: int = 0
    response_body: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one loads the CA bundle, about 20 ms of CPU, which
    a new ``httpx.Client`` per attempt would otherwise pay on every delivery."""
    return ssl.create_default_context(cafile=certifi.where())


class _Deadline:
    """A point on ``time.monotonic()``; each wait is cut to what is left before it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    def cap(self, timeout: float | None, error: type[httpcore.TimeoutException]) -> float:
        left = self.left()
        if left <= 0:
            raise error(f"deadline of {self.seconds:g} s reached")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # One send at a time, so a receiver that reads slowly is cut off at the deadline too.
        view = memoryview(buffer)
        while view:
            chunk = bytes(view[:16384])
            self._stream.write(chunk, self._deadline.cap(timeout, httpcore.WriteTimeout))
            view = view[len(chunk) :]

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        wait = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, wait), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own blocking sockets, every operation bounded by one deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, wait, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks are sent over TCP only")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport on the deadline backend (httpx takes no network backend of its own)."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__(verify=_tls_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_tls_context(), max_connections=1, network_backend=_DeadlineBackend(deadline)
        )


class _TimedOut(Exception):
    pass


def _names_a_host(url: str) -> bool:
    """Whether ``url``'s host is a name to look up (not an address)."""
    try:
        host = httpx.URL(url).host
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    except httpx.InvalidURL:
        return False
    return False


def _resolve(url: str, settings: Settings, resolver: urls.Resolver, deadline: _Deadline) -> urls.Target:
    """``urls.resolve`` within the deadline: a lookup still running when it passes is left behind."""
    if not _names_a_host(url):
        return urls.resolve(url, urls.Rules.of(settings), resolver)
    result: list[urls.Target | BaseException] = []

    def lookup() -> None:
        try:
            result.append(urls.resolve(url, urls.Rules.of(settings), resolver))
        except BaseException as exc:
            result.append(exc)

    thread = threading.Thread(target=lookup, name="tollgate-webhook-resolve", daemon=True)
    thread.start()
    thread.join(max(deadline.left(), 0))
    if not result:
        raise _TimedOut
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


def _read_head(response: httpx.Response) -> str:
    head = b""
    for chunk in response.iter_bytes():
        head += chunk
        if len(head) >= RESPONSE_HEAD_BYTES:
            break
    return head[:RESPONSE_HEAD_BYTES].decode("utf-8", errors="replace")


def parse_retry_after(value: str | None, wall_now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - wall_now, 0.0)


def send(
    url: str,
    body: bytes,
    msg_id: str,
    secrets: Sequence[str],
    settings: Settings,
    *,
    resolver: urls.Resolver = urls.system_resolve,
    wall_clock: Callable[[], float] = time.time,
) -> Outcome:
    """One POST of ``body`` to ``url``, signed with ``secrets`` (newest first), all of it within
    ``settings.webhook_timeout_seconds``. Never raises for what the network or the receiver does;
    redirects are not followed."""
    started = time.monotonic()
    timeout = settings.webhook_timeout_seconds
    deadline = _Deadline(timeout)
    timed_out = f"Timed out after {timeout:g} s"

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = _resolve(url, settings, resolver, deadline)
    except urls.UrlRefused as exc:
        return Outcome(duration_ms=elapsed(), error=f"Refused: the URL {exc}")
    except _TimedOut:
        return Outcome(duration_ms=elapsed(), error=timed_out)
    headers = signing.headers(body, msg_id, secrets, int(wall_clock()))
    headers["host"] = target.host_header
    extensions = {}
    if target.url.scheme == "https" and target.host not in target.addresses:
        extensions["sni_hostname"] = target.host
    error = "No address to connect to"
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, transport=_DeadlineTransport(deadline)
    ) as client:
        # Connect to the addresses that were checked, never to a second DNS answer.
        for address in target.addresses:
            try:
                with client.stream(
                    "POST",
                    target.connect_url(address),
                    content=body,
                    headers=headers,
                    extensions=extensions,
                ) as response:
                    head = _read_head(response)
            except httpx.TimeoutException:
                return Outcome(duration_ms=elapsed(), error=timed_out)
            except httpx.ConnectError as exc:
                error = f"Connection failed: {exc}" if str(exc) else "Connection failed"
                continue
            except httpx.HTTPError as exc:
                return Outcome(duration_ms=elapsed(), error=f"{type(exc).__name__}: {exc}")
            code = response.status_code
            note = None
            if 300 <= code < 400:
                location = response.headers.get("location", "")
                note = f"HTTP {code}: redirects are not followed (Location: {location})"
            retry_after = None
            if code in (429, 503):
                retry_after = parse_retry_after(response.headers.get("retry-after"), wall_clock())
            return Outcome(
                status_code=code,
                duration_ms=elapsed(),
                # What a receiver on a loopback or private address answers is not shown unless the
                # operator listed it: the API must not become a way to read services near the server.
                response_body=head
                if urls.shows_answers(address, target.host, urls.Rules.of(settings))
                else None,
                error=note,
                retry_after=retry_after,
            )
    return Outcome(duration_ms=elapsed(), error=error)
