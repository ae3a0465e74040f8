"""Decisions about customers: validation beyond shape, creation, listing and reading."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.catalogue import service as catalogue
from tollgate.catalogue.service import CatalogueType
from tollgate.customers import business_rules, readmodel, repository
from tollgate.customers.business_schemas import BusinessCustomerCreate, Role
from tollgate.customers.enums import CustomerStatus, CustomerType, PartyStatus, VerificationType
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.customers.rules import (
    Errors,
    check_age,
    check_phone_country,
    check_subdivision,
    check_transliteration,
    validated_fields,
)
from tollgate.customers.schemas import (
    IndividualAddress,
    IndividualBasicInfo,
    IndividualCustomerCreate,
    IndividualFinancialProfile,
)
from tollgate.customers.taxid import check_tax_info
from tollgate.errors import Locked, NotFound, ValidationFailed
from tollgate.kit.ids import new_uuid
from tollgate.webhooks import service as webhooks

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

RELIANCE_MESSAGE = "RELIANCE is not available for your client"


def check_reliance(caller: Caller, verification_type: VerificationType) -> None:
    if verification_type is VerificationType.RELIANCE and not caller.reliance_enabled:
        raise Locked(RELIANCE_MESSAGE)


def individual_rule_errors(body: IndividualCustomerCreate, today: date) -> Errors:
    errors: Errors = []
    _individual_basic_info(errors, body.basic_info, today)
    _individual_address(errors, body.address)
    _individual_financial_profile(errors, body.financial_profile)
    return errors


def individual_rules_beside_schema(raw: object, today: date) -> Errors:
    """The individual create's rules on a body the schema refused, each section's on the sections that
    did validate (``errors.checks_beside_schema``)."""
    valid = validated_fields(IndividualCustomerCreate, raw)
    errors: Errors = []
    if "basic_info" in valid:
        _individual_basic_info(errors, valid["basic_info"], today)
    if "address" in valid:
        _individual_address(errors, valid["address"])
    if "financial_profile" in valid:
        _individual_financial_profile(errors, valid["financial_profile"])
    return errors


def _individual_basic_info(errors: Errors, info: IndividualBasicInfo, today: date) -> None:
    check_age(errors, "basic_info.dob", info.dob, today)
    for name in ("first_name", "middle_name", "last_name"):
        check_transliteration(errors, f"basic_info.{name}", getattr(info, name), getattr(info, f"{name}_en"))
    check_phone_country(errors, "basic_info.phone", info.phone, info.country_of_residence)
    check_tax_info(errors, "basic_info.tax_info", info.tax_info, "INDIVIDUAL")


def _individual_address(errors: Errors, address: IndividualAddress) -> None:
    for name in ("street_line_1", "street_line_2"):
        check_transliteration(
            errors, f"address.{name}", getattr(address, name), getattr(address, f"{name}_en")
        )
    if not address.city.isascii():
        errors.append(("address.city", "Must contain English (Latin) characters only"))
    check_subdivision(errors, "address.subdivision_code", address.country, address.subdivision_code)


def _individual_financial_profile(errors: Errors, fin: IndividualFinancialProfile) -> None:
    if fin.occupation_id not in catalogue.occupations():
        errors.append(("financial_profile.occupation_id", "Unknown occupation_id; see GET /v1/occupations"))
    kind = CatalogueType.INDIVIDUAL
    if fin.purpose_id not in catalogue.purposes(kind):
        errors.append(
            ("financial_profile.purpose_id", "Unknown purpose_id; see GET /v1/purposes?type=INDIVIDUAL")
        )
    elif catalogue.is_other_purpose(kind, fin.purpose_id) and not (fin.purpose_remarks or "").strip():
        errors.append(("financial_profile.purpose_remarks", "Required when the purpose is Other"))
    funds = catalogue.sources_of_funds(kind)
    for i, fund_id in enumerate(fin.source_of_fund_ids):
        if fund_id not in funds:
            errors.append(
                (
                    f"financial_profile.source_of_fund_ids[{i}]",
                    "Unknown source of funds id; see GET /v1/source-of-funds?type=INDIVIDUAL",
                )
            )
    if len(set(fin.source_of_fund_ids)) != len(fin.source_of_fund_ids):
        errors.append(("financial_profile.source_of_fund_ids", "Ids must be unique"))


@dataclass(frozen=True)
class Created:
    customer: Customer


def new_customer(
    session: Session,
    caller: Caller,
    now: datetime,
    *,
    kind: CustomerType,
    verification_type: VerificationType,
    payload: dict[str, Any],
    meta_data: dict[str, Any] | None,
    email: str,
    phone: str,
    country: str,
    api_version: int = 2,
) -> Customer:
    seq = repository.next_seq(session, caller.id, kind.value)
    customer = Customer(
        id=new_uuid(),
        client_pk=caller.id,
        type=kind.value,
        seq=seq,
        api_version=api_version,
        verification_type=verification_type.value,
        status=CustomerStatus.INCOMPLETE.value,
        email=email,
        phone=phone,
        country=country,
        tos_policies_value=str(new_uuid()),
        payload=payload,
        meta_data=meta_data,
        created_at=now,
        updated_at=now,
        last_status_updated_at=now,
    )
    session.add(customer)
    return customer


def create_individual(
    uow: UnitOfWork,
    caller: Caller,
    body: IndividualCustomerCreate,
    raw: dict[str, Any],
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
    )
    customer.first_name = info.first_name
    customer.last_name = info.last_name
    session.flush()
    webhooks.record_customer_created(uow, customer)
    return customer


def create_business(
    uow: UnitOfWork,
    caller: Caller,
    body: BusinessCustomerCreate,
    raw: dict[str, Any],
) -> Customer:
    session, now = uow.session, uow.now()
    errors = business_rules.check(body, now.date())
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
    )
    customer.business_name = info.legal_name
    raw_parties = raw.get("associated_parties") or []
    for position, party in enumerate(body.associated_parties):
        ownership = party.ownership_info.percentage_of_ownership if party.ownership_info else None
        customer.parties.append(
            AssociatedParty(
                id=new_uuid(),
                position=position,
                type="INDIVIDUAL",
                email=party.basic_info.email,
                first_name=party.basic_info.first_name,
                last_name=party.basic_info.last_name,
                ref=party.ref,
                roles=[Role(r).value for r in party.roles],
                ownership_percent=ownership,
                payload=raw_parties[position] if position < len(raw_parties) else {},
                verification_status=PartyStatus.INITIATED.value,
                verification_updated_at=now,
                created_at=now,
            )
        )
    session.flush()
    webhooks.record_customer_created(uow, customer)
    return customer


@dataclass(frozen=True)
class CustomerPage:
    items: Sequence[bytes]  # list items as stored (customers.readmodel)
    total: int


def list_customers(
    session: Session, caller: Caller, kind: CustomerType, *, page: int, per_page: int, base_url: str
) -> CustomerPage:
    total = repository.count(session, caller.id, kind.value)
    hi = total - (page - 1) * per_page
    lo = max(hi - per_page + 1, 1)
    if hi < 1:
        return CustomerPage((), total)
    return CustomerPage(
        readmodel.items(session, caller.id, kind.value, hi=hi, lo=lo, base_url=base_url), total
    )


def customer_detail(session: Session, caller: Caller, customer_id: uuid.UUID, base_url: str) -> bytes:
    """``{"data": <detail>}`` of the caller's customer as stored by the read model."""
    body = readmodel.detail(session, caller.id, customer_id, base_url)
    if body is None:
        raise NotFound()
    return body


def get_customer(
    session: Session, caller: Caller, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer:
    customer = repository.get_owned(session, caller.id, customer_id, for_update=for_update)
    if customer is None:
        raise NotFound()
    return customer
