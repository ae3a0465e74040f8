from __future__ import annotations

import uuid
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import BASE_URL
from tests.factories import individual_body


def _errors(r) -> dict[str, str]:
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"message", "errors"}
    out: dict[str, str] = {}
    for item in body["errors"]:
        assert len(item) == 1
        out.update(item)
    return out


def test_create_individual_returns_id_and_tos_url(api, auth_headers):
    r = api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data"}
    assert set(body["data"]) == {"customer_id", "tos_policies_url"}
    customer_id = body["data"]["customer_id"]
    uuid.UUID(customer_id)
    url = urlparse(body["data"]["tos_policies_url"])
    assert f"{url.scheme}://{url.netloc}" == BASE_URL and url.path == "/tos"
    query = parse_qs(url.query)
    assert query["customer_id"] == [customer_id]
    uuid.UUID(query["tos_policies_value"][0])

    detail = api.get(f"/v2/customers/{customer_id}", headers=auth_headers).json()["data"]
    assert detail["customer_status"] == "INCOMPLETE"
    assert detail["first_name"] == "John" and detail["last_name"] == "Doe"
    assert detail["tos_policies_url"] == body["data"]["tos_policies_url"]


def test_each_customer_gets_its_own_tos_value(api, auth_headers):
    urls = set()
    for _ in range(2):
        r = api.post("/v2/customers/individual", json=individual_body(), headers=auth_headers)
        urls.add(parse_qs(urlparse(r.json()["data"]["tos_policies_url"]).query)["tos_policies_value"][0])
    assert len(urls) == 2


def test_request_is_stored_verbatim(api, auth_headers, runtime):
    from tollgate.customers.models import Customer

    body = individual_body(meta_data={"reference": "x-1", "nested": {"a": [1, 2]}})
    body["basic_info"]["middle_name"] = "Q"
    r = api.post("/v2/customers/individual", json=body, headers=auth_headers)
    with runtime.read_sessions() as session:
        row = session.get(Customer, uuid.UUID(r.json()["data"]["customer_id"]))
        assert row is not None
        assert row.meta_data == {"reference": "x-1", "nested": {"a": [1, 2]}}
        assert row.payload["basic_info"]["middle_name"] == "Q"
        assert row.payload["address"] == body["address"]
        assert row.payload["financial_profile"] == body["financial_profile"]


def _mutate(path: str, value):
    body = individual_body()
    node = body
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return body


_DELETE = object()
_TODAY = date.today()


