from __future__ import annotations

import re
import uuid

import pytest

from tests.factories import business_body, individual_body

SECONDS_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FRACTIONAL_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")

INDIVIDUAL_ITEM_KEYS = [
    "customer_id",
    "type",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country_of_residence",
    "customer_status",
    "tos_policies_url",
    "created_at",
    "updated_at",
]
BUSINESS_ITEM_KEYS = [
    "customer_id",
    "type",
    "business_name",
    "email",
    "phone",
    "country_of_incorporation",
    "customer_status",
    "tos_policies_url",
    "created_at",
    "updated_at",
]


def _create_individuals(api, headers, n: int) -> list[str]:
    ids = []
    for i in range(n):
        body = individual_body()
        body["basic_info"]["first_name"] = f"Person{i}"
        r = api.post("/v2/customers/individual", json=body, headers=headers)
        assert r.status_code == 200, r.text
        ids.append(r.json()["data"]["customer_id"])
    return ids


def _create_business(api, headers) -> str:
    r = api.post("/v2/customers/business", json=business_body(), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["customer_id"]


def test_list_items_have_exactly_the_reference_keys(api, auth_headers):
    _create_individuals(api, auth_headers, 1)
    _create_business(api, auth_headers)
    ind = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=auth_headers).json()
    biz = api.get("/v2/customers", params={"type": "BUSINESS"}, headers=auth_headers).json()
    assert list(ind["data"]) == ["pagination", "customers"]
    assert list(ind["data"]["pagination"]) == ["current_page", "per_page", "total_page", "total"]
    assert list(ind["data"]["customers"][0]) == INDIVIDUAL_ITEM_KEYS
    assert list(biz["data"]["customers"][0]) == BUSINESS_ITEM_KEYS
    item = biz["data"]["customers"][0]
    assert item["type"] == "BUSINESS" and item["business_name"] == "Fin.com"
    assert item["country_of_incorporation"] == "USA" and item["customer_status"] == "INCOMPLETE"
    assert SECONDS_Z.match(item["created_at"]) and SECONDS_Z.match(item["updated_at"])


def test_list_is_newest_first_and_paginates(api, auth_headers):
    ids = _create_individuals(api, auth_headers, 7)
    newest_first = list(reversed(ids))
    seen = []
    for page in (1, 2, 3):
        r = api.get(
            "/v2/customers",
            params={"type": "INDIVIDUAL", "per_page": 3, "current_page": page},
            headers=auth_headers,
        )
        assert r.status_code == 200
        data = r.json()["data"]
        assert data["pagination"] == {"current_page": page, "per_page": 3, "total_page": 3, "total": 7}
        seen += [c["customer_id"] for c in data["customers"]]
    assert seen == newest_first
    past = api.get(
        "/v2/customers", params={"type": "INDIVIDUAL", "per_page": 3, "current_page": 4}, headers=auth_headers
    ).json()["data"]
    assert past["customers"] == []
    assert past["pagination"] == {"current_page": 4, "per_page": 3, "total_page": 3, "total": 7}


def test_list_filters_by_type(api, auth_headers):
    _create_individuals(api, auth_headers, 2)
    _create_business(api, auth_headers)
    biz = api.get("/v2/customers", params={"type": "BUSINESS"}, headers=auth_headers).json()["data"]
    assert biz["pagination"]["total"] == 1
    assert [c["type"] for c in biz["customers"]] == ["BUSINESS"]


def test_list_defaults(api, auth_headers):
    _create_individuals(api, auth_headers, 11)
    data = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=auth_headers).json()["data"]
    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total_page": 2, "total": 11}
    assert len(data["customers"]) == 10


@pytest.mark.parametrize(
    "params, field",
    [
        ({}, "type"),
        ({"type": "TRUST"}, "type"),
        ({"type": "INDIVIDUAL", "per_page": 0}, "per_page"),
        ({"type": "INDIVIDUAL", "per_page": 513}, "per_page"),
        ({"type": "INDIVIDUAL", "per_page": "ten"}, "per_page"),
        ({"type": "INDIVIDUAL", "current_page": 0}, "current_page"),
    ],
)
def test_list_query_validation(api, auth_headers, params, field):
    r = api.get("/v2/customers", params=params, headers=auth_headers)
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"message", "errors"}
    assert any(field in e for e in body["errors"]), body


