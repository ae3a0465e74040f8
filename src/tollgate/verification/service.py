"""Decisions on customers and their parties, made by reviewers, the automated checks or the sandbox.

Each function applies one decision to a customer the caller has loaded and locked; ``commands.handle`` is
the way in for people (it checks the state the decision expects first)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.errors import NotFound, ValidationFailed
from tollgate.verification import rfi as rfis
from tollgate.verification.transitions import audit, touch, transition, transition_party
from tollgate.webhooks.outbox import record_customer_rfi

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


@dataclass
class RejectedDocument:
    uri: str
    category: str
    moderation_comment: str
    reject_labels: list[str]

    def wire(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "category": self.category,
            "moderation_comment": self.moderation_comment,
            "reject_labels": self.reject_labels,
        }


# One thing wrong with a party's documents: (section, document type, moderation comments, RFI reason); the
# reason is None for a document that is missing.
PartyProblem = tuple[str, str, Sequence[str], str | None]


def party_reason(problems: Iterable[PartyProblem]) -> tuple[str, str]:
    """``verification.reason`` of a party the checks reject, in Fin's texts (DOMAIN.md 7.4, 10): for the
    customer, the moderation comments of its documents; for the developer, each document's RFI reason. One
    a line, each once."""
    for_customer: dict[str, None] = {}
    for_developer: dict[str, None] = {}
    for section, doc_type, comments, reason in problems:
        if reason is None:
            for_customer[f"A required document is missing: {doc_type}."] = None
            for_developer[f"{section} {doc_type}: missing"] = None
            continue
        for comment in comments or [reason]:
            for_customer[comment] = None
        for_developer[f"{section} {doc_type}: {reason}"] = None
    return "\n".join(for_customer), "\n".join(for_developer)


@dataclass
class Rejection:
    """Fin's ``rejection_reason``: applicant-level labels, per-document findings, per-party findings."""

    labels: list[str] = field(default_factory=list)
    comment: str = ""
    documents: list[RejectedDocument] = field(default_factory=list)
    parties: dict[uuid.UUID, Rejection] = field(default_factory=dict)

    def empty(self) -> bool:
        return not self.labels and not self.documents and all(p.empty() for p in self.parties.values())

    def wire(self, customer: Customer) -> dict[str, Any]:
        def applicant(r: Rejection) -> dict[str, Any] | None:
            labels = list(dict.fromkeys(r.labels + [label for d in r.documents for label in d.reject_labels]))
            if not labels and not r.comment:
                return None
            return {"moderation_comment": r.comment, "reject_labels": labels}

        out: dict[str, Any] = {"applicant": applicant(self), "documents": [d.wire() for d in self.documents]}
        if customer.type == CustomerType.BUSINESS.value:
            out["associated_parties"] = [
                {"id": str(pid), "applicant": applicant(r), "documents": [d.wire() for d in r.documents]}
                for pid, r in self.parties.items()
                if not r.empty()
            ]
        return out


@dataclass(frozen=True)
class RfiRequest:
    section: str
    categories: list[dict[str, Any]]
    party_id: uuid.UUID | None = None


def party_of(customer: Customer, party_id: uuid.UUID) -> AssociatedParty:
    for party in customer.parties:
        if party.id == party_id:
            return party
    raise NotFound()


def _check_rfi_sections(customer: Customer, requests: list[RfiRequest]) -> None:
    errors: list[tuple[str, str]] = []
    for i, req in enumerate(requests):
        if req.party_id is not None:
            if customer.type != CustomerType.BUSINESS.value or all(
                p.id != req.party_id for p in customer.parties
            ):
                errors.append((f"rfis[{i}].associated_party_id", "Unknown associated party"))
            if req.section not in rfis.PARTY_SECTIONS:
                errors.append(
                    (f"rfis[{i}].section", f"Must be one of {', '.join(sorted(rfis.PARTY_SECTIONS))}")
                )
        elif req.section not in rfis.CUSTOMER_SECTIONS[customer.type]:
            allowed = ", ".join(sorted(rfis.CUSTOMER_SECTIONS[customer.type]))
            errors.append((f"rfis[{i}].section", f"Must be one of {allowed}"))
        if not req.categories:
            errors.append((f"rfis[{i}].categories", "At least one category is required"))
    if errors:
        raise ValidationFailed(errors)


