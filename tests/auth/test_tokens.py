from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

TTL_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\+00$")
AUTH_FAILED = {"message": "Authentication failed"}


def _parse(ts: str) -> datetime:
    return datetime.strptime(ts, "%Y-%m-%d %H:%M:%S+00").replace(tzinfo=UTC)


def _token(api, creds):
    r = api.post("/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 200, r.text
    return r.json()


def _list(api, access: str):
    return api.get(
        "/v2/customers", params={"type": "INDIVIDUAL"}, headers={"Authorization": f"Bearer {access}"}
    )


def test_token_response_shape_and_lifetimes(api, make_client):
    body = _token(api, make_client())
    assert set(body) == {
        "access_token",
        "access_token_ttl",
        "refresh_token",
        "refresh_token_ttl",
        "current_time",
    }
    for key in ("access_token_ttl", "refresh_token_ttl", "current_time"):
        assert TTL_FORMAT.match(body[key]), body[key]
    now = _parse(body["current_time"])
    assert _parse(body["access_token_ttl"]) - now == timedelta(hours=24)
    assert _parse(body["refresh_token_ttl"]) - now == timedelta(days=7)
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"exp", "iat", "iss", "aud", "sub", "jti"} <= set(claims)


def test_access_token_authorises_requests(api, make_client):
    body = _token(api, make_client())
    assert _list(api, body["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"client_id": "nope", "client_secret": "nope"},
    ],
)
def test_unknown_client_is_401(api, payload):
    r = api.post("/v1/oauth/token", json=payload)
    assert r.status_code == 401
    assert r.json() == AUTH_FAILED


def test_wrong_secret_is_401(api, make_client):
    creds = make_client()
    r = api.post(
        "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret + "x"}
    )
    assert r.status_code == 401
    assert r.json() == AUTH_FAILED


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"client_id": "x"}, "client_secret"),
        ({"client_secret": "x"}, "client_id"),
        ({"client_id": 5, "client_secret": "y"}, "client_id"),
    ],
)
def test_token_body_validation_is_422(api, payload, field):
    r = api.post("/v1/oauth/token", json=payload)
    assert r.status_code == 422
    body = r.json()
    assert body["message"]
    assert any(field in item for item in body["errors"])


def test_form_encoded_credentials_are_refused(api, make_client):
    creds = make_client()
    r = api.post("/v1/oauth/token", data={"client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 422


def _forge(claims: dict, key: bytes, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _b64(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_bad_bearer_tokens_are_401(api, make_client, runtime):
    good = _token(api, make_client())
    claims = jwt.decode(good["access_token"], options={"verify_signature": False})
    cases = {
        "missing": None,
        "malformed": "not-a-jwt",
        "forged": _forge(claims, b"another-key-that-is-long-enough-for-hs256"),
        "alg none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + ".",
        "expired": _forge(
            {**claims, "exp": int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())},
            runtime.keys.signing_key,
        ),
        "wrong audience": _forge({**claims, "aud": "someone-else"}, runtime.keys.signing_key),
        "wrong issuer": _forge({**claims, "iss": "https://evil.example"}, runtime.keys.signing_key),
        "no jti": _forge({k: v for k, v in claims.items() if k != "jti"}, runtime.keys.signing_key),
        "refresh token": good["refresh_token"],
    }
    for name, token in cases.items():
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        r = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=headers)
        assert r.status_code == 401, name
        assert r.json() == AUTH_FAILED, name
    # the same claims, correctly signed, pass: the cases above fail for the reason they name
    assert _list(api, _forge(claims, runtime.keys.signing_key)).status_code == 200


def test_expiry_follows_the_server_clock(api, make_client, clock):
    body = _token(api, make_client())
    clock.offset = timedelta(hours=24, seconds=1)
    assert _list(api, body["access_token"]).status_code == 401


def test_refresh_rotates_and_retires_the_old_token(api, make_client):
    first = _token(api, make_client())
    r = api.post("/v1/oauth/refresh-token", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert _list(api, second["access_token"]).status_code == 200


def test_reusing_a_retired_refresh_token_revokes_the_family(api, make_client):
    first = _token(api, make_client())
    second = api.post("/v1/oauth/refresh-token", json={"refresh_token": first["refresh_token"]}).json()
    replay = api.post("/v1/oauth/refresh-token", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json() == AUTH_FAILED
    # the whole family is gone: the newer refresh token and the access tokens it minted
    assert (
        api.post("/v1/oauth/refresh-token", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )
    assert _list(api, second["access_token"]).status_code == 401
    assert _list(api, first["access_token"]).status_code == 401


def test_other_logins_survive_a_family_revocation(api, make_client):
    creds = make_client()
    a = _token(api, creds)
    b = _token(api, creds)
    api.post("/v1/oauth/refresh-token", json={"refresh_token": a["refresh_token"]})
    api.post("/v1/oauth/refresh-token", json={"refresh_token": a["refresh_token"]})
    assert _list(api, b["access_token"]).status_code == 200


def test_refresh_token_expires(api, make_client, clock):
    first = _token(api, make_client())
    clock.offset = timedelta(days=7, seconds=1)
    r = api.post("/v1/oauth/refresh-token", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401


def test_refresh_family_has_an_absolute_lifetime(api, make_client, clock):
    current = _token(api, make_client())
    # keep refreshing every 6 days: each token is fresh, but the family ends at 30 days
    for _ in range(4):
        clock.offset += timedelta(days=6)
        r = api.post("/v1/oauth/refresh-token", json={"refresh_token": current["refresh_token"]})
        assert r.status_code == 200
        current = r.json()
    assert _parse(current["refresh_token_ttl"]) <= _parse(current["current_time"]) + timedelta(days=6)
    clock.offset += timedelta(days=6, seconds=1)
    assert (
        api.post("/v1/oauth/refresh-token", json={"refresh_token": current["refresh_token"]}).status_code
        == 401
    )


def test_unknown_refresh_token_is_401(api):
    r = api.post("/v1/oauth/refresh-token", json={"refresh_token": "rt_unknown"})
    assert r.status_code == 401
    assert r.json() == AUTH_FAILED


def test_request_id_is_echoed_or_made(api):
    r = api.post("/v1/oauth/refresh-token", json={"refresh_token": "x"}, headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"
    r = api.post(
        "/v1/oauth/refresh-token",
        json={"refresh_token": "x"},
        headers={"X-Request-Id": "bad id\twith spaces"},
    )
    assert r.headers["X-Request-Id"] != "bad id\twith spaces" and len(r.headers["X-Request-Id"]) == 36


def test_nul_in_credentials_is_422_not_500(api):
    r = api.post("/v1/oauth/token", json={"client_id": "a\x00b", "client_secret": "x"})
    assert r.status_code == 422
    r = api.post("/v1/oauth/refresh-token", json={"refresh_token": "rt_\x00"})
    assert r.status_code == 422
