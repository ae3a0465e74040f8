"""Customers taken to a status the way users take them there: created, documents uploaded and attached over
HTTP, the checks run by the worker, decisions made through the sandbox API (the same command handler as a
reviewer's). Sandbox magic emails (docs/sandbox.md) choose what the checks decide."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from tests.documents import samples
from tests.factories import business_body, individual_body
from tollgate.jobs.worker import drain
from tollgate.runtime import Runtime

TODAY = date.today()
FUTURE = (TODAY + timedelta(days=3 * 365)).isoformat()
PAST = (TODAY - timedelta(days=5 * 365)).isoformat()

# What the checks decide for each magic tag, and the decision that follows to reach the rest.
_TAG = {
    "PROCESSING": "review",
    "REVIEWING": "review",
    "APPROVED": "approve",
    "IN_COMPLIANCE": "hold",
    "REJECTED": "reject",
    "ACTION_REQUIRED": "review",
    "ASSOCIATED_PARTIES_REMAINING": "review",
}


def tos_value(url: str) -> str:
    return parse_qs(urlparse(url).query)["tos_policies_value"][0]


def upload(
    api: TestClient, headers: dict[str, str], files: dict[str, tuple[str, bytes]], cid: str | None = None
) -> dict[str, str]:
    """Upload ``files`` (field: (name, bytes)) for customer ``cid`` (or none); their URIs by field."""
    r = api.post(
        "/v1/customers/upload",
        headers=headers,
        data={"customer_id": cid} if cid else None,
        files={k: (name, content, "application/octet-stream") for k, (name, content) in files.items()},
    )
    assert r.status_code == 200, r.text
    out: dict[str, str] = {}
    for item in r.json()["data"]["files"]:
        out.update(item)
    return out


def create(
    api: TestClient, headers: dict[str, str], *, business: bool = False, tag: str | None = None
) -> tuple[str, str]:
    """A new customer (its id and tos value); ``tag`` is a sandbox magic value in its email."""
    if business:
        body = business_body()
        if tag:
            body["basic_info"]["email"] = f"ops+{tag}@acmecorp.com"
        r = api.post("/v2/customers/business", json=body, headers=headers)
        assert r.status_code == 201, r.text
        data = r.json()
    else:
        body = individual_body()
        if tag:
            body["basic_info"]["email"] = f"jane+{tag}@example.com"
        r = api.post("/v2/customers/individual", json=body, headers=headers)
        assert r.status_code in (200, 201), r.text
        data = r.json()["data"]
    return data["customer_id"], tos_value(data["tos_policies_url"])


def individual_attach_body(uris: dict[str, str], tos: str, *, expiry: str = FUTURE) -> dict[str, Any]:
    """The individual attach of a passport (``uris["passport"]``) and a utility bill (``uris["poa"]``)."""
    return {
        "identifying_documents": [
            {
                "type": "PASSPORT",
                "number": "X1234567",
                "country": "USA",
                "issue_date": PAST,
                "expiry_date": expiry,
                "files": [{"uri": uris["passport"]}],
            }
        ],
        "address_documents": [{"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]}],
        "tos_policies_value": tos,
    }


def party_attachment(
    party_id: str, passport: str, bill: str, *, number: str = "P0", expiry: str = FUTURE
) -> dict[str, Any]:
    """One associated party's passport and utility bill, as the party attach takes them."""
    return {
        "associated_party_id": party_id,
        "identifying_documents": [
            {
                "type": "PASSPORT",
                "number": number,
                "country": "USA",
                "issue_date": PAST,
                "expiry_date": expiry,
                "files": [{"uri": passport}],
            }
        ],
        "address_documents": [{"type": "UTILITY_BILL", "files": [{"uri": bill}]}],
    }


def individual_files() -> dict[str, tuple[str, bytes]]:
    return {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes(text="bill"))}


def attach(
    api: TestClient,
    headers: dict[str, str],
    cid: str,
    tos: str,
    *,
    business: bool = False,
    files: dict[str, tuple[str, bytes]] | None = None,
    expiry: str = FUTURE,
) -> None:
    """Every document the customer needs, attached over HTTP (the checks are queued, not run). An
    individual's ``files`` (``passport`` and ``poa``) and passport ``expiry`` may be chosen."""
    if business:
        _attach_business(api, headers, cid, tos)
        return
    uris = upload(api, headers, files or individual_files(), cid)
    body = individual_attach_body(uris, tos, expiry=expiry)
    r = api.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=headers)
    assert r.status_code == 200, r.text


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


def _attach_business(api: TestClient, headers: dict[str, str], cid: str, tos: str) -> None:
    parties = api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["associated_parties"]
    files = {t: ("doc.pdf", samples.pdf_bytes(text=t)) for types in BUSINESS_DOCS.values() for t in types}
    for n, p in enumerate(parties):
        files[f"id-{p['id']}"] = ("passport.png", samples.png_bytes(seed=n + 1))
        files[f"poa-{p['id']}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {n}"))
    uris = upload(api, headers, files, cid)
    attachments = [
        party_attachment(p["id"], uris[f"id-{p['id']}"], uris[f"poa-{p['id']}"], number=f"P{i}")
        for i, p in enumerate(parties)
    ]
    r = api.post(
        f"/v2/customers/{cid}/associated-parties/individual/attach",
        json={"associated_party_attachments": attachments},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = {
        section: [{"type": t, "files": [{"uri": uris[t]}]} for t in types]
        for section, types in BUSINESS_DOCS.items()
    }
    body["tos_policies_value"] = tos
    r = api.post(f"/v2/customers/{cid}/business/attach", json=body, headers=headers)
    assert r.status_code == 200, r.text


def reach(
    api: TestClient, headers: dict[str, str], runtime: Runtime, status: str, *, business: bool = False
) -> str:
    """A customer in ``status``, reached as users reach it."""
    if status == "INCOMPLETE":
        return create(api, headers, business=business)[0]
    cid, tos = create(api, headers, business=business, tag=_TAG[status])
    attach(api, headers, cid, tos, business=business)
    if status == "PROCESSING":
        return cid
    drain(runtime)
    if status == "ACTION_REQUIRED":
        rfi = {"section": "address_documents" if not business else "supporting_documents"}
        rfi["categories"] = [
            {
                "document_type": "UTILITY_BILL" if not business else "PROOF_OF_ADDRESS",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
            }
        ]
        r = api.post(f"/sandbox/customers/{cid}/request-information", json={"rfis": [rfi]}, headers=headers)
        assert r.status_code == 200, r.text
    elif status == "ASSOCIATED_PARTIES_REMAINING":
        assert business, "only a business waits for its parties"
        r = api.post(f"/sandbox/customers/{cid}/approve", json={}, headers=headers)
        assert r.status_code == 200, r.text
    got = api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["customer_status"]
    assert got == status, (status, got)
    return cid
