"""``Idempotency-Key`` on the API's POSTs (idempotency.py), by Stripe's rules."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from tests.documents import samples
from tests.factories import business_body, individual_body
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.idempotency import begin, fingerprint
from tollgate.kit.clock import OffsetClock
from tollgate.runtime import Runtime


def _customers(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Customer)) or 0)


def test_a_repeated_key_replays_the_first_answer_and_creates_once(
    api: TestClient, auth_headers, runtime: Runtime
) -> None:
    headers = {**auth_headers, "Idempotency-Key": "create-john-1"}
    first = api.post("/v2/customers/individual", json=individual_body(), headers=headers)
    assert first.status_code == 200, first.text
    again = api.post("/v2/customers/individual", json=individual_body(), headers=headers)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert _customers(runtime) == 1
    # Without the key, or with another one, the same body creates another customer.
    assert (
        api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers).status_code == 200
    )
    other = {**auth_headers, "Idempotency-Key": "create-john-2"}
    assert api.post("/v2/customers/individual", json=individual_body(), headers=other).status_code == 200
    assert _customers(runtime) == 3


def test_a_refusal_is_replayed_too(api: TestClient, auth_headers) -> None:
    headers = {**auth_headers, "Idempotency-Key": "bad-1"}
    body = {**business_body(), "basic_info": {}}
    first = api.post("/v2/customers/business", json=body, headers=headers)
    assert first.status_code == 400
    again = api.post("/v2/customers/business", json=body, headers=headers)
    assert (again.status_code, again.content) == (400, first.content)


def test_the_same_key_with_another_request_is_refused_in_the_endpoint_s_dialect(
    api: TestClient, auth_headers, runtime: Runtime
) -> None:
    headers = {**auth_headers, "Idempotency-Key": "biz-1"}
    assert api.post("/v2/customers/business", json=business_body(), headers=headers).status_code == 201
    changed = {**business_body(), "email": "someone.else@example.com"}
    r = api.post("/v2/customers/business", json=changed, headers=headers)
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "message": "Validation failed",
        "data": {"Idempotency-Key": "This key was already used with a different request"},
    }
    r = api.post("/v2/customers/individual", json=individual_body(), headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"Idempotency-Key": "This key was already used with a different request"}]
    assert _customers(runtime) == 1


def test_a_key_in_use_by_a_running_request_gets_409(
    api: TestClient, auth_headers, runtime: Runtime, make_client
) -> None:
    token = auth_headers["Authorization"].split()[1]
    client_pk = runtime.verify_token(token).client_pk
    body = individual_body()
    raw = json.dumps(body).encode()
    with unit_of_work(runtime.write_sessions) as session:  # the first request, still running
        assert begin(
            session,
            client_pk,
            "busy-1",
            fingerprint("POST", "/v2/customers/individual", b"", raw),
            runtime.now(),
        ).proceed
    r = api.post(
        "/v2/customers/individual",
        content=raw,
        headers={**auth_headers, "Idempotency-Key": "busy-1", "Content-Type": "application/json"},
    )
    assert r.status_code == 409
    assert r.json() == {"message": "A request with this Idempotency-Key is still in progress"}
    assert _customers(runtime) == 0


def test_keys_belong_to_one_client_and_last_a_day(
    api: TestClient, auth_headers, login, make_client, runtime: Runtime, clock: OffsetClock
) -> None:
    headers = {**auth_headers, "Idempotency-Key": "shared-name"}
    other = {**login(make_client("other")), "Idempotency-Key": "shared-name"}
    assert api.post("/v2/customers/individual", json=individual_body(), headers=headers).status_code == 200
    r = api.post("/v2/customers/individual", json=individual_body(), headers=other)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert _customers(runtime) == 2
    clock.offset = timedelta(hours=24, minutes=1)
    fresh = {**login(make_client("late")), "Idempotency-Key": "shared-name"}
    assert api.post("/v2/customers/individual", json=individual_body(), headers=fresh).status_code == 200
    headers = {**login(make_client("again")), "Idempotency-Key": "shared-name"}
    assert api.post("/v2/customers/individual", json=individual_body(), headers=headers).status_code == 200
    assert _customers(runtime) == 4


def test_an_upload_and_an_attach_replay_as_well(api: TestClient, auth_headers, runtime: Runtime) -> None:
    headers = {**auth_headers, "Idempotency-Key": f"upload-{uuid.uuid4()}"}
    files = {"passport": ("p.png", samples.png_bytes(), "image/png")}
    first = api.post("/v1/customers/upload", headers=headers, files=files)
    assert first.status_code == 200, first.text
    # The same multipart bytes: httpx chooses a new boundary each time, so send the recorded request.
    request = first.request
    again = api.post(
        "/v1/customers/upload",
        content=request.content,
        headers={**headers, "Content-Type": request.headers["content-type"]},
    )
    assert again.status_code == 200
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    with runtime.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM stored_file")) == 1


def test_a_malformed_key_is_refused(api: TestClient, auth_headers, runtime: Runtime) -> None:
    r = api.post(
        "/v2/customers/individual",
        json=individual_body(),
        headers={**auth_headers, "Idempotency-Key": "x" * 256},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"Idempotency-Key": "Must be 1 to 255 printable ASCII characters"}]
    assert _customers(runtime) == 0


def test_the_stored_answer_is_sealed(api: TestClient, auth_headers, runtime: Runtime) -> None:
    body = individual_body()
    headers = {**auth_headers, "Idempotency-Key": "sealed-1"}
    created = api.post("/v2/customers/individual", json=body, headers=headers)
    assert created.status_code == 200
    with runtime.engine.connect() as conn:
        stored = conn.scalar(text("SELECT response FROM idempotency_key"))
    assert stored and created.json()["data"]["customer_id"] not in stored and "tos_policies" not in stored
