"""Realistic request bodies for seeding: people and companies of several countries whose names, phones,
subdivisions, postal codes and tax numbers pass every create rule. Deterministic for a given seed.

Numbers are drawn at random and kept only when the same validators the API uses accept them (phones by
phonenumbers, tax numbers by python-stdnum, see ``countries``), so a body generated here is valid by
construction; the services validate it again anyway.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache
from typing import Any

import phonenumbers

from tollgate.catalogue import service as catalogue
from tollgate.catalogue.service import CatalogueType
from tollgate.sandbox.countries import COUNTRIES, CountrySpec, Place, digits

COMPANY_WORDS = (
    "Northwind", "Bluefin", "Cedar", "Granite", "Harbor", "Lumen", "Meridian", "Nimbus", "Orchard", "Pioneer",
    "Quartz", "Redwood", "Summit", "Tidal", "Vertex", "Willow", "Atlas", "Beacon", "Copper", "Delta",
)  # fmt: skip
COMPANY_TRADES = (
    ("Logistics", "Freight forwarding and warehousing"),
    ("Software", "Business software and cloud services"),
    ("Trading", "Import and export of consumer goods"),
    ("Foods", "Wholesale food distribution"),
    ("Studio", "Design and marketing services"),
    ("Health", "Outpatient clinics and telemedicine"),
    ("Energy", "Solar installation and maintenance"),
    ("Capital", "Treasury and payments for small businesses"),
)
ENTITY_TYPES = (
    ("LIMITED_LIABILITY_COMPANY", "LLC"),
    ("CORPORATION", "Inc."),
    ("PARTNERSHIP", "Partners"),
    ("SOLE_PROPRIETOR", ""),
)
EMPLOYMENT = ("EMPLOYED", "EMPLOYED", "SELF_EMPLOYED", "RETIRED", "STUDENT")


@cache
def _catalogue_ids() -> dict[str, list[int]]:
    ind, bus = CatalogueType.INDIVIDUAL, CatalogueType.BUSINESS
    not_other = [i for i in catalogue.purposes(ind) if not catalogue.is_other_purpose(ind, i)]
    return {
        "occupations": sorted(catalogue.occupations()),
        "purposes": not_other,
        "funds": sorted(catalogue.sources_of_funds(ind)),
        "business_purposes": [i for i in catalogue.purposes(bus) if not catalogue.is_other_purpose(bus, i)],
        "business_funds": sorted(catalogue.sources_of_funds(bus)),
        "business_wealth": sorted(catalogue.sources_of_wealth(bus)),
    }


@cache
def _naics() -> list[str]:
    return sorted(catalogue.naics_codes())


class Generator:
    """Bodies for ``POST /v2/customers/individual`` and ``/business``, varied by a seeded random source."""

    def __init__(self, seed: int = 0, *, phones_per_country: int = 300) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self._phones = {c.code: self._phone_pool(c, phones_per_country) for c in COUNTRIES}
        self._ids = _catalogue_ids()

    def _phone_pool(self, country: CountrySpec, size: int) -> list[str]:
        pool: list[str] = []
        for _ in range(size * 50):
            prefix = self.rng.choice(country.phone_prefixes)
            number = prefix + digits(self.rng, country.phone_digits - (len(prefix) - 1))
            if phonenumbers.is_valid_number(phonenumbers.parse(number, None)):
                pool.append(number)
                if len(pool) == size:
                    break
        if not pool:
            raise RuntimeError(f"no valid phone number for {country.code}")
        return pool

    def country(self) -> CountrySpec:
        # The United States weigh as much as the others together: most integrators start there.
        return COUNTRIES[0] if self.rng.random() < 0.5 else self.rng.choice(COUNTRIES[1:])

    def _person(self, country: CountrySpec, today: date, n: int, domain: str | None) -> dict[str, Any]:
        rng = self.rng
        first, first_en = rng.choice(country.first_names)
        last, last_en = rng.choice(country.last_names)
        latin_first, latin_last = first_en or first, last_en or last
        local = f"{latin_first}.{latin_last}".lower().replace(" ", "")
        info: dict[str, Any] = {"first_name": first}
        if first_en:
            info["first_name_en"] = first_en
        info["last_name"] = last
        if last_en:
            info["last_name_en"] = last_en
        age_days = rng.randint(19 * 366, 80 * 365)
        info.update(
            dob=(today - timedelta(days=age_days)).isoformat(),
            email=f"{local}.{n}@{domain or country.domain}",
            phone=rng.choice(self._phones[country.code]),
            country_of_residence=country.code,
            primary_nationality=country.code,
        )
        return info

    def _street(self, place: Place) -> str:
        return f"{self.rng.randint(1, 999)} {self.rng.choice(place.streets)}"

    def individual(self, n: int, today: date) -> dict[str, Any]:
        """A valid individual create body; ``n`` makes the email unique."""
        rng = self.rng
        country = self.country()
        place = rng.choice(country.places)
        info = self._person(country, today, n, None)
        doc_type, doc_id = country.person_tax(rng)
        info["tax_info"] = [{"country_code": country.code, "document_type": doc_type, "document_id": doc_id}]
        ids = self._ids
        funds = rng.sample(ids["funds"], rng.randint(1, 2))
        return {
            "verification_type": "STANDARD",
            "basic_info": info,
            "address": {
                "street_line_1": self._street(place),
                "city": place.city,
                "subdivision_code": place.subdivision,
                "postal_code": rng.choice(place.postal_codes),
                "country": country.code,
            },
            "financial_profile": {
                "employment_status": rng.choice(EMPLOYMENT),
                "occupation_id": rng.choice(ids["occupations"]),
                "purpose_id": rng.choice(ids["purposes"]),
                "source_of_fund_ids": funds,
                "monthly_volume_usd": rng.choice((500, 1500, 3000, 5000, 12000, 25000)),
            },
            "meta_data": {"reference": f"seed-{n:08d}"},
        }

    def _address(self, country: CountrySpec) -> dict[str, Any]:
        place = self.rng.choice(country.places)
        street = self._street(place)
        return {
            "street_line_1": street,
            "street_line_1_en": street,
            "city": place.city,
            "state": place.subdivision,
            "subdivision_code": place.subdivision,
            "postal_code": self.rng.choice(place.postal_codes),
            "country": country.code,
        }

    def business(self, n: int, today: date) -> dict[str, Any]:
        """A valid business create body with one to three associated parties."""
        rng = self.rng
        country = self.country()
        word = rng.choice(COMPANY_WORDS)
        trade, description = rng.choice(COMPANY_TRADES)
        entity, suffix = rng.choice(ENTITY_TYPES)
        legal = " ".join(part for part in (word, trade, suffix) if part)
        slug = f"{word}{trade}".lower()
        doc_type, doc_id = country.company_tax(rng)
        shares = rng.choice(((100.0,), (60.0, 40.0), (50.0, 30.0, 20.0), (51.0, 49.0)))
        parties = []
        for position, share in enumerate(shares):
            info = self._person(country, today, n * 10 + position, f"{slug}.example.com")
            ptype, pid = country.person_tax(rng)
            info["tax_info"] = [{"country_code": country.code, "document_type": ptype, "document_id": pid}]
            info.setdefault("first_name_en", info["first_name"])
            info.setdefault("last_name_en", info["last_name"])
            parties.append(
                {
                    "basic_info": info,
                    "address": self._address(country),
                    "roles": ["shareholder", "ubo"],
                    "ownership_info": {
                        "designation": "Director" if position else "Chief Executive Officer",
                        "percentage_of_ownership": share,
                        "relationship_establishment_date": (
                            today - timedelta(days=rng.randint(400, 4000))
                        ).isoformat(),
                        "has_control": position == 0,
                        "is_signer": position == 0,
                        "is_director": True,
                    },
                }
            )
        ids = self._ids
        revenue = rng.choice((250_000, 1_200_000, 5_000_000, 20_000_000))
        return {
            "verification_type": "STANDARD",
            "industry_codes": [rng.choice(_naics())],
            "basic_info": {
                "legal_name": legal,
                "legal_name_en": legal,
                "trade_name": f"{word} {trade}",
                "description": description,
                "entity_type": entity,
                "email": f"contact.{n}@{slug}.example.com",
                "phone": rng.choice(self._phones[country.code]),
                "incorporation_date": (today - timedelta(days=rng.randint(400, 9000))).isoformat(),
                "country_of_incorporation": country.code,
                "registration_number": f"REG-{rng.randint(100000, 999999)}",
                "tax_info": [
                    {"country_code": country.code, "document_type": doc_type, "document_id": doc_id}
                ],
                "websites": [f"https://{slug}.example.com"],
            },
            "financial_profile": {
                "purpose_id": rng.choice(ids["business_purposes"]),
                "source_of_fund_ids": rng.sample(ids["business_funds"], rng.randint(1, 2)),
                "source_of_wealth_ids": rng.sample(ids["business_wealth"], 1),
                "estimated_annual_revenue_usd": revenue,
                "expected_monthly_deposits_usd": revenue // 12,
                "expected_monthly_withdrawals_usd": revenue // 14,
                "third_party_fund_usage": False,
            },
            "addresses": {
                "is_incorporated_address_same": True,
                "incorporated_address": self._address(country),
            },
            "associated_parties": parties,
            "meta_data": {"reference": f"seed-b-{n:08d}"},
        }
