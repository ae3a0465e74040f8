"""Which URLs an endpoint may have, checked when it is registered and again before every attempt.

An address is judged by IANA's special-purpose address registries, as kept by ``netaddr``
(``IPAddress.is_global``), not by the standard library's shorter list:

- Never: unspecified and multicast addresses, link-local addresses, the deprecated IPv6 site-local range
  (``fec0::/10``), and the cloud metadata services that sit at addresses the registries call public or
  private (``168.63.129.16``, ``100.100.100.200``, ``fd00:ec2::254``, ``169.254.169.254``). An IPv6 address
  that embeds an IPv4 address (IPv4-mapped or -compatible, 6to4, NAT64, Teredo) is judged by the IPv4
  address too.
- Live mode: ``https`` only, and every address the host resolves to must be globally reachable.
- Sandbox mode: ``http`` too, and loopback addresses as well as public ones (integrators point webhooks
  at their laptop). Any other special-purpose address (private networks, shared address space, ...) only
  when the host or its network is listed in ``TOLLGATE_WEBHOOK_ALLOWED_HOSTS`` (a container next to the
  server).

At send time the request goes to the address that was checked, not to a second DNS answer.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import netaddr

from tollgate.config import Mode, Settings

MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

_METADATA = frozenset(
    netaddr.IPAddress(a) for a in ("169.254.169.254", "168.63.129.16", "100.100.100.200", "fd00:ec2::254")
)
_SITE_LOCAL = netaddr.IPNetwork("fec0::/10")
_SIX_TO_FOUR = netaddr.IPNetwork("2002::/16")
_NAT64 = (netaddr.IPNetwork("64:ff9b::/96"), netaddr.IPNetwork("64:ff9b:1::/48"))
_TEREDO = netaddr.IPNetwork("2001::/32")


class UrlRefused(ValueError):
    """The URL breaks a rule; the message says which, in words an integrator can act on."""


@dataclass(frozen=True)
class Rules:
    """The address rules of a server: its mode and the hosts and networks explicitly allowed."""

    mode: Mode
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[netaddr.IPNetwork, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> Rules:
        hosts: set[str] = set()
        networks: list[netaddr.IPNetwork] = []
        for entry in (e.strip() for e in settings.webhook_allowed_hosts.split(",")):
            if not entry:
                continue
            try:
                networks.append(netaddr.IPNetwork(entry.strip("[]")))
            except (netaddr.AddrFormatError, ValueError):
                hosts.add(entry.lower())
        return cls(settings.mode, frozenset(hosts), tuple(networks))

    def allows(self, host: str, ip: netaddr.IPAddress) -> bool:
        return host.lower().strip("[]") in self.allowed_hosts or any(
            ip in net for net in self.allowed_networks
        )


def _rules(rules: Rules | Mode) -> Rules:
    return rules if isinstance(rules, Rules) else Rules(rules)


def system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: netaddr.IPAddress) -> netaddr.IPAddress | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo client)."""
    if ip.version != 6:
        return None
    value = int(ip)
    if ip.is_ipv4_mapped() or (ip.is_ipv4_compat() and value > 1):
        return netaddr.IPAddress(value & 0xFFFFFFFF, 4)
    if ip in _SIX_TO_FOUR:
        return netaddr.IPAddress((value >> 80) & 0xFFFFFFFF, 4)
    if any(ip in net for net in _NAT64):
        return netaddr.IPAddress(value & 0xFFFFFFFF, 4)
    if ip in _TEREDO:
        return netaddr.IPAddress(~value & 0xFFFFFFFF, 4)
    return None


def address_refusal(ip: IPAddress | str, rules: Rules | Mode, host: str = "") -> str | None:
    """Why ``ip`` may not receive webhooks under ``rules``, or None."""
    rules = _rules(rules)
    address = netaddr.IPAddress(str(ip).split("%")[0])
    embedded = _embedded_ipv4(address)
    if embedded is not None and address.is_ipv4_mapped():
        return address_refusal(str(embedded), rules, host)  # the IPv4 address itself, on a dual-stack socket
    if embedded is not None:
        # A tunnel or translator address reaches the IPv4 address it embeds only through the Internet: that
        # address must be public, whatever the mode.
        refusal = address_refusal(str(embedded), Mode.LIVE)
        return f"{address}, which embeds {refusal}" if refusal is not None else None
    if address in _METADATA:
        return f"{address} is a cloud metadata address"
    if int(address) == 0 or address.is_multicast():
        return f"{address} is not a unicast address"
    if address.is_link_local():
        return f"{address} is a link-local address"
    if address in _SITE_LOCAL:
        return f"{address} is a site-local address"
    if address.is_loopback():
        return f"{address} is a loopback address, refused in live mode" if rules.mode is Mode.LIVE else None
    if address.is_global():
        return None
    if rules.mode is Mode.SANDBOX and rules.allows(host, address):
        return None
    if rules.mode is Mode.LIVE:
        return f"{address} is a private address, refused in live mode"
    return f"{address} is a private or special-purpose address; allow it with TOLLGATE_WEBHOOK_ALLOWED_HOSTS"


def shows_answers(address: str, host: str, rules: Rules) -> bool:
    """Whether what the receiver at ``address`` answers may be shown through the API: only from globally
    reachable addresses and from hosts the operator listed in ``TOLLGATE_WEBHOOK_ALLOWED_HOSTS``."""
    ip = netaddr.IPAddress(address.split("%")[0])
    return address_refusal(address, Mode.LIVE) is None or rules.allows(host, ip)


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


def parse(url: str, rules: Rules | Mode) -> httpx.URL:
    """The scheme, host and shape rules that need no DNS."""
    rules = _rules(rules)
    mode = rules.mode
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
        refusal = address_refusal(literal, rules, parsed.host)
        if refusal:
            raise UrlRefused(f"points at {refusal}")
    return parsed


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(url: str, rules: Rules | Mode, resolver: Resolver = system_resolve) -> Target:
    """Check ``url`` and every address its host resolves to (all must pass)."""
    rules = _rules(rules)
    parsed = parse(url, rules)
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
        refusal = address_refusal(ip, rules, parsed.host)
        if refusal:
            raise UrlRefused(f"resolves to {refusal}")
        checked.append(str(ip))
    return Target(parsed, parsed.host, tuple(checked))


def check_for_registration(url: str, rules: Rules | Mode, resolver: Resolver = system_resolve) -> str:
    """Registration: shape rules always; in live mode the host must also resolve to public addresses."""
    rules = _rules(rules)
    parse(url, rules)
    if rules.mode is Mode.LIVE:
        resolve(url, rules, resolver)
    return url
