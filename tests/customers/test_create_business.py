"""POST /v2/customers/business: every validation rule, each broken on its own, and the 400 field map."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import business_body, business_sections, with_value, without
from tollgate.catalogue import service as catalogue
from tollgate.catalogue.service import CatalogueType

URL = "/v2/customers/business"
P0 = "associated_parties[0]"
P1 = "associated_parties[1]"
ADDR = "addresses.incorporated_address"
REQUIRED = "This field is required"
OBJECT = "Input should be a valid dictionary or object to extract fields from"
BUSINESS_PHONE = "Phone country code must match the country of incorporation or of the business's address"


def full_body() -> dict[str, Any]:
    return business_body(**business_sections())


def field_errors(response: Any) -> dict[str, str]:
    """The ``data`` of Fin's 400 field map, after checking the envelope around it."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == 400 and body["message"] == "Validation failed"
    return dict(body["data"])


def years_ago(today: date, years: int, days: int = 0) -> str:
    return (today.replace(year=today.year - years) + timedelta(days=days)).isoformat()


@pytest.fixture
def post(api, auth_headers):
    def do(body: Any) -> Any:
        return api.post(URL, json=body, headers=auth_headers)

    return do


@pytest.fixture
def today(clock) -> date:
    return clock.now().date()


# ---------------------------------------------------------------- success


def test_create_returns_201_with_ids_at_the_top_level(post):
    r = post(business_body())
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"customer_id", "tos_policies_url"}
    customer_id = str(uuid.UUID(body["customer_id"]))
    query = parse_qs(urlsplit(body["tos_policies_url"]).query)
    assert query["customer_id"] == [customer_id]
    uuid.UUID(query["tos_policies_value"][0])


def test_detail_shows_both_parties_60_40_initiated(post, api, auth_headers):
    customer_id = post(business_body()).json()["customer_id"]
    r = api.get(f"/v2/customers/{customer_id}", headers=auth_headers)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["type"] == "BUSINESS" and data["business_name"] == "Fin.com"
    assert data["customer_status"] == "INCOMPLETE"
    parties = data["associated_parties"]
    assert [p["ownership_percent"] for p in parties] == [60, 40]
    assert [p["email"] for p in parties] == ["jane.smith@acmecorp.com", "robert.chen@acmecorp.com"]
    assert [p["verification"]["status"] for p in parties] == ["INITIATED", "INITIATED"]


def test_every_optional_section_is_accepted(post):
    body = full_body()
    body["basic_info"].update(
        trade_name_en="Fin",
        legal_entity_identifier="5493001KJTIIGC8Y1R12",
        is_dao=False,
        entity_type="PUBLICLY_LISTED_COMPANY",
        websites=["https://fin.com", "http://www.fin.com/about?lang=en"],
    )
    body["financial_profile"].update(
        purpose_remarks="Paying suppliers",
        source_of_funds_description="Revenue from software licensing",
        expected_transaction_value_usd=50000,
        expected_monthly_transaction_count=20,
        source_of_fund_ids=[1, 2],
        source_of_wealth_ids=[2, 1],
    )
    body["addresses"] = {
        "is_incorporated_address_same": False,
        "incorporated_address": body["addresses"]["incorporated_address"],
        "physical_address": {
            "street_line_1": "Level 5, 45 Gulshan Avenue",
            "street_line_1_en": "Level 5, 45 Gulshan Avenue",
            "street_line_2": "Suite 400",
            "street_line_2_en": "Suite 400",
            "city": "Dhaka",
            "state": "BD-13",
            "subdivision_code": "BD-13",
            "postal_code": "1212",
            "country": "BGD",
        },
    }
    body["associated_parties"][0].update(ref="owner-001")
    body["associated_parties"][0]["basic_info"].update(
        middle_name="Q", middle_name_en="Q", secondary_nationality="GBR"
    )
    body["associated_parties"][1]["basic_info"]["tax_info"] = [
        {"country_code": "USA", "document_type": "ITIN", "document_id": "912-70-1234"},
        {"country_code": "BGD", "document_type": "TIN", "document_id": "1234567890123"},
    ]
    r = post(body)
    assert r.status_code == 201, r.text


def test_verification_type_defaults_to_standard(post, api, auth_headers):
    r = post(without(business_body(), "verification_type"))
    assert r.status_code == 201, r.text
    detail = api.get(f"/v2/customers/{r.json()['customer_id']}", headers=auth_headers).json()["data"]
    assert detail["verification_type"] == "STANDARD"


def test_non_latin_names_are_accepted_with_their_transliterations(post):
    body = business_body()
    body["basic_info"].update(
        legal_name="株式会社フィン", legal_name_en="Fin KK", trade_name="フィン", trade_name_en="Fin"
    )
    body["addresses"]["incorporated_address"].update(
        street_line_1="1 Market Straße", street_line_1_en="1 Market Strasse"
    )
    body["associated_parties"][0]["basic_info"].update(first_name="Zoë", first_name_en="Zoe")
    assert post(body).status_code == 201


def test_a_single_owner_of_100_percent_is_accepted(post):
    body = business_body()
    body["associated_parties"] = body["associated_parties"][:1]
    body["associated_parties"][0]["ownership_info"]["percentage_of_ownership"] = 100
    assert post(body).status_code == 201


