"""`tollgate seed`: realistic customers through the services, and the reference pages' customers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.customers.rendered import assert_served_as_rendered
from tests.sandbox.conftest import Integrator, tollgate

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
TIMES = {"created_at", "updated_at", "last_status_updated_at"}


def _reference(prefix: str) -> Any:
    [path] = REFERENCE.glob(f"{prefix}_*.txt")
    text = path.read_text()
    decoder = json.JSONDecoder()
    start = text.index("{")
    while True:
        try:
            return decoder.raw_decode(text[start:])[0]
        except json.JSONDecodeError:
            start = text.index("{", start + 1)


def seeded(api, runtime, settings, *args: str) -> tuple[Integrator, dict]:
    r = tollgate(settings, "seed", "--client", "seeded", *args)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    creds, summary = lines[0], lines[-1]

    class Creds:
        client_id = creds["client_id"]
        client_secret = creds["client_secret"]

    return Integrator(api, Creds, runtime), summary  # type: ignore[arg-type]


def every(integrator: Integrator, kind: str) -> list[dict]:
    r = integrator.api.get(f"/v2/customers?type={kind}&per_page=512", headers=integrator.headers)
    assert r.status_code == 200
    return r.json()["data"]["customers"]


def test_seed_creates_valid_customers_in_a_mix_of_statuses(api, runtime, settings):
    integrator, summary = seeded(api, runtime, settings, "--individuals", "60", "--businesses", "20")
    assert summary["created"] == 80 and summary["per_second"] > 0
    people, companies = every(integrator, "INDIVIDUAL"), every(integrator, "BUSINESS")
    assert len(people) == 60 and len(companies) == 20
    statuses = Counter(c["customer_status"] for c in people + companies)
    assert statuses == Counter(summary["by_status"])
    assert {"INCOMPLETE", "APPROVED", "REVIEWING", "ACTION_REQUIRED"} <= set(statuses)
    assert len({c["country_of_residence"] for c in people}) >= 3
    assert len({c["email"] for c in people}) == 60
    # Each one reads back whole, with the state its status implies.
    for c in people + companies:
        d = integrator.detail(c["customer_id"])
        if d["customer_status"] == "ACTION_REQUIRED":
            assert d["request_for_information"] and d["rejection_reason"]
        if d["customer_status"] == "REJECTED":
            assert d["rejection_reason"]["applicant"]["reject_labels"]
        for party in d.get("associated_parties", []):
            if d["customer_status"] == "APPROVED":
                assert party["verification"]["status"] == "APPROVED"


def test_seed_is_reproducible(api, runtime, settings):
    integrator, _ = seeded(api, runtime, settings, "--individuals", "10", "--seed", "7")
    first = sorted((c["email"], c["phone"]) for c in every(integrator, "INDIVIDUAL"))
    assert integrator.post("/sandbox/reset").status_code == 200
    again = tollgate(settings, "seed", "--client", "seeded", "--individuals", "10", "--seed", "7")
    assert again.returncode == 0, again.stderr
    integrator.login()
    assert sorted((c["email"], c["phone"]) for c in every(integrator, "INDIVIDUAL")) == first


def test_reference_customers_are_those_of_the_reference_pages(api, runtime, settings):
    integrator, summary = seeded(api, runtime, settings, "--reference")
    refs = summary["reference"]

    # The list page: the IN_COMPLIANCE business and the INCOMPLETE individual, field for field.
    listed = {c["customer_id"]: c for c in every(integrator, "INDIVIDUAL") + every(integrator, "BUSINESS")}
    for ours_id, ref in zip(
        (refs["in_compliance_business"], refs["incomplete_individual"]),
        _reference("000")["data"]["customers"],
    ):
        ours = listed[ours_id]
        assert list(ours) == list(ref)
        for key in ref:
            if key not in TIMES | {"customer_id", "tos_policies_url"}:
                assert ours[key] == ref[key], key

    # The detail page: the ACTION_REQUIRED business, value for value but for ids, links and times.
    ref = _reference("001")["data"]
    ours = integrator.detail(refs["action_required_business"])
    ids = {ref["customer_id"]: ours["customer_id"]}
    for ref_party, our_party in zip(ref["associated_parties"], ours["associated_parties"], strict=True):
        ids[ref_party["id"]] = our_party["id"]

    def same(mine: Any, theirs: Any, path: str = "$") -> None:
        if isinstance(theirs, dict):
            # Key order is checked where Tollgate builds the object; stored JSON may come back reordered.
            assert sorted(mine) == sorted(theirs), path
            for key in theirs:
                if key in TIMES | {"tos_policies_url"}:
                    continue
                same(mine[key], theirs[key], f"{path}.{key}")
        elif isinstance(theirs, list):
            assert len(mine) == len(theirs), path
            for i, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                same(a, b, f"{path}[{i}]")
        else:
            assert mine == ids.get(theirs, theirs), f"{path}: {mine!r} != {theirs!r}"

    same(ours, ref)
    assert list(ours) == list(ref)
    assert [list(p) for p in ours["associated_parties"]] == [list(p) for p in ref["associated_parties"]]

    # Its history ends now: nothing is stamped in the future, so no webhook waits for it.
    now = datetime.now(UTC)
    stamps = [ours[k] for k in TIMES] + [p["verification"]["updated_at"] for p in ours["associated_parties"]]
    events = integrator.api.get("/v2/events?per_page=100", headers=integrator.headers).json()["data"][
        "events"
    ]
    stamps += [e["event"]["created_at"] for e in events]
    assert len(events) >= 6
    assert all(datetime.fromisoformat(s) <= now for s in stamps), stamps


def test_bulk_seed_leaves_the_same_kind_of_data(api, runtime, settings):
    integrator, summary = seeded(
        api, runtime, settings, "--individuals", "120", "--businesses", "30", "--bulk", "--workers", "2"
    )
    assert summary["created"] == 150
    people, companies = every(integrator, "INDIVIDUAL"), every(integrator, "BUSINESS")
    assert len(people) == 120 and len(companies) == 30
    assert Counter(c["customer_status"] for c in people + companies) == Counter(summary["by_status"])
    for c in people + companies:
        d = integrator.detail(c["customer_id"])
        if d["customer_status"] == "ACTION_REQUIRED":
            assert d["request_for_information"][0]["categories"][0]["fields"][0]["status"] == "MISSING"
            assert d["rejection_reason"]["applicant"]["reject_labels"] == ["DOCUMENT_MISSING"]
        if d["customer_status"] == "APPROVED":
            assert all(p["verification"]["status"] == "APPROVED" for p in d.get("associated_parties", []))
    # The numbering carries on from the bulk rows: the next customer is the newest of the list.
    cid, _ = integrator.individual("after.bulk@example.com")
    page = integrator.api.get("/v2/customers?type=INDIVIDUAL&per_page=1", headers=integrator.headers).json()[
        "data"
    ]
    assert page["pagination"]["total"] == 121 and page["customers"][0]["customer_id"] == cid
    # Each customer has its events, numbered from 1, as the outbox numbers them.
    events = integrator.api.get(
        f"/v2/events?customer_id={people[0]['customer_id']}", headers=integrator.headers
    )
    assert events.status_code == 200
    listed = [e["event"] for e in events.json()["data"]["events"]]
    assert "customer.created" in {e["type"] for e in listed}
    assert all(e["event_reference_id"] == people[0]["customer_id"] for e in listed)
    # Rows inserted many per statement reach the read model as single creates do.
    assert_served_as_rendered(integrator.api, integrator.headers, runtime)


def test_bulk_seed_refuses_a_client_with_webhook_endpoints(api, runtime, settings, receiver):
    integrator, _ = seeded(api, runtime, settings, "--individuals", "1")
    integrator.webhooks_to(receiver)
    r = tollgate(settings, "seed", "--client", "seeded", "--individuals", "5", "--bulk")
    assert r.returncode == 1 and "webhook endpoints" in r.stderr


def test_progress_is_reported_for_every_customer_made(runtime, make_client):
    from tollgate.auth import service as auth
    from tollgate.db import unit_of_work
    from tollgate.sandbox import seed as seeding

    creds = make_client("progress")
    with unit_of_work(runtime.read_sessions) as session:
        client = auth.get_client_by_client_id(session, creds.client_id)
        assert client is not None
        pk = client.id
    made: list[int] = []
    committed: list[int] = []
    seeding.seed(
        runtime,
        pk,
        individuals=3,
        businesses=1,
        batch_size=1000,
        on_customer=lambda p: made.append(p.created),
        on_batch=lambda p: committed.append(p.created),
    )
    assert made == [1, 2, 3, 4] and committed == [4]