@pytest.mark.parametrize(
    "path, value, error_path",
    [
        ("basic_info.email", "John.Doe@example.com", "basic_info.email"),
        ("basic_info.email", "not-an-email", "basic_info.email"),
        ("basic_info.phone", "4155551234", "basic_info.phone"),
        ("basic_info.phone", "+4930123456789", "basic_info.phone"),  # German number, US resident
        ("basic_info.country_of_residence", "US", "basic_info.country_of_residence"),
        ("basic_info.primary_nationality", "XXX", "basic_info.primary_nationality"),
        ("basic_info.dob", "1990-02-30", "basic_info.dob"),
        ("basic_info.dob", (_TODAY - timedelta(days=17 * 365)).isoformat(), "basic_info.dob"),
        ("basic_info.dob", "1890-01-01", "basic_info.dob"),
        # Fin types dates as YYYY-MM-DD strings and ids and amounts as JSON integers; nothing is coerced.
        ("basic_info.dob", 0, "basic_info.dob"),
        ("basic_info.dob", 631152000.0, "basic_info.dob"),
        ("basic_info.dob", "631152000", "basic_info.dob"),
        ("basic_info.dob", "1990-04-15T00:00:00Z", "basic_info.dob"),
        ("basic_info.dob", "19900415", "basic_info.dob"),
        ("financial_profile.occupation_id", "1", "financial_profile.occupation_id"),
        ("financial_profile.occupation_id", 1.0, "financial_profile.occupation_id"),
        ("financial_profile.purpose_id", "1", "financial_profile.purpose_id"),
        ("financial_profile.source_of_fund_ids", ["1"], "financial_profile.source_of_fund_ids[0]"),
        ("financial_profile.monthly_volume_usd", "5000", "financial_profile.monthly_volume_usd"),
        ("financial_profile.monthly_volume_usd", True, "financial_profile.monthly_volume_usd"),
        ("basic_info.first_name", "Jürgen", "basic_info.first_name_en"),
        ("basic_info.first_name_en", "Jürgen", "basic_info.first_name_en"),
        ("basic_info.gender", "OTHER", "basic_info.gender"),
        ("basic_info.tax_info", [], "basic_info.tax_info"),
        ("basic_info.tax_info.0.document_id", "123456789", "basic_info.tax_info[0].document_id"),
        ("basic_info.tax_info.0.document_type", "VAT_ID", "basic_info.tax_info[0].document_type"),
        ("address.subdivision_code", "CA", "address.subdivision_code"),
        ("address.subdivision_code", "BD-13", "address.subdivision_code"),
        ("address.street_line_1", "Straße 1", "address.street_line_1_en"),
        ("address.country", _DELETE, "address.country"),
        ("financial_profile.employment_status", "ASTRONAUT", "financial_profile.employment_status"),
        ("financial_profile.occupation_id", 999999, "financial_profile.occupation_id"),
        ("financial_profile.purpose_id", 999999, "financial_profile.purpose_id"),
        ("financial_profile.source_of_fund_ids", [], "financial_profile.source_of_fund_ids"),
        ("financial_profile.source_of_fund_ids", [999999], "financial_profile.source_of_fund_ids[0]"),
        ("financial_profile.monthly_volume_usd", -1, "financial_profile.monthly_volume_usd"),
        ("financial_profile.monthly_volume_usd", "lots", "financial_profile.monthly_volume_usd"),
        ("verification_type", "PREMIUM", "verification_type"),
        ("verification_type", _DELETE, "verification_type"),
        ("basic_info.nickname", "JD", "basic_info.nickname"),
    ],
)
def test_invalid_field_is_named(api, auth_headers, path, value, error_path):
    r = api.post("/v2/customers/individual", json=_mutate(path, value), headers=auth_headers)
    errors = _errors(r)
    assert error_path in errors, errors


def test_duplicate_tax_ids_are_refused(api, auth_headers):
    body = individual_body()
    body["basic_info"]["tax_info"].append(dict(body["basic_info"]["tax_info"][0]))
    errors = _errors(api.post("/v2/customers/individual", json=body, headers=auth_headers))
    assert "basic_info.tax_info[1].document_id" in errors


def test_purpose_other_needs_remarks(api, auth_headers):
    from tollgate.catalogue import service as catalogue

    other = next(i for i, t in catalogue.purposes(catalogue.CatalogueType.INDIVIDUAL).items() if t == "Other")
    body = individual_body()
    body["financial_profile"]["purpose_id"] = other
    assert "financial_profile.purpose_remarks" in _errors(
        api.post("/v2/customers/individual", json=body, headers=auth_headers)
    )
    body["financial_profile"]["purpose_remarks"] = "Paying for my boat"
    assert api.post("/v2/customers/individual", json=body, headers=auth_headers).status_code == 200


def test_transliteration_makes_non_latin_names_acceptable(api, auth_headers):
    body = individual_body()
    body["basic_info"]["first_name"] = "Jürgen"
    body["basic_info"]["first_name_en"] = "Juergen"
    assert api.post("/v2/customers/individual", json=body, headers=auth_headers).status_code == 200


def test_every_offending_field_is_named_at_once(api, auth_headers):
    body = individual_body()
    body["basic_info"]["email"] = "UPPER@example.com"
    body["basic_info"]["phone"] = "12345"
    body["address"]["country"] = "ZZZ"
    errors = _errors(api.post("/v2/customers/individual", json=body, headers=auth_headers))
    assert {"basic_info.email", "basic_info.phone", "address.country"} <= set(errors)


