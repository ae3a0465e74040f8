"""The case page over HTTP: what it shows, documents behind the operator session, the audited tax-id reveal,
decisions with a confirmation step and the version the page showed, four-eyes, assignment and notes."""

from __future__ import annotations

import html
import re
import uuid

import pytest
from sqlalchemy import select

from tests.console.helpers import client_pk, make_operator, signed_in
from tests.journeys import reach
from tollgate.verification import operators as ops
from tollgate.verification.models import AuditEntry


def _audit(runtime, customer_id: str, action: str) -> list[AuditEntry]:
    with runtime.read_sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.customer_id == uuid.UUID(customer_id), AuditEntry.action == action
                )
            )
        )


def _version(html: str) -> int:
    return int(re.search(r'id="case-version">(\d+)<', html).group(1))


def _status(api, headers, cid) -> str:
    return api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["customer_status"]


def _files(html: str) -> list[str]:
    return re.findall(r"/console/files/([0-9a-f-]{36})", html)


@pytest.fixture
def rita(api, runtime):
    make_operator(runtime, "rita")
    return signed_in(api, "rita")


def test_case_page_shows_the_submission_readably_with_the_tax_id_masked(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    page = api.get(f"/console/cases/{cid}")
    assert page.status_code == 200
    text = page.text
    assert '<h1 id="case-title">John Doe' in text
    assert "<dt>First name</dt>" in text and "<dd>San Francisco</dd>" in text
    assert "<dt>Employment status</dt>" in text and "<dd>EMPLOYED</dd>" in text
    assert "123-45-6789" not in text and "•••-••-6789" in text
    assert 'data-doc-type="PASSPORT"' in text and 'data-doc-type="UTILITY_BILL"' in text
    assert "X1234567" in text  # the passport number
    assert "Accepted " in text  # the attach attested the terms
    assert "PROCESSING → REVIEWING" in text
    assert "default-src 'none'" in page.headers["content-security-policy"]

    r = api.post(f"/console/cases/{cid}/reveal-tax", data={"csrf_token": rita})
    assert r.status_code == 200 and "<code>123-45-6789</code>" in r.text
    (entry,) = _audit(runtime, cid, "tax_id_revealed")
    assert entry.actor_type == "reviewer" and entry.actor_id == "rita"
    # Revealing changes nothing of the case: a decision made on the page opened before still holds.
    assert _version(r.text) == _version(text)


def test_documents_are_served_only_to_operators_of_the_customer_client(
    api, auth_headers, runtime, make_client, rita
):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    page = api.get(f"/console/cases/{cid}").text
    files = _files(page)
    assert len(set(files)) == 2
    image = api.get(f"/console/files/{files[0]}")
    assert image.status_code == 200
    kinds = {api.get(f"/console/files/{f}").headers["content-type"] for f in set(files)}
    assert kinds == {"image/png", "application/pdf"}
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in image.headers["content-security-policy"]
    assert image.headers["cache-control"] == "private, no-store"
    assert len(_audit(runtime, cid, "document_viewed")) == 3

    token = api.cookies.get("tollgate_console")
    api.cookies.clear()
    # An API client's token, the operator API's token, no session at all: the same 404.
    assert api.get(f"/console/files/{files[0]}", headers=auth_headers).status_code == 404
    assert api.get(f"/console/files/{files[0]}").status_code == 404
    other = make_client("other")
    make_operator(runtime, "olga", client_pks=[client_pk(runtime, other.client_id)])
    signed_in(api, "olga")
    assert api.get(f"/console/files/{files[0]}").status_code == 404
    assert api.get(f"/console/cases/{cid}").status_code == 404
    api.cookies.set("tollgate_console", token)
    assert api.get(f"/console/files/{uuid.uuid4()}").status_code == 404
    assert len(_audit(runtime, cid, "document_viewed")) == 3


def test_approve_needs_the_confirmation_step(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    form = api.get(f"/console/cases/{cid}/decide?action=approve&version={version}")
    assert form.status_code == 200 and f'name="version" value="{version}"' in form.text
    data = {"csrf_token": rita, "action": "approve", "party": "", "version": str(version), "note": "all good"}
    review = api.post(f"/console/cases/{cid}/decide", data=data)
    assert review.status_code == 200 and "Confirm: Approve" in review.text
    assert _status(api, auth_headers, cid) == "REVIEWING"
    done = api.post(f"/console/cases/{cid}/decide", data={**data, "step": "confirm"}, follow_redirects=False)
    assert done.status_code == 303
    assert _status(api, auth_headers, cid) == "APPROVED"
    with runtime.read_sessions() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.customer_id == uuid.UUID(cid), AuditEntry.to_status == "APPROVED"
            )
        ).all()
    assert (entry.actor_type, entry.actor_id) == ("reviewer", "rita")


