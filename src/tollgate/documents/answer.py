"""Answering requests for information: PATCH /v1/customers/{customer_id} (DOMAIN.md 10, docs/rfi.md).

An answer may carry only what the customer's open RFIs ask for: the sections (the customer's own, or one
associated party's) and, inside them, the document types. Anything else is refused with the path of each
unrequested field, and nothing changes. An accepted answer follows the attach rules for files and
documents, replaces the documents it answers, marks those RFIs answered and queues the checks, which close
them and raise again whatever still fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.documents import service as documents
from tollgate.documents.answer_schemas import RfiAnswerUpdate
from tollgate.documents.models import StoredFile
from tollgate.documents.schemas import (
    FormationItem,
    IndividualAddressDocument,
    IndividualIdentifyingDocument,
    IndividualIdType,
    OwnershipItem,
    PartyAttachment,
    SupportingItem,
)
from tollgate.errors import ValidationFailed
from tollgate.verification import rfi as rfis
from tollgate.verification.models import Rfi
from tollgate.verification.transitions import audit, transition_party

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

SOURCE = "rfi_answer"
NOT_REQUESTED = "Not requested by an open request for information"
NO_OPEN_RFI = "The customer has no open request for information"
NOTHING_SENT = "Send what an open request for information asks for"
FOREIGN_FILE = "This file belongs to another customer"

# Fin's V1 individual keys stand for the V2 sections the checks raise RFIs on.
V1_SECTIONS = {"proof_of_identity": "identifying_documents", "proof_of_address": "address_documents"}
BUSINESS_SECTIONS = ("formation_documents", "ownership_documents", "supporting_documents")
PARTY_SECTIONS = ("identifying_documents", "address_documents", "supporting_documents")
IDENTITY_TYPES = frozenset(
    {"PASSPORT", "NATIONAL_ID", "DRIVERS_LICENSE", "RESIDENCE_PERMIT", "PERMANENT_RESIDENCY_ID"}
)
# Generic document types an RFI may name: any document of the section's family answers them.
GENERIC_TYPES = {"identifying_documents": "GOVERNMENT_ID", "address_documents": "PROOF_OF_ADDRESS"}
# V1 names that V2 business RFIs still use (DOMAIN.md 16 item 9) -> the V2 type that answers them.
V1_TYPES = {
    "CERT_OF_INCORPORATION": "REGISTRATION_DOCUMENT",
    "MEMORANDUM_OF_ASSOCIATION": "CONSTITUTIONAL_DOCUMENT",
    "SHAREHOLDER_REGISTRY": "SHAREHOLDER_REGISTER",
}

Key = tuple[uuid.UUID | None, str]  # (party id, or None for the customer's own; section)
Errors = list[tuple[str, str]]
BusinessItem = FormationItem | OwnershipItem | SupportingItem


def canonical_section(section: str) -> str:
    return V1_SECTIONS.get(section, section)


@dataclass
class Requested:
    """The open RFIs of one (party, section) and the document types their categories name."""

    rows: list[Rfi] = field(default_factory=list)
    types: set[str] = field(default_factory=set)

    def allows(self, section: str, doc_type: str) -> bool:
        if doc_type in self.types or any(V1_TYPES.get(t) == doc_type for t in self.types):
            return True
        generic = GENERIC_TYPES.get(section)
        if generic is None or generic not in self.types:
            return False
        return section == "address_documents" or doc_type in IDENTITY_TYPES

    def listing(self) -> str:
        return ", ".join(sorted(self.types))


def requested_by(rows: Sequence[Rfi]) -> dict[Key, Requested]:
    out: dict[Key, Requested] = {}
    for row in rows:
        entry = out.setdefault((row.party_id, canonical_section(row.section)), Requested())
        entry.rows.append(row)
        entry.types.update(str(c["document_type"]) for c in row.categories if c.get("document_type"))
    return out


@dataclass
class Answer:
    """The parts of a request that open RFIs ask for, with their field paths."""

    identity: list[tuple[str, IndividualIdentifyingDocument]] = field(default_factory=list)
    address: list[tuple[str, IndividualAddressDocument]] = field(default_factory=list)
    business: list[tuple[str, str, BusinessItem]] = field(default_factory=list)  # section, path, item
    parties: list[tuple[str, PartyAttachment, AssociatedParty]] = field(default_factory=list)
    tos: str | None = None
    # what each answered (party, section) received, by field path, kept on its RFI rows
    sent: dict[Key, dict[str, Any]] = field(default_factory=dict)


def _dump(value: Any) -> Any:
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    return value


class _Scope:
    """Sorts a request into requested parts, naming every unrequested field path."""

    def __init__(
        self, requested: dict[Key, Requested], errors: Errors, sent: dict[Key, dict[str, Any]]
    ) -> None:
        self.requested = requested
        self.errors = errors
        self.sent = sent

    def section(self, key: Key, path: str, types: Sequence[tuple[str, str | None]], sent: Any) -> bool:
        """``types`` pairs each document's ``type`` path with its type (None when not given)."""
        req = self.requested.get(key)
        if req is None:
            self.errors.append((path, NOT_REQUESTED))
            return False
        for type_path, doc_type in types:
            if doc_type is None:
                self.errors.append((type_path, f"Required; the request asks for {req.listing()}"))
            elif not req.allows(key[1], doc_type):
                self.errors.append((type_path, f"{NOT_REQUESTED} (it asks for {req.listing()})"))
        self.sent.setdefault(key, {})[path] = _dump(sent)
        return True


