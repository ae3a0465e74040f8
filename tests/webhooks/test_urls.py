"""URL rules for endpoints, with a fake resolver standing in for DNS."""

from __future__ import annotations

import pytest

from tollgate.config import Mode, Settings
from tollgate.webhooks.urls import Rules, UrlRefused, check_for_registration, resolve


def dns(*answers: str):
    def resolver(host: str, port: int) -> list[str]:
        if not answers:
            raise OSError("no such host")
        return list(answers)

    return resolver


PUBLIC = dns("93.184.216.34")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("ftp://hooks.example.com/x", "must use https"),
        ("https://127.0.0.1/x", "points at 127.0.0.1 is a loopback address, refused in live mode"),
        ("https://[::1]/x", "points at ::1 is a loopback address, refused in live mode"),
        ("https://10.1.2.3/x", "points at 10.1.2.3 is a private address, refused in live mode"),
        ("https://192.168.0.10/x", "points at 192.168.0.10 is a private address, refused in live mode"),
        ("https://169.254.169.254/latest", "points at 169.254.169.254 is a cloud metadata address"),
        ("https://169.254.1.1/latest", "points at 169.254.1.1 is a link-local address"),
        ("https://[fe80::1]/x", "points at fe80::1 is a link-local address"),
        ("https://0.0.0.0/x", "points at 0.0.0.0 is not a unicast address"),
        ("https://user:pw@hooks.example.com/x", "must not contain credentials"),
        ("https://hooks.example.com/x#frag", "must not contain a fragment"),
        ("https:///x", "must name a host"),
        ("not a url", "must use https"),
    ],
)
def test_live_mode_refuses(url, message):
    with pytest.raises(UrlRefused) as exc:
        check_for_registration(url, Mode.LIVE, PUBLIC)
    assert str(exc.value) == message


def test_live_mode_resolves_the_host_and_checks_every_address():
    assert check_for_registration("https://hooks.example.com/x", Mode.LIVE, PUBLIC)
    with pytest.raises(UrlRefused, match="resolves to 10.0.0.7 is a private address"):
        check_for_registration("https://hooks.example.com/x", Mode.LIVE, dns("93.184.216.34", "10.0.0.7"))
    with pytest.raises(UrlRefused, match="resolves to 127.0.0.1 is a loopback address"):
        check_for_registration("https://hooks.example.com/x", Mode.LIVE, dns("::ffff:127.0.0.1"))
    with pytest.raises(UrlRefused, match="does not resolve"):
        check_for_registration("https://nowhere.example/x", Mode.LIVE, dns())


def test_sandbox_mode_allows_http_and_loopback_and_listed_hosts_only():
    for url in ("http://localhost:3000/hooks", "http://127.0.0.1:3000/hooks", "http://[::1]:3000/hooks"):
        assert check_for_registration(url, Mode.SANDBOX, dns()) == url
    with pytest.raises(
        UrlRefused, match="192.168.1.20 is a private or special-purpose address; allow it with"
    ):
        check_for_registration("https://192.168.1.20/h", Mode.SANDBOX, dns())
    with pytest.raises(UrlRefused, match="resolves to 172.17.0.2 is a private or special-purpose"):
        resolve("http://receiver:8080/h", Mode.SANDBOX, dns("172.17.0.2"))
    listed = Rules.of(Settings(webhook_allowed_hosts="receiver, 192.168.0.0/16"))
    assert check_for_registration("https://192.168.1.20/h", listed, dns()) == "https://192.168.1.20/h"
    assert resolve("http://receiver:8080/h", listed, dns("172.17.0.2")).addresses == ("172.17.0.2",)
    with pytest.raises(UrlRefused, match="172.17.0.2 is a private or special-purpose"):
        resolve("http://other:8080/h", listed, dns("172.17.0.2"))
    # Listing never opens the metadata services.
    metadata = Rules.of(Settings(webhook_allowed_hosts="169.254.0.0/16, 100.64.0.0/10"))
    with pytest.raises(UrlRefused, match="metadata"):
        check_for_registration("http://169.254.169.254/", metadata, dns())
    with pytest.raises(UrlRefused, match="metadata"):
        check_for_registration("http://100.100.100.200/", metadata, dns())
    with pytest.raises(UrlRefused, match="metadata"):
        check_for_registration("http://169.254.169.254/", Mode.SANDBOX, dns())
    with pytest.raises(UrlRefused, match="metadata"):
        resolve("http://metadata.internal/", Mode.SANDBOX, dns("169.254.169.254"))


def test_the_request_goes_to_the_checked_addresses():
    target = resolve("https://hooks.example.com:8443/in?x=1", Mode.LIVE, dns("93.184.216.34", "2606:2800::1"))
    assert target.addresses == ("93.184.216.34", "2606:2800::1")
    assert str(target.connect_url("93.184.216.34")) == "https://93.184.216.34:8443/in?x=1"
    assert str(target.connect_url("2606:2800::1")) == "https://[2606:2800::1]:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    assert target.host == "hooks.example.com"


# Addresses that the standard library's is_global calls public, or that once passed these rules: each is
# refused in both modes, as itself or as the address an IPv6 address embeds.
SPECIAL = [
    ("192.0.0.192", "192.0.0.192 is a"),  # IETF protocol assignments (an Oracle Cloud metadata address)
    ("168.63.129.16", "cloud metadata"),  # Azure's wire server
    ("100.100.100.200", "cloud metadata"),  # Alibaba Cloud, in the shared address space
    ("fd00:ec2::254", "cloud metadata"),  # AWS over IPv6
    ("fec0::1", "site-local"),
    ("2002:a9fe:a9fe::1", "which embeds 169.254.169.254"),  # 6to4 around the metadata address
    ("2002:7f00:1::1", "which embeds 127.0.0.1"),  # 6to4 around loopback
    ("64:ff9b::a9fe:a9fe", "which embeds 169.254.169.254"),  # NAT64
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "which embeds 192.0.2.45"),  # Teredo, documentation client
    ("::ffff:169.254.169.254", "169.254.169.254 is a"),
    ("100.64.0.1", "100.64.0.1 is a"),  # shared address space (carrier-grade NAT)
    ("198.18.0.1", "198.18.0.1 is a"),  # benchmarking
]


@pytest.mark.parametrize(("address", "reason"), SPECIAL)
@pytest.mark.parametrize("mode", [Mode.LIVE, Mode.SANDBOX])
def test_special_purpose_addresses_are_refused_by_the_registry_not_by_is_global(address, reason, mode):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UrlRefused, match=reason.replace(".", r"\.")):
        check_for_registration(f"https://{host}/in", mode, PUBLIC)
    with pytest.raises(UrlRefused, match=reason.replace(".", r"\.")):
        resolve("https://hooks.example.com/in", mode, dns(address))


def test_public_addresses_pass_in_both_modes():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "2001:4860:4860::8888"):
        for mode in (Mode.LIVE, Mode.SANDBOX):
            assert resolve("https://hooks.example.com/in", mode, dns(address)).addresses == (address,)
