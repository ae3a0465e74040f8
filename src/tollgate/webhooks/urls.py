"""Which URLs an endpoint may have, checked when it is registered and again before every attempt.

Live mode: ``https`` only, and every address the host resolves to must be public. Sandbox mode: ``http``
is allowed and so are loopback and private addresses (integrators point webhooks at their laptop or a
container next to the server). Link-local (cloud metadata), multicast, unspecified and reserved addresses
are refused in both. At send time the request goes to the address that was checked, not to a second DNS
answer.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from tollgate.config import Mode

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class UrlRefused(ValueError):
    """The URL breaks a rule; the message says which, in words an integrator can act on."""


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_refusal(ip: IPAddress, mode: Mode) -> str | None:
    """Why ``ip`` may not receive webhooks in ``mode``, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_unspecified or ip.is_multicast:
        return f"{ip} is not a unicast address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_loopback:
        return f"{ip} is a loopback address, refused in live mode" if mode is Mode.LIVE else None
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if mode is Mode.LIVE and (ip.is_private or not ip.is_global):
        return f"{ip} is a private address, refused in live mode"
    return None


@dataclass(frozen=True)
class Target:
    """Where to connect: the checked address, with the original host for ``Host`` and TLS."""

    url: httpx.URL
    host: str
    addresses: tuple[str, ...]

    def connect_url(self, address: str) -> httpx.URL:
        return self.url.copy_with(host=address)

    @property
    def host_header(self) -> str:
        return self.url.netloc.decode("ascii")


def parse(url: str, mode: Mode) -> httpx.URL:
    """The scheme, host and shape rules that need no DNS."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UrlRefused("is not a valid URL") from exc
    allowed = ("https",) if mode is Mode.LIVE else ("https", "http")
    if parsed.scheme not in allowed:
        raise UrlRefused("must use https" if mode is Mode.LIVE else "must use http or https")
    if not parsed.host:
        raise UrlRefused("must name a host")
    if parsed.userinfo:
        raise UrlRefused("must not contain credentials")
    if parsed.fragment:
        raise UrlRefused("must not contain a fragment")
    literal = _literal(parsed.host)
    if literal is not None:
        refusal = address_refusal(literal, mode)
        if refusal:
            raise UrlRefused(f"points at {refusal}")
    return parsed


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(url: str, mode: Mode, resolver: Resolver = system_resolve) -> Target:
    """Check ``url`` and every address its host resolves to (all must pass)."""
    parsed = parse(url, mode)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    literal = _literal(parsed.host)
    if literal is not None:
        return Target(parsed, parsed.host, (str(literal),))
    try:
        addresses = resolver(parsed.host, port)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"host {parsed.host} does not resolve") from exc
    if not addresses:
        raise UrlRefused(f"host {parsed.host} does not resolve")
    checked: list[str] = []
    for raw in addresses:
        ip = ipaddress.ip_address(raw.split("%")[0])
        refusal = address_refusal(ip, mode)
        if refusal:
            raise UrlRefused(f"resolves to {refusal}")
        checked.append(str(ip))
    return Target(parsed, parsed.host, tuple(checked))


def check_for_registration(url: str, mode: Mode, resolver: Resolver = system_resolve) -> str:
    """Registration: shape rules always; in live mode the host must also resolve to public addresses."""
    parse(url, mode)
    if mode is Mode.LIVE:
        resolve(url, mode, resolver)
    return url
