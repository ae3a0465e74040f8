"""Magic values: in sandbox mode the email's ``+tag`` chooses what the automated checks decide.

``john+approve@example.com`` is approved, ``john+hold@example.com`` put on hold, and so on (docs/sandbox.md
has the table with the exact statuses, webhooks, rejection_reason and RFI of each). The checks still run
when documents are attached; the magic value then decides instead of their findings, through the same
``verification.service`` decisions a reviewer makes, so statuses, audit rows and webhooks are those of live
mode. A business takes its tag from its own email, or else from an associated party's
(``jane+reject@acmecorp.com``: that party is rejected, the others approved). Emails are lowercase, so
values are written in lowercase (``+rfi-missing-proof_of_address``); labels and types are upper-cased.
An email without a tag, or with a tag that is not listed, is an ordinary email.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.customers.enums import CustomerType
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.documents import service as documents
from tollgate.documents.schemas import (
    AddressDocType,
    FormationType,
    IndividualIdType,
    OwnershipType,
    PartyAddressType,
    PartyIdType,
    SupportingType,
)
from tollgate.verification import rfi as rfis
from tollgate.verification import service
from tollgate.verification.models import Rfi
from tollgate.verification.service import RejectedDocument, Rejection, RfiRequest
from tollgate.verification.transitions import Actor, transition_party

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


class Action(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    REJECT = "reject"
    REJECT_LABELS = "reject-labels"
    RFI_EXPIRED_PASSPORT = "rfi-expired-passport"
    RFI_MISSING = "rfi-missing"
    HOLD = "hold"
    APPROVE_AFTER_RFI = "approve-after-rfi"
    PARTY_REJECTED = "party-rejected"


DEFAULT_REJECT_LABELS = ("PROBLEMATIC_APPLICANT_DATA",)
REJECT_COMMENT = "We could not verify the information provided."
# Wording of Fin's reference page for an identity document expiring within two months.
EXPIRING_COMMENT = "Your identity document must be valid for at least 2 month(s) from the date of submission."
EXPIRING_REASON = "User identity document is not valid for at least 2 month(s) from the date of submission."
# Wording Fin uses for an identity document that has expired.
EXPIRED_COMMENT = "Your identity document has expired."
EXPIRED_REASON = "Expired Identity document. A new document has been requested."

_TAG = re.compile(r"^[^+@]*\+([a-z0-9_+-]+)@", re.IGNORECASE)
_LABEL = re.compile(r"^[a-z0-9_]+$", re.IGNORECASE)
_SIMPLE = {
    "approve": Action.APPROVE,
    "review": Action.REVIEW,
    "reject": Action.REJECT,
    "hold": Action.HOLD,
    "approve-after-rfi": Action.APPROVE_AFTER_RFI,
    "rfi-expired-passport": Action.RFI_EXPIRED_PASSPORT,
}
# A party's own tag: that party is the one rejected, as on Fin's reference page.
_PARTY_TAGS = {"reject": Action.PARTY_REJECTED, "rfi-expired-passport": Action.RFI_EXPIRED_PASSPORT}

# Where a missing document of each type is asked for: (on the first associated party?, section).
_INDIVIDUAL_SECTIONS: dict[str, str] = {
    **{t.value: "identifying_documents" for t in IndividualIdType},
    **{t.value: "address_documents" for t in AddressDocType},
    "PROOF_OF_ADDRESS": "address_documents",
    "TOS": "tos_policies_value",
}
_BUSINESS_SECTIONS: dict[str, tuple[bool, str]] = {
    **{t.value: (True, "address_documents") for t in PartyAddressType},
    **{t.value: (True, "identifying_documents") for t in PartyIdType},
    **{t.value: (False, "supporting_documents") for t in SupportingType},
    **{t.value: (False, "ownership_documents") for t in OwnershipType},
    **{t.value: (False, "formation_documents") for t in FormationType},
    "TOS": (False, "tos_policies_value"),
}


@dataclass(frozen=True)
class Magic:
    action: Action
    tag: str
    labels: tuple[str, ...] = ()
    document_type: str | None = None
    # The party a party-level outcome is about; None: the first party.
    party_id: uuid.UUID | None = None


def tag_of(email: str) -> str | None:
    """``approve`` for ``john+approve@example.com``; None without a ``+``."""
    match = _TAG.match(email)
    return match.group(1).lower() if match else None


def parse(tag: str, kind: str) -> Magic | None:
    """The magic value a tag names for a customer of type ``kind``, or None when it names none."""
    if tag in _SIMPLE:
        return Magic(_SIMPLE[tag], tag)
    if tag == "party-rejected" and kind == CustomerType.BUSINESS.value:
        return Magic(Action.PARTY_REJECTED, tag)
    if tag.startswith("reject-labels-"):
        labels = tag.removeprefix("reject-labels-").split("-")
        if all(_LABEL.match(label) for label in labels):
            return Magic(Action.REJECT_LABELS, tag, labels=tuple(label.upper() for label in labels))
        return None
    if tag.startswith("rfi-missing-"):
        doc_type = tag.removeprefix("rfi-missing-").upper()
        known = _INDIVIDUAL_SECTIONS if kind == CustomerType.INDIVIDUAL.value else _BUSINESS_SECTIONS
        if doc_type in known:
            return Magic(Action.RFI_MISSING, tag, document_type=doc_type)
    return None


def outcome_for(customer: Customer) -> Magic | None:
    """What the customer's data asks the sandbox to decide, if anything."""
    tag = tag_of(customer.email)
    found = parse(tag, customer.type) if tag else None
    if found is not None or customer.type != CustomerType.BUSINESS.value:
        return found
    for party in customer.parties:
        party_tag = tag_of(party.email)
        if party_tag in _PARTY_TAGS:
            return Magic(_PARTY_TAGS[party_tag], party_tag, party_id=party.id)
    return None


