"""The V1 attaches over HTTP: individual, business and associated parties; their 422s; V1 status names."""

from __future__ import annotations

from datetime import date, timedelta

from tests.contract.v1_bodies import v1_business, v1_individual
from tests.documents import samples
from tests.journeys import FUTURE, PAST, create, tos_value, upload
from tollgate.jobs.worker import drain


def _v1(api, headers, path, body):
    r = api.post(path, json=body, headers=headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    return data["customer_id"], tos_value(data["tos_policies_url"])


def _identity(uri: str, **overrides):
    doc = {
        "type": "PASSPORT",
        "number": "X1234567",
        "country": "USA",
        "issue_date": PAST,
        "expiry_date": FUTURE,
        "files": [{"uri": uri}],
    }
    doc.update(overrides)
    return doc


def _individual_body(cid, tos, uris):
    return {
        "customer_id": cid,
        "proof_of_identity": _identity(uris["passport"]),
        "proof_of_address": {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]},
        "tos_policies_value": tos,
    }


def _files(api, headers, cid):
    return upload(
        api,
        headers,
        {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes(text="bill"))},
        cid,
    )


def test_v1_individual_attach_queues_checks_and_reads_with_v1_names(api, auth_headers, runtime):
    body = v1_individual()
    body["basic_info"]["email"] = "john+review@example.com"
    cid, tos = _v1(api, auth_headers, "/v1/customers/individual", body)
    uris = _files(api, auth_headers, cid)
    r = api.post(
        "/v1/customers/individual/attach", json=_individual_body(cid, tos, uris), headers=auth_headers
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {"customer_id": cid}}
    assert "Deprecation" not in r.headers
    detail = api.get(f"/v1/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "QUEUED"  # V1's name for PROCESSING
    assert detail["capabilities"]["off_ramp"][1]["reason"]["for_developer"] == "Customer is under review"
    listed = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=auth_headers).json()
    assert listed["data"]["customers"][0]["customer_status"] == "QUEUED"
    drain(runtime)
    assert (
        api.get(f"/v1/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"] == "REVIEWING"
    )
    # A V1 customer cannot take the V2 individual attach: 403 as Fin documents.
    v2 = api.post(
        f"/v2/customers/{cid}/individual/attach",
        json={
            "identifying_documents": [_identity(uris["passport"])],
            "address_documents": [
                {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]}
            ],
            "tos_policies_value": tos,
        },
        headers=auth_headers,
    )
    assert v2.status_code == 403
    assert v2.json() == {
        "error": {"code": "forbidden", "message": "Customer is not eligible for this operation"}
    }


def test_v1_individual_attach_refusals_are_422_on_the_field(api, auth_headers, make_client, login):
    cid, tos = _v1(api, auth_headers, "/v1/customers/individual", v1_individual())
    uris = _files(api, auth_headers, cid)

    def errors_of(body, headers=auth_headers):
        r = api.post("/v1/customers/individual/attach", json=body, headers=headers)
        assert r.status_code == 422, r.text
        return {k: v for e in r.json()["errors"] for k, v in e.items()}

    # unknown customer, and another client's customer, answer alike
    unknown = _individual_body("00000000-0000-4000-8000-000000000000", tos, uris)
    assert errors_of(unknown) == {"customer_id": "Customer not found"}
    other = login(make_client("other"))
    assert errors_of(_individual_body(cid, tos, uris), headers=other) == {"customer_id": "Customer not found"}
    # a V2 customer takes the V2 attach
    v2_cid, v2_tos = create(api, auth_headers)
    assert "customer_id" in errors_of(_individual_body(v2_cid, v2_tos, uris))
    # every rule at once
    body = _individual_body(cid, "wrong", uris)
    body["proof_of_identity"] = _identity(
        uris["passport"], type="NATIONAL_ID", expiry_date=(date.today() - timedelta(days=1)).isoformat()
    )
    body["proof_of_address"]["files"] = [{"uri": "/nope_x.pdf"}]
    errors = errors_of(body)
    assert set(errors) == {
        "tos_policies_value",
        "proof_of_identity.files",
        "proof_of_identity.expiry_date",
        "proof_of_address.files[0].uri",
    }
    # strict dates: a timestamp is not a date
    body = _individual_body(cid, tos, uris)
    body["proof_of_identity"]["expiry_date"] = "2030-01-01T00:00:00Z"
    assert "proof_of_identity.expiry_date" in errors_of(body)
    assert (
        api.post("/v1/customers/individual/attach", json=_individual_body(cid, tos, uris)).status_code == 401
    )


