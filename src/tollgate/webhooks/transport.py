"""The HTTP side of a delivery: resolve and check the URL, POST the signed body, read the answer.

It touches no database, so a delivery holds no transaction while a receiver takes its time.
"""

from __future__ import annotations

import email.utils
import functools
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

import certifi
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
    """One POST of ``body`` to ``url``, signed with ``secrets`` (newest first). Never raises for what the
    network or the receiver does; redirects are not followed."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = urls.resolve(url, settings.mode, resolver)
    except urls.UrlRefused as exc:
        return Outcome(duration_ms=elapsed(), error=f"Refused: the URL {exc}")
    headers = signing.headers(body, msg_id, secrets, int(wall_clock()))
    headers["host"] = target.host_header
    extensions = {}
    if target.url.scheme == "https" and target.host not in target.addresses:
        extensions["sni_hostname"] = target.host
    timeout = settings.webhook_timeout_seconds
    error = "No address to connect to"
    with httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls_context()
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
            except httpx.ConnectError as exc:
                error = f"Connection failed: {exc}" if str(exc) else "Connection failed"
                continue
            except httpx.TimeoutException:
                return Outcome(duration_ms=elapsed(), error=f"Timed out after {timeout:g} s")
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
                response_body=head,
                error=note,
                retry_after=retry_after,
            )
    return Outcome(duration_ms=elapsed(), error=error)
