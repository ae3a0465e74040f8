"""The catalogue endpoints over HTTP, and the shipped data files they serve."""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pycountry
import pytest
import yaml

from tollgate.catalogue import service

SPEC = Path(__file__).resolve().parents[1] / "reference" / "fin-customers-openapi.yml"

PAGED = [
    ("/v1/countries", "countries"),
    ("/v1/occupations", "occupations"),
    ("/v1/industries", "industries"),
    ("/v1/purposes", "purposes"),
    ("/v1/source-of-funds", "source_of_funds"),
    ("/v1/source-of-wealth", "source_of_wealth"),
]
TYPED = ["/v1/purposes", "/v1/source-of-funds", "/v1/source-of-wealth"]
ALL_PATHS = [path for path, _ in PAGED] + ["/v1/countries/USA/subdivisions"]


def _params(path: str, **params: Any) -> dict[str, Any]:
    """The query for a list endpoint: the required ``type`` where it takes one, then ``params``."""
    return {"type": "INDIVIDUAL", **params} if path in TYPED else params


# Data files of {id, title} items, per kind where the list depends on the customer type.
KINDED_FILES = ["purposes", "source_of_funds", "source_of_wealth"]


def _spec_example(path: str) -> Any:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["example"]


def _data_file(name: str) -> Any:
    path = resources.files("tollgate.catalogue").joinpath("data", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _item_lists() -> list[tuple[str, list[dict[str, Any]]]]:
    lists = [("occupations", _data_file("occupations")), ("industries", _data_file("industries"))]
    for name in KINDED_FILES:
        for kind, items in _data_file(name).items():
            lists.append((f"{name}/{kind}", items))
    return lists


def _get(api, auth_headers, url: str, **params: Any) -> dict[str, Any]:
    r = api.get(url, headers=auth_headers, params=_params(url, **params))
    assert r.status_code == 200, r.text
    return r.json()


# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize("path", ALL_PATHS)
def test_every_catalogue_endpoint_needs_a_bearer_token(api, path):
    r = api.get(path, params=_params(path))
    assert r.status_code == 401
    assert r.json() == {"message": "Authentication failed"}

    r = api.get(path, params=_params(path), headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.json() == {"message": "Authentication failed"}


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize(("path", "key"), PAGED)
def test_paged_lists_have_fins_envelope_and_default_paging(api, auth_headers, path, key):
    body = _get(api, auth_headers, path)
    assert list(body) == ["data"]
    assert list(body["data"]) == ["pagination", key]
    pagination = body["data"]["pagination"]
    assert list(pagination) == ["current_page", "per_page", "total_page", "total"]
    assert pagination["current_page"] == 1
    assert pagination["per_page"] == 10
    assert pagination["total"] > 10
    assert pagination["total_page"] == math.ceil(pagination["total"] / 10)
    assert len(body["data"][key]) == 10


@pytest.mark.parametrize(("path", "key"), [p for p in PAGED if p[1] != "countries"])
def test_id_list_items_are_id_and_title(api, auth_headers, path, key):
    items = _get(api, auth_headers, path, per_page=512)["data"][key]
    for item in items:
        assert list(item) == ["id", "title"]
        assert isinstance(item["id"], int)
        assert isinstance(item["title"], str)
        assert item["title"]


def test_first_countries_page_is_fins_documented_example(api, auth_headers):
    expected = _spec_example("/v1/countries")["data"]["countries"]
    body = _get(api, auth_headers, "/v1/countries", per_page=20)
    assert body["data"]["pagination"] == {"current_page": 1, "per_page": 20, "total_page": 13, "total": 249}
    assert body["data"]["countries"] == expected


def test_countries_are_every_iso_country_once_ordered_by_name(api, auth_headers):
    countries = _get(api, auth_headers, "/v1/countries", per_page=512)["data"]["countries"]
    codes = [c["code"] for c in countries]
    assert len(codes) == len(set(codes)) == 249
    assert set(codes) == {c.alpha_3 for c in pycountry.countries}
    # Accents fold: Åland Islands sits between Afghanistan and Albania, Côte d'Ivoire among the C's.
    assert codes[:3] == ["AFG", "ALA", "ALB"]
    assert codes.index("CRI") < codes.index("CIV") < codes.index("HRV")
    assert codes[-1] == "ZWE"


def test_country_fields(api, auth_headers):
    countries = {
        c["code"]: c for c in _get(api, auth_headers, "/v1/countries", per_page=512)["data"]["countries"]
    }
    usa = countries["USA"]
    assert usa == {
        "code": "USA",
        "name": "United States",
        "currency_code": "USD",
        "phone_code": "+1",
        "flag_url": "https://flagcdn.com/us.svg",
        "postal_code": {"required": True, "regex": r"\A(\d{5})(?:[ \-](\d{4}))?\Z"},
    }
    assert countries["CAN"]["phone_code"] == "+1"
    assert countries["PRI"]["phone_code"] == "+1-787"
    assert countries["BGD"]["phone_code"] == "+880"
    assert countries["GBR"]["currency_code"] == "GBP"
    assert countries["BGR"]["currency_code"] == "EUR"
    # Fin leaves the keys out where a country has neither (Antarctica in its example).
    assert list(countries["ATA"]) == ["code", "name", "flag_url", "postal_code"]
    for country in countries.values():
        assert list(country)[:2] == ["code", "name"]
        assert list(country)[-2:] == ["flag_url", "postal_code"]
        alpha2 = pycountry.countries.get(alpha_3=country["code"]).alpha_2.lower()
        assert country["flag_url"] == f"https://flagcdn.com/{alpha2}.svg"
        if "currency_code" in country:
            assert pycountry.currencies.get(alpha_3=country["currency_code"]) is not None, country
        if "phone_code" in country:
            assert re.fullmatch(r"\+\d{1,3}(-\d{3})?", country["phone_code"]), country
        rule = country["postal_code"]
        assert rule["required"] is (rule["regex"] is not None)
        if rule["regex"] is not None:
            assert rule["regex"].startswith(r"\A")
            assert rule["regex"].endswith(r"\Z")
            re.compile(rule["regex"])


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [
        ("USA", ["94105", "94105-1234", "10001 0001"], ["9410", "941051", "ABCDE", "x94105", "94105x"]),
        ("GBR", ["SW1A 1AA", "EC1A1BB", "M1 1AE", "GIR 0AA", "BFPO 57"], ["12345", "SW1A 1AAX", "XSW1A 1AA"]),
        ("CAN", ["K1A 0B1", "H3Z2Y7"], ["K1A 0B", "D1A 0B1", "12345"]),
        ("DEU", ["10115", "80331"], ["1011", "101155"]),
        ("NLD", ["1012 AB", "3011AD"], ["0123 AB", "1012 SA"]),
        ("JPN", ["100-0001", "1500001"], ["100-001"]),
        ("BGD", ["1205", "1000"], ["12050", "120"]),
        ("IND", ["110001", "560001"], ["11000", "1100011", "560 001"]),
        ("BRA", ["01310-100", "01310100"], ["0131-0100"]),
        ("BHR", ["317", "1216"], ["1316", "31"]),
    ],
)
def test_postal_regexes_accept_real_codes(api, auth_headers, country, good, bad):
    countries = {
        c["code"]: c for c in _get(api, auth_headers, "/v1/countries", per_page=512)["data"]["countries"]
    }
    pattern = re.compile(countries[country]["postal_code"]["regex"])
    for code in good:
        assert pattern.search(code), (country, code)
    for code in bad:
        assert not pattern.search(code), (country, code)


def test_countries_without_postal_codes_say_so(api, auth_headers):
    countries = {
        c["code"]: c for c in _get(api, auth_headers, "/v1/countries", per_page=512)["data"]["countries"]
    }
    for code in ("AGO", "ABW", "ARE", "HKG"):
        assert countries[code]["postal_code"] == {"required": False, "regex": None}


def test_source_of_wealth_for_businesses_is_fins_documented_example(api, auth_headers):
    body = _get(api, auth_headers, "/v1/source-of-wealth", type="BUSINESS")
    assert body == _spec_example("/v1/source-of-wealth")


@pytest.mark.parametrize(
    ("path", "name", "key"),
    [
        ("/v1/purposes", "purposes", "purposes"),
        ("/v1/source-of-funds", "source_of_funds", "source_of_funds"),
        ("/v1/source-of-wealth", "source_of_wealth", "source_of_wealth"),
    ],
)
def test_typed_lists_serve_the_list_of_that_type(api, auth_headers, path, name, key):
    lists = _data_file(name)
    assert lists["INDIVIDUAL"] != lists["BUSINESS"]
    for kind in ("INDIVIDUAL", "BUSINESS"):
        body = _get(api, auth_headers, path, type=kind, per_page=512)
        assert body["data"][key] == lists[kind]
        assert body["data"]["pagination"]["total"] == len(lists[kind])


def test_occupations_and_industries_serve_their_files_in_order(api, auth_headers):
    occupations = _get(api, auth_headers, "/v1/occupations", per_page=512)["data"]["occupations"]
    assert occupations == _data_file("occupations")
    body = _get(api, auth_headers, "/v1/industries", per_page=512, current_page=2)
    industries = _data_file("industries")
    assert body["data"]["pagination"] == {"current_page": 2, "per_page": 512, "total_page": 2, "total": 1012}
    assert body["data"]["industries"] == industries[512:]
    assert industries[1] == {"id": 2, "title": "Oilseed (except Soybean) Farming"}


# ---------------------------------------------------------------- subdivisions


def test_subdivisions_of_usa(api, auth_headers):
    body = _get(api, auth_headers, "/v1/countries/USA/subdivisions")
    assert list(body) == ["data"]
    assert list(body["data"]) == ["subdivisions"]  # not paginated
    subdivisions = body["data"]["subdivisions"]
    assert {"name": "California", "code": "US-CA"} in subdivisions
    assert all(list(s) == ["name", "code"] for s in subdivisions)
    assert all(s["code"].startswith("US-") for s in subdivisions)
    codes = [s["code"] for s in subdivisions]
    assert codes == sorted(codes)
    assert len(subdivisions) > 10  # more than a default page: the whole list comes back


def test_subdivisions_of_bangladesh_match_fins_example(api, auth_headers):
    subdivisions = _get(api, auth_headers, "/v1/countries/BGD/subdivisions")["data"]["subdivisions"]
    assert subdivisions[0] == {"name": "Bandarban", "code": "BD-01"}
    assert "BD-13" in {s["code"] for s in subdivisions}
    assert all(s["code"].startswith("BD-") for s in subdivisions)


def test_a_country_without_subdivisions_has_an_empty_list(api, auth_headers):
    assert _get(api, auth_headers, "/v1/countries/ATA/subdivisions") == {"data": {"subdivisions": []}}


@pytest.mark.parametrize("code", ["XXX", "usa", "US", "UNITED"])
def test_subdivisions_of_a_code_outside_fins_country_enum_is_422(api, auth_headers, code):
    r = api.get(f"/v1/countries/{code}/subdivisions", headers=auth_headers)
    assert r.status_code == 422
    assert r.json() == {
        "message": "Validation failed",
        "errors": [{"country_code": "Must be an ISO 3166-1 alpha-3 country code"}],
    }


# ---------------------------------------------------------------- paging


def test_pages_cover_the_list_exactly_once_and_the_last_is_partial(api, auth_headers):
    total = len(_data_file("occupations"))
    # A page size that leaves a partial last page, for this test to mean anything.
    per_page = next(n for n in range(7, 20) if total % n)
    pages = math.ceil(total / per_page)
    seen: list[dict[str, Any]] = []
    for page in range(1, pages + 1):
        body = _get(api, auth_headers, "/v1/occupations", per_page=per_page, current_page=page)
        assert body["data"]["pagination"] == {
            "current_page": page,
            "per_page": per_page,
            "total_page": pages,
            "total": total,
        }
        expected = per_page if page < pages else total - per_page * (pages - 1)
        assert len(body["data"]["occupations"]) == expected
        seen += body["data"]["occupations"]
    assert seen == _data_file("occupations")


@pytest.mark.parametrize(("path", "key"), PAGED)
def test_a_page_past_the_end_is_empty_with_the_real_totals(api, auth_headers, path, key):
    first = _get(api, auth_headers, path)["data"]["pagination"]
    past = first["total_page"] + 1
    body = _get(api, auth_headers, path, current_page=past)
    assert body["data"][key] == []
    assert body["data"]["pagination"] == {**first, "current_page": past}
    far = _get(api, auth_headers, path, current_page=10**12)
    assert far["data"][key] == []
    assert far["data"]["pagination"]["total"] == first["total"]


@pytest.mark.parametrize("per_page", [1, 512])
def test_per_page_bounds_are_inclusive(api, auth_headers, per_page):
    body = _get(api, auth_headers, "/v1/industries", per_page=per_page)
    assert body["data"]["pagination"]["per_page"] == per_page
    assert len(body["data"]["industries"]) == per_page


@pytest.mark.parametrize("path", [p for p, _ in PAGED])
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"per_page": 0}, "per_page"),
        ({"per_page": 513}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"current_page": 0}, "current_page"),
        ({"current_page": -1}, "current_page"),
    ],
)
def test_bad_paging_is_422_in_fins_shape(api, auth_headers, path, params, field):
    r = api.get(path, headers=auth_headers, params=_params(path, **params))
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "Validation failed"
    assert [list(e) for e in body["errors"]] == [[field]]
    assert isinstance(body["errors"][0][field], str)