def test_individual_detail_has_exactly_the_documented_keys(api, auth_headers):
    [cid] = _create_individuals(api, auth_headers, 1)
    r = api.get(f"/v2/customers/{cid}", headers=auth_headers)
    assert r.status_code == 200
    data = r.json()["data"]
    assert list(data) == [
        "customer_id",
        "type",
        "first_name",
        "last_name",
        "email",
        "phone",
        "country_of_residence",
        "verification_type",
        "customer_status",
        "tos_policies_url",
        "created_at",
        "updated_at",
        "last_status_updated_at",
        "rejection_reason",
        "request_for_information",
    ]
    assert data["rejection_reason"] is None
    assert data["request_for_information"] == []
    assert FRACTIONAL_Z.match(data["last_status_updated_at"])


def test_business_detail_has_the_reference_keys_and_parties(api, auth_headers):
    cid = _create_business(api, auth_headers)
    data = api.get(f"/v2/customers/{cid}", headers=auth_headers).json()["data"]
    assert list(data) == [
        "customer_id",
        "type",
        "business_name",
        "email",
        "phone",
        "country_of_incorporation",
        "verification_type",
        "customer_status",
        "tos_policies_url",
        "associated_parties",
        "created_at",
        "updated_at",
        "last_status_updated_at",
        "rejection_reason",
        "request_for_information",
    ]
    parties = data["associated_parties"]
    assert [p["ownership_percent"] for p in parties] == [60, 40]
    assert [p["email"] for p in parties] == ["jane.smith@acmecorp.com", "robert.chen@acmecorp.com"]
    for p in parties:
        assert list(p) == ["id", "type", "ownership_percent", "email", "verification"]
        uuid.UUID(p["id"])
        assert p["type"] == "INDIVIDUAL"
        assert p["verification"]["status"] == "INITIATED"
        assert p["verification"]["reason"] == {"for_customer": None, "for_developer": None}
        assert SECONDS_Z.match(p["verification"]["updated_at"])
    assert len({p["id"] for p in parties}) == 2


def test_detail_of_a_non_uuid_is_422(api, auth_headers):
    r = api.get("/v2/customers/not-a-uuid", headers=auth_headers)
    assert r.status_code == 422
    assert set(r.json()) == {"message", "errors"}


def test_unknown_customer_is_404(api, auth_headers):
    r = api.get(f"/v2/customers/{uuid.uuid4()}", headers=auth_headers)
    assert r.status_code == 404
    assert r.json() == {"message": "Resource not found"}


def test_another_clients_customer_is_indistinguishable_from_unknown(api, make_client, login):
    alice, bob = login(make_client("alice")), login(make_client("bob"))
    [cid] = _create_individuals(api, alice, 1)
    theirs = api.get(f"/v2/customers/{cid}", headers=bob)
    unknown = api.get(f"/v2/customers/{uuid.uuid4()}", headers=bob)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.content == unknown.content
    assert api.get(f"/v2/customers/{cid}", headers=alice).status_code == 200
    bob_list = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=bob).json()["data"]
    assert bob_list["pagination"]["total"] == 0 and bob_list["customers"] == []


def test_detail_and_list_statement_counts_do_not_grow(api, auth_headers, sql_counter):
    """No N+1: the number of SQL statements is the same for a page of 1 and a page of 12, and for a business
    with two parties."""
    _create_individuals(api, auth_headers, 12)
    cid = _create_business(api, auth_headers)

    def count(fn) -> int:
        sql_counter.clear()
        fn()
        # The sandbox clock cache refreshes once a second whatever the request; it is not per row.
        return len(
            [
                s
                for s in sql_counter
                if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")) and "sandbox_client" not in s
            ]
        )

    small = count(
        lambda: api.get("/v2/customers", params={"type": "INDIVIDUAL", "per_page": 1}, headers=auth_headers)
    )
    large = count(
        lambda: api.get("/v2/customers", params={"type": "INDIVIDUAL", "per_page": 12}, headers=auth_headers)
    )
    assert small == large
    detail = count(lambda: api.get(f"/v2/customers/{cid}", headers=auth_headers))
    # The stored body; at most once per TOLLGATE_AUTH_CACHE_MS, the auth counter. The caller comes from this
    # process's cache (the list requests above loaded it): no client or login-family rows are read.
    assert detail <= 2
    assert not [s for s in sql_counter if "api_client" in s or "refresh_family" in s]
    # The body is the read model's, read in one statement: no customer, party or RFI rows are loaded.
    reads = [s for s in sql_counter if "FROM customer_view" in s]
    assert len(reads) == 1 and not [
        s for s in sql_counter if "FROM customer " in s or "associated_party" in s
    ]
