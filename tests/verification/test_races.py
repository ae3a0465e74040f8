"""Decisions that race: against checks in flight, against each other, many at once on one customer, and two
attaches at once. Driven over real HTTP against a live server (four request threads, the default), on
the suite's database (SQLite, or PostgreSQL when TOLLGATE_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.journeys import attach, create, individual_attach_body, individual_files, reach, upload
from tests.live import live_server
from tollgate.db import unit_of_work
from tollgate.documents.models import AttachBatch
from tollgate.jobs.models import Job
from tollgate.jobs.worker import drain
from tollgate.runtime import Runtime
from tollgate.verification import operators
from tollgate.verification.commands import CHECKS_RUNNING
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.webhooks.models import Event

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(runtime: Runtime) -> Iterator[str]:
    """One live server for the module, with the default four request threads; it takes the tokens the
    test client's server issues (same public base URL)."""
    with live_server(runtime, public_base_url=runtime.settings.public_base_url) as (base, _):
        yield base


@pytest.fixture
def reviewers(api, runtime) -> list[dict[str, str]]:
    """Two reviewers' operator-API headers."""
    out = []
    for name in ("alice", "bob"):
        with unit_of_work(runtime.write_sessions) as session:
            operators.create_operator(session, runtime.now(), username=name, password=PASSWORD)
        r = api.post("/ops/v1/token", json={"username": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        out.append({"Authorization": f"Bearer {r.json()['access_token']}"})
    return out


def _status(api, headers, cid: str) -> str:
    return str(api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["customer_status"])


def _trail(runtime: Runtime, cid: str) -> list[AuditEntry]:
    with unit_of_work(runtime.read_sessions) as s:
        return list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.customer_id == uuid.UUID(cid))
                .order_by(AuditEntry.created_at, AuditEntry.id)
            )
        )


def _open_rfis(runtime: Runtime, cid: str) -> list[Rfi]:
    with unit_of_work(runtime.read_sessions) as s:
        return list(s.scalars(select(Rfi).where(Rfi.customer_id == uuid.UUID(cid), Rfi.status == "open")))


def _status_events(runtime: Runtime, cid: str) -> list[str]:
    with unit_of_work(runtime.read_sessions) as s:
        bodies = s.scalars(
            select(Event.body)
            .where(Event.customer_id == uuid.UUID(cid), Event.type == "customer.status")
            .order_by(Event.sequence)
        ).all()
    import json

    return [json.loads(b)["data"]["customer_status"] for b in bodies]


def _expiring_individual(api, headers) -> str:
    """An individual whose passport expires within two months: its checks must ask for a new one."""
    cid, tos = create(api, headers)
    attach(api, headers, cid, tos, expiry=(date.today() + timedelta(days=30)).isoformat())
    return cid


# ---------------------------------------------------------------- decisions against checks in flight


def test_an_approval_while_the_checks_are_queued_is_refused_and_the_checks_decide(
    api, auth_headers, runtime, reviewers
):
    cid = _expiring_individual(api, auth_headers)
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewers[0])
    assert r.status_code == 409
    assert r.json() == {"message": CHECKS_RUNNING}
    assert _status(api, auth_headers, cid) == "PROCESSING"
    drain(runtime)
    # The checks decided on the documents: a new passport is asked for; never APPROVED with an open RFI.
    assert _status(api, auth_headers, cid) == "ACTION_REQUIRED"
    [rfi] = _open_rfis(runtime, cid)
    assert rfi.section == "identifying_documents"
    assert "APPROVED" not in _status_events(runtime, cid)


def test_a_hold_while_the_checks_are_queued_is_not_overturned_by_them(api, auth_headers, runtime, reviewers):
    cid = _expiring_individual(api, auth_headers)
    r = api.post(f"/ops/v1/customers/{cid}/hold", json={"reason": "sanctions list"}, headers=reviewers[0])
    assert r.status_code == 200, r.text
    drain(runtime)
    assert _status(api, auth_headers, cid) == "IN_COMPLIANCE"
    assert _open_rfis(runtime, cid) == []
    last = _trail(runtime, cid)[-1]
    assert (last.action, last.actor_type) == ("checks_not_applied", "system")
    assert "PROCESSING to IN_COMPLIANCE" in (last.reason or "")
    with unit_of_work(runtime.read_sessions) as s:
        assert s.scalars(
            select(AttachBatch.status).where(AttachBatch.customer_id == uuid.UUID(cid))
        ).all() == ["done"]


def test_approvals_racing_the_checks_never_land_on_stale_data(api, auth_headers, runtime, reviewers, server):
    """The checks job runs while reviewers keep trying to approve: every approval before the checks is
    refused, exactly one after them lands, and the trail shows one approval."""
    cid, tos = create(api, auth_headers, tag="review")
    attach(api, auth_headers, cid, tos)
    stop = threading.Event()
    answers: list[int] = []

    def approve_until_done() -> None:
        with httpx.Client(base_url=server, timeout=30) as client:
            while not stop.is_set():
                r = client.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewers[1])
                answers.append(r.status_code)
                if r.status_code == 200:
                    return
                time.sleep(0.005)

    threads = [threading.Thread(target=approve_until_done) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    drain(runtime)
    for t in threads:
        t.join(timeout=30)
    stop.set()
    assert set(answers) <= {200, 409}
    assert answers.count(200) == 1
    assert _status(api, auth_headers, cid) == "APPROVED"
    approvals = [a for a in _trail(runtime, cid) if a.to_status == "APPROVED"]
    assert len(approvals) == 1 and approvals[0].actor_id == "bob"
    assert _status_events(runtime, cid) == ["PROCESSING", "REVIEWING", "APPROVED"]


# ---------------------------------------------------------------- reviewers against each other


def test_two_reviewers_deciding_one_case_at_once(api, auth_headers, runtime, reviewers, server):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    version = api.get(f"/ops/v1/customers/{cid}", headers=reviewers[0]).json()["data"]["version"]

    def decide(n: int) -> httpx.Response:
        headers = reviewers[n % 2]
        path = "approve" if n % 2 == 0 else "hold"
        with httpx.Client(base_url=server, timeout=30) as client:
            return client.post(
                f"/ops/v1/customers/{cid}/{path}", json={"expected_version": version}, headers=headers
            )

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(decide, range(10)))
    codes = Counter(r.status_code for r in answers)
    assert codes == {200: 1, 409: 9}, codes
    for r in answers:
        if r.status_code == 409:
            assert r.json()["message"].startswith("This case changed since you opened it")
    decided = [a for a in _trail(runtime, cid) if a.to_status in ("APPROVED", "IN_COMPLIANCE")]
    assert len(decided) == 1
    assert _status_events(runtime, cid)[-1] == decided[0].to_status
    assert _status_events(runtime, cid).count(decided[0].to_status) == 1


