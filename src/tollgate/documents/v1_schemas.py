"""Request bodies of the V1 attaches (``AttachDocumentForIndividualCustomerInput``,
``AttachDocumentToAssociatedPartyInput``, ``AttachDocumentsToBusinessCustomerInput``): the customer's id
travels in the body, and documents are ``proof_of_identity`` / ``proof_of_address`` objects."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import Field

from tollgate.customers.rules import CountryCode, IsoDate, LatinLine
from tollgate.customers.schemas import Strict
from tollgate.documents.schemas import FileRef, PlainFileRef


class V1IdType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"


class V1IndividualAddressType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    UTILITY_BILL = "UTILITY_BILL"
    GOVERNMENT_LETTER = "GOVERNMENT_LETTER"
    BANK_STATEMENT = "BANK_STATEMENT"


class V1PartyAddressType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    UTILITY_BILL = "UTILITY_BILL"
    GOVERNMENT_LETTER = "GOVERNMENT_LETTER"
    BANK_STATEMENT = "BANK_STATEMENT"
    COMPANY_DOC = "COMPANY_DOC"


class ProofOfIdentity(Strict):
    type: V1IdType
    number: LatinLine = Field(max_length=100)
    country: CountryCode
    issue_date: IsoDate
    expiry_date: IsoDate
    files: list[FileRef] = Field(min_length=1, max_length=2)


class ProofOfAddressIndividual(Strict):
    """Not older than three months (Fin's description); V1 has no date field to check it by."""

    type: V1IndividualAddressType
    country: CountryCode
    files: list[PlainFileRef] = Field(min_length=1, max_length=5)


class ProofOfAddressBusiness(Strict):
    type: V1PartyAddressType
    country: CountryCode
    files: list[PlainFileRef] = Field(min_length=1, max_length=5)


class V1IndividualAttach(Strict):
    customer_id: uuid.UUID
    proof_of_identity: ProofOfIdentity
    proof_of_address: ProofOfAddressIndividual
    tos_policies_value: str = Field(min_length=1, max_length=100)


class V1PartyAttachment(Strict):
    associated_party_id: uuid.UUID
    proof_of_identity: ProofOfIdentity
    proof_of_address: ProofOfAddressBusiness


class V1PartyAttach(Strict):
    customer_id: uuid.UUID
    associated_party_attachments: list[V1PartyAttachment] = Field(min_length=1, max_length=50)


class OwnershipStructureType(StrEnum):
    SHAREHOLDER_REGISTRY = "SHAREHOLDER_REGISTRY"


class CompanyDetailsType(StrEnum):
    CERT_OF_INCORPORATION = "CERT_OF_INCORPORATION"
    MEMORANDUM_OF_ASSOCIATION = "MEMORANDUM_OF_ASSOCIATION"


class LegalPresenceType(StrEnum):
    PROOF_OF_ADDRESS = "PROOF_OF_ADDRESS"


class OwnershipStructureItem(Strict):
    type: OwnershipStructureType
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class CompanyDetailsItem(Strict):
    type: CompanyDetailsType
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class LegalPresenceItem(Strict):
    type: LegalPresenceType
    files: list[PlainFileRef] = Field(min_length=1, max_length=10)


class V1BusinessAttach(Strict):
    customer_id: uuid.UUID
    ownership_structure: list[OwnershipStructureItem] = Field(max_length=20)
    company_details: list[CompanyDetailsItem] = Field(max_length=20)
    legal_presence: list[LegalPresenceItem] = Field(max_length=20)
    tos_policies_value: str = Field(min_length=1, max_length=100)
