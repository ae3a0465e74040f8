"""Reviewers decide through the operator API; the customer's Fin detail shows the outcome."""

from __future__ import annotations

import pytest

from tests.factories import individual_body
from tests.journeys import reach
from tollgate.db import unit_of_work
from tollgate.verification import operators

PASSWORD = "correct horse battery staple"


@pytest.fixture
def reviewer(api, runtime) -> dict[str, str]:
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="alice", password=PASSWORD)
    r = api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _parties(api, auth_headers, cid: str) -> list[str]:
    parties = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["associated_parties"]
    return [p["id"] for p in parties]


def test_operator_login_refuses_a_wrong_password(api, reviewer):
    r = api.post("/ops/v1/token", json={"username": "alice", "password": "wrong password!"})
    assert r.status_code == 401 and r.json() == {"message": "Authentication failed"}


def test_api_client_tokens_do_not_open_the_operator_api(api, auth_headers):
    cid = api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers).json()["data"][
        "customer_id"
    ]
    before = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=auth_headers)
    assert r.status_code == 401
    assert api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"] == before


def test_operator_tokens_do_not_open_the_fin_api(api, reviewer):
    assert api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=reviewer).status_code == 401


def test_approve_from_reviewing(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={"note": "looks good"}, headers=reviewer)
    assert r.status_code == 200, r.text
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "APPROVED"
    assert detail["rejection_reason"] is None
    audit = r.json()["data"]["audit"]
    assert audit[-1]["actor"] == "reviewer:alice" and audit[-1]["to"] == "APPROVED"


def test_refused_transition_changes_nothing(api, auth_headers, reviewer):
    cid = api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers).json()["data"][
        "customer_id"
    ]
    before = api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"]
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewer)
    assert r.status_code == 409
    assert r.json() == {"message": "A customer in INCOMPLETE cannot be approved"}
    after = api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"]
    assert after == before  # status, version, audit trail, RFIs: all as they were
    assert after["audit"] == []


def test_final_rejection(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    body = {
        "reject_labels": ["PROBLEMATIC_APPLICANT_DATA"],
        "moderation_comment": "We cannot verify you.",
        "developer_note": "sanctions hit",
        "documents": [
            {
                "uri": "/ZuyUaH3a_testdoc1.png",
                "category": "PROOF_OF_IDENTITY",
                "moderation_comment": "x",
                "reject_labels": ["LOW_QUALITY"],
            }
        ],
    }
    assert api.post(f"/ops/v1/customers/{cid}/reject", json=body, headers=reviewer).status_code == 200
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "REJECTED"
    assert detail["rejection_reason"] == {
        "applicant": {
            "moderation_comment": "We cannot verify you.",
            "reject_labels": ["PROBLEMATIC_APPLICANT_DATA", "LOW_QUALITY"],
        },
        "documents": [body["documents"][0]],
    }
    # final means final
    before = api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"]
    assert api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewer).status_code == 409
    assert api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"] == before


PASSPORT_RFI = {
    "section": "identifying_documents",
    "categories": [
        {
            "document_type": "PASSPORT",
            "fields": [
                {"field_name": "type", "data_type": "ENUM", "status": "INVALID"},
                {"field_name": "expiry_date", "data_type": "DATE", "status": "INVALID"},
                {"field_name": "issue_date", "data_type": "DATE", "status": "INVALID"},
                {
                    "field_name": "files",
                    "data_type": "URI",
                    "status": "INVALID",
                    "reason": "User identity document is not valid for at least 2 month(s) from the date of submission.",
                },
            ],
        }
    ],
}


