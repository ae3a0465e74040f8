"""Pydantic in/out models for individual customers and the read shapes of both types."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from tollgate.customers.enums import EmploymentStatus, Gender, VerificationType
from tollgate.customers.rules import (
    CountryCode,
    IsoDate,
    LatinText,
    LowerEmail,
    Phone,
    SubdivisionCode,
    Text,
    storable,
)
from tollgate.kit.pagination import Pagination
from tollgate.kit.text import NulFree


class Strict(NulFree):
    """Request bodies: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", strict=False)


class TaxInfo(Strict):
    country_code: CountryCode
    document_type: str = Field(min_length=1, max_length=50)
    document_id: str = Field(min_length=1, max_length=64)


class IndividualBasicInfo(Strict):
    first_name: Text
    first_name_en: LatinText | None = None
    middle_name: Text | None = None
    middle_name_en: LatinText | None = None
    last_name: Text
    last_name_en: LatinText | None = None
    dob: IsoDate
    email: LowerEmail
    phone: Phone
    country_of_residence: CountryCode
    primary_nationality: CountryCode
    secondary_nationality: CountryCode | None = None
    gender: Gender | None = None
    tax_info: list[TaxInfo] = Field(min_length=1, max_length=10)


class IndividualAddress(Strict):
    street_line_1: Text
    street_line_1_en: LatinText | None = None
    street_line_2: Text | None = None
    street_line_2_en: LatinText | None = None
    city: Text
    subdivision_code: SubdivisionCode
    postal_code: str = Field(min_length=1, max_length=20)
    country: CountryCode


class IndividualFinancialProfile(Strict):
    employment_status: EmploymentStatus
    occupation_id: StrictInt
    purpose_id: StrictInt
    purpose_remarks: str | None = Field(default=None, max_length=500)
    source_of_fund_ids: list[StrictInt] = Field(min_length=1, max_length=20)
    source_of_funds_description: str | None = Field(default=None, max_length=500)
    monthly_volume_usd: StrictInt = Field(ge=0)


class IndividualCustomerCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "verification_type": "STANDARD",
                "basic_info": {
                    "first_name": "John",
                    "last_name": "Doe",
                    "dob": "1990-04-15",
                    "email": "john.doe@example.com",
                    "phone": "+14155551234",
                    "country_of_residence": "USA",
                    "primary_nationality": "USA",
                    "tax_info": [
                        {"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6789"}
                    ],
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
            }
        }
    )

    verification_type: VerificationType
    basic_info: IndividualBasicInfo
    address: IndividualAddress
    financial_profile: IndividualFinancialProfile
    meta_data: dict[str, Any] | None = None

    @field_validator("meta_data")
    @classmethod
    def _meta_data_storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and not storable(value):
            raise ValueError("Must not contain NUL characters, NaN or Infinity")
        return value


# ---------------------------------------------------------------- responses


class CreatedIds(BaseModel):
    customer_id: str
    tos_policies_url: str


class IndividualCreated(BaseModel):
    data: CreatedIds


class IndividualListItem(BaseModel):
    customer_id: str
    type: Literal["INDIVIDUAL"]
    first_name: str
    last_name: str
    email: str
    phone: str
    country_of_residence: str
    customer_status: str
    tos_policies_url: str
    created_at: str
    updated_at: str


class BusinessListItem(BaseModel):
    customer_id: str
    type: Literal["BUSINESS"]
    business_name: str
    email: str
    phone: str
    country_of_incorporation: str
    customer_status: str
    tos_policies_url: str
    created_at: str
    updated_at: str


class CustomerPage(BaseModel):
    pagination: Pagination
    customers: list[IndividualListItem | BusinessListItem]


class CustomerListRead(BaseModel):
    data: CustomerPage


class RejectionApplicant(BaseModel):
    moderation_comment: str
    reject_labels: list[str]


class RejectedDocument(BaseModel):
    uri: str
    category: str
    moderation_comment: str
    reject_labels: list[str]


class RejectedParty(BaseModel):
    id: str
    applicant: RejectionApplicant | None
    documents: list[RejectedDocument]


class RejectionReason(BaseModel):
    applicant: RejectionApplicant | None
    documents: list[RejectedDocument]
    associated_parties: list[RejectedParty] | None = Field(
        default=None, description="Business customers only; absent for individuals."
    )


class RfiField(BaseModel):
    field_name: str
    data_type: str
    status: str
    reason: str | None = Field(default=None, description="Present when the status needs explaining.")
    options: list[str]


class RfiCategory(BaseModel):
    document_type: str
    fields: list[RfiField]


class RfiEntry(BaseModel):
    scope: Literal["CUSTOMER", "ASSOCIATED_PARTY"]
    associated_party_id: str | None = Field(default=None, description="Only when scope is ASSOCIATED_PARTY.")
    section: str
    categories: list[RfiCategory]


class PartyReason(BaseModel):
    for_customer: str | None
    for_developer: str | None


class PartyVerification(BaseModel):
    status: str
    reason: PartyReason
    updated_at: str


class PartyRead(BaseModel):
    id: str
    type: str
    ownership_percent: float | int
    email: str
    verification: PartyVerification


class IndividualDetail(BaseModel):
    customer_id: str
    type: Literal["INDIVIDUAL"]
    first_name: str
    last_name: str
    email: str
    phone: str
    country_of_residence: str
    verification_type: str
    customer_status: str
    tos_policies_url: str
    created_at: str
    updated_at: str
    last_status_updated_at: str
    rejection_reason: RejectionReason | None
    request_for_information: list[RfiEntry]


class BusinessDetail(BaseModel):
    customer_id: str
    type: Literal["BUSINESS"]
    business_name: str
    email: str
    phone: str
    country_of_incorporation: str
    verification_type: str
    customer_status: str
    tos_policies_url: str
    associated_parties: list[PartyRead]
    created_at: str
    updated_at: str
    last_status_updated_at: str
    rejection_reason: RejectionReason | None
    request_for_information: list[RfiEntry]


class CustomerDetailRead(BaseModel):
    data: IndividualDetail | BusinessDetail


class CapabilityReason(BaseModel):
    for_customer: str | None
    for_developer: str | None


class V1Capability(BaseModel):
    currency: str
    status: bool
    methods: list[str]
    reason: CapabilityReason


class V1Capabilities(BaseModel):
    on_ramp: list[V1Capability]
    off_ramp: list[V1Capability]


class IndividualDetailV1(IndividualDetail):
    capabilities: V1Capabilities


class BusinessDetailV1(BusinessDetail):
    capabilities: V1Capabilities


class CustomerDetailV1Read(BaseModel):
    data: IndividualDetailV1 | BusinessDetailV1


class OnRampRail(BaseModel):
    currency: str
    rail: str
    status: bool


class RailStatus(BaseModel):
    rail: str
    status: bool


class CurrencyRails(BaseModel):
    currency: str
    rails: list[RailStatus]


class OffRampCorridor(BaseModel):
    corridor: str
    currency_wise_rail: list[CurrencyRails]


class Capabilities(BaseModel):
    on_ramp: list[OnRampRail]
    off_ramp: list[OffRampCorridor]


class CapabilitiesRead(BaseModel):
    data: Capabilities
