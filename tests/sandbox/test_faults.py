"""Webhook fault injection: duplicated, delayed and reordered deliveries, per client, on request."""

from __future__ import annotations

from tests.sandbox.conftest import received


def set_faults(integrator, **body) -> dict:
    r = integrator.post("/sandbox/webhook-faults", body)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_faults_are_off_until_asked_for(integrator):
    r = integrator.api.get("/sandbox/webhook-faults", headers=integrator.headers)
    assert r.status_code == 200
    assert r.json()["data"] == {"duplicate": 0.0, "delay_seconds": 0.0, "reorder": False}
    assert set_faults(integrator, duplicate=True, reorder=True) == {
        "duplicate": 1.0,
        "delay_seconds": 0.0,
        "reorder": True,
    }
    r = integrator.api.delete("/sandbox/webhook-faults", headers=integrator.headers)
    assert r.json()["data"] == {"duplicate": 0.0, "delay_seconds": 0.0, "reorder": False}


def test_bad_fault_bodies_are_422(integrator):
    for body in ({"duplicate": 2}, {"delay_seconds": -1}, {"delay_seconds": 99999}, {"surprise": True}):
        assert integrator.post("/sandbox/webhook-faults", body).status_code == 422, body


def test_duplicate_sends_each_event_twice(integrator, receiver):
    integrator.webhooks_to(receiver)
    set_faults(integrator, duplicate=1.0)
    cid, _ = integrator.individual("john@example.com")
    integrator.drain()
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.event_id == second.event_id and first.body == second.body
    # Receivers dedupe on the event id: one event.
    assert len(set(receiver.event_ids())) == 1


def test_no_duplicate_for_another_client(integrator, other_integrator, receiver):
    other_integrator.webhooks_to(receiver)
    set_faults(integrator, duplicate=1.0)
    other_integrator.individual("john@example.com")
    other_integrator.drain()
    assert len(receiver.requests) == 1


def test_delay_holds_deliveries_until_the_clock_passes(integrator, receiver):
    integrator.webhooks_to(receiver)
    set_faults(integrator, delay_seconds=30)
    integrator.individual("john@example.com")
    integrator.drain()
    assert receiver.requests == []
    integrator.clock(advance_by=31)
    integrator.drain()
    assert received(receiver) == [("customer.created", "INCOMPLETE")]


def test_reorder_delivers_a_customers_events_out_of_order(integrator, receiver):
    integrator.webhooks_to(receiver)
    set_faults(integrator, reorder=True, delay_seconds=10)
    cid, tos = integrator.individual("john+hold@example.com")
    integrator.attach_individual(cid, tos)
    integrator.drain()  # the checks run; every delivery is still held
    assert receiver.requests == []
    integrator.clock(advance_by=11)
    integrator.drain()
    got = received(receiver)
    assert sorted(got) == sorted(
        [
            ("customer.created", "INCOMPLETE"),
            ("customer.status", "PROCESSING"),
            ("customer.status", "IN_COMPLIANCE"),
        ]
    )
    assert got[0] == ("customer.status", "IN_COMPLIANCE")  # the newest first
    sequence = [r.json["event"]["created_at"] for r in receiver.requests]
    assert sequence != sorted(sequence)


def test_without_reorder_events_keep_their_order(integrator, receiver):
    integrator.webhooks_to(receiver)
    set_faults(integrator, delay_seconds=10)
    cid, tos = integrator.individual("john+hold@example.com")
    integrator.attach_individual(cid, tos)
    integrator.drain()
    integrator.clock(advance_by=11)
    integrator.drain()
    assert received(receiver) == [
        ("customer.created", "INCOMPLETE"),
        ("customer.status", "PROCESSING"),
        ("customer.status", "IN_COMPLIANCE"),
    ]
