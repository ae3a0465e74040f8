"""The automated checks that run after an attach (a job): the files' findings, date rules, required
documents, terms; then the outcome through the state machine."""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from tollgate.config import Settings
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.documents import findings as file_findings
from tollgate.documents import inspection
from tollgate.documents import service as documents
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.jobs.worker import JobContext, handler
from tollgate.runtime import Runtime
from tollgate.verification import rfi as rfis
from tollgate.verification import service
from tollgate.verification.requirements import PARTY_SECTIONS_REQUIRED, business_requirements
from tollgate.verification.service import RejectedDocument, Rejection, RfiRequest
from tollgate.verification.transitions import SYSTEM, audit, transition, transition_party

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

log = logging.getLogger(__name__)

CATEGORY = {
    "identifying_documents": "PROOF_OF_IDENTITY",
    "address_documents": "PROOF_OF_ADDRESS",
    "formation_documents": "FORMATION_DOCUMENTS",
    "ownership_documents": "OWNERSHIP_DOCUMENTS",
    "supporting_documents": "SUPPORTING_DOCUMENTS",
    "company_details": "COMPANY_DETAILS",
    "ownership_structure": "OWNERSHIP_STRUCTURE",
    "legal_presence": "LEGAL_PRESENCE",
}
CUSTOMER_SECTION_ORDER = {
    "identifying_documents": 0,
    "address_documents": 1,
    "formation_documents": 2,
    "supporting_documents": 3,
    "ownership_documents": 4,
    "company_details": 5,
    "ownership_structure": 6,
    "legal_presence": 7,
    "tos_policies_value": 8,
}
PARTY_SECTION_ORDER = {"identifying_documents": 0, "address_documents": 1, "supporting_documents": 2}
EXPIRY_MONTHS = 2
ADDRESS_MAX_AGE = timedelta(days=90)
EXPIRY_COMMENT = "Your identity document must be valid for at least 2 month(s) from the date of submission."
EXPIRY_REASON = "User identity document is not valid for at least 2 month(s) from the date of submission."
EXPIRED_ADDRESS_REASON = "Proof of address must be issued within the last 90 days."
# Fin's wording for address documents ("Must be issued within the last 90 days"), in its comment form.
EXPIRED_ADDRESS_COMMENT = (
    "This document is not accepted.\n - The proof of address document must be issued within the last 90 days."
)
DUPLICATE_REASON = "The same file is used for more than one document."
DUPLICATE_COMMENT = "This document is not accepted.\n - The same file was submitted for another document."


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ]
    return date(year, month, min(d.day, days[month - 1]))


@dataclass
class Problem:
    """What is wrong with one attached document."""

    attachment: Attachment
    labels: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    files_reason: str | None = None
    files_status: str = "INVALID"
    date_fields: bool = False

    def add(
        self, label: str, comment: str, reason: str, *, status: str = "INVALID", dates: bool = False
    ) -> None:
        if label and label not in self.labels:
            self.labels.append(label)
        if comment and comment not in self.comments:
            self.comments.append(comment)
        self.files_reason = self.files_reason or reason
        if status == "EXPIRED":
            self.files_status = "EXPIRED"
        self.date_fields = self.date_fields or dates


