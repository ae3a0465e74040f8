"""The queue page: waiting cases oldest first, counts, SLA, filters, search (blind index), keyset pages,
tenants."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select, text

from tests.console.helpers import client_pk, make_operator, signed_in
from tests.journeys import reach
from tollgate.console import assignment, queue
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.verification import operators as ops
from tollgate.verification.transitions import Actor

_ROW = re.compile(r'<tr data-customer-id="([0-9a-f-]{36})"')


def _ids(html: str) -> list[str]:
    return _ROW.findall(html)


def _count(html: str, status: str) -> int:
    m = re.search(rf'data-status="{status}">{status} <strong>(\d+)</strong>', html)
    assert m, status
    return int(m.group(1))


def test_waiting_cases_oldest_first_with_counts_and_overdue(api, auth_headers, runtime, clock):
    first = reach(api, auth_headers, runtime, "REVIEWING")
    clock.offset += timedelta(minutes=5)
    held = reach(api, auth_headers, runtime, "IN_COMPLIANCE")
    clock.offset += timedelta(minutes=5)
    approved = reach(api, auth_headers, runtime, "APPROVED")
    make_operator(runtime, "alice")
    signed_in(api, "alice")

    page = api.get("/console/queue")
    assert _ids(page.text) == [first, held]  # approved is not waiting for anyone
    assert _count(page.text, "REVIEWING") == 1
    assert _count(page.text, "IN_COMPLIANCE") == 1
    assert _count(page.text, "APPROVED") == 1
    assert "overdue" not in page.text.split("<table", 1)[1]

    clock.offset += timedelta(hours=runtime.settings.console_sla_hours)
    signed_in(api, "alice")  # the session ran out meanwhile
    page = api.get("/console/queue")
    assert page.text.count('<tr data-customer-id="') == 2
    assert page.text.count('class="badge overdue-badge">overdue<') == 2
    assert "1 d 0 h" in page.text

    assert _ids(api.get("/console/queue?status=APPROVED").text) == [approved]
    assert set(_ids(api.get("/console/queue?status=all").text)) == {first, held, approved}
    # Unknown values fall back to the defaults; nothing breaks.
    assert _ids(api.get("/console/queue?status=NOPE&type=X&client=x&assignee=y&age=z&after=%%").text) == [
        first,
        held,
    ]


def test_filters_type_client_assignee_age(api, auth_headers, runtime, clock, make_client, login):
    person = reach(api, auth_headers, runtime, "REVIEWING")
    company = reach(api, auth_headers, runtime, "REVIEWING", business=True)
    other_creds = make_client("other")
    other = reach(api, login(other_creds), runtime, "REVIEWING")
    alice = make_operator(runtime, "alice")
    signed_in(api, "alice")

    assert _ids(api.get("/console/queue?type=BUSINESS").text) == [company]
    assert set(_ids(api.get("/console/queue?type=INDIVIDUAL").text)) == {person, other}
    other_pk = client_pk(runtime, other_creds.client_id)
    assert _ids(api.get(f"/console/queue?client={other_pk}").text) == [other]

    with unit_of_work(runtime.write_sessions) as session:
        customer = session.get(Customer, uuid.UUID(company))
        uow = runtime.work(session, Actor("reviewer", "alice"), customer.client_pk)
        assignment.take(uow, customer, ops.OperatorIdentity(alice, "alice"))
    assert _ids(api.get("/console/queue?assignee=me").text) == [company]
    assert set(_ids(api.get("/console/queue?assignee=nobody").text)) == {person, other}
    page = api.get("/console/queue?assignee=anyone")
    assert "<td>alice</td>" in page.text

    assert _ids(api.get("/console/queue?age=1").text) == []
    clock.offset += timedelta(hours=2)
    signed_in(api, "alice")
    assert len(_ids(api.get("/console/queue?age=1").text)) == 3


def test_search_by_name_email_id_document_number_and_tax_id(api, auth_headers, runtime):
    person = reach(api, auth_headers, runtime, "REVIEWING")
    company = reach(api, auth_headers, runtime, "REVIEWING", business=True)
    detail = api.get(f"/v2/customers/{person}", headers=auth_headers).json()["data"]
    make_operator(runtime, "alice")
    signed_in(api, "alice")

    def found(q: str) -> list[str]:
        return _ids(api.get("/console/queue", params={"q": q}).text)

    assert found(person) == [person]
    assert found(detail["email"].upper()) == [person]
    assert found("john") == [person]
    assert found("JOHN DO") == [person]
    assert found("fin.c") == [company]
    assert found("X1234567") == [person]  # the passport number, through its blind index
    assert found("x 1234-567") == [person]
    # The individual's SSN 123-45-6789 and the business's EIN 12-3456789 are the same digits.
    assert set(found("123-45-6789")) == {person, company}
    assert found("123-45-6781") == []
    assert found("nobody-like-this") == []
    # A search looks at every status unless one is chosen.
    api.post(f"/sandbox/customers/{person}/approve", json={}, headers=auth_headers)
    assert found("X1234567") == [person]
    assert _ids(api.get("/console/queue", params={"q": "X1234567", "status": "waiting"}).text) == []


def test_keyset_pages_cover_every_case_once(api, auth_headers, runtime, clock):
    made = []
    for _ in range(5):
        made.append(reach(api, auth_headers, runtime, "REVIEWING"))
        clock.offset += timedelta(seconds=30)
    make_operator(runtime, "alice")
    signed_in(api, "alice")
    seen: list[str] = []
    url = "/console/queue?per=2"
    pages = 0
    while url:
        page = api.get(url)
        seen.extend(_ids(page.text))
        m = re.search(r'<a href="([^"]+)" rel="next"', page.text)
        url = m.group(1).replace("&amp;", "&") if m else ""
        pages += 1
    assert seen == made
    assert pages == 3


def test_an_operator_sees_only_the_customers_of_their_clients(api, auth_headers, runtime, make_client, login):
    mine = reach(api, auth_headers, runtime, "REVIEWING")
    other_creds = make_client("other")
    theirs = reach(api, login(other_creds), runtime, "REVIEWING")
    make_operator(runtime, "alice", client_pks=[client_pk(runtime, other_creds.client_id)])
    signed_in(api, "alice")
    page = api.get("/console/queue")
    assert _ids(page.text) == [theirs]
    assert _count(page.text, "REVIEWING") == 1
    assert _ids(api.get("/console/queue", params={"q": mine}).text) == []
    assert _ids(api.get("/console/queue", params={"q": "X1234567"}).text) == [theirs]
    assert "main" not in re.findall(r'<option value="[0-9a-f-]{36}" ?>([^<]+)<', page.text)


def test_docs_work_offline(api):
    page = api.get("/docs")
    assert page.status_code == 200
    assert '<script src="/static/vendor/swagger-ui-bundle.js"></script>' in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    js = api.get("/static/vendor/swagger-ui-bundle.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert api.get("/static/vendor/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert api.get("/static/vendor/pdf.worker.min.mjs").headers["content-type"].startswith("text/javascript")
    assert api.get("/static/vendor/../../router.py").status_code == 404
    assert api.get("/static/vendor/nothing.js").status_code == 404
    assert api.get("/redoc").status_code == 404


def test_a_name_search_matches_prefixes_exactly_and_reads_the_name_indexes(api, auth_headers, runtime):
    person = reach(api, auth_headers, runtime, "REVIEWING")
    make_operator(runtime, "alice")
    signed_in(api, "alice")

    def found(q: str) -> list[str]:
        return _ids(api.get("/console/queue", params={"q": q}).text)

    assert found("do") == [person]  # Doe
    assert found("jo%n") == [] and found("j_hn") == []  # LIKE's wildcards are the characters themselves
    assert found("johna") == []
    assert found("\U0010ffff") == []  # no character comes after the last one: the range stays open

    if runtime.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by table statistics; SQLite's plan shows the index as is
    with unit_of_work(runtime.read_sessions) as session:
        _, condition = queue._search(
            session, runtime.keyring, ops.OperatorIdentity(uuid.uuid4(), "alice"), "john"
        )
        sql = (
            select(Customer.id)
            .where(condition)
            .compile(runtime.engine, compile_kwargs={"literal_binds": True})
        )
        plan = " ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    for index in (
        "ix_customer_first_name_lower",
        "ix_customer_last_name_lower",
        "ix_customer_business_name_lower",
    ):
        assert index in plan, plan