def test_a_stale_decision_says_what_changed(api, auth_headers, runtime, reviewers):
    cid = reach(api, auth_headers, runtime, "REVIEWING")
    view = api.get(f"/ops/v1/customers/{cid}", headers=reviewers[0]).json()["data"]
    rfi = {
        "section": "address_documents",
        "categories": [
            {
                "document_type": "UTILITY_BILL",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
            }
        ],
    }
    r = api.post(f"/ops/v1/customers/{cid}/request-information", json={"rfis": [rfi]}, headers=reviewers[1])
    assert r.status_code == 200, r.text
    before = len(_trail(runtime, cid))
    r = api.post(
        f"/ops/v1/customers/{cid}/hold", json={"expected_version": view["version"]}, headers=reviewers[0]
    )
    assert r.status_code == 409
    message = r.json()["message"]
    assert "status REVIEWING -> ACTION_REQUIRED by reviewer:bob" in message
    assert "rfi raised by reviewer:bob" in message
    assert len(_trail(runtime, cid)) == before
    assert _status(api, auth_headers, cid) == "ACTION_REQUIRED"
    # With the version it saw now, the same decision goes through.
    fresh = api.get(f"/ops/v1/customers/{cid}", headers=reviewers[0]).json()["data"]["version"]
    r = api.post(f"/ops/v1/customers/{cid}/hold", json={"expected_version": fresh}, headers=reviewers[0])
    assert r.status_code == 200, r.text


def test_approving_an_approved_customer_is_refused_and_writes_nothing(api, auth_headers, runtime, reviewers):
    cid = reach(api, auth_headers, runtime, "APPROVED")
    before = len(_trail(runtime, cid))
    r = api.post(f"/ops/v1/customers/{cid}/approve", json={}, headers=reviewers[0])
    assert r.status_code == 409
    assert r.json() == {"message": "The customer is already approved (APPROVED)"}
    assert len(_trail(runtime, cid)) == before


def test_a_hundred_decisions_on_one_customer_all_answer(
    api, auth_headers, runtime, reviewers, server, make_client
):
    """Approve and hold at once, a hundred of them, on a server with four request threads: each answers
    200 or a 409 in the endpoint's shape; nothing times out; a token request right after is answered."""
    cid = reach(api, auth_headers, runtime, "REVIEWING")

    def decide(n: int) -> tuple[int, Any]:
        path = ("approve", "hold")[n % 2]
        with httpx.Client(base_url=server, timeout=60) as client:
            r = client.post(f"/ops/v1/customers/{cid}/{path}", json={}, headers=reviewers[n % 2])
            return r.status_code, r.json()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(decide, range(100)))
    elapsed = time.monotonic() - started
    codes = Counter(code for code, _ in answers)
    assert set(codes) <= {200, 409}, codes
    assert codes[200] >= 1
    for code, body in answers:
        if code == 409:
            assert set(body) == {"message"}
    creds = make_client("after-the-storm")
    t0 = time.monotonic()
    with httpx.Client(base_url=server, timeout=30) as client:
        r = client.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
    token_seconds = time.monotonic() - t0
    assert r.status_code == 200, r.text
    # A generous bound against a stuck server, not a speed target (those live in bench/).
    assert token_seconds < 5, token_seconds
    print(f"100 decisions in {elapsed:.2f} s; token right after in {token_seconds * 1000:.0f} ms")
    # Every decision that answered 200 is one status change in the trail and one event.
    changes = [a for a in _trail(runtime, cid) if a.action == "status" and a.actor_type == "reviewer"]
    assert len(changes) == codes[200]
    all_changes = [a for a in _trail(runtime, cid) if a.action == "status"]
    assert _status_events(runtime, cid) == [a.to_status for a in all_changes]


# ---------------------------------------------------------------- attaches at once


def test_two_individual_attaches_at_once(api, auth_headers, runtime, server):
    cid, tos = create(api, auth_headers)
    body = individual_attach_body(upload(api, auth_headers, individual_files(), cid), tos)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=server, timeout=30) as client:
            return client.post(f"/v2/customers/{cid}/individual/attach", json=body, headers=auth_headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, range(2)))
    assert sorted(r.status_code for r in answers) == [200, 409]
    refused = next(r for r in answers if r.status_code == 409)
    assert refused.json()["error"]["message"] == "An attach request is already in progress for this customer"
    with unit_of_work(runtime.read_sessions) as s:
        assert s.scalar(select(func.count()).select_from(AttachBatch)) == 1
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "verification.checks")) == 1
    drain(runtime)
    assert _status(api, auth_headers, cid) == "APPROVED"
