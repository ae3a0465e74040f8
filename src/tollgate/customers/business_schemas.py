"""Request models for POST /v2/customers/business (``CreateBusinessCustomerV2Input``).

Every field, required list and constraint of the reference schema is here; the few limits the schema
lacks (list lengths, string lengths) are generous guards against abuse, not business rules. Numbers and
booleans are strict: ``"3"`` is not an id and ``"true"`` is not a boolean. Rules relating fields to each
other, to the catalogue or to the clock live in ``business_rules``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
)
from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei

from tollgate.customers.enums import VerificationType
from tollgate.customers.rules import (
    CountryCode,
    IsoDate,
    LatinLine,
    LatinParagraph,
    Line,
    LowerEmail,
    Percentage,
    Phone,
    SubdivisionCode,
    Website,
)
from tollgate.customers.rules import storable as _storable
from tollgate.customers.schemas import Strict


class EntityType(StrEnum):
    LIMITED_LIABILITY_COMPANY = "LIMITED_LIABILITY_COMPANY"
    PUBLICLY_LISTED_COMPANY = "PUBLICLY_LISTED_COMPANY"
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR"
    PARTNERSHIP = "PARTNERSHIP"
    CORPORATION = "CORPORATION"
    TRUST = "TRUST"
    PRIVATE_FOUNDATION = "PRIVATE_FOUNDATION"
    CHARITY = "CHARITY"
    NONPROFIT_ORGANIZATION = "NONPROFIT_ORGANIZATION"
    PUBLIC_AGENCY_OR_AUTHORITY = "PUBLIC_AGENCY_OR_AUTHORITY"


class Role(StrEnum):
    shareholder = "shareholder"
    ubo = "ubo"


class HighRiskActivity(StrEnum):
    adult_entertainment = "adult_entertainment"
    crypto_exchange = "crypto_exchange"
    gambling = "gambling"
    cannabis = "cannabis"
    weapons = "weapons"
    money_services = "money_services"
    cross_border_payments = "cross_border_payments"


def _lei(value: str) -> str:
    # ISO 17442: 18 upper-case alphanumerics and 2 check digits (ISO 7064 MOD 97-10).
    if not (value.isascii() and value.isalnum() and value == value.upper() and value[18:].isdigit()):
        raise ValueError("Must be a 20-character ISO 17442 LEI (upper-case letters and digits)")
    if not stdnum_lei.is_valid(value):
        raise ValueError("LEI check digits do not match (ISO 17442)")
    return value


def _isin(value: str) -> str:
    if not (value.isascii() and value.isalnum() and value == value.upper()):
        raise ValueError("Must be a 12-character ISIN (upper-case letters and digits)")
    if not stdnum_isin.is_valid(value):
        raise ValueError("Invalid ISIN (country prefix or check digit)")
    return value


def _mic(value: str) -> str:
    if not (value.isascii() and value.isalnum() and value == value.upper()):
        raise ValueError("Must be a 4-character ISO 10383 MIC, e.g. XNAS")
    return value


LEI = Annotated[str, StringConstraints(min_length=20, max_length=20), AfterValidator(_lei)]
ISIN = Annotated[str, StringConstraints(min_length=12, max_length=12), AfterValidator(_isin)]
MIC = Annotated[str, StringConstraints(min_length=4, max_length=4), AfterValidator(_mic)]
UsdAmount = Annotated[StrictInt, Field(ge=0)]


class TaxDocument(Strict):
    """``V2IdentifyingDocument`` (business) and ``V2IndividualIdentifyingDocument`` (parties)."""

    country_code: CountryCode
    document_type: LatinLine = Field(max_length=50)
    document_id: LatinLine = Field(max_length=64)


class BusinessBasicInfo(Strict):
    legal_name: Line = Field(max_length=255)
    legal_name_en: LatinLine = Field(max_length=255)
    trade_name: Line = Field(max_length=255)
    trade_name_en: LatinLine | None = Field(default=None, max_length=255)
    description: LatinParagraph = Field(max_length=500)
    entity_type: EntityType
    email: LowerEmail
    phone: Phone
    incorporation_date: IsoDate
    country_of_incorporation: CountryCode
    registration_number: LatinLine = Field(max_length=100)
    legal_entity_identifier: LEI | None = None
    is_dao: StrictBool | None = None
    tax_info: list[TaxDocument] = Field(min_length=1, max_length=20)
    websites: list[Website] = Field(min_length=1, max_length=20)


class BusinessFinancialProfile(Strict):
    purpose_id: StrictInt
    purpose_remarks: LatinParagraph | None = Field(default=None, max_length=500)
    source_of_fund_ids: list[StrictInt] = Field(min_length=1, max_length=50)
    source_of_funds_description: LatinParagraph | None = Field(default=None, max_length=1000)
    source_of_wealth_ids: list[StrictInt] = Field(min_length=1, max_length=50)
    estimated_annual_revenue_usd: UsdAmount
    expected_monthly_deposits_usd: UsdAmount
    expected_monthly_withdrawals_usd: UsdAmount
    expected_transaction_value_usd: UsdAmount | None = None
    expected_monthly_transaction_count: UsdAmount | None = None
    third_party_fund_usage: StrictBool


class BusinessAddress(Strict):
    """``V2Address``: used for the business's addresses and each associated party's."""

    street_line_1: Line = Field(max_length=255)
    street_line_1_en: LatinLine = Field(max_length=255)
    street_line_2: Line | None = Field(default=None, max_length=255)
    street_line_2_en: LatinLine | None = Field(default=None, max_length=255)
    city: LatinLine = Field(max_length=100)
    state: SubdivisionCode
    subdivision_code: SubdivisionCode
    postal_code: LatinLine = Field(max_length=20)
    country: CountryCode


class BusinessAddresses(Strict):
    is_incorporated_address_same: StrictBool
    incorporated_address: BusinessAddress
    physical_address: BusinessAddress | None = None


class PartyBasicInfo(Strict):
    first_name: Line = Field(max_length=50)
    first_name_en: LatinLine = Field(max_length=255)
    middle_name: Line | None = Field(default=None, max_length=255)
    middle_name_en: LatinLine | None = Field(default=None, max_length=255)
    last_name: Line = Field(max_length=50)
    last_name_en: LatinLine = Field(max_length=255)
    dob: IsoDate
    email: LowerEmail
    phone: Phone
    country_of_residence: CountryCode
    primary_nationality: CountryCode
    secondary_nationality: CountryCode | None = None
    # The reference schema requires the key but sets no minimum number of items.
    tax_info: list[TaxDocument] = Field(max_length=20)


class OwnershipInfo(Strict):
    designation: LatinLine = Field(max_length=100)
    percentage_of_ownership: Percentage
    relationship_establishment_date: IsoDate
    has_control: StrictBool
    is_signer: StrictBool
    is_director: StrictBool


class AssociatedPartyCreate(Strict):
    ref: Line | None = Field(default=None, max_length=255)
    basic_info: PartyBasicInfo
    address: BusinessAddress
    roles: list[Role] = Field(min_length=1, max_length=10)
    ownership_info: OwnershipInfo | None = None


class CorporateShareholder(Strict):
    entity_name: Line = Field(max_length=255)
    entity_name_en: LatinLine = Field(max_length=255)
    registration_country_code: CountryCode
    ownership_percentage: Percentage
    registration_number: LatinLine | None = Field(default=None, max_length=100)
    entity_type: EntityType | None = None
    incorporation_date: IsoDate | None = None


class ForeignBranch(Strict):
    registration_country_code: CountryCode
    name: LatinLine | None = Field(default=None, max_length=255)
    registration_number: LatinLine | None = Field(default=None, max_length=100)


class HoldingStructure(Strict):
    has_material_intermediary_ownership: StrictBool | None = None
    corporate_shareholders: list[CorporateShareholder] | None = Field(default=None, max_length=50)
    foreign_branches: list[ForeignBranch] | None = Field(default=None, max_length=50)


class PublicListing(Strict):
    mic: MIC | None = None
    isin: ISIN | None = None
    ticker_symbol: LatinLine | None = Field(default=None, max_length=20)


class RiskProfile(Strict):
    high_risk_activities: list[HighRiskActivity] | None = Field(default=None, max_length=20)
    high_risk_activities_explanation: LatinParagraph | None = Field(default=None, max_length=2000)
    conducts_money_services: StrictBool | None = None
    conducts_money_services_via_fin: StrictBool | None = None
    conducts_money_services_description: LatinParagraph | None = Field(default=None, max_length=2000)


class RegulatedActivity(Strict):
    description: LatinParagraph = Field(max_length=2000)
    primary_authority_country_code: CountryCode
    primary_authority_name: LatinLine = Field(max_length=255)
    license_number: LatinLine = Field(max_length=100)


class CustomerRiskSplit(Strict):
    low_risk: StrictInt = Field(ge=0, le=100)
    medium_risk: StrictInt = Field(ge=0, le=100)
    high_risk: StrictInt = Field(ge=0, le=100)


class VerificationMethod(Strict):
    method: LatinLine = Field(max_length=100)
    system: LatinLine = Field(max_length=255)


class AML(Strict):
    supervisory_authority_name: LatinLine | None = Field(default=None, max_length=255)
    license_number: LatinLine | None = Field(default=None, max_length=100)
    has_appointed_mlro: StrictBool | None = None
    customer_risk_split: CustomerRiskSplit | None = None
    prohibits_anonymous_or_fictitious_accounts: StrictBool | None = None
    prohibits_accounts_for_unlicensed_or_shell_customers: StrictBool | None = None
    customer_identity_verification: VerificationMethod | None = None
    pep_and_sanctions_screening: VerificationMethod | None = None
    sanction_lists: list[Annotated[LatinLine, Field(max_length=100)]] | None = Field(
        default=None, max_length=50
    )
    customer_risk_classification_from_due_diligence: StrictBool | None = None
    enhanced_due_diligence_process: StrictBool | None = None
    transaction_monitoring: VerificationMethod | None = None
    procedures_for_transaction_monitoring: StrictBool | None = None
    subject_to_ml_or_tf_investigation: LatinParagraph | None = Field(default=None, max_length=2000)
    subject_to_regulatory_enforcement_past_2_years: LatinParagraph | None = Field(
        default=None, max_length=2000
    )
    confirms_no_service_to_sanctioned_countries: StrictBool | None = None
    client_funds_accessibility: LatinLine | None = Field(default=None, max_length=255)
    aml_ctf_audit_completed: StrictBool | None = None
    planned_audit_date: IsoDate | None = None


class Compliance(Strict):
    operates_in_prohibited_countries: StrictBool | None = None
    additional_description_for_compliance_screening: LatinParagraph | None = Field(
        default=None, max_length=2000
    )
    risk_profile: RiskProfile | None = None
    regulated_activity: RegulatedActivity | None = None
    aml: AML | None = None


_EXAMPLE_ADDRESS: dict[str, JsonValue] = {
    "street_line_1": "1 Market Street",
    "street_line_1_en": "1 Market Street",
    "city": "San Francisco",
    "state": "US-CA",
    "subdivision_code": "US-CA",
    "postal_code": "94105",
    "country": "USA",
}


class BusinessCustomerCreate(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
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
                    "tax_info": [
                        {"country_code": "USA", "document_type": "EIN", "document_id": "12-3456789"}
                    ],
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
                "addresses": {"is_incorporated_address_same": True, "incorporated_address": _EXAMPLE_ADDRESS},
                "associated_parties": [
                    {
                        "basic_info": {
                            "first_name": "Jane",
                            "first_name_en": "Jane",
                            "last_name": "Smith",
                            "last_name_en": "Smith",
                            "dob": "1980-02-01",
                            "email": "jane.smith@acmecorp.com",
                            "phone": "+14155550101",
                            "country_of_residence": "USA",
                            "primary_nationality": "USA",
                            "tax_info": [
                                {"country_code": "USA", "document_type": "SSN", "document_id": "123-45-6840"}
                            ],
                        },
                        "address": _EXAMPLE_ADDRESS,
                        "roles": ["shareholder", "ubo"],
                        "ownership_info": {
                            "designation": "CEO",
                            "percentage_of_ownership": 100,
                            "relationship_establishment_date": "2019-01-01",
                            "has_control": True,
                            "is_signer": True,
                            "is_director": True,
                        },
                    }
                ],
                "meta_data": {"reference": "REF-20250123-ACME"},
            }
        }
    )

    # The schema lists it as required, yet its own description says it defaults to STANDARD when omitted.
    verification_type: VerificationType = VerificationType.STANDARD
    industry_codes: list[Annotated[LatinLine, Field(max_length=20)]] = Field(min_length=1, max_length=20)
    basic_info: BusinessBasicInfo
    financial_profile: BusinessFinancialProfile
    addresses: BusinessAddresses
    associated_parties: list[AssociatedPartyCreate] = Field(min_length=1, max_length=50)
    holding_structure: HoldingStructure | None = None
    public_listings: list[PublicListing] | None = Field(default=None, max_length=20)
    compliance: Compliance | None = None
    meta_data: dict[str, Any] | None = None

    @field_validator("meta_data")
    @classmethod
    def _meta_data_storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if "reference" in value and not isinstance(value["reference"], str):
            raise ValueError("reference must be a string")
        if not _storable(value):
            raise ValueError("Must not contain NUL characters, NaN or Infinity")
        return value
