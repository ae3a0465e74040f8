"""The operator API's additions: documents with findings, file download, notes, assignment, four-eyes."""

from __future__ import annotations

import pytest

from tests.console.helpers import PASSWORD, client_pk, make_operator
from tests.journeys import reach
from tollgate.verification import operators as ops


def _ops_headers(api, username: str) -> dict[str, str]:
    r = api.post("/ops/v1/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def rita(api, runtime):
    make_operator(runtime, "rita")
    return _ops_headers(api, "rita")


def test_documents_with_findings_and_download(api, auth_headers, runtime, rita, make_client):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    docs = api.get(f"/ops/v1/customers/{cid}/documents", headers=rita)
    assert docs.status_code == 200
    by_type = {d["type"]: d for d in docs.json()["data"]}
    assert set(by_type) == {"PASSPORT", "UTILITY_BILL"}
    passport = by_type["PASSPORT"]
    assert passport["number"] == "X1234567" and passport["check_labels"] == []
    (f,) = passport["files"]
    assert f["kind"] == "PNG" and f["problems"] == [] and "PNG" in f["measured"]
    got = api.get(f["download"], headers=rita)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert got.content.startswith(b"\x89PNG")
    assert got.headers["x-content-type-options"] == "nosniff"
    # An API client's token never opens it; nor does an operator of another client.
    assert api.get(f["download"], headers=auth_headers).status_code == 401
    other = make_client("other")
    make_operator(runtime, "olga", client_pks=[client_pk(runtime, other.client_id)])
    olga = _ops_headers(api, "olga")
    assert api.get(f["download"], headers=olga).status_code == 404
    assert api.get(f"/ops/v1/customers/{cid}/documents", headers=olga).status_code == 404


def test_notes_and_assignment(api, auth_headers, runtime, rita):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    r = api.post(f"/ops/v1/customers/{cid}/notes", json={"body": "looks fine"}, headers=rita)
    assert r.status_code == 201 and r.json()["data"]["author"] == "rita"
    assert [n["body"] for n in api.get(f"/ops/v1/customers/{cid}/notes", headers=rita).json()["data"]] == [
        "looks fine"
    ]
    assert api.post(f"/ops/v1/customers/{cid}/notes", json={"body": ""}, headers=rita).status_code == 422
    r = api.post(f"/ops/v1/customers/{cid}/assignment", json={"action": "take"}, headers=rita)
    assert r.status_code == 200 and r.json()["data"]["assignee"] == "rita"
    assert api.get(f"/ops/v1/customers/{cid}", headers=rita).json()["data"]["assignee"] == "rita"
    make_operator(runtime, "sam")
    sam = _ops_headers(api, "sam")
    r = api.post(f"/ops/v1/customers/{cid}/assignment", json={"action": "take"}, headers=sam)
    assert r.status_code == 409 and "already taken by rita" in r.json()["message"]


def test_four_eyes_over_the_api(api, auth_headers, runtime, rita, monkeypatch):
    monkeypatch.setattr(runtime, "settings", runtime.settings.model_copy(update={"console_four_eyes": True}))
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = api.get(f"/ops/v1/customers/{cid}", headers=rita).json()["data"]["version"]
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={"expected_version": version}, headers=rita)
    assert r.status_code == 202
    proposal = r.json()["data"]
    assert proposal["status"] == "pending" and proposal["proposed_by"] == "rita"
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"] == "REVIEWING"
    )
    url = f"/ops/v1/customers/{cid}/proposals/{proposal['proposal_id']}/confirm"
    assert api.post(url, headers=rita).status_code == 403
    make_operator(runtime, "sue", ops.Role.SENIOR)
    r = api.post(url, headers=_ops_headers(api, "sue"))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["customer"]["customer_status"] == "APPROVED"
    assert api.post(url, headers=_ops_headers(api, "sue")).status_code == 409
