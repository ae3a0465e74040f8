"""The body of PATCH /v1/customers/{customer_id}: an answer to open requests for information.

A partial payload mirroring the attach endpoints (Fin's oneOf of an individual and a business shape), plus
the V2 individual keys and ``tos_policies_value`` that Fin's PATCH schema lacks although RFIs use those
sections (DOMAIN.md 16 item 13). Every key is optional; which ones a request may carry is decided by the
customer's open RFIs (documents.answer), not here.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tollgate.customers.rules import CountryCode, IsoDate
from tollgate.customers.schemas import Strict
from tollgate.documents.schemas import (
    AddressDocType,
    FileRef,
    FormationItem,
    IndividualAddressDocument,
    IndividualIdentifyingDocument,
    IndividualIdType,
    OwnershipItem,
    PartyAttachment,
    SupportingItem,
)


class ProofOfIdentityType(StrEnum):
    PASSPORT = "PASSPORT"
    NATIONAL_ID = "NATIONAL_ID"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"


class ProofOfIdentity(Strict):
    """Fin's V1 ``proof_of_identity``; kept as the V2 ``identifying_documents`` document it stands for."""

    type: ProofOfIdentityType
    number: str = Field(min_length=1, max_length=100)
    country: CountryCode
    # Not in Fin's V1 shape; the V2 rule applies (required for a US driving licence).
    state: str | None = Field(default=None, max_length=64)
    issue_date: IsoDate | None = None
    expiry_date: IsoDate
    files: list[FileRef] = Field(min_length=1, max_length=2)

    def as_identifying(self) -> IndividualIdentifyingDocument:
        return IndividualIdentifyingDocument(
            type=IndividualIdType(self.type.value),
            number=self.number,
            country=self.country,
            state=self.state,
            issue_date=self.issue_date,
            expiry_date=self.expiry_date,
            files=self.files,
        )


class ProofOfAddress(Strict):
    """Fin's V1 ``proof_of_address``; kept as the V2 ``address_documents`` document it stands for."""

    type: AddressDocType
    country: CountryCode
    # Not in Fin's V1 shape; lets the 90-day age be checked, as on the V2 attach.
    issue_date: IsoDate | None = None
    files: list[FileRef] = Field(min_length=1, max_length=1)

    def as_address(self) -> IndividualAddressDocument:
        return IndividualAddressDocument(
            type=self.type, country=self.country, issue_date=self.issue_date, files=self.files
        )


class RfiAnswerUpdate(Strict):
    """Only what the customer's open RFIs ask for; an empty list or null counts as not sent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "identifying_documents": [
                        {
                            "type": "PASSPORT",
                            "number": "A12345678",
                            "country": "USA",
                            "issue_date": "2020-01-15",
                            "expiry_date": "2030-01-15",
                            "files": [{"uri": "/AbAcQ4hn_passport.png"}],
                        }
                    ]
                },
                {
                    "associated_party_attachments": [
                        {
                            "associated_party_id": "f6b13e01-044a-4f74-a70b-d5f66b6449af",
                            "identifying_documents": [
                                {
                                    "type": "PASSPORT",
                                    "number": "A12345678",
                                    "country": "USA",
                                    "issue_date": "2020-01-15",
                                    "expiry_date": "2030-01-15",
                                    "files": [{"uri": "/AbAcQ4hn_0652746727637.pdf"}],
                                }
                            ],
                        }
                    ]
                },
            ]
        }
    )

    # Individual, Fin's V1 keys
    proof_of_identity: ProofOfIdentity | None = None
    proof_of_address: ProofOfAddress | None = None
    # Individual, the V2 keys its RFIs are raised on
    identifying_documents: list[IndividualIdentifyingDocument] = Field(default=[], max_length=2)
    address_documents: list[IndividualAddressDocument] = Field(default=[], max_length=1)
    # Business
    formation_documents: list[FormationItem] = Field(default=[], max_length=20)
    ownership_documents: list[OwnershipItem] = Field(default=[], max_length=20)
    supporting_documents: list[SupportingItem] = Field(default=[], max_length=30)
    associated_party_attachments: list[PartyAttachment] = Field(default=[], max_length=50)
    # Either type, for a ``tos_policies_value`` RFI: the terms attestation
    tos_policies_value: str | None = Field(default=None, min_length=1, max_length=100)


class AnsweredIds(BaseModel):
    customer_id: uuid.UUID


class RfiAnswerRead(BaseModel):
    data: AnsweredIds
