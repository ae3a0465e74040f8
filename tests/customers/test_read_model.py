"""The read model (customers.readmodel, docs/adr/0014): what a detail or a list page serves is what a fresh
render of the customer shows, after any sequence of what users do; it is sealed at rest; a change of base
URL needs no rewrite; a migration fills it and a command rebuilds it."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import Text, select, type_coerce, update

from tests.customers.rendered import assert_served_as_rendered, fresh_detail
from tests.documents import samples
from tests.journeys import attach, create, upload
from tollgate.app import create_app
from tollgate.customers import readmodel
from tollgate.customers.models import Customer, CustomerView
from tollgate.db import unit_of_work
from tollgate.jobs.worker import drain
from tollgate.migrate import alembic_config
from tollgate.verification.models import Rfi

TAGS = ("review", "approve", "reject", "hold")
RFI_ENTRY = {
    "section": "address_documents",
    "categories": [
        {
            "document_type": "UTILITY_BILL",
            "fields": [{"field_name": "files", "data_type": "URI", "status": "INVALID"}],
        }
    ],
}
DECISIONS: dict[str, dict[str, Any] | None] = {
    "approve": None,
    "hold": None,
    "reject": {"final": True, "reject_labels": ["BAD_PROOF_OF_ADDRESS"]},
    "reject-to-resubmit": {"final": False, "reject_labels": ["BAD_PROOF_OF_ADDRESS"], "rfis": [RFI_ENTRY]},
    "request-information": {"rfis": [RFI_ENTRY]},
}


def test_every_stored_body_equals_a_fresh_render_after_every_step(api, runtime, make_client, login):
    """Random sequences of creates, attaches, checks, decisions, RFI answers, clock moves and resets."""
    creds = make_client("journeys")

    class Journeys(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.headers = login(creds)
            self.customers: list[tuple[str, str, bool]] = []

        @initialize()
        def start_clean(self) -> None:
            assert api.post("/sandbox/reset", headers=self.headers).status_code == 200
            assert api.delete("/sandbox/clock", headers=self.headers).status_code == 200
            # Tokens live on the client's clock: take one valid at its time now.
            self.headers = login(creds)
            # Every sequence starts with customers of both kinds, so each step has one to act on.
            for business in (False, True):
                self.create_customer(business, "review")

        @rule(business=st.booleans(), tag=st.sampled_from(TAGS))
        def create_customer(self, business: bool, tag: str) -> None:
            cid, tos = create(api, self.headers, business=business, tag=tag)
            self.customers.append((cid, tos, business))

        @rule(pick=st.integers(min_value=0))
        def attach_documents(self, pick: int) -> None:
            if self.customers:
                cid, tos, business = self.customers[pick % len(self.customers)]
                detail = api.get(f"/v2/customers/{cid}", headers=self.headers).json()["data"]
                if detail["customer_status"] == "INCOMPLETE":
                    attach(api, self.headers, cid, tos, business=business)

        @rule()
        def run_checks(self) -> None:
            drain(runtime)

        @rule(pick=st.integers(min_value=0), decision=st.sampled_from(sorted(DECISIONS)))
        def decide(self, pick: int, decision: str) -> None:
            if self.customers:
                cid = self.customers[pick % len(self.customers)][0]
                name = "reject" if decision.startswith("reject") else decision
                # Refused transitions (409) change nothing and are part of the sequence all the same.
                api.post(f"/sandbox/customers/{cid}/{name}", json=DECISIONS[decision], headers=self.headers)

        @rule(pick=st.integers(min_value=0))
        def answer_rfi(self, pick: int) -> None:
            if self.customers:
                cid = self.customers[pick % len(self.customers)][0]
                uris = upload(
                    api, self.headers, {"poa": ("b.pdf", samples.pdf_bytes(text=f"bill {pick}"))}, cid
                )
                answer = {
                    "address_documents": [
                        {"type": "UTILITY_BILL", "country": "USA", "files": [{"uri": uris["poa"]}]}
                    ]
                }
                api.patch(f"/v1/customers/{cid}", json=answer, headers=self.headers)

        @rule(days=st.integers(min_value=1, max_value=40))
        def move_clock(self, days: int) -> None:
            r = api.post("/sandbox/clock", json={"advance_by": f"P{days}D"}, headers=self.headers)
            assert r.status_code == 200, r.text
            self.headers = login(creds)
            drain(runtime)

        @rule()
        def reset(self) -> None:
            assert api.post("/sandbox/reset", headers=self.headers).status_code == 200
            self.customers.clear()

        @invariant()
        def served_as_rendered(self) -> None:
            assert_served_as_rendered(api, self.headers, runtime)

    Journeys.TestCase.settings = settings(
        max_examples=int(os.environ.get("TOLLGATE_PROPERTY_EXAMPLES", "6")),
        stateful_step_count=10,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    run_state_machine_as_test(Journeys, settings=Journeys.TestCase.settings)


def test_the_stored_bodies_are_sealed_and_a_base_url_change_needs_no_rewrite(
    api, runtime, make_client, login
):
    creds = make_client()
    cid = uuid.UUID(create(api, login(creds), business=True)[0])
    with unit_of_work(runtime.read_sessions) as session:
        raw = session.execute(
            # As a dump shows them: the columns' text, not opened.
            select(type_coerce(CustomerView.detail, Text()), type_coerce(CustomerView.item, Text())).where(
                CustomerView.customer_id == cid
            )
        ).one()
        phone = session.scalar(select(Customer.phone).where(Customer.id == cid))
    for stored, purpose in zip(raw, (readmodel.DETAIL_PURPOSE, readmodel.ITEM_PURPOSE), strict=True):
        assert stored.startswith("tg1$") and phone not in stored
        assert phone.encode() in runtime.keyring.open(stored, purpose)

    other = runtime.settings.model_copy(update={"public_base_url": "https://elsewhere.example/"})
    with TestClient(create_app(other, runtime=dataclasses.replace(runtime, settings=other))) as moved:
        # Tokens name the server they come from: take one from the moved server.
        token = moved.post(
            "/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = moved.get(f"/v2/customers/{cid}", headers=headers)
        listed = moved.get("/v2/customers", params={"type": "BUSINESS"}, headers=headers)
    assert body.status_code == 200
    assert body.json()["data"]["tos_policies_url"].startswith(
        f"https://elsewhere.example/tos?customer_id={cid}&"
    )
    assert body.content == fresh_detail(runtime, cid, "https://elsewhere.example/")
    assert listed.json()["data"]["customers"][0]["tos_policies_url"].startswith(
        "https://elsewhere.example/tos?"
    )


def test_a_bulk_statement_that_cannot_name_its_customers_is_refused(api, auth_headers, runtime):
    cid = uuid.UUID(create(api, auth_headers)[0])
    with pytest.raises(readmodel.ReadModelBypassed), unit_of_work(runtime.write_sessions) as session:
        session.execute(update(Rfi).where(Rfi.customer_id == cid).values(status="closed"))
    with pytest.raises(readmodel.ReadModelBypassed), unit_of_work(runtime.write_sessions) as session:
        session.execute(update(Customer).where(Customer.id == cid).values(status="APPROVED"))
    assert (
        api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]["customer_status"]
        == "INCOMPLETE"
    )


def test_the_migration_fills_the_read_model_and_the_command_rebuilds_it(api, auth_headers, runtime, settings):
    from alembic import command

    individual = uuid.UUID(create(api, auth_headers)[0])
    business = uuid.UUID(create(api, auth_headers, business=True)[0])
    before = {
        cid: api.get(f"/v2/customers/{cid}", headers=auth_headers).content for cid in (individual, business)
    }

    # An existing database of the release before: no read model. The migration renders every customer.
    cfg = alembic_config(settings.database_url)
    cfg.attributes["keyring"] = runtime.keyring
    command.downgrade(cfg, "0011_read_model-1")
    command.upgrade(cfg, "head")
    for cid, body in before.items():
        assert api.get(f"/v2/customers/{cid}", headers=auth_headers).content == body

    # A row changed behind the application's back is stale until the command renders it again.
    with runtime.engine.begin() as conn:
        conn.execute(update(Customer).where(Customer.id == individual).values(first_name="Renamed"))
        conn.execute(CustomerView.__table__.delete().where(CustomerView.customer_id == business))
    assert (
        api.get(f"/v2/customers/{individual}", headers=auth_headers).json()["data"]["first_name"] != "Renamed"
    )
    assert api.get(f"/v2/customers/{business}", headers=auth_headers).status_code == 404

    env = {
        **os.environ,
        "TOLLGATE_DATABASE_URL": settings.database_url,
        "TOLLGATE_KEYS": settings.keys,
        "TOLLGATE_PUBLIC_BASE_URL": settings.public_base_url,
        "TOLLGATE_STORAGE_DIR": settings.storage_dir,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tollgate.cli.main", "customers", "rebuild-views"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "2 customers rendered" in done.stdout
    assert (
        api.get(f"/v2/customers/{individual}", headers=auth_headers).json()["data"]["first_name"] == "Renamed"
    )
    assert api.get(f"/v2/customers/{business}", headers=auth_headers).content == before[business]
    assert_served_as_rendered(api, auth_headers, runtime)
