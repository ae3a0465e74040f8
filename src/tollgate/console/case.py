"""Everything the case page shows about one customer, read in one transaction: the submitted data made
readable, documents with their files' findings and what the checks make of them, parties, terms, RFIs,
the audit trail, webhooks, notes, assignment and proposals."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.models import ApiClient
from tollgate.console import assignment, decisions, queue
from tollgate.console.models import CaseNote, ProposedDecision
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.documents import findings as file_findings
from tollgate.documents import service as documents
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.verification import checks, rfi
from tollgate.verification.models import AuditEntry, Rfi
from tollgate.webhooks.models import Delivery, Event, WebhookEndpoint

# Fin's reasons an RFI field may give (the reference page's and the checks' own wording).
RFI_REASONS = (
    "Unacceptable document.",
    "Document appears to be corrupted",
    "The document should be of good quality.",
    checks.EXPIRY_REASON,
    "Expired Identity document. A new document has been requested.",
    checks.EXPIRED_ADDRESS_REASON,
    checks.DUPLICATE_REASON,
)
REJECT_LABELS = (
    "LOW_QUALITY",
    "UNFILLED_ID",
    "DOCUMENT_TEMPLATE",
    "NOT_DOCUMENT",
    "EXPIRATION_DATE",
    "EXPIRED_DOCUMENT",
    "DOCUMENT_DUPLICATE",
    "DOCUMENT_MISSING",
    "PROBLEMATIC_APPLICANT_DATA",
)
DOCUMENT_TYPES = {
    "identifying_documents": ("PASSPORT", "NATIONAL_ID", "DRIVERS_LICENSE", "RESIDENCE_PERMIT", "SELFIE"),
    "address_documents": (
        "UTILITY_BILL",
        "BANK_STATEMENT",
        "PROOF_OF_ADDRESS",
        "LEASE_AGREEMENT",
        "TAX_RETURN",
    ),
    "formation_documents": ("REGISTRATION_DOCUMENT", "CONSTITUTIONAL_DOCUMENT"),
    "ownership_documents": ("PROOF_OF_SIGNATORY_AUTHORITY", "SHAREHOLDER_REGISTER"),
    "supporting_documents": (
        "PROOF_OF_ADDRESS",
        "PROOF_OF_SOURCE_OF_FUNDS",
        "SHAREHOLDER_REGISTER",
        "CERT_OF_INCUMBENCY",
        "E_SIGNATURE_CERTIFICATE",
        "EVIDENCE_OF_DIRECTORS_AND_CONTROLLERS",
    ),
    "tos_policies_value": ("TOS",),
}
RFI_FIELDS = (
    ("files", "URI"),
    ("type", "ENUM"),
    ("number", "TEXT"),
    ("country", "ENUM"),
    ("issue_date", "DATE"),
    ("expiry_date", "DATE"),
    ("tos_policies_value", "TEXT"),
)


def label(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def mask(value: str) -> str:
    """All but the last four characters hidden (separators kept, so the shape stays readable)."""
    keep = 4
    out = []
    for ch in reversed(value):
        if ch.isalnum():
            out.append(ch if keep > 0 else "•")
            keep -= 1
        else:
            out.append(ch)
    return "".join(reversed(out))


def readable(data: Any, skip: frozenset[str] = frozenset()) -> list[tuple[str, Any]]:
    """A nested request body as (label, value) pairs; nested objects become nested lists."""
    if not isinstance(data, dict):
        return []
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key in skip or value is None or value == [] or value == {}:
            continue
        if isinstance(value, dict):
            out.append((label(key), readable(value, skip)))
        elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
            out.append((label(key), [readable(v, skip) for v in value]))
        elif isinstance(value, list):
            out.append((label(key), ", ".join(str(v) for v in value)))
        else:
            out.append((label(key), str(value)))
    return out


@dataclass
class FileView:
    id: uuid.UUID
    uri: str
    kind: str
    size: int
    side: str | None
    measured: list[str]  # what decoding found: size, pages, resolution
    problems: list[str]  # the file's own findings, in Fin's words
    duplicate_of: list[tuple[str, str]] = field(default_factory=list)  # (document anchor, its label)


@dataclass
class DocumentView:
    id: uuid.UUID
    anchor: str
    owner: str
    party_id: uuid.UUID | None
    section: str
    doc_type: str
    number: str | None
    country: str | None
    issue_date: date | None
    expiry_date: date | None
    active: bool
    created_at: datetime
    files: list[FileView]
    labels: list[str]  # what the checks make of it now (reject labels)
    comments: list[str]


@dataclass
class PartyView:
    party: AssociatedParty
    name: str
    facts: list[tuple[str, Any]]
    tax: list[dict[str, str]]


@dataclass
class CaseView:
    customer: Customer
    name: str
    client_name: str
    facts: list[tuple[str, Any]]
    tax: list[dict[str, str]]
    parties: list[PartyView]
    chart: list[tuple[str, float, float]]  # (name, start %, width %)
    documents: list[DocumentView]
    open_rfis: list[dict[str, Any]]
    rfi_history: list[Rfi]
    audit: list[AuditEntry]
    webhooks: list[dict[str, Any]]
    notes: list[CaseNote]
    holder: str | None
    proposals: list[ProposedDecision]
    checks_running: bool


def _tax(payload: dict[str, Any], revealed: bool) -> list[dict[str, str]]:
    info = (payload or {}).get("basic_info") or {}
    out = []
    for entry in info.get("tax_info") or []:
        if isinstance(entry, dict):
            value = str(entry.get("document_id", ""))
            out.append(
                {
                    "country": str(entry.get("country_code", "")),
                    "type": str(entry.get("document_type", "")),
                    "value": value if revealed else mask(value),
                }
            )
    return out


def _measured(record: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    if record is None:
        return ["not inspected yet"], []
    facts = [record.get("kind", "")]
    if record.get("width"):
        facts.append(f"{record['width']} x {record['height']} px")
    if record.get("page_count"):
        facts.append(f"{record['page_count']} page(s)")
    if record.get("dpi"):
        facts.append(f"{round(record['dpi'][0])} dpi")
    problems = [f"{p.reject_label}: {p.rfi_reason}" for p in file_findings.problems(record)]
    return facts, problems


def documents_of(session: Session, customer: Customer) -> list[DocumentView]:
    attachments = list(
        session.scalars(
            select(Attachment)
            .where(Attachment.customer_id == customer.id)
            .order_by(Attachment.active.desc(), Attachment.created_at.desc(), Attachment.id)
        )
    )
    uris = {f["uri"] for a in attachments for f in a.files}
    stored = documents.files_by_uri(session, customer, uris)
    owners = {p.id: f"{p.first_name} {p.last_name}" for p in customer.parties}
    # What the checks make of the current documents, judged as of their latest submission.
    latest = session.scalar(
        select(AttachBatch.created_at)
        .where(AttachBatch.customer_id == customer.id)
        .order_by(AttachBatch.created_at.desc())
        .limit(1)
    )
    judged: dict[uuid.UUID, checks.Problem] = {}
    if latest is not None:
        outcome = checks.evaluate(session, None, customer, latest.date())  # type: ignore[arg-type]
        judged = {p.attachment.id: p for p in outcome.problems}
    by_hash: dict[str, list[Attachment]] = {}
    for a in attachments:
        for ref in a.files:
            sf = stored.get(ref["uri"])
            if sf is not None and a not in by_hash.setdefault(sf.sha256, []):
                by_hash[sf.sha256].append(a)
    out = []
    for a in attachments:
        files = []
        for ref in a.files:
            sf = stored.get(ref["uri"])
            if sf is None:
                continue
            measured, problems = _measured(sf.findings)
            view = FileView(sf.id, sf.uri, sf.kind, sf.size, ref.get("side"), measured, problems)
            if a.doc_type != "SELFIE":
                view.duplicate_of = [
                    (
                        f"doc-{o.id}",
                        f"{o.doc_type} ({owners.get(o.party_id, 'customer') if o.party_id else 'customer'})",
                    )
                    for o in by_hash.get(sf.sha256, [])
                    if o.id != a.id and o.active
                ]
            files.append(view)
        problem = judged.get(a.id)
        out.append(
            DocumentView(
                id=a.id,
                anchor=f"doc-{a.id}",
                owner=owners.get(a.party_id, "?") if a.party_id else "customer",
                party_id=a.party_id,
                section=a.section,
                doc_type=a.doc_type,
                number=a.number,
                country=a.country,
                issue_date=a.issue_date,
                expiry_date=a.expiry_date,
                active=a.active,
                created_at=a.created_at,
                files=files,
                labels=list(problem.labels) if problem else [],
                comments=[c for c in (problem.comments if problem else []) if c]
                + ([problem.files_reason] if problem and problem.files_reason else []),
            )
        )
    return out


def _webhooks(session: Session, customer: Customer) -> list[dict[str, Any]]:
    events = list(
        session.scalars(
            select(Event)
            .where(Event.customer_id == customer.id)
            .order_by(Event.created_at.desc(), Event.sequence.desc())
        )
    )
    out = []
    for ev in events:
        try:
            body = json.loads(ev.body)
        except ValueError:
            body = {}
        data = body.get("data") if isinstance(body, dict) else None
        summary = ""
        if isinstance(data, dict):
            summary = str(data.get("status") or data.get("customer_status") or "")
        deliveries = session.execute(
            select(Delivery, WebhookEndpoint.url)
            .join(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
            .where(Delivery.event_id == ev.id)
        ).all()
        out.append(
            {
                "id": ev.id,
                "type": ev.type,
                "at": ev.created_at,
                "summary": summary,
                "deliveries": [
                    {
                        "url": url,
                        "status": d.status,
                        "attempts": d.attempts,
                        "code": d.last_status_code,
                        "error": d.last_error,
                        "next": d.next_attempt_at,
                    }
                    for d, url in deliveries
                ],
            }
        )
    return out


def load(session: Session, customer: Customer, *, reveal_tax: bool = False) -> CaseView:
    payload = customer.payload or {}
    client_name = session.scalar(select(ApiClient.name).where(ApiClient.id == customer.client_pk)) or ""
    parties = []
    for p in customer.parties:
        pp = p.payload or {}
        parties.append(
            PartyView(
                p,
                f"{p.first_name} {p.last_name}",
                readable(pp, frozenset({"tax_info"})),
                _tax(pp, reveal_tax),
            )
        )
    chart = []
    start = 0.0
    for p in customer.parties:
        if p.ownership_percent:
            width = max(0.0, min(float(p.ownership_percent), 100.0 - start))
            chart.append((f"{p.first_name} {p.last_name}", start, width))
            start += width
    history = list(
        session.scalars(
            select(Rfi).where(Rfi.customer_id == customer.id).order_by(Rfi.raised_at, Rfi.position)
        )
    )
    trail = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.customer_id == customer.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.customer_version.desc())
        )
    )
    notes = list(
        session.scalars(
            select(CaseNote).where(CaseNote.customer_id == customer.id).order_by(CaseNote.created_at.desc())
        )
    )
    return CaseView(
        customer=customer,
        name=queue.display_name(customer),
        client_name=client_name,
        facts=readable(payload, frozenset({"tax_info", "associated_parties"})),
        tax=_tax(payload, reveal_tax),
        parties=parties,
        chart=chart,
        documents=documents_of(session, customer),
        open_rfis=rfi.render_all(r for r in history if r.status == rfi.OPEN),
        rfi_history=history,
        audit=trail,
        webhooks=_webhooks(session, customer),
        notes=notes,
        holder=assignment.holder_name(session, customer.id),
        proposals=decisions.pending_for(session, customer.id),
        checks_running=documents.in_flight(session, customer),
    )


def stored_file(session: Session, file_id: uuid.UUID) -> tuple[StoredFile, Customer] | None:
    """A stored file that belongs to one of a customer's documents, with that customer."""
    sf = session.get(StoredFile, file_id)
    if sf is None or sf.customer_id is None:
        return None
    customer = session.get(Customer, sf.customer_id)
    if customer is None:
        return None
    return sf, customer
