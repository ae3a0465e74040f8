"""Bodies of reviewer decisions (the operator API, the CLI and the sandbox share them)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tollgate.kit.text import NulFree
from tollgate.verification import commands
from tollgate.verification.service import RejectedDocument, Rejection, RfiRequest


class _In(NulFree):
    model_config = ConfigDict(extra="forbid")


class RfiFieldIn(_In):
    field_name: str = Field(min_length=1, max_length=64)
    data_type: Literal["URI", "DATE", "TEXT", "ENUM"]
    status: Literal["MISSING", "EXPIRED", "INVALID"]
    reason: str | None = Field(default=None, max_length=500)
    options: list[str] = []
    side: Literal["FRONT", "BACK"] | None = None


class RfiCategoryIn(_In):
    document_type: str = Field(min_length=1, max_length=64)
    fields: list[RfiFieldIn] = Field(min_length=1)


class RfiEntryIn(_In):
    scope: Literal["CUSTOMER", "ASSOCIATED_PARTY"] | None = None
    associated_party_id: uuid.UUID | None = None
    section: str = Field(min_length=1, max_length=64)
    categories: list[RfiCategoryIn] = Field(min_length=1)

    def request(self, party_id: uuid.UUID | None = None) -> RfiRequest:
        cats = []
        for c in self.categories:
            fields = []
            for f in c.fields:
                out: dict[str, object] = {
                    "field_name": f.field_name,
                    "data_type": f.data_type,
                    "status": f.status,
                }
                if f.reason is not None:
                    out["reason"] = f.reason
                out["options"] = f.options
                fields.append(out)
            cats.append({"document_type": c.document_type, "fields": fields})
        return RfiRequest(
            section=self.section, categories=cats, party_id=party_id or self.associated_party_id
        )


class DocumentFindingIn(_In):
    uri: str = Field(min_length=1, max_length=300)
    category: str = Field(min_length=1, max_length=64)
    moderation_comment: str = Field(default="", max_length=2000)
    reject_labels: list[str] = Field(min_length=1)


class _DecisionIn(_In):
    expected_version: int | None = Field(
        default=None,
        ge=0,
        description="The version of the customer you decided on (review view); 409 if it changed since",
    )


class ApproveIn(_DecisionIn):
    note: str | None = Field(default=None, max_length=2000)

    def command(self, customer_id: uuid.UUID) -> commands.Approve:
        return commands.Approve(customer_id, self.note, self.expected_version)


class HoldIn(_DecisionIn):
    reason: str | None = Field(default=None, max_length=2000)

    def command(self, customer_id: uuid.UUID) -> commands.Hold:
        return commands.Hold(customer_id, self.reason, self.expected_version)


class RejectIn(_DecisionIn):
    reject_labels: list[str] = []
    moderation_comment: str = Field(default="", max_length=2000, description="Shown to the customer")
    developer_note: str | None = Field(default=None, max_length=2000, description="For the integrator")
    final: bool = True
    documents: list[DocumentFindingIn] = []
    rfis: list[RfiEntryIn] = Field(default=[], description="What to resubmit, when final is false")

    def rejection(self) -> Rejection:
        return Rejection(
            labels=list(self.reject_labels),
            comment=self.moderation_comment,
            documents=[
                RejectedDocument(d.uri, d.category, d.moderation_comment, list(d.reject_labels))
                for d in self.documents
            ],
        )

    def command(self, customer_id: uuid.UUID) -> commands.Reject:
        return commands.Reject(
            customer_id,
            self.rejection(),
            self.developer_note,
            self.final,
            [r.request() for r in self.rfis],
            self.expected_version,
        )


class RequestInformationIn(_DecisionIn):
    rfis: list[RfiEntryIn] = Field(min_length=1)

    def command(self, customer_id: uuid.UUID) -> commands.RequestInformation:
        return commands.RequestInformation(
            customer_id, [r.request() for r in self.rfis], self.expected_version
        )

    def party_command(self, customer_id: uuid.UUID, party_id: uuid.UUID) -> commands.RequestPartyInformation:
        return commands.RequestPartyInformation(
            customer_id, party_id, [r.request(party_id) for r in self.rfis], self.expected_version
        )


class PartyRejectIn(RejectIn):
    for_customer: str | None = Field(default=None, max_length=1000)
    for_developer: str | None = Field(default=None, max_length=1000)

    def party_command(self, customer_id: uuid.UUID, party_id: uuid.UUID) -> commands.RejectParty:
        return commands.RejectParty(
            customer_id,
            party_id,
            self.rejection(),
            self.for_customer,
            self.for_developer,
            [r.request(party_id) for r in self.rfis],
            self.expected_version,
        )


class PartyApproveIn(_DecisionIn):
    def party_command(self, customer_id: uuid.UUID, party_id: uuid.UUID) -> commands.ApproveParty:
        return commands.ApproveParty(customer_id, party_id, self.expected_version)


class OperatorLoginIn(_In):
    username: str
    password: str


class OperatorTokenRead(BaseModel):
    access_token: str
    expires_at: str
