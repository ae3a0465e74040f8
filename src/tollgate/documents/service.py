"""Uploads and attaches: which files a caller may use, and what an accepted attach sets in motion."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.documents import inspect
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.documents.multipart import Part
from tollgate.documents.schemas import (
    BusinessAttach,
    FormationItem,
    IndividualAddressDocument,
    IndividualAttach,
    IndividualIdentifyingDocument,
    IndividualIdType,
    OwnershipItem,
    PartyAttach,
    PartyAttachment,
    PartyIdType,
    Side,
    SupportingItem,
)
from tollgate.documents.storage import FileStore, key_for_uri, make_uri
from tollgate.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tollgate.jobs import queue
from tollgate.kit.ids import new_uuid
from tollgate.verification import rfi as rfis
from tollgate.verification.models import Rfi
from tollgate.verification.transitions import Actor, transition

CHECKS_JOB = "verification.checks"
PROCESSING, DONE = "processing", "done"
TWO_SIDED = {"NATIONAL_ID", "DRIVERS_LICENSE", "RESIDENCE_PERMIT"}
NOT_ELIGIBLE = "Customer is not eligible for this operation"


@dataclass(frozen=True)
class Uploaded:
    field: str
    uri: str


def _customer_for_upload(session: Session, caller: Caller, raw: str) -> uuid.UUID:
    try:
        customer_id = uuid.UUID(raw.strip())
    except ValueError as exc:
        raise ValidationFailed([("customer_id", "Must be a UUID")]) from exc
    owned = session.scalar(
        select(Customer.id).where(Customer.id == customer_id, Customer.client_pk == caller.id)
    )
    if owned is None:
        raise ValidationFailed([("customer_id", "Unknown customer")])
    return customer_id


def upload(
    session: Session,
    caller: Caller,
    now: datetime,
    parts: Sequence[Part],
    store: FileStore,
    limits: inspect.Limits,
) -> list[Uploaded]:
    """Keep every file part of a multipart upload, or none: each is typed from its bytes and checked first."""
    customer_id: uuid.UUID | None = None
    files: list[Part] = []
    errors: list[tuple[str, str]] = []
    for part in parts:
        if part.filename is None:
            if part.name == "customer_id":
                customer_id = _customer_for_upload(session, caller, part.data.decode("utf-8", "replace"))
            continue
        files.append(part)
    if not files:
        raise ValidationFailed([("files", "At least one file is required")])
    kinds: list[inspect.DocumentKind] = []
    for part in files:
        data = bytes(part.data)
        kind = inspect.sniff(data[: inspect.SNIFF_BYTES])
        refusals = inspect.check_upload(data, kind, limits)
        if refusals:
            errors.append((part.name or "file", " ".join(r.message for r in refusals)))
        elif kind is not None:
            kinds.append(kind)
    if errors:
        raise ValidationFailed(errors)
    out: list[Uploaded] = []
    for part, kind in zip(files, kinds, strict=True):
        data = bytes(part.data)
        uri = make_uri(part.filename or "file")
        storage_key = f"{caller.id.hex}-{key_for_uri(uri)}"
        store.put(storage_key, data)
        session.add(
            StoredFile(
                id=new_uuid(),
                client_pk=caller.id,
                customer_id=customer_id,
                uri=uri,
                storage_key=storage_key,
                field_name=part.name[:200],
                original_name=(part.filename or "")[:300],
                kind=kind.value,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                created_at=now,
            )
        )
        out.append(Uploaded(part.name, uri))
    session.flush()
    return out


# ---------------------------------------------------------------- attach


def load_owned(session: Session, caller: Caller, customer_id: uuid.UUID) -> Customer:
    from tollgate.customers import repository

    customer = repository.get_owned(session, caller.id, customer_id, for_update=True)
    if customer is None:
        raise NotFound()
    return customer


def in_flight(session: Session, customer: Customer) -> bool:
    return (
        session.scalar(
            select(AttachBatch.id)
            .where(AttachBatch.customer_id == customer.id, AttachBatch.status == PROCESSING)
            .limit(1)
        )
        is not None
    )


def _guard(session: Session, customer: Customer, kind: CustomerType, allowed: set[S]) -> None:
    if in_flight(session, customer):
        raise Conflict()
    if customer.type != kind.value or customer.api_version != 2 or S(customer.status) not in allowed:
        raise Forbidden(NOT_ELIGIBLE)


def check_files(
    session: Session,
    caller: Caller,
    customer: Customer,
    refs: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> dict[str, StoredFile]:
    """URIs must be this client's uploads; one bound to another customer is forbidden (403)."""
    uris = {uri for _, uri in refs}
    rows = {
        f.uri: f
        for f in session.scalars(
            select(StoredFile).where(StoredFile.client_pk == caller.id, StoredFile.uri.in_(uris))
        )
    }
    for path, uri in refs:
        row = rows.get(uri)
        if row is None:
            errors.append((path, "Unknown file URI; upload it with POST /v1/customers/upload first"))
    return rows


