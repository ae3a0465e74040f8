"""One test per row of the magic-value table in docs/sandbox.md: create a customer whose email carries the
value, upload real documents, attach them, let the worker run, then check the status, detail and webhooks."""

from __future__ import annotations

from tests.documents import samples
from tests.sandbox.conftest import Integrator, received, rfi_events, tos_value
from tests.webhooks.conftest import Receiver

CREATED = ("customer.created", "INCOMPLETE")
PROCESSING = ("customer.status", "PROCESSING")
RFI = ("customer.rfi", None)

EXPIRED_REASON = "Expired Identity document. A new document has been requested."
EXPIRING_COMMENT = "Your identity document must be valid for at least 2 month(s) from the date of submission."
EXPIRING_REASON = "User identity document is not valid for at least 2 month(s) from the date of submission."


def identity_rfi(doc_type: str, files_status: str, reason: str) -> list[dict]:
    return [
        {
            "document_type": doc_type,
            "fields": [
                {"field_name": "type", "data_type": "ENUM", "status": "INVALID", "options": []},
                {"field_name": "expiry_date", "data_type": "DATE", "status": "INVALID", "options": []},
                {"field_name": "issue_date", "data_type": "DATE", "status": "INVALID", "options": []},
                {
                    "field_name": "files",
                    "data_type": "URI",
                    "status": files_status,
                    "reason": reason,
                    "options": [],
                },
            ],
        }
    ]


def individual_outcome(integrator: Integrator, receiver: Receiver, email: str) -> tuple[str, dict, dict]:
    integrator.webhooks_to(receiver)
    cid, tos = integrator.individual(email)
    uris = integrator.attach_individual(cid, tos)
    integrator.drain()
    return cid, integrator.detail(cid), uris


def test_no_magic_value_behaves_as_live_mode_with_auto_approval(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john.doe@example.com")
    assert d["customer_status"] == "APPROVED"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "APPROVED")]


def test_no_magic_value_keeps_the_checks_findings(integrator):
    # The checks still decide without a magic value: an unreadable passport asks for a new one.
    cid, tos = integrator.individual("jane.roe@example.com")
    uris = integrator.upload(cid, {"p": ("p.png", samples.blank_png()), "b": ("b.pdf", samples.pdf_bytes())})
    body = {
        "identifying_documents": [
            {
                "type": "PASSPORT",
                "number": "X1",
                "country": "USA",
                "expiry_date": "2099-01-01",
                "files": [{"uri": uris["p"]}],
            }
        ],
        "address_documents": [{"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["b"]}]}],
        "tos_policies_value": tos,
    }
    assert integrator.post(f"/v2/customers/{cid}/individual/attach", body).status_code == 200
    integrator.drain()
    assert integrator.detail(cid)["customer_status"] == "ACTION_REQUIRED"


def test_approve(integrator, receiver):
    # A blank "passport" would be refused by the checks; the magic value approves regardless.
    integrator.webhooks_to(receiver)
    cid, tos = integrator.individual("john+approve@example.com")
    uris = integrator.upload(cid, {"p": ("p.png", samples.blank_png()), "b": ("b.pdf", samples.pdf_bytes())})
    body = {
        "identifying_documents": [
            {
                "type": "PASSPORT",
                "number": "X1",
                "country": "USA",
                "expiry_date": "2099-01-01",
                "files": [{"uri": uris["p"]}],
            }
        ],
        "address_documents": [{"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["b"]}]}],
        "tos_policies_value": tos,
    }
    assert integrator.post(f"/v2/customers/{cid}/individual/attach", body).status_code == 200
    integrator.drain()
    d = integrator.detail(cid)
    assert d["customer_status"] == "APPROVED"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "APPROVED")]


def test_review(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+review@example.com")
    assert d["customer_status"] == "REVIEWING"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "REVIEWING")]


def test_reject(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+reject@example.com")
    assert d["customer_status"] == "REJECTED"
    assert d["rejection_reason"] == {
        "applicant": {
            "moderation_comment": "We could not verify the information provided.",
            "reject_labels": ["PROBLEMATIC_APPLICANT_DATA"],
        },
        "documents": [],
    }
    assert d["request_for_information"] == []
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "REJECTED")]
    # Final: no decision can move it any more.
    assert integrator.post(f"/sandbox/customers/{cid}/approve").status_code == 409


