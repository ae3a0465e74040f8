"""/v2/webhook-endpoints and /v2/events over HTTP."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL
from tests.webhooks.conftest import deliveries, endpoint, hold, individual, pump
from tollgate.app import create_app
from tollgate.config import Mode
from tollgate.jobs.worker import drain

NOT_FOUND = {"message": "Resource not found"}


def test_endpoint_lifecycle(api, auth_headers):
    r = api.post("/v2/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}, headers=auth_headers)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["customer.created", "customer.status", "customer.rfi"]
    assert created["enabled"] is True and created["disabled_reason"] is None
    eid = created["id"]

    listed = api.get("/v2/webhook-endpoints", headers=auth_headers).json()["data"]["webhook_endpoints"]
    assert [e["id"] for e in listed] == [eid]
    assert "secret" not in listed[0]
    one = api.get(f"/v2/webhook-endpoints/{eid}", headers=auth_headers).json()["data"]
    assert "secret" not in one
    assert one == {k: v for k, v in created.items() if k != "secret"}

    r = api.patch(
        f"/v2/webhook-endpoints/{eid}",
        json={
            "url": "http://localhost:3000/in",
            "event_types": ["customer.rfi", "customer.status"],
            "enabled": False,
        },
        headers=auth_headers,
    )
    assert r.status_code == 200, r.text
    patched = r.json()["data"]
    assert patched["url"] == "http://localhost:3000/in"
    assert patched["event_types"] == ["customer.status", "customer.rfi"]
    assert (patched["enabled"], patched["disabled_reason"]) == (False, "Disabled by the client")
    r = api.patch(f"/v2/webhook-endpoints/{eid}", json={"enabled": True}, headers=auth_headers)
    assert (r.json()["data"]["enabled"], r.json()["data"]["disabled_reason"]) == (True, None)

    r = api.post(f"/v2/webhook-endpoints/{eid}/rotate-secret", headers=auth_headers)
    assert r.status_code == 200
    assert r.json()["data"]["secret"] not in (created["secret"], None)
    assert r.json()["data"]["previous_secret_expires_at"] is not None

    assert api.delete(f"/v2/webhook-endpoints/{eid}", headers=auth_headers).status_code == 204
    r = api.get(f"/v2/webhook-endpoints/{eid}", headers=auth_headers)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)


def test_another_clients_ids_answer_like_unknown_ones(api, auth_headers, make_client, login, runtime):
    ep = endpoint(api, auth_headers, "http://127.0.0.1:9/hooks")
    individual(api, auth_headers)
    event_id = api.get("/v2/events", headers=auth_headers).json()["data"]["events"][0]["event"]["id"]
    other = login(make_client("other"))
    assert api.get("/v2/events", headers=other).json()["data"] == {"events": [], "next_cursor": None}
    assert api.get("/v2/webhook-endpoints", headers=other).json()["data"] == {"webhook_endpoints": []}
    for ident in (ep["id"], str(uuid.uuid4())):
        for method, path, body in [
            ("GET", f"/v2/webhook-endpoints/{ident}", None),
            ("PATCH", f"/v2/webhook-endpoints/{ident}", {"enabled": False}),
            ("DELETE", f"/v2/webhook-endpoints/{ident}", None),
            ("POST", f"/v2/webhook-endpoints/{ident}/rotate-secret", None),
        ]:
            r = api.request(method, path, json=body, headers=other)
            assert (r.status_code, r.json()) == (404, NOT_FOUND), (method, path)
    for ident in (event_id, str(uuid.uuid4())):
        for method, path in [("GET", f"/v2/events/{ident}"), ("POST", f"/v2/events/{ident}/resend")]:
            r = api.request(method, path, headers=other)
            assert (r.status_code, r.json()) == (404, NOT_FOUND), (method, path)
    # The owner's view is untouched, and the other client cannot aim a resend at it either.
    r = api.post(f"/v2/events/{event_id}/resend", json={"endpoint_id": ep["id"]}, headers=other)
    assert r.status_code == 404
    assert (
        api.get(f"/v2/webhook-endpoints/{ep['id']}", headers=auth_headers).json()["data"]["enabled"] is True
    )
    assert api.get("/v2/webhook-endpoints", headers=None).status_code == 401


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"url": "http://169.254.169.254/"},
            [{"url": "URL points at 169.254.169.254 is a cloud metadata address"}],
        ),
        ({"url": "ftp://example.com/"}, [{"url": "URL must use http or https"}]),
        ({"url": "http://x.test/", "event_types": []}, None),
        ({"url": "http://x.test/", "event_types": ["customer.deleted"]}, None),
        ({"url": "http://x.test/", "secret": "mine"}, [{"secret": "This field is not allowed"}]),
        ({}, [{"url": "This field is required"}]),
        ({"url": "http://x.test/a\x00b"}, [{"url": "Must not contain NUL characters"}]),
    ],
)
def test_invalid_endpoints_are_refused(api, auth_headers, body, errors):
    r = api.post("/v2/webhook-endpoints", json=body, headers=auth_headers)
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "Validation failed"
    if errors is not None:
        assert r.json()["errors"] == errors


def test_live_mode_accepts_only_https_to_public_addresses(runtime, make_client):
    settings = runtime.settings.model_copy(update={"mode": Mode.LIVE})
    app = create_app(settings, runtime=dataclasses.replace(runtime, settings=settings))
    creds = make_client("live")
    with TestClient(app, base_url=BASE_URL) as live:
        token = live.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for url, message in [
            ("http://hooks.example.com/in", "URL must use https"),
            ("https://127.0.0.1/in", "URL points at 127.0.0.1 is a loopback address, refused in live mode"),
            ("https://10.0.0.8/in", "URL points at 10.0.0.8 is a private address, refused in live mode"),
            ("https://localhost/in", None),
        ]:
            r = live.post("/v2/webhook-endpoints", json={"url": url}, headers=headers)
            assert r.status_code == 422, (url, r.text)
            if message:
                assert r.json()["errors"] == [{"url": message}]
        r = live.post("/v2/webhook-endpoints", json={"url": "https://93.184.216.34/in"}, headers=headers)
        assert r.status_code == 201, r.text


def test_events_are_listed_newest_first_with_cursor_and_filters(api, auth_headers, runtime):
    endpoint(api, auth_headers, "http://127.0.0.1:9/hooks", event_types=["customer.status"])
    ids = [individual(api, auth_headers, n) for n in range(5)]
    hold(api, auth_headers, ids[0])

    seen: list[dict] = []
    cursor = None
    pages = 0
    while True:
        params = {"per_page": 2} | ({"cursor": cursor} if cursor else {})
        r = api.get("/v2/events", params=params, headers=auth_headers)
        assert r.status_code == 200, r.text
        page = r.json()["data"]
        seen += page["events"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 6
    stamps = [e["event"]["created_at"] for e in seen]
    assert stamps == sorted(stamps, reverse=True)
    assert [e["event"]["type"] for e in seen][0] == "customer.status"
    assert [e["event"]["event_reference_id"] for e in seen[1:]] == ids[::-1]
    assert seen[0]["deliveries"][0]["status"] == "pending" and "attempt_log" not in seen[0]["deliveries"][0]
    assert all(e["deliveries"] == [] for e in seen[1:])  # the endpoint only takes customer.status

    r = api.get("/v2/events", params={"type": "customer.created", "per_page": 10}, headers=auth_headers)
    assert len(r.json()["data"]["events"]) == 5
    r = api.get("/v2/events", params={"customer_id": ids[0]}, headers=auth_headers)
    assert [e["event"]["type"] for e in r.json()["data"]["events"]] == ["customer.status", "customer.created"]
    r = api.get("/v2/events", params={"cursor": "not-a-cursor"}, headers=auth_headers)
    assert (r.status_code, r.json()["errors"]) == (422, [{"cursor": "Invalid cursor"}])
    r = api.get("/v2/events", params={"type": "customer.deleted"}, headers=auth_headers)
    assert r.status_code == 422


def test_event_detail_shows_every_attempt(api, auth_headers, runtime, clock, receivers, worker_runtime):
    rec = receivers(lambda r, n: (503, {}, b"busy") if n == 0 else (200, {}, b"thanks"))
    # A loopback receiver's answers are shown only because the operator listed it.
    rt = worker_runtime(webhook_allowed_hosts="127.0.0.1")
    ep = endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    pump(rt, clock, lambda: deliveries(rt)[0].status == "succeeded", step=timedelta(minutes=1))
    event_id = rec.requests[0].event_id
    detail = api.get(f"/v2/events/{event_id}", headers=auth_headers).json()["data"]
    assert detail["event"]["id"] == event_id and detail["data"]["customer_status"] == "INCOMPLETE"
    (d,) = detail["deliveries"]
    assert (d["endpoint_id"], d["status"], d["attempts"], d["last_status_code"]) == (
        ep["id"],
        "succeeded",
        2,
        200,
    )
    assert d["completed_at"] is not None and d["next_attempt_at"] is None
    log = d["attempt_log"]
    assert [(a["number"], a["status_code"], a["response_body"], a["error"]) for a in log] == [
        (1, 503, "busy", None),
        (2, 200, "thanks", None),
    ]
    assert all(a["duration_ms"] >= 0 and a["attempted_at"] <= a["finished_at"] for a in log)


def test_resend_needs_an_enabled_endpoint(api, auth_headers, receivers, worker_runtime):
    individual(api, auth_headers)
    event_id = api.get("/v2/events", headers=auth_headers).json()["data"]["events"][0]["event"]["id"]
    r = api.post(f"/v2/events/{event_id}/resend", headers=auth_headers)
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"endpoint_id": "No enabled endpoint subscribes to customer.created"}],
    )
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url, enabled=False)
    r = api.post(f"/v2/events/{event_id}/resend", json={"endpoint_id": ep["id"]}, headers=auth_headers)
    assert (r.status_code, r.json()["errors"]) == (
        422,
        [{"endpoint_id": "Endpoint is disabled; enable it first"}],
    )
    r = api.post(
        f"/v2/events/{event_id}/resend", json={"endpoint_id": str(uuid.uuid4())}, headers=auth_headers
    )
    assert (r.status_code, r.json()) == (404, NOT_FOUND)

    # An endpoint registered after the event can be sent it.
    api.patch(f"/v2/webhook-endpoints/{ep['id']}", json={"enabled": True}, headers=auth_headers)
    r = api.post(f"/v2/events/{event_id}/resend", json={"endpoint_id": ep["id"]}, headers=auth_headers)
    assert r.status_code == 202
    drain(worker_runtime())
    assert rec.delivered_ids() == [event_id]


def test_disabling_an_endpoint_fails_its_pending_deliveries(api, auth_headers, receivers, worker_runtime):
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    api.patch(f"/v2/webhook-endpoints/{ep['id']}", json={"enabled": False}, headers=auth_headers)
    (d,) = deliveries(worker_runtime())
    assert (d.status, d.last_error) == ("failed", "Endpoint disabled: Disabled by the client")
    drain(worker_runtime())
    assert rec.requests == []