def bind_files(customer: Customer, rows: dict[str, StoredFile]) -> None:
    for row in rows.values():
        if row.customer_id is not None and row.customer_id != customer.id:
            raise Forbidden(NOT_ELIGIBLE)
    for row in rows.values():
        row.customer_id = customer.id


def check_tos(customer: Customer, value: str, errors: list[tuple[str, str]]) -> None:
    if value != customer.tos_policies_value:
        errors.append(("tos_policies_value", "Does not match the customer's tos_policies_url"))


def record_tos_attestation(customer: Customer, now: datetime, ip: str | None, agent: str | None) -> None:
    """Sending the value is the integrator's attestation that the customer accepted the terms."""
    if customer.tos_accepted_at is None:
        customer.tos_accepted_at = now
        customer.tos_accepted_ip = ip
        customer.tos_accepted_user_agent = (agent or "")[:500] or None


def start_batch(
    session: Session,
    customer: Customer,
    source: str,
    now: datetime,
    actor: Actor,
    *,
    process: bool = True,
    to_processing: bool = True,
) -> AttachBatch:
    """Record an accepted submission. ``process`` queues the checks (in this transaction); with
    ``to_processing`` the customer moves to PROCESSING first, otherwise its status is left as it is."""
    batch = AttachBatch(
        id=new_uuid(),
        customer_id=customer.id,
        source=source,
        status=PROCESSING if process else DONE,
        created_at=now,
        finished_at=None if process else now,
    )
    session.add(batch)
    if process:
        if to_processing:
            transition(session, customer, S.PROCESSING, actor, now, reason=source)
        else:
            customer.updated_at = now
        queue.enqueue(session, CHECKS_JOB, {"customer_id": str(customer.id), "batch_id": str(batch.id)}, now)
    else:
        customer.updated_at = now
    return batch


def _replace(
    session: Session, customer: Customer, party_id: uuid.UUID | None, section: str, doc_type: str
) -> None:
    session.execute(
        update(Attachment)
        .where(
            Attachment.customer_id == customer.id,
            Attachment.party_id.is_(None) if party_id is None else Attachment.party_id == party_id,
            Attachment.section == section,
            Attachment.doc_type == doc_type,
            Attachment.active.is_(True),
        )
        .values(active=False)
    )


def add_attachment(
    session: Session,
    customer: Customer,
    batch: AttachBatch,
    now: datetime,
    *,
    section: str,
    doc_type: str,
    files: list[dict[str, str | None]],
    party_id: uuid.UUID | None = None,
    number: str | None = None,
    country: str | None = None,
    state: str | None = None,
    issue_date: date | None = None,
    expiry_date: date | None = None,
    description: str | None = None,
) -> None:
    _replace(session, customer, party_id, section, doc_type)
    session.add(
        Attachment(
            id=new_uuid(),
            customer_id=customer.id,
            party_id=party_id,
            batch_id=batch.id,
            section=section,
            doc_type=doc_type,
            number=number,
            country=country,
            state=state,
            issue_date=issue_date,
            expiry_date=expiry_date,
            description=description,
            files=files,
            active=True,
            created_at=now,
        )
    )


def _check_sides(
    path: str, doc_type: str, files: Sequence[object], errors: list[tuple[str, str]], *, strict: bool
) -> None:
    sides = [getattr(f, "side", None) for f in files]
    if doc_type in TWO_SIDED and strict:
        if len(files) != 2 or sorted(s.value for s in sides if s is not None) != ["BACK", "FRONT"]:
            errors.append((f"{path}.files", f"{doc_type} needs two files, one FRONT and one BACK"))
    elif doc_type in ("PASSPORT", "SELFIE") and len(files) != 1:
        errors.append((f"{path}.files", f"{doc_type} takes exactly one file"))


def check_unique(refs: Sequence[tuple[str, str]], errors: list[tuple[str, str]]) -> None:
    """A file URI may appear once per request; ``refs`` pairs each URI with its field path."""
    seen: dict[str, str] = {}
    for path, uri in refs:
        if uri in seen:
            errors.append((path, f"Duplicate file URI (also at {seen[uri]})"))
        seen.setdefault(uri, path)


