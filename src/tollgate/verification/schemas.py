"""Bodies of reviewer decisions (the operator API, the CLI and the sandbox share them)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tollgate.kit.text import NulFree
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


class ApproveIn(_In):
    note: str | None = Field(default=None, max_length=2000)


class HoldIn(_In):
    reason: str | None = Field(default=None, max_length=2000)


class RejectIn(_In):
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


class RequestInformationIn(_In):
    rfis: list[RfiEntryIn] = Field(min_length=1)


class PartyRejectIn(RejectIn):
    for_customer: str | None = Field(default=None, max_length=1000)
    for_developer: str | None = Field(default=None, max_length=1000)


class OperatorLoginIn(_In):
    username: str
    password: str


class OperatorTokenRead(BaseModel):
    access_token: str
    expires_at: str
