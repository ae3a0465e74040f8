"""Lookups other domains use to validate ids and codes. Everything here is pure and cached."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, NotRequired, TypedDict, TypeVar, cast

import phonenumbers
import pycountry


class CatalogueType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"


@cache
def _load(name: str) -> Any:
    with resources.files("tollgate.catalogue").joinpath("data", f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------- countries


@cache
def alpha3_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.countries)


def is_country(code: str) -> bool:
    return code in alpha3_codes()


@cache
def alpha2_of(alpha3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country is not None else None


def _subdivisions_where(**match: str) -> Any:
    # pycountry's subdivision lookup is untyped: a list for country_code=, one record or None for code=.
    return pycountry.subdivisions.get(**match)  # type: ignore[no-untyped-call]


@cache
def subdivision_codes(alpha3: str) -> frozenset[str]:
    return frozenset(s["code"] for s in subdivisions(alpha3))


def subdivision_belongs(alpha3: str, code: str) -> bool:
    """``code`` is one of the country's ISO 3166-2 subdivisions. A country that has none (Hong Kong,
    Macao, Gibraltar, ...) takes its own alpha-2 code instead (docs/catalogue.md)."""
    codes = subdivision_codes(alpha3)
    if not codes:
        return code == alpha2_of(alpha3)
    return code in codes


def is_subdivision(code: str) -> bool:
    """Any ISO 3166-2 code, whatever its country, or the alpha-2 code of a country that has none."""
    if _subdivisions_where(code=code) is not None:
        return True
    country = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    return country is not None and not subdivision_codes(country.alpha_3)


def phone_region_alpha3(phone: str) -> set[str]:
    """The countries (alpha-3) an E.164 number's country calling code can belong to."""
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return set()
    out: set[str] = set()
    for region in phonenumbers.region_codes_for_country_code(parsed.country_code or 0):
        country = pycountry.countries.get(alpha_2=region)
        if country is not None:
            out.add(country.alpha_3)
    return out


class PostalCodeRule(TypedDict):
    required: bool
    regex: str | None


class Country(TypedDict):
    code: str
    name: str
    # Left out, as Fin's example does for Antarctica, when the country has none.
    currency_code: NotRequired[str]
    phone_code: NotRequired[str]
    flag_url: str
    postal_code: PostalCodeRule


class Subdivision(TypedDict):
    name: str
    code: str


FLAG_URL = "https://flagcdn.com/{alpha2}.svg"

# NANP members other than these two are written "+1-<area code>" by Fin ("+1-684" for American Samoa).
_NANP_PLAIN = frozenset({"US", "CA"})


def phone_code(alpha2: str) -> str | None:
    """Fin's ``phone_code``: ``+N``, or ``+1-AAA`` for NANP members other than the US and Canada."""
    calling = phonenumbers.country_code_for_region(alpha2)
    if not calling:
        return None
    if calling == 1 and alpha2 not in _NANP_PLAIN:
        example = phonenumbers.example_number_for_type(alpha2, phonenumbers.PhoneNumberType.FIXED_LINE)
        if example is not None:
            return f"+1-{str(example.national_number)[:3]}"
    return f"+{calling}"


def postal_code_rule(alpha3: str) -> PostalCodeRule:
    regex: str | None = _load("postal_codes").get(alpha3)
    return {"required": regex is not None, "regex": regex}


def _sort_key(name: str) -> str:
    # "Åland Islands" sorts with the A's, as in Fin's list.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@cache
def countries() -> tuple[Country, ...]:
    """Every ISO 3166-1 country, ordered by name."""
    currencies: dict[str, str] = _load("currencies")
    out: list[Country] = []
    for c in sorted(pycountry.countries, key=lambda c: _sort_key(c.name)):
        # Built key by key so the JSON keys come out in Fin's order.
        country: dict[str, Any] = {"code": c.alpha_3, "name": c.name}
        if c.alpha_3 in currencies:
            country["currency_code"] = currencies[c.alpha_3]
        phone = phone_code(c.alpha_2)
        if phone is not None:
            country["phone_code"] = phone
        country["flag_url"] = FLAG_URL.format(alpha2=c.alpha_2.lower())
        country["postal_code"] = postal_code_rule(c.alpha_3)
        out.append(cast(Country, country))
    return tuple(out)


@cache
def subdivisions(alpha3: str) -> tuple[Subdivision, ...]:
    """A country's ISO 3166-2 subdivisions (every level), ordered by code; empty for an unknown country."""
    alpha2 = alpha2_of(alpha3)
    if alpha2 is None:
        return ()
    found = _subdivisions_where(country_code=alpha2) or []
    return tuple({"name": s.name, "code": s.code} for s in sorted(found, key=lambda s: s.code))


# ---------------------------------------------------------------- paging

T = TypeVar("T")


def page_of(items: Sequence[T], current_page: int, per_page: int) -> list[T]:
    """One page of an in-memory list; a page past the end is empty."""
    start = (current_page - 1) * per_page
    return list(items[start : start + per_page])


# ---------------------------------------------------------------- id lists


def _ids(name: str, kind: CatalogueType | None = None) -> dict[int, str]:
    data = _load(name)
    items = data[kind.value] if kind is not None else data
    return {int(item["id"]): str(item["title"]) for item in items}


def occupations() -> dict[int, str]:
    return _ids("occupations")


def purposes(kind: CatalogueType) -> dict[int, str]:
    return _ids("purposes", kind)


def sources_of_funds(kind: CatalogueType) -> dict[int, str]:
    return _ids("source_of_funds", kind)


def sources_of_wealth(kind: CatalogueType) -> dict[int, str]:
    return _ids("source_of_wealth", kind)


def industries() -> dict[int, str]:
    return _ids("industries")


class Item(TypedDict):
    id: int
    title: str


def as_items(ids: dict[int, str]) -> list[Item]:
    """An id list in its file order, as Fin's ``{id, title}`` items."""
    return [{"id": key, "title": title} for key, title in ids.items()]


def is_other_purpose(kind: CatalogueType, purpose_id: int) -> bool:
    return purposes(kind).get(purpose_id, "").strip().lower() == "other"


@cache
def naics_codes() -> frozenset[str]:
    """NAICS 2022 6-digit codes, plus the four 2017 codes merged in 2022 (Fin's own example sends 523130)."""
    return frozenset(str(item["code"]) for item in _load("naics_2022"))


def is_naics(code: str) -> bool:
    return code in naics_codes()
