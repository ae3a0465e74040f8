"""Rate limits (ratelimit.py) shared by every process through the database, answered 429 in the endpoint's
dialect with RateLimit-* and Retry-After; token and sign-in limits; argon2 verifications that cannot take
every request thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL
from tests.factories import business_body
from tollgate.app import create_app
from tollgate.auth.service import IssuedCredentials
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime, build_runtime
from tollgate.verification import operators

PASSWORD = "correct horse battery staple"

AppFactory = Callable[..., TestClient]


@pytest.fixture
def limited(runtime: Runtime) -> Iterator[AppFactory]:
    """Apps on the suite's database, each with a runtime (and so a limiter) of its own, like two servers."""
    made: list[tuple[TestClient, Runtime]] = []

    def make(**overrides: object) -> TestClient:
        settings = runtime.settings.model_copy(
            update={"rate_limits": True, "rate_limit_sync_seconds": 0.0, **overrides}
        )
        rt = build_runtime(settings, runtime.clock, engine=runtime.engine)
        client = TestClient(
            create_app(settings, runtime=rt), base_url=BASE_URL, raise_server_exceptions=False
        )
        client.__enter__()
        made.append((client, rt))
        return client

    yield make
    for client, rt in made:
        client.__exit__(None, None, None)
        rt.decoder.close()


def _login(api: TestClient, creds: IssuedCredentials) -> dict[str, str]:
    r = api.post("/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_client_past_its_limit_gets_429_and_others_do_not(limited: AppFactory, make_client) -> None:
    api = limited(rate_limit_api_per_minute=5)
    first, second = _login(api, make_client()), _login(api, make_client())
    remaining = []
    for _ in range(5):
        r = api.get("/v2/customers?type=INDIVIDUAL", headers=first)
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "5"
        remaining.append(int(r.headers["ratelimit-remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    r = api.get("/v2/customers?type=INDIVIDUAL", headers=first)
    assert r.status_code == 429
    assert r.json() == {"message": "Too many requests; retry after the time in Retry-After"}
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["x-request-id"]
    assert api.get("/v2/customers?type=INDIVIDUAL", headers=second).status_code == 200


def test_the_limit_is_shared_by_every_process(limited: AppFactory, make_client) -> None:
    one, two = limited(rate_limit_api_per_minute=6), limited(rate_limit_api_per_minute=6)
    headers = _login(one, make_client())
    for api in (one, two, one, two, one, two):
        assert api.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 200
    assert one.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 429
    assert two.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 429


def test_429_speaks_the_endpoint_s_dialect(limited: AppFactory, make_client) -> None:
    api = limited(rate_limit_api_per_minute=1)
    headers = _login(api, make_client())
    assert api.post("/v2/customers/business", json=business_body(), headers=headers).status_code == 201
    r = api.post("/v2/customers/business", json=business_body(), headers=headers)
    assert r.status_code == 429
    assert r.json() == {"status": 429, "message": "Too many requests; retry after the time in Retry-After"}


def test_token_requests_are_limited_per_client_id_and_per_address(limited: AppFactory, make_client) -> None:
    api = limited(rate_limit_token_per_minute=2, rate_limit_token_per_address_per_minute=5)
    creds = make_client()
    _login(api, creds)
    _login(api, creds)
    r = api.post("/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 429
    assert r.headers["retry-after"]
    # Two more for other clients pass the per-client limit; the address's limit (5) ends the sixth.
    _login(api, make_client())
    _login(api, make_client())
    r = api.post("/v1/oauth/token", json={"client_id": "nobody", "client_secret": "nothing"})
    assert r.status_code == 429


def test_operator_sign_ins_are_limited_per_address(limited: AppFactory, runtime: Runtime) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="alice", password=PASSWORD)
    api = limited(rate_limit_login_per_minute=2)
    for _ in range(2):
        assert api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD}).status_code == 200
    r = api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 429


def test_a_sign_in_never_waits_for_a_request_thread_held_by_argon2(api: TestClient, runtime: Runtime) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="alice", password=PASSWORD)
    slots = operators._verify_slots(runtime.settings)
    held = 0
    while slots.acquire(blocking=False):  # every verification slot busy, as under a flood of sign-ins
        held += 1
    try:
        assert held == max(1, runtime.settings.request_threads // 2)
        r = api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD})
        assert r.status_code == 429
        assert r.headers["retry-after"] == "1"
        assert r.json() == {"message": "Too many sign-ins at once; try again in a moment"}
    finally:
        for _ in range(held):
            slots.release()
    assert api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD}).status_code == 200


def test_the_sandbox_runs_without_limits_unless_asked(api: TestClient, auth_headers) -> None:
    assert runtime_default_off(api)
    r = api.get("/v2/customers?type=INDIVIDUAL", headers=auth_headers)
    assert r.status_code == 200 and "ratelimit-limit" not in r.headers


def runtime_default_off(api: TestClient) -> bool:
    settings = api.app.state.runtime.settings  # type: ignore[attr-defined]
    return settings.rate_limits is None and settings.sandbox and not settings.rate_limits_on