@pytest.mark.parametrize("path", TYPED)
def test_type_is_required(api, auth_headers, path):
    r = api.get(path, headers=auth_headers)
    assert r.status_code == 422
    assert r.json() == {"message": "Validation failed", "errors": [{"type": "This field is required"}]}


@pytest.mark.parametrize("path", TYPED)
@pytest.mark.parametrize("kind", ["PERSON", "individual", ""])
def test_type_must_be_individual_or_business(api, auth_headers, path, kind):
    r = api.get(path, headers=auth_headers, params={"type": kind})
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert list(error) == ["type"]


# ---------------------------------------------------------------- the data files


@pytest.mark.parametrize(("name", "items"), _item_lists())
def test_id_lists_have_unique_int_ids_starting_at_an_ordinary_id_1(name, items):
    ids = [item["id"] for item in items]
    assert all(type(i) is int and i > 0 for i in ids), name
    assert len(ids) == len(set(ids)), name
    titles = [item["title"] for item in items]
    assert len(titles) == len(set(titles)), name
    assert all(isinstance(t, str) and t.strip() == t and t for t in titles), name
    first = {item["id"]: item["title"] for item in items}
    assert 1 in first, name
    assert first[1] != "Other", name


@pytest.mark.parametrize(
    ("name", "items"), [(n, i) for n, i in _item_lists() if not n.startswith("industries")]
)
def test_chooseable_lists_end_with_other_and_have_only_one(name, items):
    assert items[-1]["title"] == "Other", name
    assert [i["title"] for i in items].count("Other") == 1, name


