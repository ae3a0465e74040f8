"""The simulation API: the reviewer's decisions, made by the integrator on its own customers."""

from __future__ import annotations

from sqlalchemy import select
from tests.sandbox.conftest import received

from tollgate.db import unit_of_work
from tollgate.verification.models import AuditEntry

NOT_FOUND = {"message": "Resource not found"}
MISSING_POA = {
    "rfis": [
        {
            "section": "address_documents",
            "categories": [
                {
                    "document_type": "UTILITY_BILL",
                    "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
                }
            ],
        }
    ]
}


def reviewing(integrator, email: str = "john+review@example.com") -> str:
    cid, tos = integrator.individual(email)
    integrator.attach_individual(cid, tos)
    integrator.drain()
    assert integrator.detail(cid)["customer_status"] == "REVIEWING"
    return cid


def test_approve_a_customer_waiting_for_review(integrator, receiver, runtime):
    integrator.webhooks_to(receiver)
    cid = reviewing(integrator)
    r = integrator.post(f"/sandbox/customers/{cid}/approve")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["customer_status"] == "APPROVED"
    assert integrator.detail(cid)["customer_status"] == "APPROVED"
    integrator.drain()
    assert received(receiver)[-1] == ("customer.status", "APPROVED")
    with unit_of_work(runtime.read_sessions) as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.created_at.desc()).limit(1)).one()
        assert (last.actor_type, last.to_status) == ("sandbox", "APPROVED")


def test_reject_final_with_the_reviewers_body(integrator):
    cid = reviewing(integrator)
    body = {"reject_labels": ["FORGERY"], "moderation_comment": "Forged document", "developer_note": "test"}
    r = integrator.post(f"/sandbox/customers/{cid}/reject", body)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["customer_status"] == "REJECTED"
    assert d["rejection_reason"] == {
        "applicant": {"moderation_comment": "Forged document", "reject_labels": ["FORGERY"]},
        "documents": [],
    }


def test_request_information_and_hold(integrator, receiver):
    integrator.webhooks_to(receiver)
    cid = reviewing(integrator)
    r = integrator.post(f"/sandbox/customers/{cid}/request-information", MISSING_POA)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["request_for_information"][0]["section"] == "address_documents"
    integrator.drain()
    assert received(receiver)[-2:] == [("customer.status", "ACTION_REQUIRED"), ("customer.rfi", None)]
    r = integrator.post(f"/sandbox/customers/{cid}/hold", {"reason": "Enhanced due diligence"})
    assert r.status_code == 200 and r.json()["data"]["customer_status"] == "IN_COMPLIANCE"


def test_business_decisions_per_associated_party(integrator):
    cid, tos = integrator.business("contact+review@fin.com")
    integrator.submit_business(cid, tos)
    integrator.drain()
    d = integrator.detail(cid)
    assert d["customer_status"] == "REVIEWING"
    jane, robert = (p["id"] for p in d["associated_parties"])
    # The company is approved first: it waits for its parties.
    r = integrator.post(f"/sandbox/customers/{cid}/approve", {"note": "company documents fine"})
    assert r.json()["data"]["customer_status"] == "ASSOCIATED_PARTIES_REMAINING"
    r = integrator.post(f"/sandbox/customers/{cid}/associated-parties/{robert}/approve")
    assert r.status_code == 200
    assert r.json()["data"]["customer_status"] == "ASSOCIATED_PARTIES_REMAINING"
    rfis = {
        "rfis": [
            {
                "section": "identifying_documents",
                "categories": [
                    {
                        "document_type": "PASSPORT",
                        "fields": [{"field_name": "files", "data_type": "URI", "status": "EXPIRED"}],
                    }
                ],
            }
        ],
        "reject_labels": ["EXPIRATION_DATE"],
        "for_customer": "Please upload a valid passport",
    }
    r = integrator.post(f"/sandbox/customers/{cid}/associated-parties/{jane}/reject", rfis)
    assert r.status_code == 200, r.text
    d = r.json()["data"]
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert {p["id"]: p["verification"]["status"] for p in d["associated_parties"]} == {
        jane: "REJECTED",
        robert: "APPROVED",
    }
    assert (
        d["associated_parties"][0]["verification"]["reason"]["for_customer"]
        == "Please upload a valid passport"
    )
    [entry] = d["request_for_information"]
    assert (entry["scope"], entry["associated_party_id"]) == ("ASSOCIATED_PARTY", jane)
    r = integrator.post(
        f"/sandbox/customers/{cid}/associated-parties/{jane}/request-information",
        {"rfis": [{"section": "address_documents", "categories": MISSING_POA["rfis"][0]["categories"]}]},
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]["request_for_information"]) == 2


def test_refused_transition_is_409(integrator):
    cid, _ = integrator.individual("john@example.com")
    r = integrator.post(f"/sandbox/customers/{cid}/approve")
    assert r.status_code == 409
    assert r.json() == {"message": "A customer in INCOMPLETE cannot be approved"}


def test_another_clients_customer_is_unknown(integrator, other_integrator):
    cid = reviewing(integrator)
    r = other_integrator.post(f"/sandbox/customers/{cid}/approve")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    r = integrator.post("/sandbox/customers/00000000-0000-4000-8000-000000000000/hold")
    assert r.status_code == 404 and r.json() == NOT_FOUND
    assert integrator.detail(cid)["customer_status"] == "REVIEWING"


def test_unknown_party_is_404_and_bad_body_422(integrator):
    cid, tos = integrator.business("contact+review@fin.com")
    integrator.submit_business(cid, tos)
    integrator.drain()
    r = integrator.post(
        f"/sandbox/customers/{cid}/associated-parties/00000000-0000-4000-8000-000000000000/approve"
    )
    assert r.status_code == 404
    r = integrator.post(f"/sandbox/customers/{cid}/reject", {"final": "maybe"})
    assert r.status_code == 422 and "final" in r.json()["errors"][0]


def test_decisions_need_a_token(api):
    r = api.post("/sandbox/customers/00000000-0000-4000-8000-000000000000/approve")
    assert r.status_code == 401 and r.json() == {"message": "Authentication failed"}


def test_request_for_information_lists_the_parties_entries_first(integrator):
    """docs/verification.md and Fin's reference example: one entry per (party, section), each party's
    entries first, then the customer's own sections, whatever order they were raised in."""
    cid, tos = integrator.business("ops+review@acmecorp.com")
    integrator.submit_business(cid, tos)
    integrator.drain()
    jane = integrator.detail(cid)["associated_parties"][0]["id"]
    passport = {
        "section": "identifying_documents",
        "categories": [
            {
                "document_type": "PASSPORT",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "EXPIRED"}],
            }
        ],
    }
    formation = {
        "section": "formation_documents",
        "categories": [
            {
                "document_type": "REGISTRATION_DOCUMENT",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
            }
        ],
    }
    r = integrator.post(f"/sandbox/customers/{cid}/request-information", {"rfis": [formation]})
    assert r.status_code == 200, r.text
    r = integrator.post(
        f"/sandbox/customers/{cid}/associated-parties/{jane}/request-information", {"rfis": [passport]}
    )
    assert r.status_code == 200, r.text
    entries = [(e["scope"], e["section"]) for e in integrator.detail(cid)["request_for_information"]]
    assert entries == [("ASSOCIATED_PARTY", "identifying_documents"), ("CUSTOMER", "formation_documents")]
