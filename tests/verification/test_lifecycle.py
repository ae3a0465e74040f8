"""Customers the whole way over HTTP: upload, attach, automated checks (a job), decisions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.documents import samples
from tests.factories import business_body, individual_body
from tests.journeys import FUTURE, individual_attach_body, party_attachment, tos_value, upload
from tollgate.jobs.worker import drain

TODAY = date.today()


def create_individual(api, headers) -> tuple[str, str]:
    r = api.post("/v2/customers/individual", json=individual_body(), headers=headers)
    data = r.json()["data"]
    return data["customer_id"], tos_value(data["tos_policies_url"])


def detail(api, headers, cid):
    return api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]


def test_individual_is_approved_after_clean_checks(api, auth_headers, runtime):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api,
        auth_headers,
        {"passport": ("passport.png", samples.png_bytes()), "poa": ("bill.pdf", samples.pdf_bytes())},
        cid,
    )
    assert all(u.startswith("/") and "_" in u for u in uris.values())
    r = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=auth_headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"customer_id": cid}, "meta": None}
    assert detail(api, auth_headers, cid)["customer_status"] == "PROCESSING"
    # while the checks are pending, a second attach is a conflict
    again = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=auth_headers
    )
    assert again.status_code == 409
    assert again.json() == {
        "error": {"code": "conflict", "message": "An attach request is already in progress for this customer"}
    }
    assert drain(runtime) >= 1
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED"
    assert d["rejection_reason"] is None and d["request_for_information"] == []


def test_passport_expiring_within_two_months_gets_the_reference_rfi(api, auth_headers, runtime):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api,
        auth_headers,
        {"passport": ("passport.png", samples.png_bytes()), "poa": ("bill.pdf", samples.pdf_bytes())},
        cid,
    )
    soon = (TODAY + timedelta(days=30)).isoformat()
    assert (
        api.post(
            f"/v2/customers/{cid}/individual/attach",
            json=individual_attach_body(uris, tos, expiry=soon),
            headers=auth_headers,
        ).status_code
        == 200
    )
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["rejection_reason"]["applicant"] == {
        "moderation_comment": "",
        "reject_labels": ["EXPIRATION_DATE"],
    }
    assert d["rejection_reason"]["documents"] == [
        {
            "uri": uris["passport"],
            "category": "PROOF_OF_IDENTITY",
            "moderation_comment": "Your identity document must be valid for at least 2 month(s) from the date of submission.",
            "reject_labels": ["EXPIRATION_DATE"],
        }
    ]
    assert d["request_for_information"] == [
        {
            "scope": "CUSTOMER",
            "section": "identifying_documents",
            "categories": [
                {
                    "document_type": "PASSPORT",
                    "fields": [
                        {"field_name": "type", "data_type": "ENUM", "status": "INVALID", "options": []},
                        {
                            "field_name": "expiry_date",
                            "data_type": "DATE",
                            "status": "INVALID",
                            "options": [],
                        },
                        {"field_name": "issue_date", "data_type": "DATE", "status": "INVALID", "options": []},
                        {
                            "field_name": "files",
                            "data_type": "URI",
                            "status": "INVALID",
                            "reason": "User identity document is not valid for at least 2 month(s) from the date of submission.",
                            "options": [],
                        },
                    ],
                }
            ],
        }
    ]
    # re-attaching a good passport answers it
    new = upload(
        api,
        auth_headers,
        {
            "passport": ("passport2.png", samples.png_bytes(seed=7)),
            "poa": ("bill2.pdf", samples.pdf_bytes(text="Bill 2")),
        },
        cid,
    )
    assert (
        api.post(
            f"/v2/customers/{cid}/individual/attach",
            json=individual_attach_body(new, tos),
            headers=auth_headers,
        ).status_code
        == 200
    )
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED" and d["request_for_information"] == []


@pytest.mark.parametrize(
    "passport, label, reason",
    [
        (samples.corrupted(samples.png_bytes()), "LOW_QUALITY", "Document appears to be corrupted"),
        (samples.png_bytes(120, 90), "LOW_QUALITY", "The document should be of good quality."),
        (samples.blank_png(), "NOT_DOCUMENT", "Unacceptable document."),
    ],
    ids=["corrupted", "low-resolution", "blank"],
)
def test_bad_files_are_flagged(api, auth_headers, runtime, passport, label, reason):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api, auth_headers, {"passport": ("p.png", passport), "poa": ("bill.pdf", samples.pdf_bytes())}, cid
    )
    api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=auth_headers
    )
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert d["rejection_reason"]["documents"][0]["reject_labels"] == [label]
    files_field = d["request_for_information"][0]["categories"][0]["fields"][-1]
    assert files_field["field_name"] == "files" and files_field["reason"] == reason


def test_same_file_twice_is_invalid(api, auth_headers, runtime):
    cid, tos = create_individual(api, auth_headers)
    png = samples.png_bytes()
    uris = upload(api, auth_headers, {"passport": ("a.png", png), "poa": ("b.png", png)}, cid)
    api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=auth_headers
    )
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert "DOCUMENT_DUPLICATE" in d["rejection_reason"]["applicant"]["reject_labels"]


def test_old_address_document_is_expired(api, auth_headers, runtime):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api,
        auth_headers,
        {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())},
        cid,
    )
    body = individual_attach_body(uris, tos)
    body["address_documents"][0]["issue_date"] = (TODAY - timedelta(days=120)).isoformat()
    api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=auth_headers)
    drain(runtime)
    rfi = detail(api, auth_headers, cid)["request_for_information"]
    assert rfi[0]["section"] == "address_documents"
    assert rfi[0]["categories"][0]["fields"][-1]["status"] == "EXPIRED"


def test_attach_refusals(api, auth_headers, make_client, login, runtime):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api, auth_headers, {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())}
    )
    url = f"/v2/customers/{cid}/individual/attach"
    # wrong tos value
    r = api.post(url, json=individual_attach_body(uris, "nope"), headers=auth_headers)
    assert r.status_code == 422 and any("tos_policies_value" in e for e in r.json()["errors"])
    # another client's URIs are unknown
    other = login(make_client("other"))
    theirs = upload(
        api, other, {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())}
    )
    r = api.post(url, json=individual_attach_body(theirs, tos), headers=auth_headers)
    assert r.status_code == 422
    # a URI bound to another customer of the same client is forbidden
    cid2, _ = create_individual(api, auth_headers)
    bound = upload(
        api,
        auth_headers,
        {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())},
        cid2,
    )
    r = api.post(url, json=individual_attach_body(bound, tos), headers=auth_headers)
    assert r.status_code == 403
    assert r.json() == {
        "error": {"code": "forbidden", "message": "Customer is not eligible for this operation"}
    }
    # duplicate URIs in one request
    body = individual_attach_body({"passport": uris["passport"], "poa": uris["passport"]}, tos)
    assert api.post(url, json=body, headers=auth_headers).status_code == 422
    # malformed JSON
    r = api.post(url, content=b"{oops", headers={**auth_headers, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json() == {"status": 400, "message": "Malformed request body"}
    # unknown customer, and another client's customer
    assert (
        api.post(
            f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=other
        ).status_code
        == 404
    )
    # nothing was attached by any of the refused calls
    assert detail(api, auth_headers, cid)["customer_status"] == "INCOMPLETE"


def test_national_id_needs_front_and_back(api, auth_headers):
    cid, tos = create_individual(api, auth_headers)
    uris = upload(
        api,
        auth_headers,
        {"front": ("f.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())},
        cid,
    )
    body = individual_attach_body({"passport": uris["front"], "poa": uris["poa"]}, tos)
    body["identifying_documents"][0]["type"] = "NATIONAL_ID"
    r = api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=auth_headers)
    assert r.status_code == 422
    assert any("identifying_documents[0].files" in e for e in r.json()["errors"])


def test_us_driving_licence_needs_state(api, auth_headers):
    cid, tos = create_individual(api, auth_headers)
    u = upload(
        api,
        auth_headers,
        {
            "f": ("f.png", samples.png_bytes()),
            "b": ("b.png", samples.png_bytes(seed=3)),
            "poa": ("p.pdf", samples.pdf_bytes()),
        },
        cid,
    )
    body = individual_attach_body({"passport": u["f"], "poa": u["poa"]}, tos)
    body["identifying_documents"][0].update(
        type="DRIVERS_LICENSE", files=[{"uri": u["f"], "side": "FRONT"}, {"uri": u["b"], "side": "BACK"}]
    )
    r = api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=auth_headers)
    assert r.status_code == 422 and any("identifying_documents[0].state" in e for e in r.json()["errors"])
    body["identifying_documents"][0]["state"] = "US-CA"
    assert (
        api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=auth_headers).status_code == 200
    )


def test_upload_refusals(api, auth_headers):
    def post(files):
        return api.post("/v1/customers/upload", headers=auth_headers, files=files)

    r = post({"doc": ("doc.pdf", b"GIF89a not a pdf", "application/pdf")})
    assert r.status_code == 422 and "doc" in r.json()["errors"][0]
    r = post({"bomb": ("bomb.png", samples.png_header(50_000, 50_000), "image/png")})
    assert r.status_code == 422
    r = post({"big": ("big.pdf", samples.pdf_bytes(pages=60), "application/pdf")})
    assert r.status_code == 422
    r = api.post(
        "/v1/customers/upload",
        headers=auth_headers,
        data={"customer_id": "not-a-uuid"},
        files={"a": ("a.png", samples.png_bytes(), "image/png")},
    )
    assert r.status_code == 422 and "customer_id" in r.json()["errors"][0]


def test_upload_over_the_size_limit_is_413(api, auth_headers, runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "upload_max_file_bytes", 50_000)
    r = api.post(
        "/v1/customers/upload",
        headers=auth_headers,
        files={"a": ("a.pdf", b"%PDF-" + b"0" * 60_000, "application/pdf")},
    )
    assert r.status_code == 413


def test_upload_sanitises_names(api, auth_headers):
    uris = upload(api, auth_headers, {"passport": ("../../etc/pass wd.png", samples.png_bytes())})
    uri = uris["passport"]
    assert "/" not in uri[1:] and ".." not in uri and " " not in uri


BUSINESS_DOCS = {
    "formation_documents": ["REGISTRATION_DOCUMENT", "CONSTITUTIONAL_DOCUMENT"],
    "ownership_documents": ["PROOF_OF_SIGNATORY_AUTHORITY"],
    "supporting_documents": [
        "PROOF_OF_ADDRESS",
        "PROOF_OF_SOURCE_OF_FUNDS",
        "SHAREHOLDER_REGISTER",
        "CERT_OF_INCUMBENCY",
        "E_SIGNATURE_CERTIFICATE",
    ],
}


def business_flow(api, headers, runtime, *, jane_expiry: str = FUTURE):
    r = api.post("/v2/customers/business", json=business_body(), headers=headers)
    cid, tos = r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])
    parties = detail(api, headers, cid)["associated_parties"]
    files = {}
    seed = 0
    for section, types in BUSINESS_DOCS.items():
        for t in types:
            seed += 1
            files[t] = ("doc.pdf", samples.pdf_bytes(text=f"{t} {seed}"))
    for p in parties:
        seed += 1
        files[f"id-{p['id']}"] = ("passport.png", samples.png_bytes(seed=seed))
        files[f"poa-{p['id']}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {seed}"))
    uris = upload(api, headers, files, cid)
    attachments = []
    for i, p in enumerate(parties):
        expiry = jane_expiry if i == 0 else FUTURE
        attachment = party_attachment(
            p["id"], uris[f"id-{p['id']}"], uris[f"poa-{p['id']}"], number=f"P{i}", expiry=expiry
        )
        attachments.append({**attachment, "supporting_documents": []})
    r = api.post(
        f"/v2/customers/{cid}/associated-parties/individual/attach",
        json={"associated_party_attachments": attachments},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert (
        detail(api, headers, cid)["customer_status"] == "INCOMPLETE"
    )  # kept until the business attach submits
    body = {
        section: [{"type": t, "files": [{"uri": uris[t]}]} for t in types]
        for section, types in BUSINESS_DOCS.items()
    }
    body["tos_policies_value"] = tos
    r = api.post(f"/v2/customers/{cid}/business/attach", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {}}
    drain(runtime)
    return cid, [p["id"] for p in parties]


def test_business_with_two_parties_is_approved(api, auth_headers, runtime):
    cid, _ = business_flow(api, auth_headers, runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "APPROVED"
    assert [p["verification"]["status"] for p in d["associated_parties"]] == ["APPROVED", "APPROVED"]


def test_business_with_an_expiring_party_passport(api, auth_headers, runtime):
    cid, (jane, robert) = business_flow(
        api, auth_headers, runtime, jane_expiry=(TODAY + timedelta(days=20)).isoformat()
    )
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    assert {p["id"]: p["verification"]["status"] for p in d["associated_parties"]} == {
        jane: "REJECTED",
        robert: "APPROVED",
    }
    [party] = d["rejection_reason"]["associated_parties"]
    assert party["id"] == jane and party["applicant"]["reject_labels"] == ["EXPIRATION_DATE"]
    # The rejected party says why, in Fin's texts; the approved one has nothing to say.
    reasons = {p["id"]: p["verification"]["reason"] for p in d["associated_parties"]}
    assert reasons[jane] == {
        "for_customer": "Your identity document must be valid for at least 2 month(s) from the date of submission.",
        "for_developer": "identifying_documents PASSPORT: User identity document is not valid for at least "
        "2 month(s) from the date of submission.",
    }
    assert reasons[robert] == {"for_customer": None, "for_developer": None}
    [rfi] = d["request_for_information"]
    assert rfi["scope"] == "ASSOCIATED_PARTY" and rfi["associated_party_id"] == jane
    assert rfi["section"] == "identifying_documents"


def test_business_missing_documents(api, auth_headers, runtime):
    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    cid, tos = r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])
    uris = upload(api, auth_headers, {"reg": ("r.pdf", samples.pdf_bytes())}, cid)
    body = {
        "formation_documents": [{"type": "REGISTRATION_DOCUMENT", "files": [{"uri": uris["reg"]}]}],
        "tos_policies_value": tos,
    }
    assert (
        api.post(f"/v2/customers/{cid}/business/attach", json=body, headers=auth_headers).status_code == 200
    )
    drain(runtime)
    d = detail(api, auth_headers, cid)
    assert d["customer_status"] == "ACTION_REQUIRED"
    sections = {(e["scope"], e["section"]) for e in d["request_for_information"]}
    assert ("CUSTOMER", "formation_documents") in sections
    assert ("CUSTOMER", "supporting_documents") in sections
    assert ("ASSOCIATED_PARTY", "identifying_documents") in sections
    formation = next(e for e in d["request_for_information"] if e["section"] == "formation_documents")
    assert formation["categories"] == [
        {
            "document_type": "CONSTITUTIONAL_DOCUMENT",
            "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING", "options": []}],
        }
    ]


def test_the_reference_pages_business_from_its_documents(api, auth_headers, runtime):
    """Jane's passport expires within 2 months; the company's evidence of directors and proof of source of
    funds are not documents, its proof of signatory authority is corrupted: the RFI is the reference page's."""
    import json

    r = api.post("/v2/customers/business", json=business_body(), headers=auth_headers)
    cid, tos = r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])
    jane, robert = [p["id"] for p in detail(api, auth_headers, cid)["associated_parties"]]
    good = {t: ("doc.pdf", samples.pdf_bytes(text=f"{t}")) for ts in BUSINESS_DOCS.values() for t in ts}
    bad = {
        "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS": ("evidence.png", samples.blank_png()),
        "PROOF_OF_SOURCE_OF_FUNDS": ("funds.pdf", samples.blank_pdf()),
        "PROOF_OF_SIGNATORY_AUTHORITY": ("signatory.png", samples.corrupted(samples.png_bytes(seed=11))),
    }
    party_files = {}
    for i, pid in enumerate((jane, robert)):
        party_files[f"id-{pid}"] = ("passport.png", samples.png_bytes(seed=20 + i))
        party_files[f"poa-{pid}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {i}"))
    uris = upload(api, auth_headers, {**good, **bad, **party_files}, cid)
    soon = (TODAY + timedelta(days=30)).isoformat()
    attachments = [
        party_attachment(
            pid, uris[f"id-{pid}"], uris[f"poa-{pid}"], number=f"P{i}", expiry=soon if pid == jane else FUTURE
        )
        for i, pid in enumerate((jane, robert))
    ]
    assert (
        api.post(
            f"/v2/customers/{cid}/associated-parties/individual/attach",
            json={"associated_party_attachments": attachments},
            headers=auth_headers,
        ).status_code
        == 200
    )
    sections = {k: [{"type": t, "files": [{"uri": uris[t]}]} for t in v] for k, v in BUSINESS_DOCS.items()}
    sections["formation_documents"].append(
        {
            "type": "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS",
            "files": [{"uri": uris["EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS"]}],
        }
    )
    sections["supporting_documents"] = [
        d for d in sections["supporting_documents"] if d["type"] != "PROOF_OF_SOURCE_OF_FUNDS"
    ]
    sections["supporting_documents"].append(
        {"type": "PROOF_OF_SOURCE_OF_FUNDS", "files": [{"uri": uris["PROOF_OF_SOURCE_OF_FUNDS"]}]}
    )
    sections["ownership_documents"] = [
        {"type": "PROOF_OF_SIGNATORY_AUTHORITY", "files": [{"uri": uris["PROOF_OF_SIGNATORY_AUTHORITY"]}]}
    ]
    assert (
        api.post(
            f"/v2/customers/{cid}/business/attach",
            json={**sections, "tos_policies_value": tos},
            headers=auth_headers,
        ).status_code
        == 200
    )
    drain(runtime)

    ours = detail(api, auth_headers, cid)
    from tests.customers.test_reference_shapes import _reference

    reference = _reference("001")["data"]
    expected_rfi = json.loads(
        json.dumps(reference["request_for_information"]).replace(
            reference["associated_parties"][0]["id"], jane
        )
    )
    assert ours["customer_status"] == "ACTION_REQUIRED"
    assert ours["request_for_information"] == expected_rfi
    statuses = {p["id"]: p["verification"]["status"] for p in ours["associated_parties"]}
    assert statuses == {jane: "REJECTED", robert: "APPROVED"}
    [party] = ours["rejection_reason"]["associated_parties"]
    ref_party = reference["rejection_reason"]["associated_parties"][0]
    assert party["applicant"] == ref_party["applicant"]
    assert [{k: v for k, v in d.items() if k != "uri"} for d in party["documents"]] == [
        {k: v for k, v in d.items() if k != "uri"} for d in ref_party["documents"]
    ]
    categories = {d["category"] for d in ours["rejection_reason"]["documents"]}
    assert {"SUPPORTING_DOCUMENTS", "OWNERSHIP_DOCUMENTS"} <= categories