# ---------------------------------------------------------------- deciding


def apply(uow: UnitOfWork, customer: Customer, magic: Magic) -> None:
    """Decide ``customer`` (in PROCESSING, its earlier RFIs closed) as ``magic`` says."""
    uow = uow.acting(Actor("sandbox", f"magic:+{magic.tag}"))
    session = uow.session
    customer.rejection_reason = None
    action = magic.action
    if action is Action.APPROVE_AFTER_RFI:
        answered = session.scalar(select(Rfi.id).where(Rfi.customer_id == customer.id).limit(1))
        action = Action.APPROVE if answered is not None else Action.RFI_EXPIRED_PASSPORT
    if action is Action.APPROVE:
        for party in customer.parties:
            _approve_party(uow, customer, party)
        service.approve(uow, customer, note=f"sandbox magic value +{magic.tag}")
    elif action is Action.REVIEW:
        service.start_review(uow, customer)
    elif action is Action.HOLD:
        for party in customer.parties:
            if party.verification_status in (P.INITIATED.value, P.REJECTED.value):
                transition_party(uow, customer, party, P.REVIEWING)
        service.hold(uow, customer, reason=f"sandbox magic value +{magic.tag}")
    elif action in (Action.REJECT, Action.REJECT_LABELS):
        labels = list(magic.labels or DEFAULT_REJECT_LABELS)
        for party in customer.parties:
            if party.verification_status != P.APPROVED.value:
                transition_party(uow, customer, party, P.REJECTED)
        service.reject(
            uow,
            customer,
            rejection=Rejection(labels=labels, comment=REJECT_COMMENT),
            developer_note=f"sandbox magic value +{magic.tag}",
            final=True,
        )
    elif action is Action.RFI_MISSING:
        _missing(uow, customer, str(magic.document_type))
    else:
        expiring = action is Action.PARTY_REJECTED
        _identity_rfi(uow, customer, magic.party_id, expiring=expiring)


def _approve_party(uow: UnitOfWork, customer: Customer, party: AssociatedParty) -> None:
    if party.verification_status == P.APPROVED.value:
        return
    if party.verification_status == P.REJECTED.value:
        # A rejected party is reviewed again before it can be approved (the party transition table).
        transition_party(uow, customer, party, P.REVIEWING)
    transition_party(uow, customer, party, P.APPROVED)


