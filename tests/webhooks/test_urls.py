"""URL rules for endpoints, with a fake resolver standing in for DNS."""

from __future__ import annotations

import pytest

from tollgate.config import Mode
from tollgate.webhooks.urls import UrlRefused, check_for_registration, resolve


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
        ("https://169.254.169.254/latest", "points at 169.254.169.254 is a link-local address"),
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


def test_sandbox_mode_allows_http_loopback_and_private_but_not_link_local():
    for url in ("http://localhost:3000/hooks", "http://127.0.0.1:3000/hooks", "https://192.168.1.20/h"):
        assert check_for_registration(url, Mode.SANDBOX, dns()) == url
    with pytest.raises(UrlRefused, match="link-local"):
        check_for_registration("http://169.254.169.254/", Mode.SANDBOX, dns())
    with pytest.raises(UrlRefused, match="link-local"):
        resolve("http://metadata.internal/", Mode.SANDBOX, dns("169.254.169.254"))


def test_the_request_goes_to_the_checked_addresses():
    target = resolve("https://hooks.example.com:8443/in?x=1", Mode.LIVE, dns("93.184.216.34", "2606:2800::1"))
    assert target.addresses == ("93.184.216.34", "2606:2800::1")
    assert str(target.connect_url("93.184.216.34")) == "https://93.184.216.34:8443/in?x=1"
    assert str(target.connect_url("2606:2800::1")) == "https://[2606:2800::1]:8443/in?x=1"
    assert target.host_header == "hooks.example.com:8443"
    assert target.host == "hooks.example.com"
