"""Tenant isolation, route by route, from the application's own route table.

Client B owns one of everything (customers, parties, an upload, a webhook endpoint, events). For every
route with a path parameter, client A asks with B's id and with an id that exists nowhere: both answers
must be the same (status and body, the id itself aside) and the database must not change. A route added
later is covered without anyone listing it; a new kind of path parameter fails the test until the matrix
is told which of B's objects it names."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text

from tests.documents import samples
from tests.factories import business_body, individual_body
from tests.journeys import individual_attach_body, tos_value, upload
from tollgate.models import Base

# Path parameters that are not a tenant's object: the same value for both requests. Operators and static
# files are no tenant's (the console's routes answer an API token as they answer nobody).
SHARED = {
    "country_code": "USA",
    "what": "confirm",
    "action": "disable",
    "operator_id": str(uuid.uuid4()),
    "folder": "vendor",
    "name": "htmx.min.js",
}
# Request bodies that pass validation, so that the ownership check is what answers (default: {}).
PARTY_PLACEHOLDER = "{party_id}"


def _routes(app) -> Iterator[tuple[str, str]]:
    for route in iter_route_contexts(app.routes):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, route.path


def _params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def _snapshot(runtime) -> dict[str, list[str]]:
    out = {}
    with runtime.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()  # noqa: S608
            out[table.name] = sorted(repr(tuple(r)) for r in rows)
    return out


@pytest.fixture
def world(api, make_client, login, runtime) -> dict[str, Any]:
    """B's objects, A's headers, and bodies valid for A."""
    a, b = login(make_client("tenant-a")), login(make_client("tenant-b"))
    r = api.post("/v2/customers/individual", json=individual_body(), headers=b)
    cid = r.json()["data"]["customer_id"]
    r = api.post("/v2/customers/business", json=business_body(), headers=b)
    bid = r.json()["customer_id"]
    party = api.get(f"/v2/customers/{bid}", headers=b).json()["data"]["associated_parties"][0]["id"]
    b_uri = upload(api, b, {"passport": ("p.png", samples.png_bytes())}, cid)["passport"]
    with runtime.engine.connect() as conn:
        b_file = conn.execute(
            text("SELECT id FROM stored_file WHERE uri = :uri"), {"uri": b_uri}
        ).scalar_one()
    r = api.post("/v2/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}, headers=b)
    endpoint = r.json()["data"]["id"]
    event = api.get("/v2/events", headers=b).json()["data"]["events"][0]["event"]["id"]

    r = api.post("/v2/customers/individual", json=individual_body(), headers=a)
    a_tos = tos_value(r.json()["data"]["tos_policies_url"])
    uris = upload(api, a, {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())})
    passport = individual_attach_body(uris, a_tos)["identifying_documents"][0]
    rfi = {
        "section": "address_documents",
        "categories": [
            {
                "document_type": "UTILITY_BILL",
                "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}],
            }
        ],
    }
    bodies: dict[str, Any] = {
        "attach_individual": individual_attach_body(uris, a_tos),
        "attach_business": {"tos_policies_value": a_tos},
        "attach_parties": {
            "associated_party_attachments": [
                {
                    "associated_party_id": str(uuid.uuid4()),
                    "identifying_documents": [passport],
                    "address_documents": [{"type": "UTILITY_BILL", "files": [{"uri": uris["poa"]}]}],
                    "supporting_documents": [],
                }
            ]
        },
        "answer_rfis": {"identifying_documents": [passport]},
        "update_endpoint": {"enabled": False},
        "reject": {"reject_labels": ["FORGERY"], "moderation_comment": "Forged document"},
        "reject_party": {"reject_labels": ["FORGERY"], "moderation_comment": "Forged document"},
        "request_information": {"rfis": [rfi]},
        "request_party_information": {"rfis": [rfi]},
    }
    # B's four-eyes proposals do not exist yet: any id stands for one (no route shows it to a client).
    ids = {
        "customer_id": cid,
        "party_id": party,
        "endpoint_id": endpoint,
        "event_id": event,
        "file_id": str(uuid.UUID(str(b_file))),
        "proposal_id": str(uuid.uuid4()),
    }
    return {"a": a, "b": b, "ids": ids, "business": bid, "bodies": bodies}


def _ask(api, method: str, path: str, headers, body: Any):
    if method in ("GET", "DELETE"):
        return api.request(method, path, headers=headers)
    return api.request(method, path, headers=headers, json=body)


def _normalised(response, *ids: str) -> tuple[int, str]:
    body = response.text
    for value in ids:
        body = body.replace(value, "<id>")
    return response.status_code, body


def test_every_route_answers_another_tenants_ids_like_unknown_ones(api, app, world, runtime):
    ids, names = world["ids"], {}
    for route in iter_route_contexts(app.routes):
        names[route.path] = route.name
    checked = []
    for method, path in _routes(app):
        params = _params(path)
        if not params:
            continue
        unknown_params = set(params) - set(ids) - set(SHARED)
        assert not unknown_params, f"{method} {path}: say which tenant object {unknown_params} names"
        # A party route takes the business's id as its customer.
        theirs = {p: SHARED.get(p) or ids[p] for p in params}
        if "party_id" in params:
            theirs["customer_id"] = world["business"]
        unknown = {p: SHARED.get(p) or str(uuid.uuid4()) for p in params}
        body = world["bodies"].get(names[path], {})

        before = _snapshot(runtime)
        mine = _ask(api, method, path.format(**theirs), world["a"], body)
        after_theirs = _snapshot(runtime)
        nobody = _ask(api, method, path.format(**unknown), world["a"], body)
        after_unknown = _snapshot(runtime)

        assert mine.status_code < 500, (method, path, mine.text)
        assert _normalised(mine, *theirs.values()) == _normalised(nobody, *unknown.values()), (method, path)
        changed = [t for t in before if before[t] != after_theirs[t]]
        assert not changed, f"{method} {path} with another tenant's ids changed {changed}"
        assert before == after_unknown, f"{method} {path} with unknown ids changed the database"
        checked.append((method, path))
    # The matrix really ran over the tenant routes (a route table that lost them would pass vacuously).
    assert ("GET", "/v2/customers/{customer_id}") in checked
    assert ("DELETE", "/v2/webhook-endpoints/{endpoint_id}") in checked
    assert len(checked) >= 20


def test_no_list_shows_another_tenants_ids(api, app, world):
    own = {str(v) for v in world["ids"].values()} | {world["business"]}
    for method, path in _routes(app):
        if method != "GET" or _params(path) or not path.startswith("/v"):
            continue
        r = api.get(path, headers=world["a"])
        assert r.status_code < 500, (path, r.text)
        leaked = [i for i in own if i in r.text]
        assert not leaked, f"GET {path} shows another tenant's {leaked}"


def test_an_upload_for_another_tenants_customer_answers_like_an_unknown_customer(api, world, runtime):
    files = {"passport": ("p.png", samples.png_bytes(seed=3), "application/octet-stream")}
    theirs, unknown = world["ids"]["customer_id"], str(uuid.uuid4())
    before = _snapshot(runtime)
    mine = api.post("/v1/customers/upload", headers=world["a"], data={"customer_id": theirs}, files=files)
    nobody = api.post("/v1/customers/upload", headers=world["a"], data={"customer_id": unknown}, files=files)
    assert 400 <= mine.status_code < 500, mine.text
    assert _normalised(mine, theirs) == _normalised(nobody, unknown)
    assert _snapshot(runtime) == before