def test_the_reference_pages_action_required_business(api, auth_headers, reviewer, runtime):
    """One party rejected for a passport expiring too soon, one approved; RFIs on company documents."""
    cid = reach(api, auth_headers, runtime, "REVIEWING", business=True)
    jane, robert = _parties(api, auth_headers, cid)
    ok = api.post(f"/ops/v1/customers/{cid}/associated-parties/{robert}/approve", json={}, headers=reviewer)
    assert ok.status_code == 200, ok.text
    r = api.post(
        f"/ops/v1/customers/{cid}/associated-parties/{jane}/reject",
        json={
            "documents": [
                {
                    "uri": "/OUkUie0z_approved_passport_sumsub.jpg",
                    "category": "PROOF_OF_IDENTITY",
                    "moderation_comment": "Your identity document must be valid for at least 2 month(s) from the date of submission.",
                    "reject_labels": ["EXPIRATION_DATE"],
                }
            ],
            "rfis": [PASSPORT_RFI],
        },
        headers=reviewer,
    )
    assert r.status_code == 200, r.text
    company = {
        "rfis": [
            {
                "section": "formation_documents",
                "categories": [
                    {
                        "document_type": "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS",
                        "fields": [
                            {"field_name": "type", "data_type": "ENUM", "status": "INVALID"},
                            {
                                "field_name": "files",
                                "data_type": "URI",
                                "status": "INVALID",
                                "reason": "Unacceptable document.",
                            },
                        ],
                    }
                ],
            },
        ]
    }
    assert (
        api.post(f"/ops/v1/customers/{cid}/request-information", json=company, headers=reviewer).status_code
        == 200
    )
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "ACTION_REQUIRED"
    statuses = {p["id"]: p["verification"]["status"] for p in detail["associated_parties"]}
    assert statuses == {jane: "REJECTED", robert: "APPROVED"}
    assert detail["rejection_reason"]["associated_parties"] == [
        {
            "id": jane,
            "applicant": {"moderation_comment": "", "reject_labels": ["EXPIRATION_DATE"]},
            "documents": [
                {
                    "uri": "/OUkUie0z_approved_passport_sumsub.jpg",
                    "category": "PROOF_OF_IDENTITY",
                    "moderation_comment": "Your identity document must be valid for at least 2 month(s) from the date of submission.",
                    "reject_labels": ["EXPIRATION_DATE"],
                }
            ],
        }
    ]
    [party_rfi, company_rfi] = detail["request_for_information"]
    assert list(party_rfi) == ["scope", "associated_party_id", "section", "categories"]
    assert party_rfi["scope"] == "ASSOCIATED_PARTY" and party_rfi["associated_party_id"] == jane
    fields = party_rfi["categories"][0]["fields"]
    assert fields[0] == {"field_name": "type", "data_type": "ENUM", "status": "INVALID", "options": []}
    assert fields[3]["reason"].startswith("User identity document is not valid")
    assert list(company_rfi) == ["scope", "section", "categories"]
    assert company_rfi["section"] == "formation_documents"


def test_rfi_on_an_approved_customer_keeps_it_approved(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "APPROVED")
    rfi = {
        "rfis": [
            {
                "section": "proof_of_address",
                "categories": [
                    {
                        "document_type": "PROOF_OF_ADDRESS",
                        "fields": [{"field_name": "files", "data_type": "URI", "status": "EXPIRED"}],
                    }
                ],
            }
        ]
    }
    assert (
        api.post(f"/ops/v1/customers/{cid}/request-information", json=rfi, headers=reviewer).status_code
        == 200
    )
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "APPROVED"
    assert detail["request_for_information"][0]["section"] == "proof_of_address"


def test_business_waits_for_its_parties(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING", business=True)
    jane, robert = _parties(api, auth_headers, cid)
    api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewer)

    def status() -> str:
        return api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"]

    assert status() == "ASSOCIATED_PARTIES_REMAINING"
    api.post(f"/ops/v1/customers/{cid}/associated-parties/{jane}/approve", json={}, headers=reviewer)
    assert status() == "ASSOCIATED_PARTIES_REMAINING"
    api.post(f"/ops/v1/customers/{cid}/associated-parties/{robert}/approve", json={}, headers=reviewer)
    assert status() == "APPROVED"


def test_rfi_section_must_fit_the_customer(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    bad = {
        "rfis": [
            {
                "section": "formation_documents",
                "categories": [
                    {
                        "document_type": "X",
                        "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
                    }
                ],
            }
        ]
    }
    r = api.post(f"/ops/v1/customers/{cid}/request-information", json=bad, headers=reviewer)
    assert r.status_code == 422
    assert "rfis[0].section" in r.json()["errors"][0]
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"] == "REVIEWING"
    )


def test_nul_in_a_decision_is_refused_and_changes_nothing(api, auth_headers, reviewer, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    bad = {
        "rfis": [
            {
                "section": "identifying_information",
                "categories": [
                    {
                        "document_type": "PASSPORT",
                        "fields": [
                            {
                                "field_name": "files",
                                "data_type": "URI",
                                "status": "MISSING",
                                "reason": "a\x00b",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    r = api.post(f"/ops/v1/customers/{cid}/request-information", json=bad, headers=reviewer)
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"rfis[0].categories[0].fields[0].reason": "Must not contain NUL characters"}
    ]
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"] == "REVIEWING"
    )