def test_business_phone_may_match_the_physical_address_country(post):
    body = business_body()
    body["basic_info"]["phone"] = "+447911123456"
    body["addresses"]["is_incorporated_address_same"] = False
    body["addresses"]["physical_address"] = {
        "street_line_1": "10 Downing Street",
        "street_line_1_en": "10 Downing Street",
        "city": "London",
        "state": "GB-WSM",
        "subdivision_code": "GB-WSM",
        "postal_code": "SW1A 2AA",
        "country": "GBR",
    }
    assert post(body).status_code == 201


@pytest.mark.parametrize("street", ["100 Boxwood Lane", "1 Post Road", "7 Pobeda Street"])
def test_streets_that_only_look_like_po_boxes_are_accepted(post, street):
    body = with_value(business_body(), f"{ADDR}.street_line_1", street)
    assert post(with_value(body, f"{ADDR}.street_line_1_en", street)).status_code == 201


def test_other_purpose_with_remarks_is_accepted(post):
    other = list(catalogue.purposes(CatalogueType.BUSINESS))[-1]
    body = with_value(business_body(), "financial_profile.purpose_id", other)
    assert (
        post(
            with_value(body, "financial_profile.purpose_remarks", "Escrow for marketplace sellers")
        ).status_code
        == 201
    )


# ---------------------------------------------------------------- required fields

REQUIRED_PATHS = [
    "industry_codes",
    "basic_info",
    "financial_profile",
    "addresses",
    "associated_parties",
    *(
        f"basic_info.{name}"
        for name in (
            "legal_name",
            "legal_name_en",
            "trade_name",
            "description",
            "entity_type",
            "email",
            "phone",
            "incorporation_date",
            "country_of_incorporation",
            "registration_number",
            "tax_info",
            "websites",
        )
    ),
    "basic_info.tax_info[0].country_code",
    "basic_info.tax_info[0].document_type",
    "basic_info.tax_info[0].document_id",
    *(
        f"financial_profile.{name}"
        for name in (
            "purpose_id",
            "source_of_fund_ids",
            "source_of_wealth_ids",
            "estimated_annual_revenue_usd",
            "expected_monthly_deposits_usd",
            "expected_monthly_withdrawals_usd",
            "third_party_fund_usage",
        )
    ),
    "addresses.is_incorporated_address_same",
    "addresses.incorporated_address",
    *(
        f"{ADDR}.{name}"
        for name in (
            "street_line_1",
            "street_line_1_en",
            "city",
            "state",
            "subdivision_code",
            "postal_code",
            "country",
        )
    ),
    f"{P0}.basic_info",
    f"{P0}.address",
    f"{P0}.roles",
    *(
        f"{P0}.basic_info.{name}"
        for name in (
            "first_name",
            "first_name_en",
            "last_name",
            "last_name_en",
            "dob",
            "email",
            "phone",
            "country_of_residence",
            "primary_nationality",
            "tax_info",
        )
    ),
    f"{P1}.address.state",
    *(
        f"{P0}.ownership_info.{name}"
        for name in (
            "designation",
            "percentage_of_ownership",
            "relationship_establishment_date",
            "has_control",
            "is_signer",
            "is_director",
        )
    ),
    *(
        f"holding_structure.corporate_shareholders[0].{name}"
        for name in ("entity_name", "entity_name_en", "registration_country_code", "ownership_percentage")
    ),
    "holding_structure.foreign_branches[0].registration_country_code",
    *(
        f"compliance.regulated_activity.{name}"
        for name in (
            "description",
            "primary_authority_country_code",
            "primary_authority_name",
            "license_number",
        )
    ),
    *(f"compliance.aml.customer_risk_split.{name}" for name in ("low_risk", "medium_risk", "high_risk")),
    "compliance.aml.customer_identity_verification.method",
    "compliance.aml.pep_and_sanctions_screening.system",
    "compliance.aml.transaction_monitoring.method",
]


@pytest.mark.parametrize("path", REQUIRED_PATHS)
def test_each_required_field_is_named_when_missing(post, path):
    assert field_errors(post(without(full_body(), path))) == {path: REQUIRED}


# ---------------------------------------------------------------- shapes (checked while parsing)

