"""The client's clock: moving it expires tokens and documents, ages RFIs and brings webhook retries due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.sandbox.conftest import TODAY, Integrator, received

from tollgate.jobs.models import Job
from tollgate.webhooks.delivery import DELIVER_JOB
from tollgate.webhooks.models import Delivery

AUTH_FAILED = {"message": "Authentication failed"}


def token(api, creds) -> dict:
    r = api.post("/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 200, r.text
    return r.json()


def test_clock_starts_at_real_time_and_moves(integrator):
    r = integrator.api.get("/sandbox/clock", headers=integrator.headers)
    assert r.status_code == 200
    assert r.json()["data"]["real_time"] is True and r.json()["data"]["offset_seconds"] == 0
    data = integrator.clock(advance_by="P1DT2H")
    assert data["offset_seconds"] == 26 * 3600 and data["real_time"] is False
    data = integrator.clock(advance_by=60)
    assert data["offset_seconds"] == 26 * 3600 + 60
    now = datetime.fromisoformat(data["now"].replace("Z", "+00:00"))
    assert abs(now - (datetime.now(UTC) + timedelta(seconds=26 * 3600 + 60))) < timedelta(seconds=5)
    data = integrator.clock(set_to="2031-03-01T09:00:00+01:00")
    assert data["now"].startswith("2031-03-01T08:00:0")
    r = integrator.api.delete("/sandbox/clock", headers=integrator.headers)
    assert r.status_code == 200 and r.json()["data"]["real_time"] is True


def test_bad_clock_bodies_are_422(integrator):
    for body in (
        {},
        {"advance_by": "P1D", "set_to": "2030-01-01T00:00:00Z"},
        {"advance_by": -5},
        {"advance_by": "yesterday"},
        {"set_to": "2030-01-01T00:00:00"},
        {"set_to": "9999-12-31T00:00:00Z"},
        {"advance_by": "P1D", "extra": 1},
    ):
        r = integrator.post("/sandbox/clock", body)
        assert r.status_code == 422, (body, r.text)


def test_moving_the_clock_expires_an_access_token(api, make_client):
    creds = make_client("clocked")
    issued = token(api, creds)
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert api.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 200
    r = api.post("/sandbox/clock", json={"advance_by": "PT24H1S"}, headers=headers)
    assert r.status_code == 200
    # The token lived 24 hours on the client's clock: it is over.
    r = api.get("/v2/customers?type=INDIVIDUAL", headers=headers)
    assert r.status_code == 401 and r.json() == AUTH_FAILED
    fresh = token(api, creds)
    # A new token is issued at the client's time, and lives 24 hours from it.
    assert fresh["current_time"][:10] == (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    headers = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert api.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 200
    # Back to real time, the new token (issued "tomorrow") is still valid.
    assert api.delete("/sandbox/clock", headers=headers).status_code == 200
    assert api.get("/v2/customers?type=INDIVIDUAL", headers=headers).status_code == 200


def test_another_clients_clock_is_untouched(integrator, other_integrator):
    integrator.clock(advance_by="P30D")
    r = other_integrator.api.get("/sandbox/clock", headers=other_integrator.headers)
    assert r.json()["data"]["real_time"] is True
    assert (
        other_integrator.api.get(
            "/v2/customers?type=INDIVIDUAL", headers=other_integrator.headers
        ).status_code
        == 200
    )


def test_moving_the_clock_makes_a_passport_expire_within_two_months(integrator):
    cid, tos = integrator.individual("john.doe@example.com")
    # Valid for 100 days in real time; 60 days from now (client time), that leaves less than two months.
    expiry = (TODAY + timedelta(days=100)).isoformat()
    integrator.clock(advance_by="P60D")
    uris = integrator.attach_individual(cid, tos, expiry=expiry)
    integrator.drain()
    d = integrator.detail(cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["rejection_reason"]["documents"][0]["uri"] == uris["passport"]
    assert d["rejection_reason"]["documents"][0]["reject_labels"] == ["EXPIRATION_DATE"]
    files = d["request_for_information"][0]["categories"][0]["fields"][-1]
    assert (
        files["reason"]
        == "User identity document is not valid for at least 2 month(s) from the date of submission."
    )


def test_same_passport_without_moving_the_clock_is_approved(integrator):
    cid, tos = integrator.individual("john.doe@example.com")
    integrator.attach_individual(cid, tos, expiry=(TODAY + timedelta(days=100)).isoformat())
    integrator.drain()
    assert integrator.detail(cid)["customer_status"] == "APPROVED"


def test_moving_the_clock_makes_a_proof_of_address_stale(integrator):
    cid, tos = integrator.individual("john.doe@example.com")
    integrator.clock(advance_by="P80D")
    integrator.attach_individual(cid, tos, address_issued=(TODAY - timedelta(days=20)).isoformat())
    integrator.drain()
    detail = integrator.detail(cid)
    rfi = detail["request_for_information"]
    assert rfi[0]["section"] == "address_documents"
    assert rfi[0]["categories"][0]["fields"][-1]["status"] == "EXPIRED"
    [document] = [
        d for d in detail["rejection_reason"]["documents"] if "EXPIRED_DOCUMENT" in d["reject_labels"]
    ]
    assert document["moderation_comment"] == (
        "This document is not accepted.\n - The proof of address document must be issued within the last 90 days."
    )


def test_times_follow_the_clock(integrator: Integrator, receiver):
    integrator.webhooks_to(receiver)
    integrator.clock(set_to="2030-06-01T12:00:00Z")
    cid, tos = integrator.individual("john+hold@example.com")
    integrator.attach_individual(cid, tos, expiry="2040-01-01")
    integrator.drain()
    d = integrator.detail(cid)
    assert d["created_at"].startswith("2030-06-01T12:00")
    assert d["last_status_updated_at"].startswith("2030-06-01T12:0")
    stamps = [r.json["event"]["created_at"] for r in receiver.requests]
    assert stamps and all(s.startswith("2030-06-01T12:0") for s in stamps)
    listed = integrator.api.get("/v2/customers?type=INDIVIDUAL", headers=integrator.headers).json()["data"]
    assert listed["customers"][0]["created_at"].startswith("2030-06-01T12:00")


def test_webhook_retries_follow_the_clock(integrator, failing_receiver):
    receiver = failing_receiver(1)
    integrator.webhooks_to(receiver)
    integrator.individual("john@example.com")
    integrator.drain()
    assert len(receiver.requests) == 1  # answered 503; the retry is due in seconds
    integrator.drain()
    assert len(receiver.requests) == 1  # not due yet in real time
    integrator.clock(advance_by="PT1M")
    integrator.drain()
    assert len(receiver.requests) == 2
    assert received(receiver) == [("customer.created", "INCOMPLETE")] * 2
    assert receiver.requests[0].event_id == receiver.requests[1].event_id


def test_moving_the_clock_replaces_the_retry_jobs_and_leaves_none_behind(
    integrator, failing_receiver, runtime
):
    receiver = failing_receiver(10)
    integrator.webhooks_to(receiver)
    integrator.individual("john@example.com")
    integrator.drain()
    assert len(receiver.requests) == 1  # answered 503: one retry job waits
    for move in (
        {"set_to": "2083-01-01T00:00:00Z"},
        {"set_to": "2025-01-01T00:00:00Z"},
        {"advance_by": "PT1H"},
    ):
        integrator.clock(**move)
        with runtime.engine.connect() as conn:
            queued = conn.execute(
                select(Job.run_at).where(Job.kind == DELIVER_JOB, Job.status == "queued")
            ).all()
            due = conn.execute(select(Delivery.next_attempt_at)).scalars().all()
        # One job per waiting delivery, due when the delivery is: the job of the clock before is gone.
        assert len(queued) == 1, move
        assert [queued[0].run_at] == due


def test_a_clock_set_in_the_past_still_delivers(integrator, receiver):
    integrator.webhooks_to(receiver)
    integrator.clock(set_to="2024-01-01T00:00:00Z")
    cid, tos = integrator.individual("john@example.com")
    integrator.attach_individual(cid, tos, expiry="2030-01-01")
    integrator.drain()
    assert integrator.detail(cid)["created_at"].startswith("2024-01-01")
    assert integrator.detail(cid)["customer_status"] == "APPROVED"
    assert received(receiver)[0] == ("customer.created", "INCOMPLETE")
