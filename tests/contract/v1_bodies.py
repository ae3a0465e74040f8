"""Valid V1 request bodies (Fin's CreateIndividualCustomerInput and CreateBusinessCustomerInput)."""

from __future__ import annotations

import copy
from typing import Any


def v1_address(**overrides: Any) -> dict[str, Any]:
    address = {
        "street": "123 Market Street",
        "city": "San Francisco",
        "state": "US-CA",
        "postal_code": "94103",
        "country": "USA",
    }
    address.update(overrides)
    return address


def v1_individual(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verification_type": "STANDARD",
        "basic_info": {
            "first_name": "John",
            "last_name": "Doe",
            "dob": "1990-04-15",
            "email": "john.doe@example.com",
            "phone": "+14155551234",
            "country_of_residence": "USA",
            "nationality": "USA",
            "tin": "123-45-6789",
        },
        "address": v1_address(),
        "financial_profile": {
            "occupation_id": 1,
            "source_of_fund_id": 1,
            "purpose_id": 1,
            "monthly_volume_usd": 3400,
        },
        "meta_data": {"reference": "v1-ref-001"},
    }
    body.update(overrides)
    return copy.deepcopy(body)


def _v1_party(first: str, email: str, percent: float, phone: str) -> dict[str, Any]:
    return {
        "basic_info": {
            "first_name": first,
            "last_name": "Smith",
            "dob": "1980-02-01",
            "email": email,
            "phone": phone,
            "country_of_residence": "USA",
            "nationality": "USA",
            "tin": f"123-45-{6700 + int(percent):04d}",
        },
        "address": v1_address(),
        "ownership_info": {
            "designation": "Director",
            "percentage_of_ownership": percent,
            "relationship_establishment_date": "2019-01-01",
        },
    }


def v1_business(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verification_type": "STANDARD",
        "basic_info": {
            "business_name": "Acme Corp Ltd",
            "description": "Cross-border payment technology",
            "entity_type": "LIMITED_LIABILITY_COMPANY",
            "website": "https://acme.example.com",
            "email": "contact@acmecorp.com",
            "incorporation_date": "2018-06-15",
            "phone": "+14155552671",
            "country_of_incorporation": "USA",
            "registration_number": "C-123456",
            "tax_id": "12-3456789",
        },
        "financial_profile": {
            "purpose_id": 1,
            "business_industry_id": 1,
            "monthly_volume": 400000,
            "source_of_fund_id": 1,
            "third_party_fund_usage": False,
        },
        "addresses": {"is_incorporated_address_same": True, "incorporated_address": v1_address()},
        "associated_parties": [
            _v1_party("Jane", "jane.smith@acmecorp.com", 60, "+14155550101"),
            _v1_party("Robert", "robert.smith@acmecorp.com", 30, "+14155550102"),
        ],
        "meta_data": {"reference": "v1-biz-001"},
    }
    body.update(overrides)
    return copy.deepcopy(body)
