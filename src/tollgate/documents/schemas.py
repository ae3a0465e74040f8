"""Attach request bodies (V2 individual, business, associated parties)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tollgate.customers.rules import CountryCode, IsoDate
from tollgate.customers.schemas import Strict


class Side(StrEnum):
    FRONT = "FRONT"
    BACK = "BACK"


class FileRef(Strict):
    uri: str = Field(min_length=2, max_length=300)
    side: Side | None = None


class PlainFileRef(Strict):
    uri: str = Field(min_length=2, max_length=300)


class IndividualIdType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    SELFIE = "SELFIE"


class AddressDocType(StrEnum):
    UTILITY_BILL = "UTILITY_BILL"
    GOVERNMENT_LETTER = "GOVERNMENT_LETTER"
    BANK_STATEMENT = "BANK_STATEMENT"


class IndividualIdentifyingDocument(Strict):
    type: IndividualIdType
    number: str | None = Field(default=None, min_length=1, max_length=100)
    country: CountryCode | None = None
    state: str | None = Field(default=None, max_length=64)
    issue_date: IsoDate | None = None
    expiry_date: IsoDate | None = None
    files: list[FileRef] = Field(min_length=1, max_length=2)


class IndividualAddressDocument(Strict):
    type: AddressDocType
    country: CountryCode
    issue_date: IsoDate | None = None
    files: list[FileRef] = Field(min_length=1, max_length=1)


class IndividualAttach(Strict):
    identifying_documents: list[IndividualIdentifyingDocument] = Field(min_length=1, max_length=2)
    address_documents: list[IndividualAddressDocument] = Field(min_length=1, max_length=1)
    tos_policies_value: str = Field(min_length=1, max_length=100)


class FormationType(StrEnum):
    REGISTRATION_DOCUMENT = "REGISTRATION_DOCUMENT"
    CONSTITUTIONAL_DOCUMENT = "CONSTITUTIONAL_DOCUMENT"
    FORMATION_DOCUMENT = "FORMATION_DOCUMENT"
    PROOF_OF_TAX_IDENTIFICATION = "PROOF_OF_TAX_IDENTIFICATION"
    EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS = "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS"


class OwnershipType(StrEnum):
    OWNERSHIP_INFORMATION = "OWNERSHIP_INFORMATION"
    OWNERSHIP_CHART = "OWNERSHIP_CHART"
    PROOF_OF_SIGNATORY_AUTHORITY = "PROOF_OF_SIGNATORY_AUTHORITY"


class SupportingType(StrEnum):
    SHAREHOLDER_REGISTER = "SHAREHOLDER_REGISTER"
    PROOF_OF_NATURE_OF_BUSINESS = "PROOF_OF_NATURE_OF_BUSINESS"
    PROOF_OF_ENTITY_NAME_CHANGE = "PROOF_OF_ENTITY_NAME_CHANGE"
    CERT_OF_INCUMBENCY = "CERT_OF_INCUMBENCY"
    PROOF_OF_SOURCE_OF_FUNDS = "PROOF_OF_SOURCE_OF_FUNDS"
    PROOF_OF_SOURCE_OF_WEALTH = "PROOF_OF_SOURCE_OF_WEALTH"
    AML_COMFORT_LETTER = "AML_COMFORT_LETTER"
    MARKETING_MATERIALS = "MARKETING_MATERIALS"
    TAX_EXEMPT_ENTITY_CONFIRMATION = "TAX_EXEMPT_ENTITY_CONFIRMATION"
    E_SIGNATURE_CERTIFICATE = "E_SIGNATURE_CERTIFICATE"
    FLOW_OF_FUNDS = "FLOW_OF_FUNDS"
    PROOF_OF_NATURE_OF_BUSINESS_LICENSE = "PROOF_OF_NATURE_OF_BUSINESS_LICENSE"
    PROOF_OF_NATURE_OF_BUSINESS_AML_POLICY = "PROOF_OF_NATURE_OF_BUSINESS_AML_POLICY"
    EVIDENCE_OF_GOOD_STANDING = "EVIDENCE_OF_GOOD_STANDING"
    PROOF_OF_ACCOUNT_PURPOSE = "PROOF_OF_ACCOUNT_PURPOSE"
    PROOF_OF_ADDRESS = "PROOF_OF_ADDRESS"
    OTHER = "OTHER"


class FormationItem(Strict):
    type: FormationType | None = None
    description: str | None = Field(default=None, max_length=500)
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class OwnershipItem(Strict):
    type: OwnershipType | None = None
    description: str | None = Field(default=None, max_length=500)
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class SupportingItem(Strict):
    type: SupportingType | None = None
    description: str | None = Field(default=None, max_length=500)
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class BusinessAttach(Strict):
    formation_documents: list[FormationItem] = Field(default=[], max_length=20)
    ownership_documents: list[OwnershipItem] = Field(default=[], max_length=20)
    supporting_documents: list[SupportingItem] = Field(default=[], max_length=30)
    tos_policies_value: str = Field(min_length=1, max_length=100)


class PartyIdType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    PERMANENT_RESIDENCY_ID = "PERMANENT_RESIDENCY_ID"


class PartyAddressType(StrEnum):
    UTILITY_BILL = "UTILITY_BILL"
    GOVERNMENT_LETTER = "GOVERNMENT_LETTER"
    BANK_STATEMENT = "BANK_STATEMENT"
    PROOF_OF_TAX_IDENTIFICATION = "PROOF_OF_TAX_IDENTIFICATION"
    COURT_DOCUMENT = "COURT_DOCUMENT"
    INSURANCE_STATEMENT = "INSURANCE_STATEMENT"


class PartySupportingType(StrEnum):
    MILITARY_ID = "MILITARY_ID"
    MATRICULATE_ID = "MATRICULATE_ID"
    STATE_OR_PROVINCIAL_ID = "STATE_OR_PROVINCIAL_ID"
    VISA = "VISA"
    OTHER = "OTHER"


class PartyIdentifyingDocument(Strict):
    type: PartyIdType
    number: str = Field(min_length=1, max_length=100)
    country: CountryCode
    issue_date: IsoDate
    expiry_date: IsoDate
    files: list[FileRef] = Field(min_length=1, max_length=2)


class PartyAddressDocument(Strict):
    type: PartyAddressType
    # Not in Fin's schema, which says the document must be issued within 90 days but has no field for it;
    # accepted here so the age can be checked (docs/verification.md).
    issue_date: IsoDate | None = None
    files: list[PlainFileRef] = Field(min_length=1, max_length=5)


class PartySupportingDocument(Strict):
    type: PartySupportingType
    description: str | None = Field(default=None, max_length=500)
    files: list[PlainFileRef] = Field(min_length=1, max_length=5)


class PartyAttachment(Strict):
    associated_party_id: uuid.UUID
    identifying_documents: list[PartyIdentifyingDocument] = Field(default=[], max_length=5)
    address_documents: list[PartyAddressDocument] = Field(default=[], max_length=5)
    supporting_documents: list[PartySupportingDocument] = Field(default=[], max_length=5)


class PartyAttach(Strict):
    associated_party_attachments: list[PartyAttachment] = Field(min_length=1, max_length=50)


# ---------------------------------------------------------------- responses


class AttachedCustomer(BaseModel):
    customer_id: str = Field(json_schema_extra={"format": "uuid"})


class IndividualAttached(BaseModel):
    """V1 individual attach: the customer's id."""

    data: AttachedCustomer


class IndividualAttachRead(BaseModel):
    """V2 individual attach: accepted and queued for the checks."""

    data: AttachedCustomer
    meta: None = Field(description="Always null")


class EmptyData(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "Fin's generic response object; empty"})


class Attached(BaseModel):
    """The business and associated-party attaches (V1 and V2)."""

    data: EmptyData


class UploadedFiles(BaseModel):
    files: list[dict[str, str]] = Field(description="One ``{field name: uri}`` object per file, in order")


class UploadRead(BaseModel):
    data: UploadedFiles
