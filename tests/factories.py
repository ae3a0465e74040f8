"""Plain factory functions for request bodies: valid by default, overridable per test."""

from __future__ import annotations

import copy
import re
from typing import Any


def individual_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "verification_type": "STANDARD",
        "basic_info": {
            "first_name": "John",
            "last_name": "Doe",
            "dob": "1990-04-15",
            "email": "john.doe@example.com",
            "phone": "+14155551234",
            "country_of_residence": "USA",
            "primary_nationality": "USA",
            "tax_info": [{"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6789"}],
        },
        "address": {
            "street_line_1": "123 Market Street",
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
            "monthly_volume_usd": 5000,
        },
        "meta_data": {"reference": "client-ref-abc-001"},
    }
    body.update(overrides)
    return copy.deepcopy(body)


def _party(first: str, last: str, email: str, percent: float, roles: list[str], phone: str) -> dict[str, Any]:
    return {
        "basic_info": {
            "first_name": first,
            "first_name_en": first,
            "last_name": last,
            "last_name_en": last,
            "dob": "1980-02-01",
            "email": email,
            "phone": phone,
            "country_of_residence": "USA",
            "primary_nationality": "USA",
            "tax_info": [
                {
                    "country_code": "USA",
                    "document_type": "SSN",
                    "document_id": f"123-45-{6780 + int(percent):04d}",
                }
            ],
        },
        "address": _address(),
        "roles": roles,
        "ownership_info": {
            "designation": "Director",
            "percentage_of_ownership": percent,
            "relationship_establishment_date": "2019-01-01",
            "has_control": True,
            "is_signer": True,
            "is_director": True,
        },
    }


def _address() -> dict[str, Any]:
    return {
        "street_line_1": "1 Market Street",
        "street_line_1_en": "1 Market Street",
        "city": "San Francisco",
        "state": "US-CA",
        "subdivision_code": "US-CA",
        "postal_code": "94105",
        "country": "USA",
    }


def business_body(**overrides: Any) -> dict[str, Any]:
    """The reference page's business: Fin.com, USA, two parties owning 60% and 40%."""
    body: dict[str, Any] = {
        "verification_type": "STANDARD",
        "industry_codes": ["541512"],
        "basic_info": {
            "legal_name": "Fin.com",
            "legal_name_en": "Fin.com",
            "trade_name": "Fin",
            "description": "Cross-border payment technology",
            "entity_type": "LIMITED_LIABILITY_COMPANY",
            "email": "contact@fin.com",
            "phone": "+14155552671",
            "incorporation_date": "2018-06-15",
            "country_of_incorporation": "USA",
            "registration_number": "C-123456",
            "tax_info": [{"country_code": "USA", "document_type": "EIN", "document_id": "12-3456789"}],
            "websites": ["https://fin.com"],
        },
        "financial_profile": {
            "purpose_id": 1,
            "source_of_fund_ids": [1],
            "source_of_wealth_ids": [1],
            "estimated_annual_revenue_usd": 5000000,
            "expected_monthly_deposits_usd": 400000,
            "expected_monthly_withdrawals_usd": 350000,
            "third_party_fund_usage": False,
        },
        "addresses": {"is_incorporated_address_same": True, "incorporated_address": _address()},
        "associated_parties": [
            _party("Jane", "Smith", "jane.smith@acmecorp.com", 60, ["shareholder", "ubo"], "+14155550101"),
            _party("Robert", "Chen", "robert.chen@acmecorp.com", 40, ["shareholder", "ubo"], "+14155550102"),
        ],
        "meta_data": {"reference": "REF-20250123-ACME"},
    }
    body.update(overrides)
    return copy.deepcopy(body)


def business_sections() -> dict[str, Any]:
    """The optional V2 business sections (holding structure, listings, compliance), after Fin's example."""
    return {
        "holding_structure": {
            "has_material_intermediary_ownership": True,
            "corporate_shareholders": [
                {
                    "entity_name": "Toronggo Ventures Limited",
                    "entity_name_en": "Toronggo Ventures Limited",
                    "registration_country_code": "BGD",
                    "ownership_percentage": 0,
                    "registration_number": "C-987654/2015",
                    "entity_type": "LIMITED_LIABILITY_COMPANY",
                    "incorporation_date": "2015-03-01",
                }
            ],
            "foreign_branches": [
                {
                    "registration_country_code": "GBR",
                    "name": "Fin UK Branch",
                    "registration_number": "BR000123",
                }
            ],
        },
        "public_listings": [{"mic": "XNAS", "isin": "US0231351067", "ticker_symbol": "FIN"}],
        "compliance": {
            "operates_in_prohibited_countries": False,
            "additional_description_for_compliance_screening": "No OFAC-sanctioned jurisdictions.",
            "risk_profile": {
                "high_risk_activities": ["cross_border_payments"],
                "high_risk_activities_explanation": "Cross-border B2B payments, with enhanced due diligence.",
                "conducts_money_services": True,
                "conducts_money_services_via_fin": False,
                "conducts_money_services_description": "Licensed payment service provider.",
            },
            "regulated_activity": {
                "description": "Licensed money transmitter",
                "primary_authority_country_code": "USA",
                "primary_authority_name": "FinCEN",
                "license_number": "MSB-12345678",
            },
            "aml": {
                "supervisory_authority_name": "FinCEN",
                "license_number": "MSB-12345678",
                "has_appointed_mlro": True,
                "customer_risk_split": {"low_risk": 70, "medium_risk": 25, "high_risk": 5},
                "prohibits_anonymous_or_fictitious_accounts": True,
                "prohibits_accounts_for_unlicensed_or_shell_customers": True,
                "customer_identity_verification": {"method": "automated", "system": "Jumio"},
                "pep_and_sanctions_screening": {
                    "method": "automated",
                    "system": "Dow Jones Risk & Compliance",
                },
                "sanction_lists": ["OFAC", "EU", "UN", "HMT"],
                "customer_risk_classification_from_due_diligence": True,
                "enhanced_due_diligence_process": True,
                "transaction_monitoring": {"method": "automated", "system": "Actimize"},
                "procedures_for_transaction_monitoring": True,
                "subject_to_ml_or_tf_investigation": "none",
                "subject_to_regulatory_enforcement_past_2_years": "none",
                "confirms_no_service_to_sanctioned_countries": True,
                "client_funds_accessibility": "closed_loop",
                "aml_ctf_audit_completed": True,
                "planned_audit_date": "2026-12-01",
            },
        },
    }


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [int(index) if index else key for key, index in _STEP.findall(path)]


def with_value(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with the field at ``path`` (``associated_parties[0].basic_info.dob``) set."""
    out = copy.deepcopy(body)
    *parents, last = _steps(path)
    node: Any = out
    for step in parents:
        node = node[step]
    node[last] = value
    return out


def without(body: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``body`` with the field at ``path`` removed."""
    out = copy.deepcopy(body)
    *parents, last = _steps(path)
    node: Any = out
    for step in parents:
        node = node[step]
    del node[last]
    return out
