"""What the read model must serve: a fresh render of each customer, byte for byte (customers.readmodel)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tests.conftest import BASE_URL
from tollgate.customers import present
from tollgate.customers.models import Customer, CustomerView
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.verification import rfi


def fresh_detail(runtime: Runtime, customer_id: Any, base_url: str = BASE_URL) -> bytes:
    """The detail body rendered now from the customer's rows, in a session of its own."""
    with unit_of_work(runtime.read_sessions) as session:
        customer = session.scalars(
            select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.parties))
        ).one()
        entries = rfi.render_all(rfi.open_rfis(session, customer.id))
        return orjson.dumps({"data": present.detail(customer, base_url, entries)})


def fresh_list(runtime: Runtime, client_pk: Any, kind: str) -> list[bytes]:
    with unit_of_work(runtime.read_sessions) as session:
        rows = session.scalars(
            select(Customer)
            .where(Customer.client_pk == client_pk, Customer.type == kind)
            .order_by(Customer.seq.desc())
        )
        return [orjson.dumps(present.list_item(c, BASE_URL)) for c in rows]


def _client_pk(runtime: Runtime, customer_id: str) -> Any:
    with unit_of_work(runtime.read_sessions) as session:
        return session.scalar(select(Customer.client_pk).where(Customer.id == customer_id))


def assert_served_as_rendered(api: TestClient, headers: dict[str, str], runtime: Runtime) -> None:
    """Every customer's detail over HTTP, byte for byte, is a fresh render; so is each list page; and
    there is one stored view per customer, none for a customer that is gone."""
    with unit_of_work(runtime.read_sessions) as session:
        ids = list(session.scalars(select(Customer.id)))
        client_pks = set(session.scalars(select(Customer.client_pk)))
        views = session.scalar(select(func.count()).select_from(CustomerView))
    assert views == len(ids)
    for customer_id in ids:
        served = api.get(f"/v2/customers/{customer_id}", headers=headers)
        assert served.status_code == 200, served.text
        assert served.content == fresh_detail(runtime, customer_id)
    for client_pk in client_pks:
        for kind in ("INDIVIDUAL", "BUSINESS"):
            page = api.get("/v2/customers", params={"type": kind, "per_page": 512}, headers=headers)
            assert page.status_code == 200, page.text
            listed = [orjson.dumps(c) for c in page.json()["data"]["customers"]]
            assert listed == fresh_list(runtime, client_pk, kind)
