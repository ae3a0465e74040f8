"""Request models of the V1 creates: ``CreateIndividualCustomerInput`` (POST /v1/customers/individual) and
``CreateBusinessCustomerInput`` (POST /v1/customers/business, deprecated by Fin on 2026-05-20).

Every field and required list of the reference schemas is here. As in the V2 models, dates are
``YYYY-MM-DD`` strings, integers are JSON integers and booleans JSON booleans; the limits the reference
lacks (string lengths) are guards against abuse. Rules relating fields to each other, to the catalogue or
to the clock live in ``customers.v1``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, StrictBool, StrictInt, field_validator

from tollgate.customers.business_schemas import EntityType
from tollgate.customers.enums import VerificationType
from tollgate.customers.rules import (
    CountryCode,
    IsoDate,
    LatinLine,
    LatinParagraph,
    LowerEmail,
    Percentage,
    Phone,
    SubdivisionCode,
    Website,
    storable,
)
from tollgate.customers.schemas import Strict


def _storable_meta(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and not storable(value):
        raise ValueError("Must not contain NUL characters, NaN or Infinity")
    return value


class V1PersonInfo(Strict):
    """``basic_info`` of a V1 individual and of each V1 associated party."""

    first_name: LatinLine = Field(max_length=255)
    last_name: LatinLine = Field(max_length=255)
    dob: IsoDate
    email: LowerEmail
    phone: Phone
    country_of_residence: CountryCode
    nationality: CountryCode
    tin: LatinLine = Field(max_length=64)


class V1Address(Strict):
    street: LatinLine = Field(max_length=255)
    city: LatinLine = Field(max_length=100)
    state: SubdivisionCode
    postal_code: LatinLine = Field(max_length=20)
    country: CountryCode


class V1IndividualFinancialProfile(Strict):
    occupation_id: StrictInt
    source_of_fund_id: StrictInt
    purpose_id: StrictInt
    monthly_volume_usd: StrictInt = Field(ge=0)


class V1IndividualCreate(Strict):
    verification_type: VerificationType
    basic_info: V1PersonInfo
    address: V1Address
    financial_profile: V1IndividualFinancialProfile
    meta_data: dict[str, Any] | None = None

    _meta = field_validator("meta_data")(_storable_meta)


class V1EntityType(StrEnum):
    """The V2 entity types plus ``PRIVATE_LIMITED``, which only V1 knows."""

    LIMITED_LIABILITY_COMPANY = EntityType.LIMITED_LIABILITY_COMPANY.value
    PUBLICLY_LISTED_COMPANY = EntityType.PUBLICLY_LISTED_COMPANY.value
    SOLE_PROPRIETOR = EntityType.SOLE_PROPRIETOR.value
    PARTNERSHIP = EntityType.PARTNERSHIP.value
    CORPORATION = EntityType.CORPORATION.value
    TRUST = EntityType.TRUST.value
    PRIVATE_FOUNDATION = EntityType.PRIVATE_FOUNDATION.value
    CHARITY = EntityType.CHARITY.value
    NONPROFIT_ORGANIZATION = EntityType.NONPROFIT_ORGANIZATION.value
    PUBLIC_AGENCY_OR_AUTHORITY = EntityType.PUBLIC_AGENCY_OR_AUTHORITY.value
    PRIVATE_LIMITED = "PRIVATE_LIMITED"


class V1BusinessInfo(Strict):
    business_name: LatinLine = Field(max_length=255)
    business_trade_name: LatinLine | None = Field(default=None, max_length=255)
    description: LatinParagraph = Field(max_length=500)
    entity_type: V1EntityType
    website: Website
    email: LowerEmail
    incorporation_date: IsoDate
    phone: Phone
    country_of_incorporation: CountryCode
    registration_number: LatinLine = Field(max_length=100)
    tax_id: LatinLine = Field(max_length=64)


class V1BusinessFinancialProfile(Strict):
    purpose_id: StrictInt
    other_purpose: LatinParagraph | None = Field(default=None, max_length=500)
    business_industry_id: StrictInt
    monthly_volume: StrictInt = Field(ge=0)
    source_of_fund_id: StrictInt
    third_party_fund_usage: StrictBool


class V1BusinessAddresses(Strict):
    is_incorporated_address_same: StrictBool
    incorporated_address: V1Address
    physical_address: V1Address | None = None


class V1OwnershipInfo(Strict):
    designation: LatinLine = Field(max_length=100)
    percentage_of_ownership: Percentage
    relationship_establishment_date: IsoDate


class V1Party(Strict):
    basic_info: V1PersonInfo
    address: V1Address
    ownership_info: V1OwnershipInfo


class V1BusinessCreate(Strict):
    verification_type: VerificationType = VerificationType.STANDARD
    basic_info: V1BusinessInfo
    financial_profile: V1BusinessFinancialProfile
    addresses: V1BusinessAddresses
    associated_parties: list[V1Party] = Field(min_length=1, max_length=50)
    meta_data: dict[str, Any] | None = None

    _meta = field_validator("meta_data")(_storable_meta)