def test_a_stale_decision_is_refused_with_what_changed(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    # Meanwhile the integrator's sandbox decision puts the case on hold.
    assert api.post(f"/sandbox/customers/{cid}/hold", json={}, headers=auth_headers).status_code == 200
    data = {"csrf_token": rita, "action": "approve", "party": "", "version": str(version), "step": "confirm"}
    r = api.post(f"/console/cases/{cid}/decide", data=data)
    assert r.status_code == 409
    assert f"This case changed since you opened it (version {version}, now" in r.text
    assert "REVIEWING -&gt; IN_COMPLIANCE" in r.text
    assert _status(api, auth_headers, cid) == "IN_COMPLIANCE"


def test_two_reviewers_deciding_at_once_apply_one_decision(api, auth_headers, runtime, rita):
    from fastapi.testclient import TestClient

    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    make_operator(runtime, "sam")
    with TestClient(api.app, base_url=str(api.base_url)) as sam_client:
        sam = signed_in(sam_client, "sam")
        first = api.post(
            f"/console/cases/{cid}/decide",
            data={
                "csrf_token": rita,
                "action": "hold",
                "party": "",
                "version": str(version),
                "step": "confirm",
            },
            follow_redirects=False,
        )
        second = sam_client.post(
            f"/console/cases/{cid}/decide",
            data={
                "csrf_token": sam,
                "action": "approve",
                "party": "",
                "version": str(version),
                "step": "confirm",
            },
        )
    assert first.status_code == 303
    assert second.status_code == 409 and "changed since you opened it" in second.text
    assert "by reviewer:rita" in second.text
    assert _status(api, auth_headers, cid) == "IN_COMPLIANCE"


def test_request_information_through_the_form_with_a_preview(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    form = {
        "csrf_token": rita,
        "action": "request-info",
        "party": "",
        "version": str(version),
        "section": "identifying_documents",
        "document_type": "PASSPORT",
        "f_files": "EXPIRED",
        "r_files": "Expired Identity document. A new document has been requested.",
        "f_expiry_date": "INVALID",
        "rt_expiry_date": "Must be valid for two more months",
    }
    preview = api.post(f"/console/cases/{cid}/rfi-preview", data=form)
    assert preview.status_code == 200 and '"section": "identifying_documents"' in html.unescape(preview.text)
    review = api.post(f"/console/cases/{cid}/decide", data=form)
    assert (
        review.status_code == 200 and "request_for_information entry the integrator will read" in review.text
    )
    assert _status(api, auth_headers, cid) == "REVIEWING"
    done = api.post(f"/console/cases/{cid}/decide", data={**form, "step": "confirm"}, follow_redirects=False)
    assert done.status_code == 303
    detail = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "ACTION_REQUIRED"
    assert detail["request_for_information"] == [
        {
            "scope": "CUSTOMER",
            "section": "identifying_documents",
            "categories": [
                {
                    "document_type": "PASSPORT",
                    "fields": [
                        {
                            "field_name": "files",
                            "data_type": "URI",
                            "status": "EXPIRED",
                            "reason": "Expired Identity document. A new document has been requested.",
                            "options": [],
                        },
                        {
                            "field_name": "expiry_date",
                            "data_type": "DATE",
                            "status": "INVALID",
                            "reason": "Must be valid for two more months",
                            "options": [],
                        },
                    ],
                }
            ],
        }
    ]
    # An empty form is refused with what is missing, and decides nothing.
    bad = api.post(
        f"/console/cases/{cid}/decide", data={**form, "f_files": "", "f_expiry_date": "", "step": "confirm"}
    )
    assert bad.status_code == 422 and "fields" in bad.text


def test_reject_final_and_retry_with_labels_and_two_texts(api, auth_headers, runtime, rita):
    final = reach(api, auth_headers, runtime, "REVIEWING")
    retry = reach(api, auth_headers, runtime, "REVIEWING")
    for cid, kind in ((final, "FINAL"), (retry, "RETRY")):
        version = _version(api.get(f"/console/cases/{cid}").text)
        data = {
            "csrf_token": rita,
            "action": "reject",
            "party": "",
            "version": str(version),
            "step": "confirm",
            "final": kind,
            "labels": ["PROBLEMATIC_APPLICANT_DATA", "LOW_QUALITY"],
            "for_customer": "We could not verify you.",
            "for_developer": "Name does not match the passport.",
            "section": "identifying_documents",
            "document_type": "PASSPORT",
            "f_files": "INVALID",
        }
        r = api.post(f"/console/cases/{cid}/decide", data=data, follow_redirects=False)
        assert r.status_code == 303, html.unescape(r.text.split('id="error">')[-1][:300])
    a = api.get(f"/v2/customers/{final}", headers=auth_headers).json()["data"]
    b = api.get(f"/v2/customers/{retry}", headers=auth_headers).json()["data"]
    assert a["customer_status"] == "REJECTED" and b["customer_status"] == "ACTION_REQUIRED"
    assert a["rejection_reason"]["applicant"] == {
        "moderation_comment": "We could not verify you.",
        "reject_labels": ["PROBLEMATIC_APPLICANT_DATA", "LOW_QUALITY"],
    }
    no_labels = api.post(
        f"/console/cases/{reach(api, auth_headers, runtime, 'REVIEWING')}/decide",
        data={"csrf_token": rita, "action": "reject", "party": "", "version": "0", "final": "FINAL"},
    )
    assert no_labels.status_code == 422 and "reject label" in no_labels.text


def test_party_decisions_and_the_ownership_chart(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING", business=True)
    html = api.get(f"/console/cases/{cid}").text
    assert 'id="ownership-chart"' in html and "60.0%" in html and "40.0%" in html
    parties = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["associated_parties"]
    version = _version(html)
    for p in parties:
        r = api.post(
            f"/console/cases/{cid}/decide",
            data={
                "csrf_token": rita,
                "action": "approve",
                "party": p["id"],
                "version": str(version),
                "step": "confirm",
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        version = _version(api.get(f"/console/cases/{cid}").text)
    got = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["associated_parties"]
    assert {p["verification"]["status"] for p in got} == {"APPROVED"}


def test_four_eyes_approval_waits_for_a_senior_other_than_the_proposer(
    api, auth_headers, runtime, monkeypatch, rita
):
    from fastapi.testclient import TestClient

    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"console_four_eyes": True}))
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    data = {"csrf_token": rita, "action": "approve", "party": "", "version": str(version), "step": "confirm"}
    r = api.post(f"/console/cases/{cid}/decide", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("done=proposed")
    assert _status(api, auth_headers, cid) == "REVIEWING"
    page = api.get(f"/console/cases/{cid}")
    assert "proposed by <strong>rita</strong>" in page.text
    proposal = re.search(r"/proposals/([0-9a-f-]{36})/withdraw", page.text).group(1)
    # The proposer cannot confirm, nor can a reviewer.
    r = api.post(f"/console/cases/{cid}/proposals/{proposal}/confirm", data={"csrf_token": rita})
    assert r.status_code == 403 and _status(api, auth_headers, cid) == "REVIEWING"
    # A second proposal on the same case waits its turn.
    again = api.post(f"/console/cases/{cid}/decide", data=data)
    assert again.status_code == 409 and "already waits for confirmation" in again.text

    make_operator(runtime, "sue", ops.Role.SENIOR)
    with TestClient(api.app, base_url=str(api.base_url)) as sue_client:
        sue = signed_in(sue_client, "sue")
        r = sue_client.post(
            f"/console/cases/{cid}/proposals/{proposal}/confirm",
            data={"csrf_token": sue},
            follow_redirects=False,
        )
    assert r.status_code == 303
    assert _status(api, auth_headers, cid) == "APPROVED"
    (confirmed,) = _audit(runtime, cid, "decision_confirmed")
    assert confirmed.details["proposed_by"] == "rita" and confirmed.details["confirmed_by"] == "sue"
    # A hold or an RFI needs no second pair of eyes.
    other = reach(api, auth_headers, runtime, "REVIEWING")
    v2 = _version(api.get(f"/console/cases/{other}").text)
    r = api.post(
        f"/console/cases/{other}/decide",
        data={"csrf_token": rita, "action": "hold", "party": "", "version": str(v2), "step": "confirm"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and _status(api, auth_headers, other) == "IN_COMPLIANCE"


def test_a_proposal_on_a_case_that_changed_is_refused_at_confirmation(
    api, auth_headers, runtime, monkeypatch, rita
):
    from fastapi.testclient import TestClient

    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"console_four_eyes": True}))
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = _version(api.get(f"/console/cases/{cid}").text)
    data = {"csrf_token": rita, "action": "approve", "party": "", "version": str(version), "step": "confirm"}
    api.post(f"/console/cases/{cid}/decide", data=data)
    proposal = re.search(r"/proposals/([0-9a-f-]{36})/withdraw", api.get(f"/console/cases/{cid}").text).group(
        1
    )
    api.post(f"/sandbox/customers/{cid}/hold", json={}, headers=auth_headers)
    make_operator(runtime, "sue", ops.Role.SENIOR)
    with TestClient(api.app, base_url=str(api.base_url)) as sue_client:
        sue = signed_in(sue_client, "sue")
        r = sue_client.post(f"/console/cases/{cid}/proposals/{proposal}/confirm", data={"csrf_token": sue})
    assert r.status_code == 409 and "changed since you opened it" in r.text
    assert _status(api, auth_headers, cid) == "IN_COMPLIANCE"


def test_take_release_and_reassign(api, auth_headers, runtime, rita):
    from fastapi.testclient import TestClient

    cid = reach(api, auth_headers, runtime, "REVIEWING")
    take = {"csrf_token": rita, "action": "take"}
    assert api.post(f"/console/cases/{cid}/assignment", data=take, follow_redirects=False).status_code == 303
    assert "Assigned to <strong>rita</strong>" in api.get(f"/console/cases/{cid}").text
    make_operator(runtime, "sam")
    make_operator(runtime, "sue", ops.Role.SENIOR)
    with TestClient(api.app, base_url=str(api.base_url)) as sam_client:
        sam = signed_in(sam_client, "sam")
        r = sam_client.post(f"/console/cases/{cid}/assignment", data={"csrf_token": sam, "action": "take"})
        assert r.status_code == 409 and "already taken by rita" in r.text
        r = sam_client.post(
            f"/console/cases/{cid}/assignment", data={"csrf_token": sam, "action": "reassign", "to": "sam"}
        )
        assert r.status_code == 403
    with TestClient(api.app, base_url=str(api.base_url)) as sue_client:
        sue = signed_in(sue_client, "sue")
        r = sue_client.post(
            f"/console/cases/{cid}/assignment",
            data={"csrf_token": sue, "action": "reassign", "to": "sam"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    assert "Assigned to <strong>sam</strong>" in api.get(f"/console/cases/{cid}").text
    assert [a.details["to"] for a in _audit(runtime, cid, "case_reassigned")] == ["sam"]


def test_notes_are_internal(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    r = api.post(
        f"/console/cases/{cid}/notes",
        data={"csrf_token": rita, "body": "Called the customer <b>"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = api.get(f"/console/cases/{cid}").text
    assert "Called the customer &lt;b&gt;" in page
    assert "Called the customer" not in api.get(f"/v2/customers/{cid}", headers=auth_headers).text
    assert api.post(f"/console/cases/{cid}/notes", data={"body": "x"}).status_code == 403