def _target_party(customer: Customer, party_id: uuid.UUID | None) -> AssociatedParty | None:
    for party in customer.parties:
        if party_id is None or party.id == party_id:
            return party
    return None


def _identity_files(
    session: Session, customer: Customer, party_id: uuid.UUID | None
) -> tuple[str, list[str]]:
    """The type and file URIs of the identity document on file (the customer's, or one party's)."""
    for att in documents.active_attachments(session, customer.id):
        if att.party_id == party_id and att.section == "identifying_documents" and att.doc_type != "SELFIE":
            return att.doc_type, [str(f["uri"]) for f in att.files]
    return "PASSPORT", []


def _identity_rfi(uow: UnitOfWork, customer: Customer, party_id: uuid.UUID | None, *, expiring: bool) -> None:
    """An RFI on the identity document: expired, or (``expiring``) valid for less than two months, worded
    and shaped as on Fin's reference page. A business's is about one party; the other parties are approved."""
    party = _target_party(customer, party_id) if customer.type == CustomerType.BUSINESS.value else None
    doc_type, uris = _identity_files(uow.session, customer, party.id if party else None)
    comment, reason = (EXPIRING_COMMENT, EXPIRING_REASON) if expiring else (EXPIRED_COMMENT, EXPIRED_REASON)
    fields = [
        rfis.field("type", "ENUM", "INVALID"),
        rfis.field("expiry_date", "DATE", "INVALID"),
        rfis.field("issue_date", "DATE", "INVALID"),
        rfis.field("files", "URI", "INVALID" if expiring else "EXPIRED", reason),
    ]
    request = RfiRequest(
        section="identifying_documents",
        categories=[{"document_type": doc_type, "fields": fields}],
        party_id=party.id if party else None,
    )
    rejection = Rejection(
        labels=["EXPIRATION_DATE"],
        documents=[RejectedDocument(uri, "PROOF_OF_IDENTITY", comment, ["EXPIRATION_DATE"]) for uri in uris],
    )
    if party is None:
        service.request_information(uow, customer, [request], rejection=rejection)
        return
    _reject_one_party(uow, customer, party, rejection, request)


def _reject_one_party(
    uow: UnitOfWork, customer: Customer, party: AssociatedParty, rejection: Rejection, request: RfiRequest
) -> None:
    for other in customer.parties:
        if other.id != party.id:
            _approve_party(uow, customer, other)
    comments = [d.moderation_comment for d in rejection.documents if d.moderation_comment]
    problems: list[service.PartyProblem] = []
    for category in request.categories:
        for f in category["fields"]:
            if f["field_name"] in ("files", "tos_policies_value"):
                reason = None if f["status"] == "MISSING" else (f.get("reason") or f["status"])
                problems.append((request.section, category["document_type"], comments, reason))
    for_customer, for_developer = service.party_reason(problems)
    service.reject_party(
        uow,
        customer,
        party,
        rejection=rejection,
        retry_rfis=[request],
        for_customer=for_customer,
        for_developer=for_developer,
    )


def _missing(uow: UnitOfWork, customer: Customer, doc_type: str) -> None:
    """An RFI for one missing document (status MISSING), as the checks raise for an absent document."""
    if customer.type == CustomerType.INDIVIDUAL.value:
        on_party, section = False, _INDIVIDUAL_SECTIONS[doc_type]
    else:
        on_party, section = _BUSINESS_SECTIONS[doc_type]
    party = _target_party(customer, None) if on_party else None
    fields: list[dict[str, Any]]
    if section == "tos_policies_value":
        doc_type, fields = "TOS", [rfis.field("tos_policies_value", "TEXT", "MISSING")]
    else:
        fields = [rfis.field("files", "URI", "MISSING")]
    request = RfiRequest(
        section=section,
        categories=[{"document_type": doc_type, "fields": fields}],
        party_id=party.id if party else None,
    )
    labels = [] if section == "tos_policies_value" else ["DOCUMENT_MISSING"]
    if party is not None:
        _reject_one_party(uow, customer, party, Rejection(labels=labels), request)
        return
    for each in customer.parties:
        _approve_party(uow, customer, each)
    service.request_information(uow, customer, [request], rejection=Rejection(labels=labels))