@pytest.mark.parametrize("kind", list(service.CatalogueType))
def test_service_lookups_agree_with_the_files(kind):
    purposes = service.purposes(kind)
    other = [i for i, title in purposes.items() if title == "Other"]
    assert len(other) == 1
    assert service.is_other_purpose(kind, other[0])
    assert not service.is_other_purpose(kind, 1)
    assert 1 in service.sources_of_funds(kind)
    assert 1 in service.sources_of_wealth(kind)
    assert 1 in service.occupations()


def test_occupations_is_a_realistic_list():
    assert 80 <= len(service.occupations()) <= 150
    titles = set(service.occupations().values())
    assert {"Software engineer", "Student", "Retired", "Unemployed", "Self-employed"} <= titles


def test_naics_holds_every_2022_industry_and_the_code_fins_example_sends():
    entries = _data_file("naics_2022")
    assert all(list(e) == ["code", "title", "edition"] for e in entries)
    assert all(re.fullmatch(r"\d{6}", e["code"]) for e in entries)
    by_edition = [e["code"] for e in entries if e["edition"] == 2022]
    assert len(by_edition) == len(set(by_edition)) == 1012  # the official count of NAICS 2022 industries
    for code in ("541512", "522390", "523160", "455110", "516210"):
        assert service.is_naics(code), code
    assert service.is_naics("523130")  # NAICS 2017, sent by Fin's CreateBusinessCustomerV2Input example
    assert {e["code"] for e in entries if e["edition"] == 2017} == {"523110", "523120", "523130", "523140"}
    for code in ("511210", "454110", "999999", "54151", "5415120"):  # retired before 2022, or not 6 digits
        assert not service.is_naics(code), code
    industries = _data_file("industries")
    assert [i["title"] for i in industries] == [e["title"] for e in entries if e["edition"] == 2022]


