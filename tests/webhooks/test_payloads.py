"""The three customer events: exact payloads, the outbox rule, and signatures checked independently."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.factories import business_body, individual_body
from tests.webhooks.conftest import ask, deliveries, endpoint, events, hold, individual
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.jobs.models import Job
from tollgate.jobs.worker import drain
from tollgate.verification import commands
from tollgate.verification.transitions import Actor
from tollgate.webhooks.models import Delivery, Event

MICRO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
RFIS = [
    {
        "section": "proof_of_identity",
        "categories": [
            {
                "document_type": "GOVERNMENT_ID",
                "fields": [
                    {
                        "field_name": "files",
                        "data_type": "URI",
                        "status": "EXPIRED",
                        "side": "FRONT",
                        "reason": "Document has expired",
                    }
                ],
            }
        ],
    }
]


def fin_ok(secret: str, body: bytes, signature: str) -> bool:
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def envelope_ok(envelope: dict, event_type: str, customer_id: str) -> None:
    assert list(envelope) == ["id", "event_reference_id", "type", "created_at", "sandbox_mode"]
    uuid.UUID(envelope["id"])
    assert envelope["event_reference_id"] == customer_id
    assert envelope["type"] == event_type
    assert MICRO_Z.match(envelope["created_at"]), envelope["created_at"]
    assert envelope["sandbox_mode"] is True


def test_customer_created_individual_is_exact_and_signed(api, auth_headers, runtime, receivers):
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url)
    cid = individual(api, auth_headers)
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]

    assert drain(runtime) == 1
    assert len(rec.requests) == 1
    got = rec.requests[0]
    body = got.json
    assert list(body) == ["event", "data"]
    envelope_ok(body["event"], "customer.created", cid)
    assert body["event"]["created_at"].startswith(detail["created_at"][:-1])
    assert body["data"] == {
        "customer_id": cid,
        "type": "INDIVIDUAL",
        "customer_status": "INCOMPLETE",
        "email": "person0@example.com",
        "first_name": "John",
        "last_name": "Doe",
        "phone": "+14155551234",
        "country_of_residence": "USA",
        "verification_type": "STANDARD",
        "tos_policies_url": detail["tos_policies_url"],
        "created_at": detail["created_at"],
        "updated_at": detail["updated_at"],
    }
    assert list(body["data"]) == [
        "customer_id", "type", "customer_status", "email", "first_name", "last_name", "phone",
        "country_of_residence", "verification_type", "tos_policies_url", "created_at", "updated_at",
    ]  # fmt: skip

    # The body on the wire is the stored one, byte for byte.
    (stored,) = events(runtime)
    assert got.body == stored.body.encode()
    assert str(stored.id) == body["event"]["id"]

    secret = ep["secret"]
    assert secret.startswith("whsec_")
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-fin-signature-algorithm"] == "sha256"
    assert fin_ok(secret, got.body, got.headers["x-fin-signature"])
    assert "x-fin-signature-previous" not in got.headers
    assert got.headers["webhook-id"] == body["event"]["id"]
    assert Webhook(secret).verify(got.body, got.headers) == body

    # Both checks can fail: another secret, or one changed byte.
    other = "whsec_" + "A" * 43 + "="
    assert not fin_ok(other, got.body, got.headers["x-fin-signature"])
    tampered = got.body.replace(b"John", b"Jane")
    assert not fin_ok(secret, tampered, got.headers["x-fin-signature"])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(got.body, got.headers)


def test_customer_created_business_carries_its_parties(api, auth_headers, runtime, receivers):
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url)
    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    assert r.status_code == 201, r.text
    cid = r.json()["customer_id"]
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    drain(runtime)

    (got,) = rec.requests
    body = got.json
    envelope_ok(body["event"], "customer.created", cid)
    parties = body["data"].pop("associated_parties")
    assert body["data"] == {
        "customer_id": cid,
        "type": "BUSINESS",
        "customer_status": "INCOMPLETE",
        "business_name": "Fin.com",
        "email": "contact@fin.com",
        "phone": "+14155552671",
        "country_of_incorporation": "USA",
        "verification_type": "STANDARD",
        "tos_policies_url": detail["tos_policies_url"],
        "created_at": detail["created_at"],
        "updated_at": detail["updated_at"],
    }
    expected_ids = [p["id"] for p in detail["associated_parties"]]
    assert [p["id"] for p in parties] == expected_ids
    assert [(p["email"], p["type"], p["ownership_percent"]) for p in parties] == [
        ("jane.smith@acmecorp.com", "INDIVIDUAL", 60),
        ("robert.chen@acmecorp.com", "INDIVIDUAL", 40),
    ]
    for p in parties:
        assert list(p) == ["id", "email", "type", "ownership_percent", "verification"]
        assert p["verification"]["status"] == "INITIATED"
        assert p["verification"]["reason"] == {"for_customer": None, "for_developer": None}
        assert MICRO_Z.match(p["verification"]["updated_at"])
    assert fin_ok(ep["secret"], got.body, got.headers["x-fin-signature"])
    Webhook(ep["secret"]).verify(got.body, got.headers)


def test_status_and_rfi_events_are_exact(api, auth_headers, runtime, receivers):
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url)
    cid = individual(api, auth_headers)
    hold(api, auth_headers, cid)
    held = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    ask(api, auth_headers, cid, RFIS)
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    drain(runtime)

    assert [r.json["event"]["type"] for r in rec.requests] == [
        "customer.created",
        "customer.status",
        "customer.status",
        "customer.rfi",
    ]
    created, on_hold, status, rfi = (r.json for r in rec.requests)
    envelope_ok(on_hold["event"], "customer.status", cid)
    assert on_hold["data"] == created["data"] | {
        "customer_status": "IN_COMPLIANCE",
        "updated_at": held["updated_at"],
    }
    envelope_ok(status["event"], "customer.status", cid)
    assert status["data"] == created["data"] | {
        "customer_status": "ACTION_REQUIRED",
        "updated_at": detail["updated_at"],
    }
    envelope_ok(rfi["event"], "customer.rfi", cid)
    # The webhook carries the entries the detail shows, in Fin's RFI shape.
    assert rfi["data"] == {"customer_id": cid, "request_for_information": detail["request_for_information"]}
    assert [e["section"] for e in detail["request_for_information"]] == ["proof_of_identity"]
    assert detail["request_for_information"][0]["categories"] == [
        {
            "document_type": "GOVERNMENT_ID",
            "fields": [
                {
                    "field_name": "files",
                    "data_type": "URI",
                    "status": "EXPIRED",
                    "reason": "Document has expired",
                    "options": [],
                }
            ],
        }
    ]
    assert len({r.event_id for r in rec.requests}) == 4
    for got in rec.requests:
        assert fin_ok(ep["secret"], got.body, got.headers["x-fin-signature"])
        Webhook(ep["secret"]).verify(got.body, got.headers)
    assert [e.sequence for e in events(runtime)] == [1, 2, 3, 4]


def test_no_event_without_its_change_and_no_change_without_its_event(api, auth_headers, runtime, receivers):
    rec = receivers()
    endpoint(api, auth_headers, rec.url)
    endpoint(api, auth_headers, rec.url + "/status-only", event_types=["customer.status"])

    bad = individual_body()
    bad["basic_info"]["dob"] = "2020-01-01"  # too young: refused, so nothing is created
    assert api.post("/v2/customers/individual", json=bad, headers=auth_headers).status_code == 422
    assert events(runtime) == []

    cid = individual(api, auth_headers)
    (event,) = events(runtime)
    assert (event.type, str(event.customer_id)) == ("customer.created", cid)
    # One delivery, for the endpoint that subscribes to customer.created, and one job for it.
    assert len(deliveries(runtime)) == 1

    with pytest.raises(RuntimeError), unit_of_work(runtime.write_sessions) as s:
        uow = runtime.work(s, Actor("reviewer", "alice"))
        held = commands.handle(uow, commands.Hold(uuid.UUID(cid)))
        assert held.status == "IN_COMPLIANCE"
        raise RuntimeError("the change fails after the event was written")
    with unit_of_work(runtime.read_sessions) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 1
        assert s.scalar(select(func.count()).select_from(Delivery)) == 1
        assert s.scalar(select(func.count()).select_from(Job)) == 1
        assert s.get(Customer, uuid.UUID(cid)).status == "INCOMPLETE"


def test_rotated_secret_signs_alongside_the_old_one_during_grace(
    api, auth_headers, runtime, clock, receivers
):
    rec = receivers()
    ep = endpoint(api, auth_headers, rec.url)
    old = ep["secret"]
    r = api.post(
        f"/v2/webhook-endpoints/{ep['id']}/rotate-secret",
        json={"grace_period_seconds": 3600},
        headers=auth_headers,
    )
    assert r.status_code == 200, r.text
    new = r.json()["data"]["secret"]
    assert new != old and new.startswith("whsec_")
    assert r.json()["data"]["previous_secret_expires_at"] is not None

    individual(api, auth_headers, 0)
    drain(runtime)
    got = rec.requests[-1]
    assert fin_ok(new, got.body, got.headers["x-fin-signature"])
    assert fin_ok(old, got.body, got.headers["x-fin-signature-previous"])
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)

    clock.offset += timedelta(hours=2)
    login_again = api.get("/v2/webhook-endpoints", headers=auth_headers)
    assert login_again.status_code == 200
    individual(api, auth_headers, 1)
    drain(runtime)
    got = rec.requests[-1]
    assert "x-fin-signature-previous" not in got.headers
    assert fin_ok(new, got.body, got.headers["x-fin-signature"])
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)

    # A rotation without grace retires the old secret at once.
    r = api.post(
        f"/v2/webhook-endpoints/{ep['id']}/rotate-secret",
        json={"grace_period_seconds": 0},
        headers=auth_headers,
    )
    newest = r.json()["data"]["secret"]
    assert r.json()["data"]["previous_secret_expires_at"] is None
    individual(api, auth_headers, 2)
    drain(runtime)
    got = rec.requests[-1]
    assert "x-fin-signature-previous" not in got.headers
    assert fin_ok(newest, got.body, got.headers["x-fin-signature"])
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(got.body, got.headers)
