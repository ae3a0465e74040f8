"""What the decision core must never do again: raise the same RFI twice, show an answered rejection while
the answer is being checked, or refuse the business and party attaches Fin documents back to back."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.documents import samples
from tests.factories import business_body
from tests.journeys import BUSINESS_DOCS, party_attachment, reach, tos_value, upload
from tollgate.db import unit_of_work
from tollgate.documents.models import AttachBatch
from tollgate.jobs.worker import drain
from tollgate.verification.models import Rfi


def _detail(api, headers, cid: str) -> dict:
    return api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]


def _business(api, headers, *, jane_email: str | None = None) -> tuple[str, str, list[str]]:
    body = business_body()
    if jane_email:
        body["associated_parties"][0]["basic_info"]["email"] = jane_email
    r = api.post("/v2/customers/business", json=body, headers=headers)
    assert r.status_code == 201, r.text
    cid, tos = r.json()["customer_id"], tos_value(r.json()["tos_policies_url"])
    parties = [p["id"] for p in _detail(api, headers, cid)["associated_parties"]]
    return cid, tos, parties


def _company_body(api, headers, cid: str, tos: str) -> dict:
    files = {t: ("doc.pdf", samples.pdf_bytes(text=t)) for types in BUSINESS_DOCS.values() for t in types}
    uris = upload(api, headers, files, cid)
    body: dict = {
        section: [{"type": t, "files": [{"uri": uris[t]}]} for t in types]
        for section, types in BUSINESS_DOCS.items()
    }
    body["tos_policies_value"] = tos
    return body


def _parties_body(api, headers, cid: str, parties: list[str], salt: str = "") -> dict:
    files = {}
    for n, pid in enumerate(parties):
        files[f"id-{pid}"] = ("passport.png", samples.png_bytes(seed=n + 11 + len(salt)))
        files[f"poa-{pid}"] = ("bill.pdf", samples.pdf_bytes(text=f"bill {n} {salt}"))
    uris = upload(api, headers, files, cid)
    return {
        "associated_party_attachments": [
            party_attachment(pid, uris[f"id-{pid}"], uris[f"poa-{pid}"]) for pid in parties
        ]
    }


def test_a_resubmitted_party_is_not_asked_the_same_thing_twice(api, auth_headers, runtime):
    """The sandbox rejects Jane's passport (magic email); her documents sent again are judged again, and
    the request for a new passport stays one request."""
    cid, tos, parties = _business(api, auth_headers, jane_email="jane+rfi-expired-passport@acmecorp.com")
    jane = parties[0]
    r = api.post(
        f"/v2/customers/{cid}/associated-parties/individual/attach",
        json=_parties_body(api, auth_headers, cid, parties),
        headers=auth_headers,
    )
    assert r.status_code == 200, r.text
    r = api.post(
        f"/v2/customers/{cid}/business/attach",
        json=_company_body(api, auth_headers, cid, tos),
        headers=auth_headers,
    )
    assert r.status_code == 200, r.text
    drain(runtime)
    first = _detail(api, auth_headers, cid)
    assert first["customer_status"] == "ACTION_REQUIRED"
    [entry] = first["request_for_information"]
    assert entry["associated_party_id"] == jane

    r = api.post(
        f"/v2/customers/{cid}/associated-parties/individual/attach",
        json=_parties_body(api, auth_headers, cid, [jane], salt="again"),
        headers=auth_headers,
    )
    assert r.status_code == 200, r.text
    drain(runtime)
    again = _detail(api, auth_headers, cid)
    assert again["customer_status"] == "ACTION_REQUIRED"
    assert again["request_for_information"] == [entry]
    with unit_of_work(runtime.read_sessions) as s:
        open_rows = s.scalars(
            select(Rfi).where(Rfi.customer_id == uuid.UUID(cid), Rfi.status == "open")
        ).all()
    assert len(open_rows) == 1


def test_an_answered_rejection_is_not_shown_while_the_answer_is_checked(api, auth_headers, runtime):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    rfi = {
        "section": "address_documents",
        "categories": [
            {
                "document_type": "UTILITY_BILL",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "INVALID"}],
            }
        ],
    }
    body = {"final": False, "reject_labels": ["BAD_PROOF_OF_ADDRESS"], "rfis": [rfi]}
    r = api.post(f"/sandbox/customers/{cid}/reject", json=body, headers=auth_headers)
    assert r.status_code == 200, r.text
    assert _detail(api, auth_headers, cid)["rejection_reason"]["applicant"]["reject_labels"] == [
        "BAD_PROOF_OF_ADDRESS"
    ]
    uris = upload(api, auth_headers, {"poa": ("b.pdf", samples.pdf_bytes(text="new bill"))}, cid)
    answer = {
        "address_documents": [{"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]}]
    }
    r = api.patch(f"/v1/customers/{cid}", json=answer, headers=auth_headers)
    assert r.status_code == 200, r.text
    processing = _detail(api, auth_headers, cid)
    assert processing["customer_status"] == "PROCESSING"
    assert processing["rejection_reason"] is None


def test_business_and_party_attaches_back_to_back_are_both_judged(api, auth_headers, runtime):
    """Fin's documented flow: the business attach, then at once the party attach (before the first
    submission's checks ran). Both are accepted; one run of the checks judges every document."""
    cid, tos, parties = _business(api, auth_headers)
    company = _company_body(api, auth_headers, cid, tos)
    people = _parties_body(api, auth_headers, cid, parties)
    r = api.post(f"/v2/customers/{cid}/business/attach", json=company, headers=auth_headers)
    assert r.status_code == 200, r.text
    assert _detail(api, auth_headers, cid)["customer_status"] == "PROCESSING"
    r = api.post(
        f"/v2/customers/{cid}/associated-parties/individual/attach", json=people, headers=auth_headers
    )
    assert r.status_code == 200, r.text
    with unit_of_work(runtime.read_sessions) as s:
        batches = s.scalars(
            select(AttachBatch.status)
            .where(AttachBatch.customer_id == uuid.UUID(cid))
            .order_by(AttachBatch.created_at)
        ).all()
    assert batches == ["superseded", "processing"]
    drain(runtime)
    done = _detail(api, auth_headers, cid)
    # Auto-approval in sandbox mode: the company documents and both parties' documents passed together.
    assert done["customer_status"] == "APPROVED", done["request_for_information"]
    assert [p["verification"]["status"] for p in done["associated_parties"]] == ["APPROVED", "APPROVED"]