def test_rule_errors_are_collected_together(api, auth_headers):
    body = individual_body()
    body["basic_info"]["dob"] = (_TODAY - timedelta(days=3650)).isoformat()
    body["address"]["subdivision_code"] = "BD-13"
    body["financial_profile"]["occupation_id"] = 999999
    errors = _errors(api.post("/v2/customers/individual", json=body, headers=auth_headers))
    assert {"basic_info.dob", "address.subdivision_code", "financial_profile.occupation_id"} <= set(errors)


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b"null"])
def test_malformed_bodies_are_422_not_500(api, auth_headers, raw):
    r = api.post(
        "/v2/customers/individual",
        content=raw,
        headers={**auth_headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"message", "errors"}


def test_reliance_without_entitlement_is_423(api, auth_headers):
    r = api.post(
        "/v2/customers/individual", json=individual_body(verification_type="RELIANCE"), headers=auth_headers
    )
    assert r.status_code == 423
    assert r.json() == {"message": "RELIANCE is not available for your client"}


def test_reliance_with_entitlement_is_accepted(api, make_client, login):
    headers = login(make_client(reliance=True))
    r = api.post(
        "/v2/customers/individual", json=individual_body(verification_type="RELIANCE"), headers=headers
    )
    assert r.status_code == 200
    detail = api.get(f"/v2/customers/{r.json()['data']['customer_id']}", headers=headers).json()["data"]
    assert detail["verification_type"] == "RELIANCE"


def test_create_requires_authentication(api):
    r = api.post("/v2/customers/individual", json=individual_body())
    assert r.status_code == 401
    assert r.json() == {"message": "Authentication failed"}


def test_failed_create_writes_nothing(api, auth_headers):
    bad = individual_body()
    bad["basic_info"]["email"] = "BAD@EXAMPLE.COM"
    api.post("/v2/customers/individual", json=bad, headers=auth_headers)
    listing = api.get("/v2/customers", params={"type": "INDIVIDUAL"}, headers=auth_headers).json()
    assert listing["data"]["pagination"]["total"] == 0
    assert listing["data"]["customers"] == []


def test_control_characters_are_refused_not_500(api, auth_headers):
    body = individual_body()
    body["basic_info"]["first_name"] = "Jo\x00hn"
    body["meta_data"] = {"reference": "a\x00b"}
    errors = _errors(api.post("/v2/customers/individual", json=body, headers=auth_headers))
    assert {"basic_info.first_name", "meta_data"} <= set(errors)


def test_country_without_subdivisions_uses_its_alpha2(api, auth_headers):
    body = individual_body()
    body["basic_info"].update(
        country_of_residence="HKG",
        phone="+85221234567",
        tax_info=[{"country_code": "HKG", "document_type": "TIN", "document_id": "A1234567"}],
    )
    body["address"].update(country="HKG", subdivision_code="HK", postal_code="000000", city="Hong Kong")
    r = api.post("/v2/customers/individual", json=body, headers=auth_headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-jwt", "Basic abc"])
def test_authentication_is_checked_before_the_body(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = api.post("/v2/customers/individual", json={"basic_info": "nonsense"}, headers=headers)
    assert (r.status_code, r.json()) == (401, {"message": "Authentication failed"})


def test_rule_errors_come_with_the_schema_errors_in_one_answer(api, auth_headers):
    body = individual_body()
    body["financial_profile"]["occupation_id"] = "1"  # schema: not a JSON integer
    body["basic_info"]["dob"] = (_TODAY - timedelta(days=3650)).isoformat()  # rule: too young
    body["address"]["subdivision_code"] = "US-NY"
    body["address"]["country"] = "CAN"  # rule: the subdivision is not Canada's
    errors = _errors(api.post("/v2/customers/individual", json=body, headers=auth_headers))
    assert {"financial_profile.occupation_id", "basic_info.dob", "address.subdivision_code"} <= set(errors), (
        errors
    )