def test_reject_with_labels(integrator, receiver):
    cid, d, _ = individual_outcome(
        integrator, receiver, "john+reject-labels-low_quality-not_document@example.com"
    )
    assert d["customer_status"] == "REJECTED"
    assert d["rejection_reason"] == {
        "applicant": {
            "moderation_comment": "We could not verify the information provided.",
            "reject_labels": ["LOW_QUALITY", "NOT_DOCUMENT"],
        },
        "documents": [],
    }
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "REJECTED")]


def test_rfi_expired_passport(integrator, receiver):
    cid, d, uris = individual_outcome(integrator, receiver, "john+rfi-expired-passport@example.com")
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["rejection_reason"] == {
        "applicant": {"moderation_comment": "", "reject_labels": ["EXPIRATION_DATE"]},
        "documents": [
            {
                "uri": uris["passport"],
                "category": "PROOF_OF_IDENTITY",
                "moderation_comment": "Your identity document has expired.",
                "reject_labels": ["EXPIRATION_DATE"],
            }
        ],
    }
    assert d["request_for_information"] == [
        {
            "scope": "CUSTOMER",
            "section": "identifying_documents",
            "categories": identity_rfi("PASSPORT", "EXPIRED", EXPIRED_REASON),
        }
    ]
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "ACTION_REQUIRED"), RFI]
    [event] = rfi_events(receiver)
    assert event["customer_id"] == cid
    assert event["request_for_information"][0]["section"] == "identifying_documents"


def test_rfi_missing_document_of_a_type(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+rfi-missing-proof_of_address@example.com")
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["rejection_reason"] == {
        "applicant": {"moderation_comment": "", "reject_labels": ["DOCUMENT_MISSING"]},
        "documents": [],
    }
    assert d["request_for_information"] == [
        {
            "scope": "CUSTOMER",
            "section": "address_documents",
            "categories": [
                {
                    "document_type": "PROOF_OF_ADDRESS",
                    "fields": [
                        {"field_name": "files", "data_type": "URI", "status": "MISSING", "options": []}
                    ],
                }
            ],
        }
    ]
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "ACTION_REQUIRED"), RFI]


def test_hold(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+hold@example.com")
    assert d["customer_status"] == "IN_COMPLIANCE"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "IN_COMPLIANCE")]