def request_information(
    uow: UnitOfWork, customer: Customer, requests: list[RfiRequest], *, rejection: Rejection | None = None
) -> None:
    """Raise RFIs. The customer moves to ACTION_REQUIRED, except an APPROVED one, which stays APPROVED.
    A request identical to one still open (same party, section and categories) is not raised twice."""
    _check_rfi_sections(customer, requests)
    session, now = uow.session, uow.now()
    session.flush()  # RFIs closed earlier in this transaction no longer count as open
    already = {(r.party_id, r.section, repr(r.categories)) for r in rfis.open_rfis(session, customer.id)}
    rows = []
    for i, r in enumerate(requests):
        key = (r.party_id, r.section, repr(r.categories))
        if key in already:
            continue
        already.add(key)
        rows.append(
            rfis.raise_rfi(
                session,
                customer,
                section=r.section,
                categories=r.categories,
                raised_by=uow.actor.label(),
                now=now,
                party_id=r.party_id,
                position=i,
            )
        )
    if rejection is not None and not rejection.empty():
        customer.rejection_reason = rejection.wire(customer)
    if customer.status != S.APPROVED.value and customer.status != S.ACTION_REQUIRED.value:
        transition(uow, customer, S.ACTION_REQUIRED, reason="request for information")
    else:
        touch(customer, now)
    audit(uow, customer, "rfi_raised", details={"sections": [r.section for r in requests]})
    session.flush()
    if rows:
        record_customer_rfi(uow, customer, rfis.render_all(rows))


def _all_parties_approved(customer: Customer) -> bool:
    return all(p.verification_status == P.APPROVED.value for p in customer.parties)


def approve(uow: UnitOfWork, customer: Customer, *, note: str | None = None) -> None:
    """Approve the customer. A business whose parties are not all approved waits in
    ASSOCIATED_PARTIES_REMAINING and becomes APPROVED when its last party is approved."""
    now = uow.now()
    customer.company_approved_at = now
    customer.rejection_reason = None
    rfis.close_all(uow.session, customer.id, now)
    if customer.type == CustomerType.BUSINESS.value and not _all_parties_approved(customer):
        target = S.ASSOCIATED_PARTIES_REMAINING
    else:
        target = S.APPROVED
    if customer.status != target.value:
        transition(uow, customer, target, reason=note or "approved")
    else:
        touch(customer, now)


def reject(
    uow: UnitOfWork,
    customer: Customer,
    *,
    rejection: Rejection,
    developer_note: str | None = None,
    final: bool = True,
    retry_rfis: list[RfiRequest] | None = None,
) -> None:
    """Reject. Final: REJECTED for good. Retry allowed: ACTION_REQUIRED with RFIs for what must be redone."""
    reason = developer_note or rejection.comment or ", ".join(rejection.labels) or "rejected"
    if final:
        customer.rejection_reason = rejection.wire(customer)
        rfis.close_all(uow.session, customer.id, uow.now())
        transition(uow, customer, S.REJECTED, reason=reason)
        return
    requests = retry_rfis or []
    if not requests:
        raise ValidationFailed([("rfis", "A rejection that allows a retry must say what to resubmit")])
    customer.rejection_reason = rejection.wire(customer)
    request_information(uow, customer, requests, rejection=rejection)


def hold(uow: UnitOfWork, customer: Customer, *, reason: str | None = None) -> None:
    transition(uow, customer, S.IN_COMPLIANCE, reason=reason or "on hold")


def start_review(uow: UnitOfWork, customer: Customer) -> None:
    """After checks pass: parties under review, customer REVIEWING."""
    for party in customer.parties:
        if party.verification_status in (P.INITIATED.value, P.REJECTED.value):
            transition_party(uow, customer, party, P.REVIEWING)
    transition(uow, customer, S.REVIEWING, reason="automated checks passed")


def approve_party(uow: UnitOfWork, customer: Customer, party: AssociatedParty) -> None:
    transition_party(uow, customer, party, P.APPROVED)
    if (
        customer.status == S.ASSOCIATED_PARTIES_REMAINING.value
        and customer.company_approved_at is not None
        and _all_parties_approved(customer)
    ):
        transition(uow, customer, S.APPROVED, reason="all associated parties approved")


def reject_party(
    uow: UnitOfWork,
    customer: Customer,
    party: AssociatedParty,
    *,
    rejection: Rejection,
    for_customer: str | None = None,
    for_developer: str | None = None,
    retry_rfis: list[RfiRequest] | None = None,
) -> None:
    """Reject one party. With RFIs, the customer moves to ACTION_REQUIRED to resubmit that party."""
    transition_party(uow, customer, party, P.REJECTED, for_customer=for_customer, for_developer=for_developer)
    whole = Rejection(parties={party.id: rejection})
    existing = customer.rejection_reason or {}
    merged = whole.wire(customer)
    others = [p for p in existing.get("associated_parties", []) if p.get("id") != str(party.id)]
    customer.rejection_reason = {
        "applicant": existing.get("applicant"),
        "documents": existing.get("documents", []),
        "associated_parties": others + merged.get("associated_parties", []),
    }
    if retry_rfis:
        request_information(uow, customer, retry_rfis)
