"""Cross-field rules of the V2 business create (DOMAIN.md 5.2): fields against each other, the catalogue
and the clock. Every rule runs, so one 400 names every offending field; ``check`` returns one message per
path because Fin's error body is a map from path to message.

Judgement calls (the reference is silent or contradicts itself):
- The business phone may belong to the country of incorporation or to either address's country: Fin's
  example pairs a BGD number with a BGD company, but a company incorporated in one country and run from
  another answers the phone where it works.
- Ownership totals above 0 and up to 100 pass (docs/adr/0004-ownership-total.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from tollgate.catalogue import service as catalogue
from tollgate.catalogue.service import CatalogueType
from tollgate.customers.business_schemas import AssociatedPartyCreate as Party
from tollgate.customers.business_schemas import (
    BusinessAddress,
    BusinessAddresses,
    BusinessBasicInfo,
    BusinessCustomerCreate,
    BusinessFinancialProfile,
    Compliance,
    EntityType,
    HoldingStructure,
    OwnershipInfo,
    Role,
)
from tollgate.customers.rules import (
    INVALID,
    Errors,
    check_not_future,
    check_not_po_box,
    check_party_email,
    check_postal_code,
    check_subdivision,
    check_transliteration,
    check_unique,
    validated,
    validated_fields,
    years_between,
)
from tollgate.customers.taxid import check_tax_info

MIN_AGE = 18
MAX_AGE = 120
_KIND = CatalogueType.BUSINESS


def check(body: BusinessCustomerCreate, today: date) -> Errors:
    errors: Errors = []
    _industry_codes(errors, body.industry_codes)
    _basic_info(errors, body.basic_info, body.addresses, today)
    _financial_profile(errors, body.financial_profile)
    _addresses(errors, body.addresses)
    _parties(errors, body.associated_parties, today)
    if body.holding_structure is not None:
        _holding_structure(errors, body.holding_structure, today)
    if body.basic_info.entity_type is EntityType.PUBLICLY_LISTED_COMPANY and not body.public_listings:
        errors.append(("public_listings", "Required when entity_type is PUBLICLY_LISTED_COMPANY"))
    if body.compliance is not None:
        _compliance(errors, body.compliance)
    return merged(errors)


def merged(errors: Errors) -> Errors:
    """One entry per path, in first-seen order; several messages for one path are joined."""
    by_path: dict[str, list[str]] = {}
    for path, message in errors:
        messages = by_path.setdefault(path, [])
        if message not in messages:
            messages.append(message)
    return [(path, "; ".join(messages)) for path, messages in by_path.items()]


def _industry_codes(errors: Errors, codes: Sequence[str]) -> None:
    for i, code in enumerate(codes):
        if not catalogue.is_naics(code):
            errors.append((f"industry_codes[{i}]", "Must be a NAICS 2022 6-digit industry code"))
    check_unique(errors, "industry_codes", codes)


def _basic_info(errors: Errors, info: BusinessBasicInfo, addresses: BusinessAddresses, today: date) -> None:
    check_transliteration(errors, "basic_info.trade_name", info.trade_name, info.trade_name_en)
    countries = {info.country_of_incorporation, addresses.incorporated_address.country}
    if addresses.physical_address is not None:
        countries.add(addresses.physical_address.country)
    regions = catalogue.phone_region_alpha3(info.phone)
    if regions and not regions & countries:
        errors.append(
            (
                "basic_info.phone",
                "Phone country code must match the country of incorporation or of the business's address",
            )
        )
    check_not_future(errors, "basic_info.incorporation_date", info.incorporation_date, today)
    check_tax_info(errors, "basic_info.tax_info", info.tax_info, "BUSINESS")


def _ids(errors: Errors, path: str, ids: Sequence[int], known: dict[int, str], endpoint: str) -> None:
    for i, item in enumerate(ids):
        if item not in known:
            errors.append((f"{path}[{i}]", f"Unknown id; see GET {endpoint}?type=BUSINESS"))
    if len(set(ids)) != len(ids):
        errors.append((path, "Ids must be unique"))


def _financial_profile(errors: Errors, fin: BusinessFinancialProfile) -> None:
    path = "financial_profile"
    if fin.purpose_id not in catalogue.purposes(_KIND):
        errors.append((f"{path}.purpose_id", "Unknown purpose_id; see GET /v1/purposes?type=BUSINESS"))
    elif catalogue.is_other_purpose(_KIND, fin.purpose_id) and not (fin.purpose_remarks or "").strip():
        errors.append((f"{path}.purpose_remarks", "Required when the purpose is Other"))
    funds, wealth = catalogue.sources_of_funds(_KIND), catalogue.sources_of_wealth(_KIND)
    _ids(errors, f"{path}.source_of_fund_ids", fin.source_of_fund_ids, funds, "/v1/source-of-funds")
    _ids(errors, f"{path}.source_of_wealth_ids", fin.source_of_wealth_ids, wealth, "/v1/source-of-wealth")


def _address(errors: Errors, path: str, address: BusinessAddress) -> None:
    check_not_po_box(errors, f"{path}.street_line_1", address.street_line_1)
    check_not_po_box(errors, f"{path}.street_line_1_en", address.street_line_1_en)
    check_transliteration(errors, f"{path}.street_line_2", address.street_line_2, address.street_line_2_en)
    check_subdivision(errors, f"{path}.state", address.country, address.state)
    if address.subdivision_code != address.state:
        errors.append((f"{path}.subdivision_code", "Must be the same value as state"))
    else:
        check_subdivision(errors, f"{path}.subdivision_code", address.country, address.subdivision_code)
    check_postal_code(errors, f"{path}.postal_code", address.country, address.postal_code)


def _addresses(errors: Errors, addresses: BusinessAddresses) -> None:
    _address(errors, "addresses.incorporated_address", addresses.incorporated_address)
    if addresses.physical_address is not None:
        _address(errors, "addresses.physical_address", addresses.physical_address)
    elif not addresses.is_incorporated_address_same:
        errors.append(("addresses.physical_address", "Required when is_incorporated_address_same is false"))


def _dob(errors: Errors, path: str, dob: date, today: date) -> None:
    if dob > today:
        errors.append((path, "Date of birth cannot be in the future"))
    elif years_between(dob, today) < MIN_AGE:
        errors.append((path, f"Party must be at least {MIN_AGE} years old"))
    elif years_between(dob, today) > MAX_AGE:
        errors.append((path, f"Party must be at most {MAX_AGE} years old"))


def _parties(errors: Errors, parties: Sequence[Party], today: date) -> None:
    emails: dict[str, int] = {}
    tax_ids: dict[str, str] = {}
    for i, party in enumerate(parties):
        _party(errors, i, party, today, emails, tax_ids)
    _party_roles(errors, [p.roles for p in parties])
    _ownership_total(errors, [p.ownership_info for p in parties])


def _party(
    errors: Errors, i: int, party: Party, today: date, emails: dict[str, int], tax_ids: dict[str, str]
) -> None:
    path, info = f"associated_parties[{i}]", party.basic_info
    check_transliteration(errors, f"{path}.basic_info.middle_name", info.middle_name, info.middle_name_en)
    _dob(errors, f"{path}.basic_info.dob", info.dob, today)
    check_party_email(errors, f"{path}.basic_info.email", info.email, i, emails)
    regions = catalogue.phone_region_alpha3(info.phone)
    if regions and info.country_of_residence not in regions:
        errors.append(
            (
                f"{path}.basic_info.phone",
                f"Phone country code must match country_of_residence {info.country_of_residence}",
            )
        )
    check_tax_info(errors, f"{path}.basic_info.tax_info", info.tax_info, "INDIVIDUAL", seen=tax_ids)
    _address(errors, f"{path}.address", party.address)
    if len(set(party.roles)) != len(party.roles):
        errors.append((f"{path}.roles", "Roles must be unique"))
    ownership = party.ownership_info
    if ownership is None:
        if Role.ubo in party.roles:
            errors.append((f"{path}.ownership_info", "Required when roles includes ubo"))
        return
    check_not_future(
        errors,
        f"{path}.ownership_info.relationship_establishment_date",
        ownership.relationship_establishment_date,
        today,
    )


def _party_roles(errors: Errors, roles: Sequence[Sequence[Role]]) -> None:
    if not any({Role.shareholder, Role.ubo} <= set(r) for r in roles):
        errors.append(
            ("associated_parties", "At least one associated party must hold both shareholder and ubo roles")
        )


def _ownership_total(errors: Errors, ownership: Sequence[OwnershipInfo | None]) -> None:
    # Decimal of the printed value: 33.3 + 33.3 + 33.4 is exactly 100, as the client meant.
    total = sum((Decimal(str(o.percentage_of_ownership)) for o in ownership if o is not None), Decimal(0))
    if not Decimal(0) < total <= Decimal(100):
        errors.append(
            (
                "associated_parties",
                f"Total percentage_of_ownership must be above 0 and at most 100 (got {_percent(total)})",
            )
        )


def _percent(total: Decimal) -> str:
    return f"{total.normalize():f}"


def _holding_structure(errors: Errors, holding: HoldingStructure, today: date) -> None:
    shareholders = holding.corporate_shareholders or []
    total = Decimal(0)
    for i, shareholder in enumerate(shareholders):
        path = f"holding_structure.corporate_shareholders[{i}]"
        if shareholder.incorporation_date is not None:
            check_not_future(errors, f"{path}.incorporation_date", shareholder.incorporation_date, today)
        total += Decimal(str(shareholder.ownership_percentage))
    if total > 100:
        errors.append(
            (
                "holding_structure.corporate_shareholders",
                f"Total ownership_percentage must be at most 100 (got {_percent(total)})",
            )
        )


def _compliance(errors: Errors, compliance: Compliance) -> None:
    risk = compliance.risk_profile
    if risk is not None and risk.high_risk_activities:
        path = "compliance.risk_profile"
        check_unique(errors, f"{path}.high_risk_activities", risk.high_risk_activities)
        if not (risk.high_risk_activities_explanation or "").strip():
            errors.append(
                (
                    f"{path}.high_risk_activities_explanation",
                    "Required when high_risk_activities is non-empty",
                )
            )
    split = compliance.aml.customer_risk_split if compliance.aml is not None else None
    if split is not None and split.low_risk + split.medium_risk + split.high_risk != 100:
        errors.append(
            ("compliance.aml.customer_risk_split", "low_risk, medium_risk and high_risk must sum to 100")
        )


# ---------------------------------------------------------------- beside the schema's errors


def check_partial(raw: object, today: date) -> Errors:
    """The rules on a body the schema refused, each on the parts it reads that did validate: the answer
    names the schema's errors and the rules' together (``errors.checks_beside_schema``), instead of the
    rules' only once the schema's are fixed. A rule that needs a part that did not validate waits for it."""
    if not isinstance(raw, dict):
        return []
    valid = validated_fields(BusinessCustomerCreate, raw)
    errors: Errors = []
    if "industry_codes" in valid:
        _industry_codes(errors, valid["industry_codes"])
    if "basic_info" in valid and "addresses" in valid:
        _basic_info(errors, valid["basic_info"], valid["addresses"], today)
    if "financial_profile" in valid:
        _financial_profile(errors, valid["financial_profile"])
    if "addresses" in valid:
        _addresses(errors, valid["addresses"])
    parties = raw.get("associated_parties")
    if "associated_parties" in valid:
        _parties(errors, valid["associated_parties"], today)
    elif isinstance(parties, list):
        _partial_parties(errors, parties, today)
    if valid.get("holding_structure") is not None:
        _holding_structure(errors, valid["holding_structure"], today)
    info = valid.get("basic_info")
    listed = info is not None and info.entity_type is EntityType.PUBLICLY_LISTED_COMPANY
    if listed and "public_listings" in valid and not valid["public_listings"]:
        errors.append(("public_listings", "Required when entity_type is PUBLICLY_LISTED_COMPANY"))
    if valid.get("compliance") is not None:
        _compliance(errors, valid["compliance"])
    return merged(errors)


def _partial_parties(errors: Errors, parties: list[object], today: date) -> None:
    emails: dict[str, int] = {}
    tax_ids: dict[str, str] = {}
    roles: list[Any] = []
    ownership: list[Any] = []
    for i, item in enumerate(parties):
        party = validated(Party, item)
        if party is not INVALID:
            _party(errors, i, party, today, emails, tax_ids)
        fields = item if isinstance(item, dict) else {}
        roles.append(validated(list[Role], fields.get("roles", INVALID)))
        ownership.append(validated(OwnershipInfo | None, fields.get("ownership_info")))
    if all(r is not INVALID for r in roles):
        _party_roles(errors, roles)
    if all(o is not INVALID for o in ownership):
        _ownership_total(errors, ownership)