@dataclass
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    # (party_id or None, section) -> missing document types
    missing: dict[tuple[uuid.UUID | None, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    tos_missing: bool = False

    def clean(self) -> bool:
        return not self.problems and not self.missing and not self.tos_missing

    def party_has_problems(self, party_id: uuid.UUID) -> bool:
        return any(p.attachment.party_id == party_id for p in self.problems) or any(
            pid == party_id for pid, _ in self.missing
        )

    def party_reason(self, party_id: uuid.UUID) -> tuple[str, str]:
        problems: list[service.PartyProblem] = [
            (p.attachment.section, p.attachment.doc_type, p.comments, p.files_reason or ", ".join(p.labels))
            for p in self.problems
            if p.attachment.party_id == party_id
        ]
        for (pid, section), types in self.missing.items():
            if pid == party_id:
                problems.extend((section, doc_type, [], None) for doc_type in types)
        return service.party_reason(problems)


def _limits(runtime: Runtime) -> inspection.Limits:
    s = runtime.settings
    return inspection.Limits(
        max_bytes=max(s.upload_max_file_bytes, 1),
        max_pixels=s.upload_max_pixels,
        max_pdf_pages=s.upload_max_pdf_pages,
        min_short_side=s.min_image_short_side,
    )


def inspect_pending(
    runtime: Runtime, customer_id: uuid.UUID, check: Callable[[], None] = lambda: None
) -> dict[uuid.UUID, dict[str, Any]]:
    """Findings for the customer's attached files stored before findings were kept with each upload.
    Runs before the checks' transaction: a short read finds the files, then they are read and decoded
    with no transaction open, ``check`` called before each (the job's deadline). A file whose bytes
    cannot be read gets none (``evaluate``: corrupted)."""
    with unit_of_work(runtime.read_sessions) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            return {}
        uris = {f["uri"] for a in documents.active_attachments(session, customer_id) for f in a.files}
        pending = [
            (sf.id, sf.storage_key, inspection.DocumentKind(sf.kind))
            for sf in documents.files_by_uri(session, customer, uris).values()
            if sf.findings is None
        ]
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for file_id, key, kind in pending:
        check()
        try:
            data = runtime.files.get(key)
        except Exception:  # a missing object is a corrupted document for the customer
            log.warning("stored file %s cannot be read; the checks count it as corrupted", key)
        else:
            found[file_id] = runtime.decoder.inspect(data, kind, _limits(runtime))
    return found


def keep_findings(session: Session, found: dict[uuid.UUID, dict[str, Any]]) -> None:
    for file_id, record in found.items():
        session.execute(update(StoredFile).where(StoredFile.id == file_id).values(findings=record))


def evaluate(session: Session, runtime: Runtime, customer: Customer, submitted: date) -> Outcome:
    """What the checks find, from the rows alone: each file's findings were kept when it was uploaded
    (or by ``inspect_pending``), so no file is read or decoded here, inside the locked transaction."""
    outcome = Outcome()
    attachments = documents.active_attachments(session, customer.id)
    uris = {f["uri"] for a in attachments for f in a.files}
    stored = documents.files_by_uri(session, customer, uris)
    seen_hash: dict[str, uuid.UUID] = {}
    for att in attachments:
        problem = Problem(att)
        for ref in att.files:
            sf: StoredFile | None = stored.get(ref["uri"])
            if sf is None:
                problem.add("LOW_QUALITY", "", "Document appears to be corrupted")
                continue
            if att.doc_type != "SELFIE":
                other = seen_hash.get(sf.sha256)
                if other is not None and other != att.id:
                    problem.add("DOCUMENT_DUPLICATE", DUPLICATE_COMMENT, DUPLICATE_REASON)
                seen_hash.setdefault(sf.sha256, att.id)
            if sf.findings is None:
                # Not inspected: its bytes could not be read (``inspect_pending``), so it is corrupted.
                problem.add("LOW_QUALITY", "", "Document appears to be corrupted")
                continue
            for finding in file_findings.problems(sf.findings):
                problem.add(finding.reject_label, finding.moderation_comment, finding.rfi_reason)
        expiring = att.expiry_date is not None and att.expiry_date < add_months(submitted, EXPIRY_MONTHS)
        if att.section == "identifying_documents" and expiring:
            problem.add("EXPIRATION_DATE", EXPIRY_COMMENT, EXPIRY_REASON, dates=True)
        stale = att.issue_date is not None and submitted - att.issue_date > ADDRESS_MAX_AGE
        if att.section == "address_documents" and stale:
            problem.add("EXPIRED_DOCUMENT", EXPIRED_ADDRESS_COMMENT, EXPIRED_ADDRESS_REASON, status="EXPIRED")
        if problem.labels or problem.files_reason:
            outcome.problems.append(problem)

    present: dict[tuple[uuid.UUID | None, str], set[str]] = defaultdict(set)
    for att in attachments:
        present[(att.party_id, att.section)].add(att.doc_type)
    if customer.type == CustomerType.BUSINESS.value:
        info = customer.payload.get("basic_info", {})
        required = business_requirements(
            str(info.get("entity_type", "")), customer.country, customer.api_version
        )
        for section, types in required.items():
            for doc_type in types:
                if doc_type not in present[(None, section)]:
                    outcome.missing[(None, section)].append(doc_type)
        for party in customer.parties:
            for section, doc_type in PARTY_SECTIONS_REQUIRED.items():
                if not present[(party.id, section)]:
                    outcome.missing[(party.id, section)].append(doc_type)
    outcome.tos_missing = customer.tos_accepted_at is None
    return outcome


def _document_rfi_fields(problem: Problem) -> list[dict[str, Any]]:
    out = [rfis.field("type", "ENUM", "INVALID")]
    if problem.date_fields:
        out.append(rfis.field("expiry_date", "DATE", "INVALID"))
        out.append(rfis.field("issue_date", "DATE", "INVALID"))
    out.append(rfis.field("files", "URI", problem.files_status, problem.files_reason))
    return out


def build_requests(customer: Customer, outcome: Outcome) -> tuple[list[RfiRequest], Rejection]:
    grouped: dict[tuple[uuid.UUID | None, str], list[dict[str, Any]]] = defaultdict(list)
    rejection = Rejection()
    for problem in outcome.problems:
        att = problem.attachment
        grouped[(att.party_id, att.section)].append(
            {"document_type": att.doc_type, "fields": _document_rfi_fields(problem)}
        )
        target = (
            rejection if att.party_id is None else rejection.parties.setdefault(att.party_id, Rejection())
        )
        if (
            att.party_id is not None
            and "EXPIRATION_DATE" in problem.labels
            and "EXPIRATION_DATE" not in target.labels
        ):
            target.labels.append("EXPIRATION_DATE")
        for ref in att.files:
            target.documents.append(
                RejectedDocument(
                    uri=ref["uri"],
                    category=CATEGORY.get(att.section, att.section.upper()),
                    moderation_comment="\n".join(problem.comments),
                    reject_labels=list(problem.labels),
                )
            )
    for (party_id, section), types in outcome.missing.items():
        for doc_type in types:
            grouped[(party_id, section)].append(
                {"document_type": doc_type, "fields": [rfis.field("files", "URI", "MISSING")]}
            )
        target = rejection if party_id is None else rejection.parties.setdefault(party_id, Rejection())
        if "DOCUMENT_MISSING" not in target.labels:
            target.labels.append("DOCUMENT_MISSING")
    if outcome.tos_missing:
        grouped[(None, "tos_policies_value")].append(
            {"document_type": "TOS", "fields": [rfis.field("tos_policies_value", "TEXT", "MISSING")]}
        )
    # As on Fin's reference page: each party's entries first, then the customer's sections.
    party_order = {p.id: i for i, p in enumerate(customer.parties)}

    def order(key: tuple[uuid.UUID | None, str]) -> tuple[int, int, int, str]:
        party_id, section = key
        if party_id is not None:
            return (0, party_order.get(party_id, 0), PARTY_SECTION_ORDER.get(section, 99), section)
        return (1, 0, CUSTOMER_SECTION_ORDER.get(section, 99), section)

    ordered = sorted(grouped.items(), key=lambda kv: order(kv[0]))
    requests = [
        RfiRequest(section=section, categories=cats, party_id=pid) for (pid, section), cats in ordered
    ]
    return requests, rejection


def apply(uow: UnitOfWork, customer: Customer, outcome: Outcome) -> None:
    """Decide a customer in PROCESSING from its checks' outcome (or as the mode's policy says)."""
    session, now = uow.session, uow.now()
    outstanding = rfis.close_raised_by_checks(session, customer.id, now)
    if uow.policies.decide_checks(uow, customer):
        return
    if outcome.clean() and outstanding:
        # The documents pass, but a reviewer's request is still unanswered.
        transition(uow, customer, S.ACTION_REQUIRED, reason="open requests for information")
        return
    auto = uow.policies.auto_approve(uow, customer)
    if outcome.clean():
        customer.rejection_reason = None
        if auto:
            for party in customer.parties:
                if party.verification_status == P.REJECTED.value:
                    transition_party(uow, customer, party, P.REVIEWING)
                if party.verification_status != P.APPROVED.value:
                    transition_party(uow, customer, party, P.APPROVED)
            service.approve(uow, customer, note="automated checks passed; auto-approval")
        else:
            service.start_review(uow, customer)
        return
    for party in customer.parties:
        if outcome.party_has_problems(party.id):
            for_customer, for_developer = outcome.party_reason(party.id)
            transition_party(
                uow, customer, party, P.REJECTED, for_customer=for_customer, for_developer=for_developer
            )
        elif party.verification_status != P.APPROVED.value:
            if party.verification_status != P.REVIEWING.value:
                transition_party(uow, customer, party, P.REVIEWING)
            if auto:
                transition_party(uow, customer, party, P.APPROVED)
    requests, rejection = build_requests(customer, outcome)
    customer.rejection_reason = None
    service.request_information(uow, customer, requests, rejection=rejection)


def checks_deadline(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.checks_deadline_seconds)


@handler(documents.CHECKS_JOB, deadline=checks_deadline)
def run_checks(session: Session, ctx: JobContext) -> None:
    """The checks of one batch, decided in one short transaction under the customer's lock.

    The branch is the batch's, not the customer's current status: a batch expects the status it left the
    customer in (PROCESSING, or APPROVED for an answer to an RFI raised after approval). A customer that
    moved on meanwhile (a reviewer put it on hold or rejected it, a newer batch superseded this one) is not
    decided by these checks; the trail says so."""
    customer_id = uuid.UUID(str(ctx.payload["customer_id"]))
    batch_id = uuid.UUID(str(ctx.payload["batch_id"]))
    # Before the customer is locked: decode what was stored without findings, outside any transaction.
    keep_findings(session, inspect_pending(ctx.runtime, customer_id, ctx.check))
    customer = session.scalars(
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.parties))
        .with_for_update()
    ).one_or_none()
    if customer is None:
        return
    batch = session.get(AttachBatch, batch_id, with_for_update=True)
    if batch is None or batch.status != documents.PROCESSING:
        return  # done by an earlier run of this job, or superseded by a newer batch
    uow = ctx.runtime.work(session, SYSTEM, customer.client_pk)  # the client's clock
    now = uow.now()
    submitted = batch.created_at.date()
    expected = batch.expected_status or S.PROCESSING.value
    if customer.status != expected:
        audit(
            uow,
            customer,
            "checks_not_applied",
            reason=f"the customer moved from {expected} to {customer.status} before its checks ran",
            details={"batch_id": str(batch_id)},
        )
    elif expected == S.APPROVED.value:
        # An answer to an RFI raised after approval: the customer stays APPROVED, and the documents it
        # sent are checked all the same; what fails is asked for again (docs/rfi.md).
        recheck_answer(uow, ctx.runtime, customer, batch_id, submitted)
    else:
        apply(uow, customer, evaluate(session, ctx.runtime, customer, submitted))
    documents.finish_batch(session, batch_id, now)


def recheck_answer(
    uow: UnitOfWork, runtime: Runtime, customer: Customer, batch_id: uuid.UUID, submitted: date
) -> None:
    """Raise RFIs for the problems of the documents this batch brought, without a new decision."""
    outcome = evaluate(uow.session, runtime, customer, submitted)
    mine = [p for p in outcome.problems if p.attachment.batch_id == batch_id]
    if not mine:
        return
    requests, _ = build_requests(customer, Outcome(problems=mine))
    service.request_information(uow, customer, requests)
