"""Request bodies for seeding and for the create scenarios: valid under every rule, varied by an index."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUSINESS_EXAMPLE = ROOT / "docs" / "examples" / "business.json"

FIRST_NAMES = (
    "John",
    "Jane",
    "Maria",
    "Wei",
    "Aisha",
    "Carlos",
    "Emma",
    "Noah",
    "Olivia",
    "Liam",
    "Sofia",
    "Mateo",
    "Yuki",
    "Amara",
    "Ivan",
    "Lena",
    "Omar",
    "Chloe",
    "Ravi",
    "Nora",
    "Felix",
    "Hana",
    "Diego",
    "Zara",
    "Hugo",
    "Mila",
    "Arjun",
    "Elif",
    "Tomas",
    "Ines",
)
LAST_NAMES = (
    "Doe",
    "Smith",
    "Chen",
    "Garcia",
    "Khan",
    "Muller",
    "Rossi",
    "Silva",
    "Tanaka",
    "Okafor",
    "Ivanova",
    "Dubois",
    "Novak",
    "Larsen",
    "Haddad",
    "Kowalski",
    "Jensen",
    "Moreau",
    "Costa",
    "Nakamura",
    "Reyes",
    "Schmidt",
    "Petrov",
    "Lindqvist",
    "Ahmed",
    "Brown",
    "Kim",
    "Lopez",
    "Weber",
    "Ali",
)
STREETS = ("Market Street", "Mission Street", "Howard Street", "Folsom Street", "Valencia Street")


def _name(i: int) -> tuple[str, str]:
    return FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]


def _phone(i: int) -> str:
    return f"+1415555{i % 10_000:04d}"


def individual_body(i: int) -> dict[str, Any]:
    """The README's individual, renamed and renumbered by ``i``."""
    first, last = _name(i)
    return {
        "verification_type": "STANDARD",
        "basic_info": {
            "first_name": first,
            "last_name": last,
            "dob": f"19{60 + i % 40:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
            "phone": _phone(i),
            "country_of_residence": "USA",
            "primary_nationality": "USA",
            "tax_info": [{"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6789"}],
        },
        "address": {
            "street_line_1": f"{1 + i % 900} {STREETS[i % len(STREETS)]}",
            "city": "San Francisco",
            "subdivision_code": "US-CA",
            "postal_code": "94103",
            "country": "USA",
        },
        "financial_profile": {
            "employment_status": "EMPLOYED",
            "occupation_id": 1,
            "purpose_id": 1,
            "source_of_fund_ids": [1],
            "monthly_volume_usd": 1000 + (i % 50) * 100,
        },
        "meta_data": {"reference": f"bench-{i}"},
    }


@lru_cache(maxsize=1)
def _business_template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BUSINESS_EXAMPLE.read_text())
    return data


def business_body(i: int) -> dict[str, Any]:
    """The reference page's business (docs/examples/business.json, two parties), renamed by ``i``."""
    body = copy.deepcopy(_business_template())
    info = body["basic_info"]
    name = f"{LAST_NAMES[i % len(LAST_NAMES)]} Holdings {i}"
    info["legal_name"] = name
    info["legal_name_en"] = name
    info["trade_name"] = name[:40]
    info["email"] = f"contact.{i}@example.com"
    info["registration_number"] = f"C-{i:07d}"
    for n, party in enumerate(body["associated_parties"]):
        first, last = _name(i * 2 + n)
        party_info = party["basic_info"]
        party_info["first_name"] = party_info["first_name_en"] = first
        party_info["last_name"] = party_info["last_name_en"] = last
        party_info["email"] = f"{first.lower()}.{last.lower()}.{i}.{n}@example.com"
    body["meta_data"] = {"reference": f"bench-business-{i}"}
    return body