def _sort(
    body: RfiAnswerUpdate, customer: Customer, requested: dict[Key, Requested], errors: Errors
) -> Answer:
    answer = Answer()
    scope = _Scope(requested, errors, answer.sent)

    identity = (None, "identifying_documents")
    if body.proof_of_identity is not None and body.identifying_documents:
        errors.append(("proof_of_identity", "Send either proof_of_identity or identifying_documents"))
    elif body.proof_of_identity is not None:
        doc = body.proof_of_identity
        if scope.section(identity, "proof_of_identity", [("proof_of_identity.type", doc.type.value)], doc):
            answer.identity.append(("proof_of_identity", doc.as_identifying()))
    elif body.identifying_documents:
        docs = body.identifying_documents
        types = [(f"identifying_documents[{i}].type", d.type.value) for i, d in enumerate(docs)]
        if scope.section(identity, "identifying_documents", types, docs):
            answer.identity.extend((f"identifying_documents[{i}]", d) for i, d in enumerate(docs))

    address = (None, "address_documents")
    if body.proof_of_address is not None and body.address_documents:
        errors.append(("proof_of_address", "Send either proof_of_address or address_documents"))
    elif body.proof_of_address is not None:
        adoc = body.proof_of_address
        if scope.section(address, "proof_of_address", [("proof_of_address.type", adoc.type.value)], adoc):
            answer.address.append(("proof_of_address", adoc.as_address()))
    elif body.address_documents:
        adocs = body.address_documents
        types = [(f"address_documents[{i}].type", d.type.value) for i, d in enumerate(adocs)]
        if scope.section(address, "address_documents", types, adocs):
            answer.address.extend((f"address_documents[{i}]", d) for i, d in enumerate(adocs))

    items_by_section: dict[str, Sequence[BusinessItem]] = {
        "formation_documents": body.formation_documents,
        "ownership_documents": body.ownership_documents,
        "supporting_documents": body.supporting_documents,
    }
    for section, items in items_by_section.items():
        if not items:
            continue
        item_types = [
            (f"{section}[{i}].type", it.type.value if it.type else None) for i, it in enumerate(items)
        ]
        if scope.section((None, section), section, item_types, items):
            answer.business.extend((section, f"{section}[{i}]", it) for i, it in enumerate(items))

    parties = {p.id: p for p in customer.parties}
    seen: dict[uuid.UUID, str] = {}
    for i, att in enumerate(body.associated_party_attachments):
        base = f"associated_party_attachments[{i}]"
        party = parties.get(att.associated_party_id)
        if party is None:
            errors.append((f"{base}.associated_party_id", "Unknown associated party of this customer"))
            continue
        if party.id in seen:
            errors.append(
                (f"{base}.associated_party_id", f"Duplicate associated party (also at {seen[party.id]})")
            )
            continue
        seen[party.id] = base
        kept: dict[str, Any] = {}
        for section in PARTY_SECTIONS:
            docs_ = getattr(att, section)
            if not docs_:
                continue
            types = [(f"{base}.{section}[{j}].type", d.type.value) for j, d in enumerate(docs_)]
            if scope.section((party.id, section), f"{base}.{section}", types, docs_):
                kept[section] = docs_
        if not any(getattr(att, s) for s in PARTY_SECTIONS):
            errors.append((base, NOTHING_SENT))
        elif kept:
            only = att.model_copy(update={s: kept.get(s, []) for s in PARTY_SECTIONS})
            answer.parties.append((base, only, party))

    if body.tos_policies_value is not None:
        tos_key = (None, "tos_policies_value")
        if scope.section(tos_key, "tos_policies_value", [], body.tos_policies_value):
            answer.tos = body.tos_policies_value
    return answer