def test_v1_business_journey_party_then_business_attach(api, auth_headers, runtime):
    cid, tos = _v1(api, auth_headers, "/v1/customers/business", v1_business())
    parties = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["associated_parties"]
    files = {
        "inc": ("inc.pdf", samples.pdf_bytes(text="incorporation")),
        "reg": ("reg.pdf", samples.pdf_bytes(text="registry")),
        "poa": ("poa.pdf", samples.pdf_bytes(text="address")),
    }
    for n, p in enumerate(parties):
        files[f"id-{p['id']}"] = ("passport.png", samples.png_bytes(seed=n + 1))
        files[f"poa-{p['id']}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {n}"))
    uris = upload(api, auth_headers, files, cid)
    party_body = {
        "customer_id": cid,
        "associated_party_attachments": [
            {
                "associated_party_id": p["id"],
                "proof_of_identity": _identity(uris[f"id-{p['id']}"], number=f"P{i}"),
                "proof_of_address": {
                    "type": "COMPANY_DOC",
                    "country": "USA",
                    "files": [{"uri": uris[f"poa-{p['id']}"]}],
                },
            }
            for i, p in enumerate(parties)
        ],
    }
    r = api.post("/v1/customers/associated-parties/individual/attach", json=party_body, headers=auth_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {}}
    assert r.headers["Deprecation"] == "@1779235200"
    # kept for the business attach: the customer is still INCOMPLETE
    assert (
        api.get(f"/v1/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"]
        == "INCOMPLETE"
    )
    business = {
        "customer_id": cid,
        "ownership_structure": [{"type": "SHAREHOLDER_REGISTRY", "files": [{"uri": uris["reg"]}]}],
        "company_details": [{"type": "CERT_OF_INCORPORATION", "files": [{"uri": uris["inc"]}]}],
        "legal_presence": [{"type": "PROOF_OF_ADDRESS", "files": [{"uri": uris["poa"]}]}],
        "tos_policies_value": tos,
    }
    r = api.post("/v1/customers/business/attach", json=business, headers=auth_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"data": {}}
    assert r.headers["Deprecation"] == "@1779235200"
    drain(runtime)
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    # every V1 section and every party's documents are there: nothing is asked for
    assert detail["request_for_information"] == []
    assert detail["customer_status"] in ("REVIEWING", "APPROVED")


def test_v1_business_attach_missing_section_raises_v1_rfi(api, auth_headers, runtime):
    body = v1_business()
    cid, tos = _v1(api, auth_headers, "/v1/customers/business", body)
    uris = upload(api, auth_headers, {"inc": ("inc.pdf", samples.pdf_bytes(text="inc"))}, cid)
    business = {
        "customer_id": cid,
        "ownership_structure": [],
        "company_details": [{"type": "CERT_OF_INCORPORATION", "files": [{"uri": uris["inc"]}]}],
        "legal_presence": [],
        "tos_policies_value": tos,
    }
    r = api.post("/v1/customers/business/attach", json=business, headers=auth_headers)
    assert r.status_code == 200, r.text
    drain(runtime)
    detail = api.get(f"/v1/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "REINITIATE"  # V1's name for ACTION_REQUIRED
    sections = {(e["scope"], e["section"]) for e in detail["request_for_information"]}
    assert ("CUSTOMER", "ownership_structure") in sections
    assert ("CUSTOMER", "legal_presence") in sections
    assert ("CUSTOMER", "company_details") not in sections


def test_v1_business_attach_requires_every_section_key(api, auth_headers):
    cid, tos = _v1(api, auth_headers, "/v1/customers/business", v1_business())
    r = api.post(
        "/v1/customers/business/attach",
        json={"customer_id": cid, "tos_policies_value": tos},
        headers=auth_headers,
    )
    assert r.status_code == 422
    errors = {k for e in r.json()["errors"] for k in e}
    assert errors == {"ownership_structure", "company_details", "legal_presence"}