def test_postal_and_currency_files_are_keyed_by_iso_alpha3():
    countries = {c.alpha_3 for c in pycountry.countries}
    postal = _data_file("postal_codes")
    currencies = _data_file("currencies")
    assert set(postal) <= countries
    assert set(currencies) == countries - {"ATA"}
    assert len(postal) > 150


# ---------------------------------------------------------------- OpenAPI


def test_openapi_lists_the_catalogue_endpoints(api):
    spec = api.get("/openapi.json").json()
    fin = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    catalogue = [p for p, ops in fin["paths"].items() if "Catalogue" in ops.get("get", {}).get("tags", [])]
    assert len(catalogue) == 7
    for path in catalogue:
        operation = spec["paths"][path]["get"]
        assert operation["tags"] == ["Catalogue"], path
        assert {"200", "401", "422"} <= set(operation["responses"]), path
    [param] = spec["paths"]["/v1/countries/{country_code}/subdivisions"]["get"]["parameters"]
    assert sorted(param["schema"]["enum"]) == sorted(fin["components"]["schemas"]["CountryCode"]["enum"])
    purposes = {p["name"]: p for p in spec["paths"]["/v1/purposes"]["get"]["parameters"]}
    assert purposes["type"]["required"] is True
    assert purposes["per_page"]["schema"]["maximum"] == 512


def test_occupations_ignore_the_type_the_v2_individual_schema_tells_clients_to_send(api, auth_headers):
    plain = _get(api, auth_headers, "/v1/occupations", per_page=512)
    assert _get(api, auth_headers, "/v1/occupations", per_page=512, type="INDIVIDUAL") == plain