def _check_documents(
    session: Session, caller: Caller, customer: Customer, answer: Answer, now: datetime, errors: Errors
) -> dict[str, StoredFile]:
    """The attach rules for what was sent; returns the stored files by URI."""
    today = now.date()
    refs: list[tuple[str, str]] = []
    unique: list[tuple[str, str]] = []  # a SELFIE may repeat a file, as on the individual attach
    primary = [p for p, d in answer.identity if d.type is not IndividualIdType.SELFIE]
    if len(primary) > 1:
        errors.append((primary[1], "At most one non-SELFIE document per request"))
    selfies = [p for p, d in answer.identity if d.type is IndividualIdType.SELFIE]
    if len(selfies) > 1:
        errors.append((selfies[1], "At most one SELFIE per request"))
    for path, doc in answer.identity:
        documents.check_individual_identity(path, doc, today, errors)
        files = [(f"{path}.files[{j}].uri", f.uri) for j, f in enumerate(doc.files)]
        refs.extend(files)
        if doc.type is not IndividualIdType.SELFIE:
            unique.extend(files)
    for path, adoc in answer.address:
        documents.check_individual_address(path, adoc, customer, today, errors)
        files = [(f"{path}.files[{j}].uri", f.uri) for j, f in enumerate(adoc.files)]
        refs.extend(files)
        unique.extend(files)
    for _, path, item in answer.business:
        files = [(f"{path}.files[{j}].uri", f.uri) for j, f in enumerate(item.files)]
        refs.extend(files)
        unique.extend(files)
    for base, att, party in answer.parties:
        files = documents.check_party_documents(base, att, party, today, errors)
        refs.extend(files)
        unique.extend(files)
    if answer.tos is not None:
        documents.check_tos(customer, answer.tos, errors)
    documents.check_unique(unique, errors)
    rows = documents.check_files(session, caller, customer, refs, errors)
    for path, uri in refs:
        row = rows.get(uri)
        if row is not None and row.customer_id is not None and row.customer_id != customer.id:
            errors.append((path, FOREIGN_FILE))
    return rows


def answer_rfis(
    uow: UnitOfWork,
    caller: Caller,
    customer_id: uuid.UUID,
    body: RfiAnswerUpdate,
    ip: str | None,
    agent: str | None,
) -> Customer:
    """Record an answer to the customer's open RFIs and queue the checks.

    ACTION_REQUIRED moves to PROCESSING. An APPROVED customer (an RFI raised after approval) stays
    APPROVED: the documents are recorded and the RFIs answered without a status change.
    """
    session = uow.session
    customer = documents.load_owned(session, caller, customer_id)
    now = uow.now()  # after the customer is locked
    # An answer sent while an earlier submission waits for its checks supersedes it (start_batch).
    open_rows = rfis.open_rfis(session, customer.id)
    if not open_rows:
        raise ValidationFailed([("body", NO_OPEN_RFI)])
    status = S(customer.status)
    if status not in (S.ACTION_REQUIRED, S.APPROVED):
        # Fin declares no 409 here: the field-map 400 says why.
        raise ValidationFailed(
            [("body", f"A customer in {status.value} cannot answer a request for information now")]
        )
    errors: Errors = []
    requested = requested_by(open_rows)
    answer = _sort(body, customer, requested, errors)
    if not answer.sent and not errors:
        errors.append(("body", NOTHING_SENT))
    files = _check_documents(session, caller, customer, answer, now, errors)
    if errors:
        raise ValidationFailed(errors)

    documents.bind_files(customer, files)
    if answer.tos is not None:
        documents.record_tos_attestation(customer, now, ip, agent)
    batch = documents.start_batch(uow, customer, SOURCE, to_processing=status is S.ACTION_REQUIRED)
    for _, doc in answer.identity:
        documents.add_individual_identity(session, customer, batch, now, doc)
    for _, adoc in answer.address:
        documents.add_individual_address(session, customer, batch, now, adoc)
    for section, _, item in answer.business:
        documents.add_business_document(session, customer, batch, now, section, item)
    for _, att, party in answer.parties:
        documents.add_party_documents(session, customer, batch, now, att)
        if party.verification_status == P.REJECTED.value:
            # resubmitted: the party is under review again until the checks decide
            transition_party(uow, customer, party, P.REVIEWING)
    answered: list[Rfi] = []
    for key, sent in answer.sent.items():
        rows = requested[key].rows
        record = {"batch_id": str(batch.id), "client_id": caller.client_id, "ip": ip, "user_agent": agent}
        rfis.mark_answered(rows, {**record, "submitted": sent}, now)
        answered.extend(rows)
    audit(
        uow,
        customer,
        "rfi_answered",
        details={"batch_id": str(batch.id), "rfis": [str(r.id) for r in answered]},
    )
    session.flush()
    return customer
