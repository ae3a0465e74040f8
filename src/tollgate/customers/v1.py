"""The V1 creates (DOMAIN.md 5.3): their cross-field rules and the customers they make.

A V1 customer is the same row as a V2 one with ``api_version = 1``: it answers with V1 status names
(``present.wire_status``), its documents come through the V1 attaches, and the V2 individual attach refuses
it as Fin documents. Every rule runs, so one 422 names every offending field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stdnum.us import ein

from tollgate.auth.service import Caller
from tollgate.catalogue import service as catalogue
from tollgate.catalogue.service import CatalogueType
from tollgate.customers.business_rules import merged
from tollgate.customers.enums import CustomerType, PartyStatus
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.customers.rules import (
    Errors,
    check_age,
    check_not_future,
    check_party_email,
    check_phone_country,
    check_postal_code,
    check_subdivision,
    validated_fields,
)
from tollgate.customers.service import check_reliance, new_customer
from tollgate.customers.v1_schemas import V1Address, V1BusinessCreate, V1IndividualCreate, V1Party
from tollgate.errors import ValidationFailed
from tollgate.kit.ids import new_uuid
from tollgate.webhooks import service as webhooks

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

V1 = 1


def _address(errors: Errors, path: str, address: V1Address) -> None:
    check_subdivision(errors, f"{path}.state", address.country, address.state)
    check_postal_code(errors, f"{path}.postal_code", address.country, address.postal_code)


def _known(errors: Errors, path: str, value: int, known: dict[int, str], endpoint: str) -> None:
    if value not in known:
        errors.append((path, f"Unknown id; see GET {endpoint}"))


def individual_rule_errors(body: V1IndividualCreate, today: date) -> Errors:
    return _individual(body.basic_info, body.address, body.financial_profile, today)


def individual_rules_beside_schema(raw: object, today: date) -> Errors:
    """The V1 individual create's rules on a body the schema refused, each on the sections that did
    validate, so one answer names the schema's errors and the rules' together."""
    valid = validated_fields(V1IndividualCreate, raw)
    return _individual(valid.get("basic_info"), valid.get("address"), valid.get("financial_profile"), today)


def _individual(info: Any, address: V1Address | None, fin: Any, today: date) -> Errors:
    errors: Errors = []
    if info is not None:
        check_age(errors, "basic_info.dob", info.dob, today)
        check_phone_country(errors, "basic_info.phone", info.phone, info.country_of_residence)
    if address is not None:
        _address(errors, "address", address)
    if fin is not None:
        kind = CatalogueType.INDIVIDUAL
        path = "financial_profile"
        _known(errors, f"{path}.occupation_id", fin.occupation_id, catalogue.occupations(), "/v1/occupations")
        _known(
            errors,
            f"{path}.source_of_fund_id",
            fin.source_of_fund_id,
            catalogue.sources_of_funds(kind),
            "/v1/source-of-funds?type=INDIVIDUAL",
        )
        _known(
            errors,
            f"{path}.purpose_id",
            fin.purpose_id,
            catalogue.purposes(kind),
            "/v1/purposes?type=INDIVIDUAL",
        )
    return merged(errors)


def _parties(errors: Errors, parties: Sequence[V1Party], today: date) -> None:
    emails: dict[str, int] = {}
    total = Decimal(0)
    for i, party in enumerate(parties):
        path, info = f"associated_parties[{i}]", party.basic_info
        check_age(errors, f"{path}.basic_info.dob", info.dob, today)
        check_party_email(errors, f"{path}.basic_info.email", info.email, i, emails)
        check_phone_country(errors, f"{path}.basic_info.phone", info.phone, info.country_of_residence)
        _address(errors, f"{path}.address", party.address)
        ownership = party.ownership_info
        check_not_future(
            errors,
            f"{path}.ownership_info.relationship_establishment_date",
            ownership.relationship_establishment_date,
            today,
        )
        total += Decimal(str(ownership.percentage_of_ownership))
    # Above 0 and at most 100, as for V2 (docs/adr/0004-ownership-total.md).
    if not Decimal(0) < total <= Decimal(100):
        errors.append(
            (
                "associated_parties",
                f"Total percentage_of_ownership must be above 0 and at most 100 (got {total.normalize():f})",
            )
        )


def business_rule_errors(body: V1BusinessCreate, today: date) -> Errors:
    return _business(body.basic_info, body.financial_profile, body.addresses, body.associated_parties, today)


def business_rules_beside_schema(raw: object, today: date) -> Errors:
    """The V1 business create's rules on a body the schema refused, each on the sections it needs that
    did validate (the parties' rules when the whole list did)."""
    valid = validated_fields(V1BusinessCreate, raw)
    return _business(
        valid.get("basic_info"),
        valid.get("financial_profile"),
        valid.get("addresses"),
        valid.get("associated_parties"),
        today,
    )


def _business(info: Any, fin: Any, addresses: Any, parties: Sequence[V1Party] | None, today: date) -> Errors:
    errors: Errors = []
    if info is not None and addresses is not None:
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
    if info is not None:
        check_not_future(errors, "basic_info.incorporation_date", info.incorporation_date, today)
        if info.country_of_incorporation == "USA" and not ein.is_valid(info.tax_id):
            errors.append(("basic_info.tax_id", "Must be an EIN (NN-NNNNNNN) for a USA business"))
    if fin is not None:
        kind = CatalogueType.BUSINESS
        path = "financial_profile"
        purposes = catalogue.purposes(kind)
        if fin.purpose_id not in purposes:
            errors.append((f"{path}.purpose_id", "Unknown id; see GET /v1/purposes?type=BUSINESS"))
        elif catalogue.is_other_purpose(kind, fin.purpose_id) and not (fin.other_purpose or "").strip():
            errors.append((f"{path}.other_purpose", "Required when the purpose is Other"))
        _known(
            errors,
            f"{path}.business_industry_id",
            fin.business_industry_id,
            catalogue.industries(),
            "/v1/industries",
        )
        _known(
            errors,
            f"{path}.source_of_fund_id",
            fin.source_of_fund_id,
            catalogue.sources_of_funds(kind),
            "/v1/source-of-funds?type=BUSINESS",
        )
    if addresses is not None:
        _address(errors, "addresses.incorporated_address", addresses.incorporated_address)
        if addresses.physical_address is not None:
            _address(errors, "addresses.physical_address", addresses.physical_address)
        elif not addresses.is_incorporated_address_same:
            errors.append(
                ("addresses.physical_address", "Required when is_incorporated_address_same is false")
            )
    if parties is not None:
        _parties(errors, parties, today)
    return merged(errors)


def create_individual(
    uow: UnitOfWork, caller: Caller, body: V1IndividualCreate, raw: dict[str, Any]
) -> Customer:
    session, now = uow.session, uow.now()
    errors = individual_rule_errors(body, now.date())
    if errors:
        raise ValidationFailed(errors)
    check_reliance(caller, body.verification_type)
    info = body.basic_info
    customer = new_customer(
        session,
        caller,
        now,
        kind=CustomerType.INDIVIDUAL,
        verification_type=body.verification_type,
        payload=raw,
        meta_data=body.meta_data,
        email=info.email,
        phone=info.phone,
        country=info.country_of_residence,
        api_version=V1,
    )
    customer.first_name = info.first_name
    customer.last_name = info.last_name
    session.flush()
    webhooks.record_customer_created(uow, customer)
    return customer


def create_business(uow: UnitOfWork, caller: Caller, body: V1BusinessCreate, raw: dict[str, Any]) -> Customer:
    session, now = uow.session, uow.now()
    errors = business_rule_errors(body, now.date())
    if errors:
        raise ValidationFailed(errors)
    check_reliance(caller, body.verification_type)
    info = body.basic_info
    customer = new_customer(
        session,
        caller,
        now,
        kind=CustomerType.BUSINESS,
        verification_type=body.verification_type,
        payload=raw,
        meta_data=body.meta_data,
        email=info.email,
        phone=info.phone,
        country=info.country_of_incorporation,
        api_version=V1,
    )
    customer.business_name = info.business_name
    raw_parties = raw.get("associated_parties") or []
    for position, party in enumerate(body.associated_parties):
        customer.parties.append(
            AssociatedParty(
                id=new_uuid(),
                position=position,
                type="INDIVIDUAL",
                email=party.basic_info.email,
                first_name=party.basic_info.first_name,
                last_name=party.basic_info.last_name,
                ref=None,
                # V1 has no roles; every V1 party carries ownership_info, as a shareholder would.
                roles=["shareholder"],
                ownership_percent=party.ownership_info.percentage_of_ownership,
                payload=raw_parties[position] if position < len(raw_parties) else {},
                verification_status=PartyStatus.INITIATED.value,
                verification_updated_at=now,
                created_at=now,
            )
        )
    session.flush()
    webhooks.record_customer_created(uow, customer)
    return customer