SHAPE_CASES = [
    ("basic_info.email", "Contact@fin.com", "Email must be all lowercase"),
    (f"{P1}.basic_info.email", "Robert.Chen@acmecorp.com", "Email must be all lowercase"),
    ("basic_info.phone", "4155552671", "Phone must be in E.164 format, e.g. +14155552671"),
    (f"{P0}.basic_info.phone", "+1 415 555 0101", "Phone must be in E.164 format, e.g. +14155552671"),
    ("basic_info.country_of_incorporation", "US", "Must be an ISO 3166-1 alpha-3 country code"),
    (f"{P0}.basic_info.primary_nationality", "usa", "Must be an ISO 3166-1 alpha-3 country code"),
    (f"{ADDR}.state", "CA", "Must be an ISO 3166-2 subdivision code, e.g. US-CA"),
    (f"{P0}.address.subdivision_code", "US-XX", "Must be an ISO 3166-2 subdivision code, e.g. US-CA"),
    ("basic_info.legal_name_en", "Fín", "Must contain English (Latin) characters only"),
    (f"{ADDR}.street_line_1_en", "1 Marktstraße", "Must contain English (Latin) characters only"),
    (f"{P0}.basic_info.last_name_en", "Smíth", "Must contain English (Latin) characters only"),
    (f"{ADDR}.city", "Zürich", "Must contain English (Latin) characters only"),
    ("basic_info.description", "x" * 501, "String should have at most 500 characters"),
    ("basic_info.legal_name", "x" * 256, "String should have at most 255 characters"),
    (f"{ADDR}.city", "x" * 101, "String should have at most 100 characters"),
    (f"{P0}.basic_info.first_name", "x" * 51, "String should have at most 50 characters"),
    (f"{P0}.basic_info.last_name", "x" * 51, "String should have at most 50 characters"),
    (f"{P0}.ownership_info.designation", "x" * 101, "String should have at most 100 characters"),
    ("basic_info.legal_name", "   ", "Must not be blank"),
    ("basic_info.legal_name", "Fin\x00com", "Must not contain control characters"),
    (
        "basic_info.legal_entity_identifier",
        "5493001KJTIIGC8Y1R1",
        "String should have at least 20 characters",
    ),
    (
        "basic_info.legal_entity_identifier",
        "5493001KJTIIGC8Y1R13",
        "LEI check digits do not match (ISO 17442)",
    ),
    (
        "basic_info.legal_entity_identifier",
        "5493001kjtiigc8y1r12",
        "Must be a 20-character ISO 17442 LEI (upper-case letters and digits)",
    ),
    ("basic_info.websites[0]", "fin.com", "Must be an http(s) URL with a host, e.g. https://example.com"),
    (
        "basic_info.websites[0]",
        "ftp://fin.com",
        "Must be an http(s) URL with a host, e.g. https://example.com",
    ),
    ("basic_info.websites[0]", "https://fin .com", "Must be an http(s) URL without spaces"),
    ("basic_info.websites", [], "List should have at least 1 item after validation, not 0"),
    ("basic_info.tax_info", [], "List should have at least 1 item after validation, not 0"),
    ("industry_codes", [], "List should have at least 1 item after validation, not 0"),
    ("associated_parties", [], "List should have at least 1 item after validation, not 0"),
    (f"{P0}.roles", [], "List should have at least 1 item after validation, not 0"),
    ("financial_profile.source_of_fund_ids", [], "List should have at least 1 item after validation, not 0"),
    (
        "financial_profile.source_of_wealth_ids",
        [],
        "List should have at least 1 item after validation, not 0",
    ),
    ("basic_info.incorporation_date", "2018/06/15", "Must be a date in YYYY-MM-DD format"),
    (f"{P0}.basic_info.dob", 19800201, "Must be a date in YYYY-MM-DD format"),
    (
        f"{P0}.basic_info.dob",
        "1980-02-30",
        "Input should be a valid date or datetime, day value is outside expected range",
    ),
    (f"{P0}.ownership_info.percentage_of_ownership", 100.5, "Input should be less than or equal to 100"),
    (f"{P0}.ownership_info.percentage_of_ownership", -1, "Input should be greater than or equal to 0"),
    (f"{P0}.ownership_info.percentage_of_ownership", "60", "Input should be a valid number"),
    (
        "holding_structure.corporate_shareholders[0].ownership_percentage",
        101,
        "Input should be less than or equal to 100",
    ),
    ("financial_profile.estimated_annual_revenue_usd", -1, "Input should be greater than or equal to 0"),
    ("financial_profile.expected_transaction_value_usd", -5, "Input should be greater than or equal to 0"),
    ("compliance.aml.customer_risk_split.low_risk", 101, "Input should be less than or equal to 100"),
    ("public_listings[0].isin", "US023135106", "String should have at least 12 characters"),
    ("public_listings[0].isin", "US0231351068", "Invalid ISIN (country prefix or check digit)"),
    ("public_listings[0].mic", "XNASD", "String should have at most 4 characters"),
    ("public_listings[0].mic", "xnas", "Must be a 4-character ISO 10383 MIC, e.g. XNAS"),
    ("meta_data", {"reference": "a\x00b"}, "Must not contain NUL characters, NaN or Infinity"),
    ("meta_data", {"reference": 7}, "reference must be a string"),
    ("basic_info.registered_agent", "Acme Agents", "This field is not allowed"),
]


@pytest.mark.parametrize(("path", "value", "message"), SHAPE_CASES)
def test_each_shape_rule_names_its_field(post, path, value, message):
    assert field_errors(post(with_value(full_body(), path, value))) == {path: message}


WRONG_TYPES = [
    ("financial_profile.purpose_id", "1", "Input should be a valid integer"),
    ("financial_profile.purpose_id", 1.5, "Input should be a valid integer"),
    ("financial_profile.source_of_fund_ids[0]", True, "Input should be a valid integer"),
    ("financial_profile.third_party_fund_usage", "false", "Input should be a valid boolean"),
    ("addresses.is_incorporated_address_same", 1, "Input should be a valid boolean"),
    ("basic_info.legal_name", 123, "Input should be a valid string"),
    ("industry_codes", "541512", "Input should be a valid list"),
    ("basic_info", ["Fin.com"], OBJECT),
    ("basic_info.websites", "https://fin.com", "Input should be a valid list"),
    (f"{P0}.ownership_info", "60%", OBJECT),
    ("financial_profile.estimated_annual_revenue_usd", 10.5, "Input should be a valid integer"),
    ("meta_data", "REF-1", "Input should be a valid dictionary"),
]