def check_individual_identity(
    path: str, doc: IndividualIdentifyingDocument, today: date, errors: list[tuple[str, str]]
) -> None:
    """One identity document of an individual: sides, number, dates, ``state`` (DOMAIN.md 7.2)."""
    _check_sides(path, doc.type.value, doc.files, errors, strict=True)
    if doc.type is IndividualIdType.SELFIE:
        return
    if doc.number is None:
        errors.append((f"{path}.number", "This field is required"))
    if doc.expiry_date is None:
        errors.append((f"{path}.expiry_date", "This field is required"))
    elif doc.expiry_date <= today:
        errors.append((f"{path}.expiry_date", "Must be in the future"))
    if doc.issue_date and doc.expiry_date and doc.expiry_date <= doc.issue_date:
        errors.append((f"{path}.expiry_date", "Must be later than issue_date"))
    if doc.issue_date and doc.issue_date > today:
        errors.append((f"{path}.issue_date", "Cannot be in the future"))
    if doc.type is IndividualIdType.DRIVERS_LICENSE and doc.country == "USA" and not doc.state:
        errors.append((f"{path}.state", "Required for a US driving licence"))
    if (
        doc.type
        in (IndividualIdType.PASSPORT, IndividualIdType.NATIONAL_ID, IndividualIdType.RESIDENCE_PERMIT)
        and doc.state
    ):
        errors.append((f"{path}.state", f"Not allowed for {doc.type.value}"))


def check_individual_address(
    path: str, doc: IndividualAddressDocument, customer: Customer, today: date, errors: list[tuple[str, str]]
) -> None:
    if doc.country != customer.country:
        errors.append((f"{path}.country", "Must match the customer's country_of_residence"))
    if doc.issue_date and doc.issue_date > today:
        errors.append((f"{path}.issue_date", "Cannot be in the future"))


