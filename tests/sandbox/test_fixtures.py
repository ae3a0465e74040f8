"""`tollgate sandbox export` then `tollgate sandbox import`: a client's state saved and restored exactly."""

from __future__ import annotations

import json

from sqlalchemy import select
from tests.sandbox.conftest import tollgate

from tollgate.db import unit_of_work
from tollgate.documents.models import StoredFile


def snapshot(integrator, ids: list[str]) -> dict:
    lists = {
        kind: integrator.api.get(f"/v2/customers?type={kind}&per_page=100", headers=integrator.headers).json()
        for kind in ("INDIVIDUAL", "BUSINESS")
    }
    return {"details": {cid: integrator.detail(cid) for cid in ids}, "lists": lists}


def files_of(runtime) -> dict[str, bytes]:
    with unit_of_work(runtime.read_sessions) as s:
        rows = list(s.scalars(select(StoredFile)))
    return {f.uri: runtime.files.get(f.storage_key) for f in rows}


def build_state(integrator) -> list[str]:
    rfi, tos = integrator.individual("john+rfi-expired-passport@example.com")
    integrator.attach_individual(rfi, tos)
    approved, tos = integrator.individual("jane@example.com")
    integrator.attach_individual(approved, tos, seed=3)
    incomplete, _ = integrator.individual("jim@example.com")
    business, btos = integrator.business("contact+party-rejected@fin.com")
    integrator.submit_business(business, btos)
    integrator.drain()
    return [rfi, approved, incomplete, business]


def test_export_then_import_restores_the_state(integrator, runtime, settings, tmp_path):
    ids = build_state(integrator)
    before = snapshot(integrator, ids)
    files_before = files_of(runtime)

    exported = tollgate(settings, "sandbox", "export", "--client", "integrator")
    assert exported.returncode == 0, exported.stderr
    fixture = tmp_path / "fixture.json"
    fixture.write_text(exported.stdout)
    document = json.loads(exported.stdout)
    assert document["format"] == "tollgate.sandbox.fixture" and len(document["customers"]) == 4

    # The state changes: everything deleted, then something new.
    assert integrator.post("/sandbox/reset").status_code == 200
    integrator.individual("someone.new@example.com")
    assert integrator.api.get(f"/v2/customers/{ids[0]}", headers=integrator.headers).status_code == 404

    imported = tollgate(settings, "sandbox", "import", "--client", "integrator", str(fixture))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["customers"] == 4

    assert snapshot(integrator, ids) == before
    assert files_of(runtime) == files_before
    # The restored customers carry on: the RFI is answered and the numbering continues.
    d = integrator.detail(ids[0])
    assert d["customer_status"] == "ACTION_REQUIRED"
    from tests.sandbox.conftest import tos_value

    integrator.attach_individual(ids[0], tos_value(d["tos_policies_url"]), seed=11)
    integrator.drain()
    assert integrator.detail(ids[0])["customer_status"] == "ACTION_REQUIRED"  # the magic value still asks
    new, _ = integrator.individual("after.import@example.com")
    page = integrator.api.get("/v2/customers?type=INDIVIDUAL", headers=integrator.headers).json()["data"]
    assert page["pagination"]["total"] == 4 and page["customers"][0]["customer_id"] == new


def test_export_is_stable(integrator, settings):
    build_state(integrator)
    first = tollgate(settings, "sandbox", "export", "--client", "integrator")
    second = tollgate(settings, "sandbox", "export", "--client", "integrator")
    assert first.returncode == 0, first.stderr
    drop = lambda doc: {k: v for k, v in json.loads(doc).items() if k != "exported_at"}  # noqa: E731
    assert drop(first.stdout) == drop(second.stdout)


def test_import_refuses_another_clients_customers(integrator, other_integrator, settings, tmp_path):
    build_state(integrator)
    exported = tollgate(settings, "sandbox", "export", "--client", "integrator")
    fixture = tmp_path / "fixture.json"
    fixture.write_text(exported.stdout)
    refused = tollgate(settings, "sandbox", "import", "--client", "someone-else", str(fixture))
    assert refused.returncode == 1
    assert "belongs to another client" in refused.stderr


def test_import_refuses_what_is_not_a_fixture(integrator, settings, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"customers": []}))
    r = tollgate(settings, "sandbox", "import", "--client", "integrator", str(bad))
    assert r.returncode == 1 and "Not a fixture" in r.stderr