@pytest.mark.parametrize(("path", "value", "message"), WRONG_TYPES)
def test_wrong_types_give_the_field_map(post, path, value, message):
    assert field_errors(post(with_value(full_body(), path, value))) == {path: message}


UNKNOWN_ENUMS = [
    ("verification_type", "PREMIUM", "Input should be 'STANDARD' or 'RELIANCE'"),
    ("basic_info.entity_type", "PRIVATE_LIMITED", None),
    (f"{P0}.roles[0]", "director", "Input should be 'shareholder' or 'ubo'"),
    ("holding_structure.corporate_shareholders[0].entity_type", "LLC", None),
    ("compliance.risk_profile.high_risk_activities[0]", "arms_dealing", None),
]


@pytest.mark.parametrize(("path", "value", "message"), UNKNOWN_ENUMS)
def test_unknown_enum_values_give_the_field_map(post, path, value, message):
    errors = field_errors(post(with_value(full_body(), path, value)))
    assert list(errors) == [path]
    assert errors[path].startswith("Input should be ")
    if message is not None:
        assert errors[path] == message


def test_malformed_json_gives_a_400_not_a_500(api, auth_headers):
    r = api.post(
        URL, content=b'{"basic_info": {', headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["status"] == 400


def test_malformed_json_gives_the_declared_field_map(api, auth_headers):
    r = api.post(
        URL, content=b'{"basic_info": {', headers={**auth_headers, "Content-Type": "application/json"}
    )
    assert field_errors(r) == {"body": "Malformed JSON"}


@pytest.mark.parametrize("payload", [b"[]", b'"business"', b"null", b""])
def test_a_body_that_is_not_an_object_gives_the_field_map(api, auth_headers, payload):
    r = api.post(URL, content=payload, headers={**auth_headers, "Content-Type": "application/json"})
    errors = field_errors(r)
    assert list(errors) == ["body"]


def test_non_finite_numbers_are_refused_without_a_500(api, auth_headers):
    text = json.dumps(business_body())
    text = text.replace('"expected_monthly_deposits_usd": 400000', '"expected_monthly_deposits_usd": NaN')
    text = text.replace(
        '"expected_monthly_withdrawals_usd": 350000', '"expected_monthly_withdrawals_usd": Infinity'
    )
    r = api.post(URL, content=text.encode(), headers={**auth_headers, "Content-Type": "application/json"})
    assert field_errors(r) == {
        "financial_profile.expected_monthly_deposits_usd": "Input should be a valid integer",
        "financial_profile.expected_monthly_withdrawals_usd": "Input should be a valid integer",
    }


def test_huge_amounts_are_stored_without_a_500(post):
    body = with_value(business_body(), "financial_profile.estimated_annual_revenue_usd", 10**40)
    assert post(body).status_code == 201


def test_nan_ownership_is_refused(api, auth_headers):
    text = json.dumps(business_body()).replace(
        '"percentage_of_ownership": 60', '"percentage_of_ownership": NaN'
    )
    r = api.post(URL, content=text.encode(), headers={**auth_headers, "Content-Type": "application/json"})
    assert field_errors(r) == {
        f"{P0}.ownership_info.percentage_of_ownership": "Input should be a finite number"
    }


# ---------------------------------------------------------------- cross-field rules (after parsing)


def test_incorporation_date_cannot_be_in_the_future(post, today):
    body = with_value(
        business_body(), "basic_info.incorporation_date", (today + timedelta(days=1)).isoformat()
    )
    assert field_errors(post(body)) == {"basic_info.incorporation_date": "Date cannot be in the future"}


def test_incorporation_date_today_is_accepted(post, today):
    assert (
        post(with_value(business_body(), "basic_info.incorporation_date", today.isoformat())).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("years", "days", "message"),
    [
        (18, 1, "Party must be at least 18 years old"),
        (121, 0, "Party must be at most 120 years old"),
        (0, 1, "Date of birth cannot be in the future"),
    ],
)
def test_party_age_must_be_18_to_120(post, today, years, days, message):
    body = with_value(business_body(), f"{P1}.basic_info.dob", years_ago(today, years, days))
    assert field_errors(post(body)) == {f"{P1}.basic_info.dob": message}


def test_party_of_exactly_18_is_accepted(post, today):
    assert post(with_value(business_body(), f"{P0}.basic_info.dob", years_ago(today, 18))).status_code == 201


def test_ages_are_counted_on_the_server_clock(post, clock, today):
    """A party who turns 18 today is accepted; with the server clock set a day back, the same body is refused."""
    body = with_value(business_body(), f"{P0}.basic_info.dob", years_ago(today, 18))
    assert post(body).status_code == 201
    clock.offset = -timedelta(days=1)
    assert field_errors(post(body)) == {f"{P0}.basic_info.dob": "Party must be at least 18 years old"}


def test_relationship_establishment_date_cannot_be_in_the_future(post, today):
    path = f"{P0}.ownership_info.relationship_establishment_date"
    body = with_value(business_body(), path, (today + timedelta(days=1)).isoformat())
    assert field_errors(post(body)) == {path: "Date cannot be in the future"}


def test_corporate_shareholder_incorporation_date_cannot_be_in_the_future(post, today):
    path = "holding_structure.corporate_shareholders[0].incorporation_date"
    body = with_value(full_body(), path, (today + timedelta(days=3)).isoformat())
    assert field_errors(post(body)) == {path: "Date cannot be in the future"}


@pytest.mark.parametrize("code", ["999999", "54151", "5415120", "ABCDEF"])
def test_industry_codes_must_be_naics_2022(post, code):
    body = with_value(business_body(), "industry_codes", ["541512", code])
    assert field_errors(post(body)) == {"industry_codes[1]": "Must be a NAICS 2022 6-digit industry code"}


def test_industry_codes_must_be_unique(post):
    body = with_value(business_body(), "industry_codes", ["541512", "522390", "541512"])
    assert field_errors(post(body)) == {"industry_codes": "Items must be unique"}


def test_purpose_id_must_be_in_the_business_catalogue(post):
    body = with_value(business_body(), "financial_profile.purpose_id", 999_999)
    assert field_errors(post(body)) == {
        "financial_profile.purpose_id": "Unknown purpose_id; see GET /v1/purposes?type=BUSINESS"
    }


@pytest.mark.parametrize("remarks", [None, "  "])
def test_purpose_remarks_are_required_for_other(post, remarks):
    other = list(catalogue.purposes(CatalogueType.BUSINESS))[-1]
    assert catalogue.purposes(CatalogueType.BUSINESS)[other] == "Other"
    body = with_value(business_body(), "financial_profile.purpose_id", other)
    if remarks is not None:
        body = with_value(body, "financial_profile.purpose_remarks", remarks)
    errors = field_errors(post(body))
    if remarks is None:
        assert errors == {"financial_profile.purpose_remarks": "Required when the purpose is Other"}
    else:
        assert errors == {"financial_profile.purpose_remarks": "Must not be blank"}


@pytest.mark.parametrize(
    ("field", "endpoint"),
    [("source_of_fund_ids", "/v1/source-of-funds"), ("source_of_wealth_ids", "/v1/source-of-wealth")],
)
def test_fund_and_wealth_ids_must_exist_and_be_unique(post, field, endpoint):
    path = f"financial_profile.{field}"
    assert field_errors(post(with_value(business_body(), path, [1, 999_999]))) == {
        f"{path}[1]": f"Unknown id; see GET {endpoint}?type=BUSINESS"
    }
    assert field_errors(post(with_value(business_body(), path, [1, 2, 1]))) == {path: "Ids must be unique"}


@pytest.mark.parametrize(
    ("base", "value"),
    [
        ("basic_info.trade_name", "フィン"),
        (f"{ADDR}.street_line_2", "2階"),
        (f"{P0}.basic_info.middle_name", "Zoë"),
    ],
)
def test_non_latin_text_needs_its_en_transliteration(post, base, value):
    body = with_value(business_body(), base, value)
    assert field_errors(post(body)) == {f"{base}_en": "Required when the field contains non-Latin characters"}


@pytest.mark.parametrize(
    "street",
    ["P.O. Box 123", "PO Box 5", "p.o.box 9", "Post Office Box 7", "POB 12", "Postal Box 4", "P O Box 8"],
)
def test_po_boxes_are_refused(post, street):
    body = with_value(business_body(), f"{ADDR}.street_line_1", street)
    assert field_errors(post(body)) == {f"{ADDR}.street_line_1": "P.O. Box addresses are not accepted"}


def test_po_boxes_are_refused_in_the_transliteration_and_in_party_addresses(post):
    body = with_value(business_body(), f"{ADDR}.street_line_1_en", "PO Box 5")
    body = with_value(body, f"{P1}.address.street_line_1", "P.O. Box 77")
    assert field_errors(post(body)) == {
        f"{ADDR}.street_line_1_en": "P.O. Box addresses are not accepted",
        f"{P1}.address.street_line_1": "P.O. Box addresses are not accepted",
    }


def test_state_must_belong_to_the_address_country(post):
    body = with_value(business_body(), f"{ADDR}.state", "GB-LND")
    body = with_value(body, f"{ADDR}.subdivision_code", "GB-LND")
    assert field_errors(post(body)) == {
        f"{ADDR}.state": "Subdivision GB-LND does not belong to country USA",
        f"{ADDR}.subdivision_code": "Subdivision GB-LND does not belong to country USA",
    }


def test_subdivision_code_must_equal_state(post):
    body = with_value(business_body(), f"{P0}.address.subdivision_code", "US-NY")
    assert field_errors(post(body)) == {f"{P0}.address.subdivision_code": "Must be the same value as state"}


@pytest.mark.parametrize(
    ("country_fields", "postal", "ok"),
    [
        ({}, "94105-1234", True),
        ({}, "9410", False),
        ({}, "ABCDE", False),
        ({}, "94105!", False),
        ({"state": "GB-WSM", "subdivision_code": "GB-WSM", "country": "GBR"}, "SW1A 2AA", True),
        ({"state": "GB-WSM", "subdivision_code": "GB-WSM", "country": "GBR"}, "12345", False),
        ({"state": "CA-ON", "subdivision_code": "CA-ON", "country": "CAN"}, "k1a 0b1", True),
        # No national format known for the UAE: only the sanity check applies.
        ({"state": "AE-DU", "subdivision_code": "AE-DU", "country": "ARE"}, "00000", True),
        ({"state": "AE-DU", "subdivision_code": "AE-DU", "country": "ARE"}, "-", False),
    ],
)
def test_postal_code_format_follows_the_country(post, country_fields, postal, ok):
    body = business_body()
    body["associated_parties"][0]["address"].update(country_fields, postal_code=postal)
    r = post(body)
    if ok:
        assert r.status_code == 201, r.text
    else:
        country = country_fields.get("country", "USA")
        assert field_errors(r) == {f"{P0}.address.postal_code": f"Invalid postal code format for {country}"}


def test_business_phone_must_match_an_address_or_incorporation_country(post):
    body = with_value(business_body(), "basic_info.phone", "+447911123456")
    assert field_errors(post(body)) == {"basic_info.phone": BUSINESS_PHONE}


def test_party_phone_must_match_country_of_residence(post):
    body = with_value(business_body(), f"{P1}.basic_info.phone", "+447911123456")
    assert field_errors(post(body)) == {
        f"{P1}.basic_info.phone": "Phone country code must match country_of_residence USA"
    }


def test_party_emails_must_be_unique(post):
    body = with_value(business_body(), f"{P1}.basic_info.email", "jane.smith@acmecorp.com")
    assert field_errors(post(body)) == {
        f"{P1}.basic_info.email": "Must be unique across associated parties (same as party 0)"
    }


def test_roles_must_be_unique(post):
    body = with_value(business_body(), f"{P1}.roles", ["ubo", "ubo"])
    assert field_errors(post(body)) == {f"{P1}.roles": "Roles must be unique"}


def test_one_party_must_hold_both_shareholder_and_ubo(post):
    body = with_value(business_body(), f"{P0}.roles", ["shareholder"])
    body = with_value(body, f"{P1}.roles", ["ubo"])
    assert field_errors(post(body)) == {
        "associated_parties": "At least one associated party must hold both shareholder and ubo roles"
    }


def test_ownership_info_is_required_for_a_ubo(post):
    body = with_value(business_body(), f"{P1}.roles", ["ubo"])
    body = without(body, f"{P1}.ownership_info")
    assert field_errors(post(body)) == {f"{P1}.ownership_info": "Required when roles includes ubo"}


def test_a_shareholder_without_ownership_info_is_accepted(post):
    body = with_value(business_body(), f"{P1}.roles", ["shareholder"])
    assert post(without(body, f"{P1}.ownership_info")).status_code == 201


@pytest.mark.parametrize(("first", "second", "total"), [(60, 41, "101"), (0, 0, "0"), (99.5, 0.75, "100.25")])
def test_total_ownership_must_be_above_0_and_at_most_100(post, first, second, total):
    body = with_value(business_body(), f"{P0}.ownership_info.percentage_of_ownership", first)
    body = with_value(body, f"{P1}.ownership_info.percentage_of_ownership", second)
    assert field_errors(post(body)) == {
        "associated_parties": f"Total percentage_of_ownership must be above 0 and at most 100 (got {total})"
    }


def test_fractional_ownership_adding_up_to_exactly_100_is_accepted(post):
    body = with_value(business_body(), f"{P0}.ownership_info.percentage_of_ownership", 33.3)
    body = with_value(body, f"{P1}.ownership_info.percentage_of_ownership", 66.7)
    assert post(body).status_code == 201


def test_two_rules_on_the_same_path_share_one_message(post):
    body = with_value(business_body(), f"{P0}.roles", ["shareholder"])
    body = with_value(body, f"{P1}.roles", ["ubo"])
    body = with_value(body, f"{P1}.ownership_info.percentage_of_ownership", 41)
    assert field_errors(post(body)) == {
        "associated_parties": "At least one associated party must hold both shareholder and ubo roles; "
        "Total percentage_of_ownership must be above 0 and at most 100 (got 101)"
    }


def test_physical_address_is_required_when_not_the_incorporated_one(post):
    body = with_value(business_body(), "addresses.is_incorporated_address_same", False)
    assert field_errors(post(body)) == {
        "addresses.physical_address": "Required when is_incorporated_address_same is false"
    }


def test_corporate_shareholders_cannot_own_more_than_100_between_them(post):
    body = full_body()
    first = body["holding_structure"]["corporate_shareholders"][0]
    body["holding_structure"]["corporate_shareholders"] = [
        {**first, "ownership_percentage": 70},
        {**first, "ownership_percentage": 30.5},
    ]
    message = "Total ownership_percentage must be at most 100 (got 100.5)"
    assert field_errors(post(body)) == {"holding_structure.corporate_shareholders": message}


@pytest.mark.parametrize("listings", [None, []])
def test_public_listings_are_required_for_a_publicly_listed_company(post, listings):
    body = with_value(business_body(), "basic_info.entity_type", "PUBLICLY_LISTED_COMPANY")
    if listings is not None:
        body["public_listings"] = listings
    assert field_errors(post(body)) == {
        "public_listings": "Required when entity_type is PUBLICLY_LISTED_COMPANY"
    }


def test_high_risk_activities_need_an_explanation(post):
    body = without(full_body(), "compliance.risk_profile.high_risk_activities_explanation")
    message = "Required when high_risk_activities is non-empty"
    assert field_errors(post(body)) == {"compliance.risk_profile.high_risk_activities_explanation": message}


def test_no_high_risk_activities_need_no_explanation(post):
    body = with_value(full_body(), "compliance.risk_profile.high_risk_activities", [])
    assert post(without(body, "compliance.risk_profile.high_risk_activities_explanation")).status_code == 201


def test_high_risk_activities_must_be_unique(post):
    path = "compliance.risk_profile.high_risk_activities"
    body = with_value(full_body(), path, ["gambling", "gambling"])
    assert field_errors(post(body)) == {path: "Items must be unique"}


@pytest.mark.parametrize("split", [(70, 25, 4), (70, 25, 6), (0, 0, 0)])
def test_customer_risk_split_must_sum_to_100(post, split):
    low, medium, high = split
    value = {"low_risk": low, "medium_risk": medium, "high_risk": high}
    body = with_value(full_body(), "compliance.aml.customer_risk_split", value)
    assert field_errors(post(body)) == {
        "compliance.aml.customer_risk_split": "low_risk, medium_risk and high_risk must sum to 100"
    }


# ---------------------------------------------------------------- tax ids

TAX_CASES = [
    # USA business: EIN only, as ##-#######, with a campus prefix the IRS issues.
    ("basic_info.tax_info[0]", "USA", "EIN", "123456789", "document_id", "Invalid EIN format"),
    ("basic_info.tax_info[0]", "USA", "EIN", "00-3456789", "document_id", "Invalid EIN format"),
    ("basic_info.tax_info[0]", "USA", "TIN", "12-3456789", "document_type", "Must be one of EIN for USA"),
    ("basic_info.tax_info[0]", "USA", "SSN", "123-45-6789", "document_type", "Must be one of EIN for USA"),
    # USA individual: SSN or ITIN, each in its own layout and ranges.
    (f"{P0}.basic_info.tax_info[0]", "USA", "SSN", "123456789", "document_id", "Invalid SSN format"),
    (f"{P0}.basic_info.tax_info[0]", "USA", "SSN", "000-12-3456", "document_id", "Invalid SSN format"),
    (f"{P0}.basic_info.tax_info[0]", "USA", "SSN", "912-70-1234", "document_id", "Invalid SSN format"),
    (f"{P0}.basic_info.tax_info[0]", "USA", "ITIN", "123-45-6789", "document_id", "Invalid ITIN format"),
    (
        f"{P0}.basic_info.tax_info[0]",
        "USA",
        "EIN",
        "12-3456789",
        "document_type",
        "Must be one of ITIN, SSN for USA",
    ),
    # Elsewhere: generic types, with VAT numbers checked where the country's scheme is known.
    ("basic_info.tax_info[0]", "DEU", "VAT_ID", "DE136695977", "document_id", "Invalid VAT_ID format"),
    ("basic_info.tax_info[0]", "BRA", "CNPJ", "16.727.230/0001-98", "document_id", "Invalid CNPJ format"),
    ("basic_info.tax_info[0]", "BGD", "TIN", "12", "document_id", "Invalid tax identifier format"),
    (
        "basic_info.tax_info[0]",
        "BGD",
        "SSN",
        "123456789012",
        "document_type",
        "Must be one of BUSINESS_REGISTRATION_NUMBER, TAX_ID, TIN, VAT_ID for BGD",
    ),
    (f"{P0}.basic_info.tax_info[0]", "BRA", "CPF", "390.533.447-06", "document_id", "Invalid CPF format"),
]


@pytest.mark.parametrize(("item", "country", "doc_type", "doc_id", "field", "message"), TAX_CASES)
def test_tax_ids_are_right_for_their_country(post, item, country, doc_type, doc_id, field, message):
    body = with_value(
        business_body(), item, {"country_code": country, "document_type": doc_type, "document_id": doc_id}
    )
    assert field_errors(post(body)) == {f"{item}.{field}": message}


@pytest.mark.parametrize(
    ("item", "country", "doc_type", "doc_id"),
    [
        ("basic_info.tax_info[0]", "BGD", "TIN", "123456789012"),
        ("basic_info.tax_info[0]", "DEU", "VAT_ID", "DE136695976"),
        ("basic_info.tax_info[0]", "BRA", "CNPJ", "16.727.230/0001-97"),
        ("basic_info.tax_info[0]", "IND", "PAN", "ABCPD1234E"),
        (f"{P0}.basic_info.tax_info[0]", "USA", "ITIN", "912-70-1234"),
        (f"{P0}.basic_info.tax_info[0]", "BRA", "CPF", "390.533.447-05"),
        (f"{P0}.basic_info.tax_info[0]", "GBR", "TIN", "AB123456C"),
    ],
)
def test_valid_tax_ids_of_other_kinds_are_accepted(post, item, country, doc_type, doc_id):
    body = with_value(
        business_body(), item, {"country_code": country, "document_type": doc_type, "document_id": doc_id}
    )
    assert post(body).status_code == 201


def test_business_tax_ids_must_be_unique(post):
    ein = {"country_code": "USA", "document_type": "EIN", "document_id": "12-3456789"}
    body = with_value(business_body(), "basic_info.tax_info", [ein, ein])
    assert field_errors(post(body)) == {
        "basic_info.tax_info[1].document_id": "Each document_id must be unique"
    }


def test_party_tax_ids_must_be_unique_across_parties(post):
    body = business_body()
    ssn = body["associated_parties"][0]["basic_info"]["tax_info"][0]
    body["associated_parties"][1]["basic_info"]["tax_info"] = [dict(ssn)]
    assert field_errors(post(body)) == {
        f"{P1}.basic_info.tax_info[0].document_id": "Each document_id must be unique"
    }


# ---------------------------------------------------------------- many errors at once


def test_one_response_names_every_shape_error(post):
    body = without(full_body(), "basic_info.legal_name")
    body = with_value(body, "basic_info.email", "Contact@fin.com")
    body = with_value(body, "basic_info.entity_type", "LLC")
    body = with_value(body, "financial_profile.purpose_id", "one")
    body = with_value(body, f"{P1}.basic_info.dob", "01/02/1980")
    body = with_value(body, "compliance.aml.customer_risk_split.high_risk", -5)
    body = with_value(body, "public_listings[0].isin", "US0231351068")
    assert set(field_errors(post(body))) == {
        "basic_info.legal_name",
        "basic_info.email",
        "basic_info.entity_type",
        "financial_profile.purpose_id",
        f"{P1}.basic_info.dob",
        "compliance.aml.customer_risk_split.high_risk",
        "public_listings[0].isin",
    }


def test_one_response_names_every_rule_error(post, today):
    body = full_body()
    body = with_value(body, "basic_info.incorporation_date", (today + timedelta(days=1)).isoformat())
    body = with_value(body, "basic_info.phone", "+447911123456")
    body = with_value(body, "basic_info.tax_info[0].document_id", "123456789")
    body = with_value(body, "industry_codes", ["999999"])
    body = with_value(body, "financial_profile.purpose_id", 999_999)
    body = with_value(body, "financial_profile.source_of_wealth_ids", [1, 1])
    body = with_value(body, "addresses.is_incorporated_address_same", False)
    body = with_value(body, f"{ADDR}.street_line_1", "PO Box 12")
    body = with_value(body, f"{ADDR}.subdivision_code", "US-NY")
    body = with_value(body, f"{P0}.basic_info.dob", years_ago(today, 17))
    body = with_value(body, f"{P1}.basic_info.email", "jane.smith@acmecorp.com")
    body = with_value(body, f"{P1}.ownership_info.percentage_of_ownership", 41)
    body = without(body, "compliance.risk_profile.high_risk_activities_explanation")
    body = with_value(body, "compliance.aml.customer_risk_split.low_risk", 10)
    body = with_value(body, "basic_info.entity_type", "PUBLICLY_LISTED_COMPANY")
    del body["public_listings"]
    assert set(field_errors(post(body))) == {
        "basic_info.incorporation_date",
        "basic_info.phone",
        "basic_info.tax_info[0].document_id",
        "industry_codes[0]",
        "financial_profile.purpose_id",
        "financial_profile.source_of_wealth_ids",
        "addresses.physical_address",
        f"{ADDR}.street_line_1",
        f"{ADDR}.subdivision_code",
        f"{P0}.basic_info.dob",
        f"{P1}.basic_info.email",
        "associated_parties",
        "compliance.risk_profile.high_risk_activities_explanation",
        "compliance.aml.customer_risk_split",
        "public_listings",
    }


def test_nothing_is_stored_when_validation_fails(post, api, auth_headers):
    field_errors(post(with_value(business_body(), "industry_codes", ["999999"])))
    listing = api.get("/v2/customers", params={"type": "BUSINESS"}, headers=auth_headers).json()
    assert listing["data"]["pagination"]["total"] == 0


def test_reliance_without_entitlement_is_423_after_validation(post):
    r = post(with_value(business_body(), "verification_type", "RELIANCE"))
    assert r.status_code == 423
    assert r.json() == {"status": 423, "message": "RELIANCE is not available for your client"}


# ---------------------------------------------------------------- one answer: schema and rules together


def test_rule_errors_come_with_the_schema_errors_in_one_answer(post):
    """The shareholder/UBO rule, the ownership total and a party's own rules are named beside a schema
    error of another field, not only once that error is fixed."""
    body = business_body()
    body["basic_info"]["email"] = "not-an-email"  # schema error
    body["associated_parties"][0]["basic_info"]["dob"] = "15/04/1990"  # schema error in party 0
    for party in body["associated_parties"]:
        party["roles"] = ["shareholder"]  # rule: nobody is both shareholder and ubo
    body["associated_parties"][0]["ownership_info"]["percentage_of_ownership"] = 90  # rule: 130 in total
    body["associated_parties"][1]["address"]["state"] = "US-NY"  # rule on a party that validates
    errors = field_errors(post(body))
    assert errors["basic_info.email"]
    assert errors[f"{P0}.basic_info.dob"] == "Must be a date in YYYY-MM-DD format"
    assert errors["associated_parties"] == (
        "At least one associated party must hold both shareholder and ubo roles; "
        "Total percentage_of_ownership must be above 0 and at most 100 (got 130)"
    )
    assert errors[f"{P1}.address.subdivision_code"] == "Must be the same value as state"


def test_a_rule_that_needs_a_field_that_failed_waits_for_it(post):
    body = business_body()
    body["associated_parties"][1]["roles"] = "ubo"  # schema error: roles is a list
    body["associated_parties"][0]["roles"] = ["shareholder"]
    errors = field_errors(post(body))
    # Party 1's roles did not validate: whether anyone holds both roles is not known yet.
    assert set(errors) == {f"{P1}.roles"}