def check_party_documents(
    base: str, att: PartyAttachment, party: AssociatedParty, today: date, errors: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The document rules of one ``associated_party_attachments[]`` item; returns its (path, uri) refs."""
    refs: list[tuple[str, str]] = []
    residence = (party.payload.get("basic_info") or {}).get("country_of_residence")
    for j, doc in enumerate(att.identifying_documents):
        path = f"{base}.identifying_documents[{j}]"
        if doc.type is PartyIdType.PERMANENT_RESIDENCY_ID and residence != "USA":
            errors.append((f"{path}.type", "PERMANENT_RESIDENCY_ID is accepted for USA residents only"))
        if doc.expiry_date <= today:
            errors.append((f"{path}.expiry_date", "The document has expired"))
        if doc.expiry_date <= doc.issue_date:
            errors.append((f"{path}.expiry_date", "Must be later than issue_date"))
        if doc.issue_date > today:
            errors.append((f"{path}.issue_date", "Cannot be in the future"))
        sides = sorted(f.side.value for f in doc.files if f.side)
        if doc.type.value in ("NATIONAL_ID", "DRIVERS_LICENSE") and sides != ["BACK", "FRONT"]:
            errors.append((f"{path}.files", f"{doc.type.value} needs one FRONT and one BACK file"))
        if doc.type is PartyIdType.PASSPORT and len(doc.files) != 1:
            errors.append((f"{path}.files", "PASSPORT takes exactly one file"))
        for k, f in enumerate(doc.files):
            refs.append((f"{path}.files[{k}].uri", f.uri))
    for j, adoc in enumerate(att.address_documents):
        path = f"{base}.address_documents[{j}]"
        if adoc.issue_date and adoc.issue_date > today:
            errors.append((f"{path}.issue_date", "Cannot be in the future"))
        for k, pf in enumerate(adoc.files):
            refs.append((f"{path}.files[{k}].uri", pf.uri))
    for j, sdoc in enumerate(att.supporting_documents):
        for k, pf in enumerate(sdoc.files):
            refs.append((f"{base}.supporting_documents[{j}].files[{k}].uri", pf.uri))
    return refs


def add_individual_identity(
    session: Session,
    customer: Customer,
    batch: AttachBatch,
    now: datetime,
    doc: IndividualIdentifyingDocument,
) -> None:
    section = "identifying_documents"
    add_attachment(
        session,
        customer,
        batch,
        now,
        section=section,
        doc_type=doc.type.value,
        files=[{"uri": f.uri, "side": f.side.value if f.side else None} for f in doc.files],
        number=doc.number if doc.type is not IndividualIdType.SELFIE else None,
        country=doc.country,
        state=doc.state,
        issue_date=doc.issue_date,
        expiry_date=doc.expiry_date,
    )
    if doc.type is not IndividualIdType.SELFIE:
        # one primary identity document at a time: a new one replaces the old, whatever its type
        session.execute(
            update(Attachment)
            .where(
                Attachment.customer_id == customer.id,
                Attachment.section == section,
                Attachment.doc_type != doc.type.value,
                Attachment.doc_type != "SELFIE",
                Attachment.batch_id != batch.id,
            )
            .values(active=False)
        )


def add_individual_address(
    session: Session, customer: Customer, batch: AttachBatch, now: datetime, doc: IndividualAddressDocument
) -> None:
    """An individual has exactly one address document: the new one replaces the old, whatever its type."""
    session.execute(
        update(Attachment)
        .where(
            Attachment.customer_id == customer.id,
            Attachment.section == "address_documents",
            Attachment.party_id.is_(None),
        )
        .values(active=False)
    )
    add_attachment(
        session,
        customer,
        batch,
        now,
        section="address_documents",
        doc_type=doc.type.value,
        files=[{"uri": f.uri, "side": f.side.value if f.side else None} for f in doc.files],
        country=doc.country,
        issue_date=doc.issue_date,
    )


def add_business_document(
    session: Session,
    customer: Customer,
    batch: AttachBatch,
    now: datetime,
    section: str,
    item: FormationItem | OwnershipItem | SupportingItem,
) -> None:
    add_attachment(
        session,
        customer,
        batch,
        now,
        section=section,
        doc_type=item.type.value if item.type else "OTHER",
        files=[{"uri": f.uri, "side": None} for f in item.files],
        description=item.description,
    )


def add_party_documents(
    session: Session, customer: Customer, batch: AttachBatch, now: datetime, att: PartyAttachment
) -> None:
    pid = att.associated_party_id
    for doc in att.identifying_documents:
        add_attachment(
            session,
            customer,
            batch,
            now,
            party_id=pid,
            section="identifying_documents",
            doc_type=doc.type.value,
            files=[{"uri": f.uri, "side": f.side.value if f.side else None} for f in doc.files],
            number=doc.number,
            country=doc.country,
            issue_date=doc.issue_date,
            expiry_date=doc.expiry_date,
        )
    for adoc in att.address_documents:
        add_attachment(
            session,
            customer,
            batch,
            now,
            party_id=pid,
            section="address_documents",
            doc_type=adoc.type.value,
            files=[{"uri": f.uri, "side": None} for f in adoc.files],
            issue_date=adoc.issue_date,
        )
    for sdoc in att.supporting_documents:
        add_attachment(
            session,
            customer,
            batch,
            now,
            party_id=pid,
            section="supporting_documents",
            doc_type=sdoc.type.value,
            files=[{"uri": f.uri, "side": None} for f in sdoc.files],
            description=sdoc.description,
        )


def attach_individual(
    session: Session,
    caller: Caller,
    customer_id: uuid.UUID,
    body: IndividualAttach,
    now: datetime,
    *,
    ip: str | None,
    agent: str | None,
) -> Customer:
    customer = load_owned(session, caller, customer_id)
    _guard(session, customer, CustomerType.INDIVIDUAL, {S.INCOMPLETE, S.ACTION_REQUIRED})
    errors: list[tuple[str, str]] = []
    today = now.date()
    primary = [d for d in body.identifying_documents if d.type is not IndividualIdType.SELFIE]
    selfies = [d for d in body.identifying_documents if d.type is IndividualIdType.SELFIE]
    if len(primary) > 1:
        errors.append(("identifying_documents", "At most one non-SELFIE document per request"))
    if len(selfies) > 1:
        errors.append(("identifying_documents", "At most one SELFIE per request"))
    if not primary:
        errors.append(
            (
                "identifying_documents",
                "One PASSPORT, NATIONAL_ID, DRIVERS_LICENSE or RESIDENCE_PERMIT is required",
            )
        )
    refs: list[tuple[str, str]] = []
    unique: list[tuple[str, str]] = []  # a selfie may show a file used elsewhere
    for i, doc in enumerate(body.identifying_documents):
        path = f"identifying_documents[{i}]"
        check_individual_identity(path, doc, today, errors)
        for j, f in enumerate(doc.files):
            refs.append((f"{path}.files[{j}].uri", f.uri))
            if doc.type is not IndividualIdType.SELFIE:
                unique.append(refs[-1])
    address = body.address_documents[0]
    check_individual_address("address_documents[0]", address, customer, today, errors)
    for j, f in enumerate(address.files):
        refs.append((f"address_documents[0].files[{j}].uri", f.uri))
        unique.append(refs[-1])
    check_unique(unique, errors)
    check_tos(customer, body.tos_policies_value, errors)
    rows = check_files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    record_tos_attestation(customer, now, ip, agent)
    batch = start_batch(session, customer, "individual_attach", now, Actor("api_client", caller.client_id))
    for doc in body.identifying_documents:
        add_individual_identity(session, customer, batch, now, doc)
    add_individual_address(session, customer, batch, now, address)
    session.flush()
    return customer


def attach_business(
    session: Session,
    caller: Caller,
    customer_id: uuid.UUID,
    body: BusinessAttach,
    now: datetime,
    *,
    ip: str | None,
    agent: str | None,
) -> Customer:
    customer = load_owned(session, caller, customer_id)
    _guard(
        session,
        customer,
        CustomerType.BUSINESS,
        {S.INCOMPLETE, S.ACTION_REQUIRED, S.ASSOCIATED_PARTIES_REMAINING},
    )
    errors: list[tuple[str, str]] = []
    refs: list[tuple[str, str]] = []
    sections: dict[str, Sequence[FormationItem | OwnershipItem | SupportingItem]] = {
        "formation_documents": body.formation_documents,
        "ownership_documents": body.ownership_documents,
        "supporting_documents": body.supporting_documents,
    }
    if not any(sections.values()):
        errors.append(("formation_documents", "Attach at least one document"))
    for section, items in sections.items():
        for i, item in enumerate(items):
            for j, f in enumerate(item.files):
                refs.append((f"{section}[{i}].files[{j}].uri", f.uri))
    check_unique(refs, errors)
    check_tos(customer, body.tos_policies_value, errors)
    rows = check_files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    record_tos_attestation(customer, now, ip, agent)
    batch = start_batch(session, customer, "business_attach", now, Actor("api_client", caller.client_id))
    for section, items in sections.items():
        for item in items:
            add_business_document(session, customer, batch, now, section, item)
    session.flush()
    return customer


def attach_parties(
    session: Session, caller: Caller, customer_id: uuid.UUID, body: PartyAttach, now: datetime
) -> Customer:
    """Party documents. While the customer is INCOMPLETE they are kept for the business attach, which
    submits everything; after an RFI they are an answer and the checks run again."""
    customer = load_owned(session, caller, customer_id)
    _guard(
        session,
        customer,
        CustomerType.BUSINESS,
        {S.INCOMPLETE, S.ACTION_REQUIRED, S.ASSOCIATED_PARTIES_REMAINING},
    )
    errors: list[tuple[str, str]] = []
    refs: list[tuple[str, str]] = []
    parties = {p.id: p for p in customer.parties}
    today = now.date()
    for i, att in enumerate(body.associated_party_attachments):
        base = f"associated_party_attachments[{i}]"
        party = parties.get(att.associated_party_id)
        if party is None:
            errors.append((f"{base}.associated_party_id", "Unknown associated party of this customer"))
            continue
        if not (att.identifying_documents or att.address_documents or att.supporting_documents):
            errors.append((base, "Attach at least one document"))
        refs.extend(check_party_documents(base, att, party, today, errors))
    check_unique(refs, errors)
    rows = check_files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    process = customer.status != S.INCOMPLETE.value
    batch = start_batch(
        session, customer, "party_attach", now, Actor("api_client", caller.client_id), process=process
    )
    for att in body.associated_party_attachments:
        add_party_documents(session, customer, batch, now, att)
    session.flush()
    return customer


def active_attachments(session: Session, customer_id: uuid.UUID) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment)
            .where(Attachment.customer_id == customer_id, Attachment.active.is_(True))
            .order_by(Attachment.created_at, Attachment.id)
        )
    )


def files_by_uri(session: Session, customer: Customer, uris: set[str]) -> dict[str, StoredFile]:
    if not uris:
        return {}
    return {
        f.uri: f
        for f in session.scalars(
            select(StoredFile).where(StoredFile.client_pk == customer.client_pk, StoredFile.uri.in_(uris))
        )
    }


def finish_batch(session: Session, batch_id: uuid.UUID, now: datetime) -> None:
    """The checks are done with a batch. RFIs it answered are closed: the checks have seen the answer and
    raised again whatever still fails (PATCH /v1/customers/{id}, docs/rfi.md)."""
    session.execute(
        update(AttachBatch).where(AttachBatch.id == batch_id).values(status=DONE, finished_at=now)
    )
    customer_id = select(AttachBatch.customer_id).where(AttachBatch.id == batch_id).scalar_subquery()
    for row in session.scalars(
        select(Rfi).where(Rfi.customer_id == customer_id, Rfi.status == rfis.ANSWERED)
    ):
        if (row.answer or {}).get("batch_id") == str(batch_id):
            row.status = rfis.CLOSED
            row.closed_at = now


_ = Side  # re-exported for routers
