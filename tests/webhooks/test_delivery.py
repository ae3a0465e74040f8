"""Delivery against real receivers: outages, dead letters, 410, 429, timeouts, redirects, slow receivers,
per-customer order, and the URL rules applied again at send time."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest

from tests.webhooks.conftest import (
    Receiver,
    all_settled,
    ask,
    attempts,
    deliveries,
    endpoint,
    events,
    hold,
    individual,
    pump,
)
from tollgate.config import Mode
from tollgate.jobs.worker import Worker, drain
from tollgate.webhooks.delivery import GONE_REASON
from tollgate.webhooks.transport import parse_retry_after


def test_receiver_down_then_up_gets_every_event_once(
    api, auth_headers, runtime, clock, receivers, worker_runtime
):
    rt = worker_runtime()
    probe = Receiver()
    port = probe.port
    probe.close()  # nothing listens on this port for now
    endpoint(api, auth_headers, f"http://127.0.0.1:{port}/hooks")
    first = individual(api, auth_headers, 0)
    for n in range(1, 4):
        individual(api, auth_headers, n)
    hold(api, auth_headers, first)

    drain(rt)
    clock.offset += timedelta(minutes=1)
    drain(rt)
    down = attempts(rt)
    assert down and all(a.status_code is None and a.error.startswith("Connection failed") for a in down)

    up = receivers(port=port)
    pump(rt, clock, lambda: all_settled(rt), step=timedelta(minutes=2))

    expected = sorted(str(e.id) for e in events(rt))
    assert len(expected) == 5
    assert sorted(set(up.delivered_ids())) == expected  # every event, each one once after dedupe
    assert all(d.status == "succeeded" for d in deliveries(rt))
    assert max(d.attempts for d in deliveries(rt)) >= 2


def test_always_failing_endpoint_ends_failed_and_resend_delivers(
    api, auth_headers, runtime, clock, receivers, worker_runtime
):
    healthy = threading.Event()
    rec = receivers(lambda r, n: (200, {}, b"ok") if healthy.is_set() else (500, {}, b"boom"))
    rt = worker_runtime(webhook_allowed_hosts="127.0.0.1")
    endpoint(api, auth_headers, rec.url)
    cid = individual(api, auth_headers)
    pump(rt, clock, lambda: all_settled(rt), step=timedelta(minutes=10))

    (d,) = deliveries(rt)
    schedule = rt.settings.webhook_retry_schedule_sandbox
    assert d.status == "failed"
    assert d.attempts == len(schedule) + 1 == len(rec.requests)
    assert d.last_status_code == 500 and d.next_attempt_at is None

    listed = api.get("/v2/events", params={"failed": "true"}, headers=auth_headers).json()["data"]["events"]
    assert [e["event"]["event_reference_id"] for e in listed] == [cid]
    event_id = listed[0]["event"]["id"]
    detail = api.get(f"/v2/events/{event_id}", headers=auth_headers).json()["data"]
    (delivery,) = detail["deliveries"]
    assert delivery["status"] == "failed"
    assert [a["number"] for a in delivery["attempt_log"]] == list(range(1, len(schedule) + 2))
    assert {(a["status_code"], a["response_body"]) for a in delivery["attempt_log"]} == {(500, "boom")}

    healthy.set()
    r = api.post(f"/v2/events/{event_id}/resend", headers=auth_headers)
    assert r.status_code == 202, r.text
    assert r.json()["data"]["deliveries"][0]["status"] == "pending"
    drain(rt)
    (d,) = deliveries(rt)
    assert d.status == "succeeded"
    assert rec.delivered_ids() == [event_id]
    assert (
        api.get("/v2/events", params={"failed": "true"}, headers=auth_headers).json()["data"]["events"] == []
    )


def test_gone_disables_the_endpoint(api, auth_headers, runtime, receivers, worker_runtime):
    rec = receivers(lambda r, n: (410, {}, b"gone"))
    rt = worker_runtime()
    ep = endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers, 0)
    individual(api, auth_headers, 1)
    drain(rt)

    assert len(rec.requests) == 1  # the second delivery was not attempted once the endpoint was gone
    assert [d.status for d in deliveries(rt)] == ["failed", "failed"]
    read = api.get(f"/v2/webhook-endpoints/{ep['id']}", headers=auth_headers).json()["data"]
    assert read["enabled"] is False
    assert read["disabled_reason"] == GONE_REASON

    individual(api, auth_headers, 2)
    assert len(deliveries(rt)) == 2  # no delivery for a disabled endpoint
    drain(rt)
    assert len(rec.requests) == 1


def test_too_many_requests_honours_retry_after(api, auth_headers, clock, receivers, worker_runtime):
    rec = receivers(lambda r, n: (429, {"Retry-After": "120"}, b"slow down") if n == 0 else (200, {}, b"ok"))
    rt = worker_runtime()
    endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    drain(rt)
    (d,) = deliveries(rt)
    (a,) = attempts(rt)
    assert a.status_code == 429
    assert d.next_attempt_at - a.finished_at == timedelta(seconds=120)  # not the 5 s of the schedule

    clock.offset += timedelta(seconds=100)
    drain(rt)
    assert len(rec.requests) == 1
    clock.offset += timedelta(seconds=25)
    drain(rt)
    assert len(rec.requests) == 2
    assert deliveries(rt)[0].status == "succeeded"


def test_retry_after_as_a_date():
    now = 1_700_000_000.0
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now) == 60  # 1_700_000_000 is 22:13:20
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_a_hanging_receiver_does_not_hold_up_other_endpoints(
    api, auth_headers, runtime, receivers, worker_runtime
):
    release = threading.Event()

    def hang(r, n):
        release.wait(30)
        return 200, {}, b"late"

    slow = receivers(hang)
    fast = receivers()
    rt = worker_runtime(webhook_timeout_seconds=60)
    endpoint(api, auth_headers, slow.url)  # first, so its delivery is queued first
    endpoint(api, auth_headers, fast.url)
    cid = individual(api, auth_headers)
    worker = Worker(rt, threads=4, idle_seconds=0.05)
    worker.start()
    try:
        assert slow.wait_for(1)
        assert fast.wait_for(1)
        hold(api, auth_headers, cid)
        # The same customer's next event reaches the fast endpoint while the slow one still hangs.
        assert fast.wait_for(2)
        assert slow.answered == [] and len(slow.requests) == 1
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            by_endpoint = {}
            for d in deliveries(rt):
                by_endpoint.setdefault(d.endpoint_id, []).append(d.status)
            if sorted(by_endpoint.values()) == [["pending", "pending"], ["succeeded", "succeeded"]]:
                break
            time.sleep(0.05)
        assert sorted(by_endpoint.values()) == [["pending", "pending"], ["succeeded", "succeeded"]]
    finally:
        release.set()
        worker.stop()


def test_a_timeout_is_an_attempt_with_its_error(api, auth_headers, receivers, worker_runtime):
    release = threading.Event()

    def hang(r, n):
        release.wait(10)
        return 200, {}, b"late"

    rec = receivers(hang)
    rt = worker_runtime(webhook_timeout_seconds=0.5)
    endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    try:
        drain(rt)
    finally:
        release.set()
    (a,) = attempts(rt)
    assert a.error == "Timed out after 0.5 s"
    assert a.status_code is None and a.duration_ms >= 500
    (d,) = deliveries(rt)
    assert d.status == "pending" and d.next_attempt_at is not None and d.in_flight_until is None


ADDRESS_RFI = {
    "section": "address_documents",
    "categories": [
        {
            "document_type": "UTILITY_BILL",
            "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
        }
    ],
}


def test_one_customers_events_arrive_in_order(api, auth_headers, runtime, clock, receivers, worker_runtime):
    first: dict[str, str] = {}
    failures = {"left": 2}

    def respond(r, n):
        body = r.json
        if body["event"]["type"] == "customer.created" and body["data"]["customer_id"] == first.get("id"):
            if failures["left"]:
                failures["left"] -= 1
                return 500, {}, b"not yet"
        return 200, {}, b"ok"

    rec = receivers(respond)
    rt = worker_runtime()
    endpoint(api, auth_headers, rec.url)
    a = individual(api, auth_headers, 0)
    first["id"] = a
    hold(api, auth_headers, a)
    ask(api, auth_headers, a, [ADDRESS_RFI])
    b = individual(api, auth_headers, 1)

    drain(rt)
    waiting = [d for d in deliveries(rt) if d.waiting_for_event_id is not None]
    assert len(waiting) == 3  # A's two status events and its rfi wait behind A's created
    pump(rt, clock, lambda: all_settled(rt), step=timedelta(minutes=1))

    log = [(r.json["data"]["customer_id"], r.json["event"]["type"], status) for r, status in rec.answered]
    assert [(t, s) for c, t, s in log if c == a] == [
        ("customer.created", 500),
        ("customer.created", 500),
        ("customer.created", 200),
        ("customer.status", 200),
        ("customer.status", 200),
        ("customer.rfi", 200),
    ]
    # B was not held up by A's retries.
    assert log.index((b, "customer.created", 200)) < log.index((a, "customer.created", 200))


def test_redirects_are_not_followed(api, auth_headers, receivers, worker_runtime):
    elsewhere = receivers()
    redirecting = receivers(lambda r, n: (307, {"Location": elsewhere.url}, b""))
    rt = worker_runtime()
    endpoint(api, auth_headers, redirecting.url)
    individual(api, auth_headers)
    drain(rt)
    assert elsewhere.requests == []
    (a,) = attempts(rt)
    assert a.status_code == 307
    assert a.error.startswith("HTTP 307: redirects are not followed")
    assert deliveries(rt)[0].status == "pending"


def test_live_mode_checks_the_address_again_at_send_time(api, auth_headers, receivers, worker_runtime):
    rec = receivers()
    # Registered in sandbox mode, where loopback is allowed...
    endpoint(api, auth_headers, f"https://localhost:{rec.port}/hooks")
    endpoint(api, auth_headers, f"https://127.0.0.1:{rec.port}/hooks")
    individual(api, auth_headers)
    # ...then sent by a live-mode server, which refuses both before connecting.
    live = worker_runtime(mode=Mode.LIVE)
    drain(live)
    assert rec.requests == []
    errors = sorted(a.error for a in attempts(live))
    assert errors[0] == "Refused: the URL points at 127.0.0.1 is a loopback address, refused in live mode"
    assert errors[1].startswith("Refused: the URL resolves to ")
    assert errors[1].endswith("is a loopback address, refused in live mode")


def test_each_attempt_records_what_the_receiver_said(api, auth_headers, receivers, worker_runtime):
    rec = receivers(lambda r, n: (202, {"content-type": "text/plain"}, b"x" * 5000))
    rt = worker_runtime(webhook_allowed_hosts="localhost, 127.0.0.0/8")
    endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    drain(rt)
    (a,) = attempts(rt)
    assert a.status_code == 202
    assert a.response_body == "x" * 1024
    assert a.error is None
    assert a.duration_ms is not None and a.duration_ms >= 0
    assert a.finished_at >= a.started_at
    (d,) = deliveries(rt)
    assert (d.status, d.attempts, d.last_status_code) == ("succeeded", 1, 202)


@pytest.mark.parametrize("listed", ["", "10.0.0.0/8, receiver.internal"])
def test_an_unlisted_loopback_receiver_s_answer_is_never_shown(
    api, auth_headers, receivers, worker_runtime, listed
):
    # The server's own token endpoint, or any service beside it, must not be readable through
    # GET /v2/events/{id}: the status code is kept, the body is not.
    rec = receivers(lambda r, n: (401, {"content-type": "application/json"}, b'{"secret": "internal"}'))
    rt = worker_runtime(webhook_allowed_hosts=listed)
    endpoint(api, auth_headers, rec.url)
    individual(api, auth_headers)
    drain(rt)
    (a,) = attempts(rt)
    assert (a.status_code, a.response_body) == (401, None)
    event_id = rec.requests[0].event_id
    detail = api.get(f"/v2/events/{event_id}", headers=auth_headers).json()["data"]
    assert "internal" not in json.dumps(detail)