def test_approve_after_one_rfi_round(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+approve-after-rfi@example.com")
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["request_for_information"][0]["section"] == "identifying_documents"
    # The integrator answers the RFI with a new passport: the second round approves.
    integrator.attach_individual(cid, tos_value(d["tos_policies_url"]), seed=9)
    integrator.drain()
    d = integrator.detail(cid)
    assert d["customer_status"] == "APPROVED"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    assert received(receiver) == [
        CREATED,
        PROCESSING,
        ("customer.status", "ACTION_REQUIRED"),
        RFI,
        PROCESSING,
        ("customer.status", "APPROVED"),
    ]


# ---------------------------------------------------------------- businesses


def business_outcome(integrator: Integrator, receiver: Receiver, email: str, parties: tuple[str, ...] = ()):
    integrator.webhooks_to(receiver)
    cid, tos = integrator.business(email, parties)
    uris = integrator.submit_business(cid, tos)
    integrator.drain()
    return cid, integrator.detail(cid), uris


def reference_case_asserts(d: dict, uris: dict) -> None:
    """Fin's reference page: the 60% party REJECTED for a passport expiring within two months, the 40%
    party APPROVED, an RFI scoped to the rejected party."""
    jane, robert = d["associated_parties"]
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert (jane["ownership_percent"], jane["verification"]["status"]) == (60, "REJECTED")
    assert (robert["ownership_percent"], robert["verification"]["status"]) == (40, "APPROVED")
    # Fin's texts, not nulls: the moderation comment for the customer, the RFI reason for the developer.
    assert jane["verification"]["reason"] == {
        "for_customer": EXPIRING_COMMENT,
        "for_developer": f"identifying_documents PASSPORT: {EXPIRING_REASON}",
    }
    assert robert["verification"]["reason"] == {"for_customer": None, "for_developer": None}
    assert d["rejection_reason"] == {
        "applicant": None,
        "documents": [],
        "associated_parties": [
            {
                "id": jane["id"],
                "applicant": {"moderation_comment": "", "reject_labels": ["EXPIRATION_DATE"]},
                "documents": [
                    {
                        "uri": uris[f"id-{jane['id']}"],
                        "category": "PROOF_OF_IDENTITY",
                        "moderation_comment": EXPIRING_COMMENT,
                        "reject_labels": ["EXPIRATION_DATE"],
                    }
                ],
            }
        ],
    }
    assert d["request_for_information"] == [
        {
            "scope": "ASSOCIATED_PARTY",
            "associated_party_id": jane["id"],
            "section": "identifying_documents",
            "categories": identity_rfi("PASSPORT", "INVALID", EXPIRING_REASON),
        }
    ]


def test_business_one_party_rejected_the_other_approved(integrator, receiver):
    cid, d, uris = business_outcome(integrator, receiver, "contact+party-rejected@fin.com")
    reference_case_asserts(d, uris)
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "ACTION_REQUIRED"), RFI]


def test_business_party_tagged_reject_is_the_rejected_one(integrator, receiver):
    cid, d, uris = business_outcome(
        integrator,
        receiver,
        "contact@fin.com",
        ("jane.smith+reject@acmecorp.com", "robert.chen@acmecorp.com"),
    )
    reference_case_asserts(d, uris)
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "ACTION_REQUIRED"), RFI]


def test_business_rfi_missing_company_document(integrator, receiver):
    cid, d, _ = business_outcome(integrator, receiver, "contact+rfi-missing-cert_of_incumbency@fin.com")
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert [p["verification"]["status"] for p in d["associated_parties"]] == ["APPROVED", "APPROVED"]
    assert d["rejection_reason"] == {
        "applicant": {"moderation_comment": "", "reject_labels": ["DOCUMENT_MISSING"]},
        "documents": [],
        "associated_parties": [],
    }
    assert d["request_for_information"] == [
        {
            "scope": "CUSTOMER",
            "section": "supporting_documents",
            "categories": [
                {
                    "document_type": "CERT_OF_INCUMBENCY",
                    "fields": [
                        {"field_name": "files", "data_type": "URI", "status": "MISSING", "options": []}
                    ],
                }
            ],
        }
    ]
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "ACTION_REQUIRED"), RFI]


def test_business_approve(integrator, receiver):
    cid, d, _ = business_outcome(integrator, receiver, "contact+approve@fin.com")
    assert d["customer_status"] == "APPROVED"
    assert [p["verification"]["status"] for p in d["associated_parties"]] == ["APPROVED", "APPROVED"]
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "APPROVED")]


def test_business_reject(integrator, receiver):
    cid, d, _ = business_outcome(integrator, receiver, "contact+reject@fin.com")
    assert d["customer_status"] == "REJECTED"
    assert [p["verification"]["status"] for p in d["associated_parties"]] == ["REJECTED", "REJECTED"]
    assert d["rejection_reason"]["applicant"]["reject_labels"] == ["PROBLEMATIC_APPLICANT_DATA"]
    assert received(receiver) == [CREATED, PROCESSING, ("customer.status", "REJECTED")]


def test_unlisted_tag_is_an_ordinary_email(integrator, receiver):
    cid, d, _ = individual_outcome(integrator, receiver, "john+newsletter@example.com")
    assert d["customer_status"] == "APPROVED"
