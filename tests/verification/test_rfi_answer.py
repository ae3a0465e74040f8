"""Answering requests for information over HTTP: PATCH /v1/customers/{customer_id}."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.documents import samples
from tests.factories import business_body
from tests.journeys import FUTURE, PAST, individual_attach_body, tos_value, upload
from tests.verification.test_lifecycle import TODAY, business_flow, create_individual, detail
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.jobs.models import Job
from tollgate.jobs.worker import drain
from tollgate.verification import operators
from tollgate.verification.models import Rfi

NOT_REQUESTED = "Not requested by an open request for information"
SOON = (TODAY + timedelta(days=30)).isoformat()
PASSWORD = "correct horse battery staple"


@pytest.fixture
def reviewer(api, runtime) -> dict[str, str]:
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="rita", password=PASSWORD)
    r = api.post("/ops/v1/token", json={"username": "rita", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def passport(uri: str, *, expiry: str = FUTURE, number: str = "N7654321") -> dict[str, Any]:
    return {
        "type": "PASSPORT",
        "number": number,
        "country": "USA",
        "issue_date": PAST,
        "expiry_date": expiry,
        "files": [{"uri": uri}],
    }


def patch(api, headers, cid: str, body: Any):
    return api.patch(f"/v1/customers/{cid}", json=body, headers=headers)


def expiring_individual(api, headers, runtime) -> tuple[str, str, dict[str, str]]:
    """An individual whose passport expires within 2 months: ACTION_REQUIRED with one RFI on it."""
    cid, tos = create_individual(api, headers)
    uris = upload(
        api,
        headers,
        {"passport": ("passport.png", samples.png_bytes()), "poa": ("bill.pdf", samples.pdf_bytes())},
        cid,
    )
    r = api.post(
        f"/v2/customers/{cid}/individual/attach",
        json=individual_attach_body(uris, tos, expiry=SOON),
        headers=headers,
    )
    assert r.status_code == 200, r.text
    drain(runtime)
    d = detail(api, headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert [(e["scope"], e["section"]) for e in d["request_for_information"]] == [
        ("CUSTOMER", "identifying_documents")
    ]
    return cid, tos, uris


def approved_individual(api, headers, runtime) -> tuple[str, dict[str, str]]:
    cid, tos = create_individual(api, headers)
    uris = upload(
        api,
        headers,
        {"passport": ("passport.png", samples.png_bytes()), "poa": ("bill.pdf", samples.pdf_bytes())},
        cid,
    )
    r = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=headers
    )
    assert r.status_code == 200, r.text
    drain(runtime)
    assert detail(api, headers, cid)["customer_status"] == "APPROVED"
    return cid, uris


def snapshot(runtime, cid: str) -> dict[str, Any]:
    """Everything an answer could change: the customer, its parties, documents, RFIs, batches, jobs, files."""
    key = uuid.UUID(cid)
    with unit_of_work(runtime.write_sessions) as s:
        c = s.get(Customer, key)
        assert c is not None
        return {
            "customer": (
                c.status,
                c.updated_at,
                c.last_status_updated_at,
                c.tos_accepted_at,
                c.rejection_reason,
            ),
            "parties": sorted((str(p.id), p.verification_status) for p in c.parties),
            "attachments": sorted(
                (str(a.id), a.active, a.section, a.doc_type)
                for a in s.scalars(select(Attachment).where(Attachment.customer_id == key))
            ),
            "rfis": sorted(
                (str(r.id), r.status, r.answered_at, r.closed_at, str(r.answer))
                for r in s.scalars(select(Rfi).where(Rfi.customer_id == key))
            ),
            "batches": sorted(
                (str(b.id), b.status)
                for b in s.scalars(select(AttachBatch).where(AttachBatch.customer_id == key))
            ),
            "jobs": len(s.scalars(select(Job)).all()),
            "files": sorted((f.uri, str(f.customer_id)) for f in s.scalars(select(StoredFile))),
        }


def rfi_rows(runtime, cid: str) -> list[Rfi]:
    with unit_of_work(runtime.write_sessions) as s:
        rows = list(s.scalars(select(Rfi).where(Rfi.customer_id == uuid.UUID(cid)).order_by(Rfi.raised_at)))
        s.expunge_all()
        return rows


def active_documents(runtime, cid: str, section: str) -> list[tuple[str, str | None, str]]:
    with unit_of_work(runtime.write_sessions) as s:
        rows = s.scalars(
            select(Attachment).where(
                Attachment.customer_id == uuid.UUID(cid),
                Attachment.section == section,
                Attachment.active.is_(True),
            )
        )
        return [(a.doc_type, str(a.party_id) if a.party_id else None, a.files[0]["uri"]) for a in rows]


# ------------------------------------------------------------------ answers that are accepted


@pytest.mark.parametrize("key", ["identifying_documents", "proof_of_identity"])
def test_individual_answers_the_expiring_passport_and_is_approved(api, auth_headers, runtime, key):
    cid, _, old = expiring_individual(api, auth_headers, runtime)
    new = upload(api, auth_headers, {"passport": ("passport2.png", samples.png_bytes(seed=7))}, cid)
    doc = passport(new["passport"])
    body = {key: [doc] if key == "identifying_documents" else doc}

    r = patch(api, auth_headers, cid, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"customer_id": cid}}
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "PROCESSING"
    assert d["request_for_information"] == []
    [row] = rfi_rows(runtime, cid)
    assert row.status == "answered" and row.answered_at is not None and row.closed_at is None
    assert row.answer is not None and row.answer["submitted"][key] == body[key]
    assert active_documents(runtime, cid, "identifying_documents") == [("PASSPORT", None, new["passport"])]

    # the checks have not run yet and the request is answered: Fin declares no 409 here, so a second
    # submission is a field-map 400 that says why
    again = patch(api, auth_headers, cid, body)
    assert again.status_code == 400
    assert again.json() == {
        "status": 400,
        "message": "Validation failed",
        "data": {"body": "The customer has no open request for information"},
    }

    assert drain(runtime) >= 1
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED"
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    [row] = rfi_rows(runtime, cid)
    assert row.status == "closed"
    assert row.raised_at <= row.answered_at <= row.closed_at
    with unit_of_work(runtime.write_sessions) as s:
        batches = s.scalars(
            select(AttachBatch)
            .where(AttachBatch.customer_id == uuid.UUID(cid))
            .order_by(AttachBatch.created_at)
        ).all()
        assert [(b.source, b.status) for b in batches] == [
            ("individual_attach", "done"),
            ("rfi_answer", "done"),
        ]
    assert old["passport"] != new["passport"]


def test_business_answers_the_party_rfi_and_is_approved(api, auth_headers, runtime, reviewer):
    cid, (jane, robert) = business_flow(
        api, auth_headers, runtime, jane_expiry=(TODAY + timedelta(days=20)).isoformat()
    )
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    [raised] = d["request_for_information"]
    assert (raised["scope"], raised["associated_party_id"], raised["section"]) == (
        "ASSOCIATED_PARTY",
        jane,
        "identifying_documents",
    )
    new = upload(api, auth_headers, {"jane": ("passport.png", samples.png_bytes(seed=41))}, cid)
    body = {
        "associated_party_attachments": [
            {
                "associated_party_id": jane,
                "identifying_documents": [passport(new["jane"], number="P0-NEW")],
                "supporting_documents": [],
            }
        ]
    }
    r = patch(api, auth_headers, cid, body)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"customer_id": cid}}
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "PROCESSING"
    assert {p["id"]: p["verification"]["status"] for p in d["associated_parties"]} == {
        jane: "REVIEWING",
        robert: "APPROVED",
    }
    view = api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"]
    [entry] = view["rfi_history"]
    assert entry["associated_party_id"] == jane and entry["status"] == "answered"
    assert entry["answered_at"] is not None and entry["closed_at"] is None
    assert any(a["action"] == "rfi_answered" and a["actor"].startswith("api_client:") for a in view["audit"])

    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED"
    assert [p["verification"]["status"] for p in d["associated_parties"]] == ["APPROVED", "APPROVED"]
    assert d["rejection_reason"] is None and d["request_for_information"] == []
    [entry] = api.get(f"/ops/v1/customers/{cid}", headers=reviewer).json()["data"]["rfi_history"]
    assert entry["status"] == "closed" and entry["answered_at"] is not None and entry["closed_at"] is not None
    janes = [doc for doc in active_documents(runtime, cid, "identifying_documents") if doc[1] == jane]
    assert janes == [("PASSPORT", jane, new["jane"])]


def ask_for_the_passport_again(api, reviewer, cid: str, reason: str) -> None:
    """A reviewer's RFI on the customer's passport files, with ``reason``."""
    field = {"field_name": "files", "data_type": "URI", "status": "INVALID", "reason": reason}
    rfi = {
        "section": "identifying_documents",
        "categories": [{"document_type": "PASSPORT", "fields": [field]}],
    }
    r = api.post(f"/ops/v1/customers/{cid}/request-information", json={"rfis": [rfi]}, headers=reviewer)
    assert r.status_code == 200, r.text


def test_an_approved_customer_answers_a_later_rfi_and_stays_approved(api, auth_headers, runtime, reviewer):
    cid, _ = approved_individual(api, auth_headers, runtime)
    ask_for_the_passport_again(api, reviewer, cid, "Name mismatch")
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED" and len(d["request_for_information"]) == 1
    status_changed_at = d["last_status_updated_at"]

    new = upload(api, auth_headers, {"passport": ("p.png", samples.png_bytes(seed=9))}, cid)
    body = {"proof_of_identity": passport(new["passport"])}
    r = patch(api, auth_headers, cid, body)
    assert r.status_code == 200, r.text
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED" and d["request_for_information"] == []
    assert d["last_status_updated_at"] == status_changed_at
    assert (
        patch(api, auth_headers, cid, body).status_code == 400
    )  # answered: nothing open until the checks ran

    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED" and d["request_for_information"] == []
    [row] = rfi_rows(runtime, cid)
    assert row.status == "closed" and row.answered_at is not None and row.closed_at is not None
    assert active_documents(runtime, cid, "identifying_documents") == [("PASSPORT", None, new["passport"])]


def test_a_tos_rfi_is_answered_with_the_attestation(api, auth_headers, runtime, reviewer):
    cid, tos, _ = expiring_individual(api, auth_headers, runtime)
    # a customer whose attestation is missing (the attach recorded one; the RFI asks for it again)
    with unit_of_work(runtime.write_sessions) as s:
        c = s.get(Customer, uuid.UUID(cid))
        assert c is not None
        c.tos_accepted_at = c.tos_accepted_ip = c.tos_accepted_user_agent = None
    tos_rfi = {
        "section": "tos_policies_value",
        "categories": [
            {
                "document_type": "TOS",
                "fields": [{"field_name": "tos_policies_value", "data_type": "TEXT", "status": "MISSING"}],
            }
        ],
    }
    r = api.post(f"/ops/v1/customers/{cid}/request-information", json={"rfis": [tos_rfi]}, headers=reviewer)
    assert r.status_code == 200, r.text
    assert len(detail(api, auth_headers, cid)["request_for_information"]) == 2

    new = upload(api, auth_headers, {"passport": ("p.png", samples.png_bytes(seed=11))}, cid)
    body = {"identifying_documents": [passport(new["passport"])], "tos_policies_value": "not-the-value"}
    before = snapshot(runtime, cid)
    r = patch(api, auth_headers, cid, body)
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "message": "Validation failed",
        "data": {"tos_policies_value": "Does not match the customer's tos_policies_url"},
    }
    assert snapshot(runtime, cid) == before

    r = patch(api, auth_headers, cid, {**body, "tos_policies_value": tos})
    assert r.status_code == 200, r.text
    with unit_of_work(runtime.write_sessions) as s:
        c = s.get(Customer, uuid.UUID(cid))
        assert c is not None
        assert c.tos_accepted_at is not None and c.tos_accepted_user_agent == "testclient"
    assert {r.section: r.status for r in rfi_rows(runtime, cid)} == {
        "identifying_documents": "answered",
        "tos_policies_value": "answered",
    }
    drain(runtime)
    assert detail(api, auth_headers, cid)["customer_status"] == "APPROVED"
    assert {(r.status, r.closed_at is not None) for r in rfi_rows(runtime, cid)} == {("closed", True)}


# ------------------------------------------------------------------ answers that are refused


def _individual_refusals(uris: dict[str, str], tos: str) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    good = passport(uris["new"])
    bill = {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["bill"]}]}
    national_id = {
        **passport(uris["new"]),
        "type": "NATIONAL_ID",
        "files": [{"uri": uris["new"], "side": "FRONT"}, {"uri": uris["back"], "side": "BACK"}],
    }
    return [
        (
            "unrequested section",
            {"identifying_documents": [good], "address_documents": [bill]},
            {"address_documents": NOT_REQUESTED},
        ),
        ("unrequested V1 section", {"proof_of_address": bill}, {"proof_of_address": NOT_REQUESTED}),
        (
            "unrequested business section",
            {"formation_documents": [{"type": "REGISTRATION_DOCUMENT", "files": [{"uri": uris["bill"]}]}]},
            {"formation_documents": NOT_REQUESTED},
        ),
        (
            "unrequested document type",
            {"identifying_documents": [national_id]},
            {"identifying_documents[0].type": f"{NOT_REQUESTED} (it asks for PASSPORT)"},
        ),
        (
            "unrequested selfie",
            {"identifying_documents": [good, {"type": "SELFIE", "files": [{"uri": uris["back"]}]}]},
            {"identifying_documents[1].type": f"{NOT_REQUESTED} (it asks for PASSPORT)"},
        ),
        ("unrequested terms", {"tos_policies_value": tos}, {"tos_policies_value": NOT_REQUESTED}),
        (
            "several at once",
            {"proof_of_identity": good, "proof_of_address": bill, "tos_policies_value": tos},
            {"proof_of_address": NOT_REQUESTED, "tos_policies_value": NOT_REQUESTED},
        ),
        ("nothing", {}, {"body": "Send what an open request for information asks for"}),
        (
            "only empty keys",
            {"identifying_documents": [], "proof_of_identity": None},
            {"body": "Send what an open request for information asks for"},
        ),
        (
            "both keys of one section",
            {"proof_of_identity": good, "identifying_documents": [good]},
            {"proof_of_identity": "Send either proof_of_identity or identifying_documents"},
        ),
        (
            "expired document",
            {
                "identifying_documents": [
                    passport(uris["new"], expiry=(TODAY - timedelta(days=1)).isoformat())
                ]
            },
            {"identifying_documents[0].expiry_date": "Must be in the future"},
        ),
        (
            "passport with two files",
            {"identifying_documents": [{**good, "files": [{"uri": uris["new"]}, {"uri": uris["back"]}]}]},
            {"identifying_documents[0].files": "PASSPORT takes exactly one file"},
        ),
        (
            "another client's file",
            {"identifying_documents": [passport(uris["theirs"])]},
            {
                "identifying_documents[0].files[0].uri": (
                    "Unknown file URI; upload it with POST /v1/customers/upload first"
                )
            },
        ),
        (
            "another customer's file",
            {"proof_of_identity": passport(uris["bound"])},
            {"proof_of_identity.files[0].uri": "This file belongs to another customer"},
        ),
        (
            "unknown key",
            {"identifying_documents": [good], "tax_info": {}},
            {"tax_info": "This field is not allowed"},
        ),
    ]


CASES = [
    c[0] for c in _individual_refusals({k: "/x_y" for k in ("new", "bill", "back", "theirs", "bound")}, "t")
]


@pytest.mark.parametrize("case", CASES)
def test_individual_answer_refusals_change_nothing(api, auth_headers, make_client, login, runtime, case):
    cid, tos, _ = expiring_individual(api, auth_headers, runtime)
    uris = upload(
        api,
        auth_headers,
        {
            "new": ("p.png", samples.png_bytes(seed=5)),
            "back": ("b.png", samples.png_bytes(seed=6)),
            "bill": ("bill.pdf", samples.pdf_bytes(text="bill 2")),
        },
        cid,
    )
    other_customer, _ = create_individual(api, auth_headers)
    uris |= upload(api, auth_headers, {"bound": ("q.png", samples.png_bytes(seed=8))}, other_customer)
    other = login(make_client("other"))
    uris |= upload(api, other, {"theirs": ("t.png", samples.png_bytes(seed=9))})
    [(_, body, expected)] = [c for c in _individual_refusals(uris, tos) if c[0] == case]

    before = snapshot(runtime, cid)
    r = patch(api, auth_headers, cid, body)
    assert r.status_code == 400, r.text
    assert r.json() == {"status": 400, "message": "Validation failed", "data": expected}
    assert snapshot(runtime, cid) == before
    assert detail(api, auth_headers, cid)["customer_status"] == "ACTION_REQUIRED"


def test_business_answer_refusals_change_nothing(api, auth_headers, runtime):
    cid, (jane, robert) = business_flow(
        api, auth_headers, runtime, jane_expiry=(TODAY + timedelta(days=20)).isoformat()
    )
    uris = upload(
        api,
        auth_headers,
        {"id": ("p.png", samples.png_bytes(seed=51)), "doc": ("d.pdf", samples.pdf_bytes(text="doc 51"))},
        cid,
    )
    good = passport(uris["id"])
    bill = {"type": "UTILITY_BILL", "files": [{"uri": uris["doc"]}]}
    cases: list[tuple[Any, dict[str, str]]] = [
        (  # a party without an open RFI
            {
                "associated_party_attachments": [
                    {"associated_party_id": robert, "identifying_documents": [good]}
                ]
            },
            {"associated_party_attachments[0].identifying_documents": NOT_REQUESTED},
        ),
        (  # a section of the requested party that is not requested
            {
                "associated_party_attachments": [
                    {
                        "associated_party_id": jane,
                        "identifying_documents": [good],
                        "address_documents": [bill],
                    }
                ]
            },
            {"associated_party_attachments[0].address_documents": NOT_REQUESTED},
        ),
        (  # the business's own sections are not requested
            {
                "formation_documents": [{"type": "REGISTRATION_DOCUMENT", "files": [{"uri": uris["doc"]}]}],
                "supporting_documents": [{"type": "PROOF_OF_ADDRESS", "files": [{"uri": uris["doc"]}]}],
            },
            {"formation_documents": NOT_REQUESTED, "supporting_documents": NOT_REQUESTED},
        ),
        (  # an individual's key on a business
            {"proof_of_identity": good},
            {"proof_of_identity": NOT_REQUESTED},
        ),
        (  # an unrequested document type for the requested party
            {
                "associated_party_attachments": [
                    {
                        "associated_party_id": jane,
                        "identifying_documents": [
                            {
                                **good,
                                "type": "DRIVERS_LICENSE",
                                "files": [
                                    {"uri": uris["id"], "side": "FRONT"},
                                    {"uri": uris["doc"], "side": "BACK"},
                                ],
                            }
                        ],
                    }
                ]
            },
            {
                "associated_party_attachments[0].identifying_documents[0].type": (
                    f"{NOT_REQUESTED} (it asks for PASSPORT)"
                )
            },
        ),
        (  # not a party of this customer
            {
                "associated_party_attachments": [
                    {"associated_party_id": str(uuid.uuid4()), "identifying_documents": [good]}
                ]
            },
            {
                "associated_party_attachments[0].associated_party_id": "Unknown associated party of this customer"
            },
        ),
        (  # the same file twice
            {
                "associated_party_attachments": [
                    {
                        "associated_party_id": jane,
                        "identifying_documents": [good, {**good, "number": "OTHER"}],
                    }
                ]
            },
            {
                "associated_party_attachments[0].identifying_documents[1].files[0].uri": (
                    "Duplicate file URI (also at associated_party_attachments[0].identifying_documents[0].files[0].uri)"
                )
            },
        ),
        (  # several unrequested paths are all named
            {
                "associated_party_attachments": [
                    {"associated_party_id": jane, "identifying_documents": [good]},
                    {"associated_party_id": robert, "address_documents": [bill]},
                ],
                "ownership_documents": [
                    {"type": "PROOF_OF_SIGNATORY_AUTHORITY", "files": [{"uri": uris["doc"]}]}
                ],
            },
            {
                "ownership_documents": NOT_REQUESTED,
                "associated_party_attachments[1].address_documents": NOT_REQUESTED,
            },
        ),
    ]
    before = snapshot(runtime, cid)
    for body, expected in cases:
        r = patch(api, auth_headers, cid, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json() == {"status": 400, "message": "Validation failed", "data": expected}, body
    assert snapshot(runtime, cid) == before


def test_a_business_rfi_accepts_only_the_requested_document_types(api, auth_headers, runtime):
    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    cid, tos = r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])
    uris = upload(api, auth_headers, {"reg": ("r.pdf", samples.pdf_bytes(text="reg"))}, cid)
    body = {"formation_documents": [{"type": "REGISTRATION_DOCUMENT", "files": [{"uri": uris["reg"]}]}]}
    assert (
        api.post(
            f"/v2/customers/{cid}/business/attach",
            json={**body, "tos_policies_value": tos},
            headers=auth_headers,
        ).status_code
        == 200
    )
    drain(runtime)
    formation = next(
        e
        for e in detail(api, auth_headers, cid)["request_for_information"]
        if e["section"] == "formation_documents"
    )
    assert [c["document_type"] for c in formation["categories"]] == ["CONSTITUTIONAL_DOCUMENT"]

    more = upload(api, auth_headers, {"c": ("c.pdf", samples.pdf_bytes(text="constitution"))}, cid)
    before = snapshot(runtime, cid)
    wrong = {"formation_documents": [{"type": "FORMATION_DOCUMENT", "files": [{"uri": more["c"]}]}]}
    r = patch(api, auth_headers, cid, wrong)
    assert r.status_code == 400
    assert r.json()["data"] == {
        "formation_documents[0].type": f"{NOT_REQUESTED} (it asks for CONSTITUTIONAL_DOCUMENT)"
    }
    untyped = {"formation_documents": [{"files": [{"uri": more["c"]}]}]}
    r = patch(api, auth_headers, cid, untyped)
    assert r.status_code == 400
    assert r.json()["data"] == {
        "formation_documents[0].type": "Required; the request asks for CONSTITUTIONAL_DOCUMENT"
    }
    assert snapshot(runtime, cid) == before

    # a partial answer is accepted; the checks raise again what is still missing
    right = {"formation_documents": [{"type": "CONSTITUTIONAL_DOCUMENT", "files": [{"uri": more["c"]}]}]}
    assert patch(api, auth_headers, cid, right).status_code == 200
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert "formation_documents" not in {e["section"] for e in d["request_for_information"]}
    assert ("CUSTOMER", "supporting_documents") in {
        (e["scope"], e["section"]) for e in d["request_for_information"]
    }
    history = {
        (r.section, r.party_id is None): r.status
        for r in rfi_rows(runtime, cid)
        if r.section == "formation_documents"
    }
    assert history == {("formation_documents", True): "closed"}


def test_without_an_open_rfi_the_answer_is_refused(api, auth_headers, runtime):
    incomplete, _ = create_individual(api, auth_headers)
    approved, uris = approved_individual(api, auth_headers, runtime)
    body = {"identifying_documents": [passport(uris["passport"])]}
    for cid in (incomplete, approved):
        before = snapshot(runtime, cid)
        r = patch(api, auth_headers, cid, body)
        assert r.status_code == 400
        assert r.json() == {
            "status": 400,
            "message": "Validation failed",
            "data": {"body": "The customer has no open request for information"},
        }
        assert snapshot(runtime, cid) == before


def test_a_customer_on_hold_cannot_answer(api, auth_headers, runtime, reviewer):
    cid, _, _ = expiring_individual(api, auth_headers, runtime)
    assert api.post(f"/ops/v1/customers/{cid}/hold", json={}, headers=reviewer).status_code == 200
    new = upload(api, auth_headers, {"passport": ("p.png", samples.png_bytes(seed=12))}, cid)
    before = snapshot(runtime, cid)
    r = patch(api, auth_headers, cid, {"identifying_documents": [passport(new["passport"])]})
    assert r.status_code == 400
    assert r.json() == {
        "status": 400,
        "message": "Validation failed",
        "data": {"body": "A customer in IN_COMPLIANCE cannot answer a request for information now"},
    }
    assert snapshot(runtime, cid) == before


def test_unknown_and_foreign_customers_are_404_alike(api, auth_headers, make_client, login, runtime):
    cid, _, uris = expiring_individual(api, auth_headers, runtime)
    other = login(make_client("other"))
    body = {"identifying_documents": [passport(uris["passport"])]}
    before = snapshot(runtime, cid)
    foreign = patch(api, other, cid, body)
    unknown = patch(api, auth_headers, str(uuid.uuid4()), body)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json() == {"message": "Resource not found"}
    assert snapshot(runtime, cid) == before

    r = patch(api, auth_headers, "not-a-uuid", body)
    assert r.status_code == 422
    assert r.json() == {"message": "Validation failed", "errors": [{"customer_id": "Must be a UUID"}]}
    r = api.patch(f"/v1/customers/{cid}", json=body)
    assert r.status_code == 401 and r.json() == {"message": "Authentication failed"}
    assert snapshot(runtime, cid) == before


def test_an_approved_customers_answer_is_checked_and_a_bad_document_asked_for_again(
    api, auth_headers, runtime, reviewer
):
    from tollgate.webhooks.models import Event

    cid, _ = approved_individual(api, auth_headers, runtime)
    ask_for_the_passport_again(api, reviewer, cid, "Blurred")
    status_changed_at = detail(api, auth_headers, cid)["last_status_updated_at"]

    broken = samples.corrupted(samples.png_bytes(seed=12))
    new = upload(api, auth_headers, {"passport": ("p.png", broken)}, cid)
    assert patch(api, auth_headers, cid, {"proof_of_identity": passport(new["passport"])}).status_code == 200
    drain(runtime)

    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED"
    assert d["last_status_updated_at"] == status_changed_at
    [entry] = d["request_for_information"]
    assert entry["section"] == "identifying_documents"
    [files] = [f for f in entry["categories"][0]["fields"] if f["field_name"] == "files"]
    assert files["status"] == "INVALID" and files["reason"] == "Document appears to be corrupted"
    statuses = sorted(row.status for row in rfi_rows(runtime, cid))
    assert statuses == ["closed", "open"]
    with unit_of_work(runtime.read_sessions) as s:
        types = [e.type for e in s.scalars(select(Event).where(Event.customer_id == uuid.UUID(cid)))]
    assert types.count("customer.rfi") == 2 and "customer.status" in types
