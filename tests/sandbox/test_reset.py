"""POST /sandbox/reset: the caller's customers, files, events and deliveries go; another client's stay."""

from __future__ import annotations

from sqlalchemy import func, select

from tollgate.customers.models import CustomerCounter
from tollgate.db import unit_of_work
from tollgate.documents.models import StoredFile
from tollgate.jobs.models import Job
from tollgate.webhooks.models import Delivery, Event


def populate(integrator, receiver=None) -> list[str]:
    if receiver is not None:
        integrator.webhooks_to(receiver)
    first, tos = integrator.individual("john+rfi-expired-passport@example.com")
    integrator.attach_individual(first, tos)
    second, _ = integrator.individual("jane@example.com")
    business, btos = integrator.business("contact+review@fin.com")
    integrator.submit_business(business, btos)
    integrator.drain()
    # A file uploaded without a customer belongs to the client too.
    integrator.api.post(
        "/v1/customers/upload",
        headers=integrator.headers,
        files={"loose": ("loose.pdf", b"%PDF-1.4 not really", "application/pdf")},
    )
    return [first, second, business]


def counts(runtime, client_pk) -> dict[str, int]:
    with unit_of_work(runtime.read_sessions) as s:
        return {
            "files": s.scalar(select(func.count()).where(StoredFile.client_pk == client_pk)) or 0,
            "events": s.scalar(select(func.count()).where(Event.client_pk == client_pk)) or 0,
            "counters": s.scalar(select(func.count()).where(CustomerCounter.client_pk == client_pk)) or 0,
        }


def client_pk(integrator) -> object:
    from tollgate.auth.models import ApiClient

    with unit_of_work(integrator.runtime.read_sessions) as s:
        return s.scalar(select(ApiClient.id).where(ApiClient.client_id == integrator.creds.client_id))


def test_reset_deletes_everything_of_the_caller_and_nothing_else(
    integrator, other_integrator, runtime, receiver
):
    mine = populate(integrator, receiver)
    theirs = populate(other_integrator)
    me, them = client_pk(integrator), client_pk(other_integrator)
    with unit_of_work(runtime.read_sessions) as s:
        my_keys = list(s.scalars(select(StoredFile.storage_key).where(StoredFile.client_pk == me)))
        their_keys = list(s.scalars(select(StoredFile.storage_key).where(StoredFile.client_pk == them)))
        deliveries = s.scalar(select(func.count()).select_from(Delivery)) or 0
    assert my_keys and their_keys and deliveries > 0
    before_theirs = counts(runtime, them)

    r = integrator.post("/sandbox/reset")
    assert r.status_code == 200, r.text
    done = r.json()["data"]
    assert done["customers"] == 3 and done["associated_parties"] == 2
    assert done["files"] == len(my_keys)
    assert done["events"] > 0 and done["deliveries"] > 0 and done["rfis"] == 1
    assert done["audit_entries"] > 0 and done["jobs"] > 0

    for cid in mine:
        assert integrator.api.get(f"/v2/customers/{cid}", headers=integrator.headers).status_code == 404
    for kind in ("INDIVIDUAL", "BUSINESS"):
        page = integrator.api.get(f"/v2/customers?type={kind}", headers=integrator.headers).json()["data"]
        assert page["pagination"]["total"] == 0 and page["customers"] == []
    assert counts(runtime, me) == {"files": 0, "events": 0, "counters": 0}
    assert not any(runtime.files.exists(k) for k in my_keys)
    with unit_of_work(runtime.read_sessions) as s:
        payloads = [j.payload for j in s.scalars(select(Job))]
    assert not any(p.get("customer_id") in mine for p in payloads)

    # The other client's state is exactly as it was.
    assert counts(runtime, them) == before_theirs
    assert all(runtime.files.exists(k) for k in their_keys)
    for cid in theirs:
        assert (
            other_integrator.api.get(f"/v2/customers/{cid}", headers=other_integrator.headers).status_code
            == 200
        )


def test_numbering_starts_again_after_a_reset(integrator):
    populate(integrator)
    assert integrator.post("/sandbox/reset").status_code == 200
    cid, _ = integrator.individual("new@example.com")
    page = integrator.api.get("/v2/customers?type=INDIVIDUAL", headers=integrator.headers).json()["data"]
    assert page["pagination"]["total"] == 1
    assert [c["customer_id"] for c in page["customers"]] == [cid]


def test_reset_keeps_clock_and_endpoints(integrator, receiver):
    integrator.webhooks_to(receiver)
    integrator.clock(advance_by="PT1H")
    assert integrator.post("/sandbox/reset").status_code == 200
    assert (
        integrator.api.get("/sandbox/clock", headers=integrator.headers).json()["data"]["offset_seconds"]
        == 3600
    )
    integrator.individual("after@example.com")
    integrator.drain()
    assert len(receiver.requests) == 1


def test_reset_of_an_empty_client_is_zero(integrator):
    r = integrator.post("/sandbox/reset")
    assert r.status_code == 200
    assert set(r.json()["data"].values()) == {0}
