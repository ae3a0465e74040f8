"""What an accepted attach writes: the files bound to the customer, the attachments (a new document
replaces the one it supersedes), the batch, and the checks job queued in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.models import Customer
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.documents.schemas import (
    FormationItem,
    IndividualAddressDocument,
    IndividualIdentifyingDocument,
    IndividualIdType,
    OwnershipItem,
    PartyAttachment,
    SupportingItem,
)
from tollgate.errors import Forbidden
from tollgate.jobs import queue
from tollgate.kit.ids import new_uuid
from tollgate.verification import rfi as rfis
from tollgate.verification.models import Rfi
from tollgate.verification.transitions import touch, transition

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

CHECKS_JOB = "verification.checks"
PROCESSING, DONE, SUPERSEDED = "processing", "done", "superseded"
NOT_ELIGIBLE = "Customer is not eligible for this operation"


def in_flight(session: Session, customer: Customer) -> bool:
    return (
        session.scalar(
            select(AttachBatch.id)
            .where(AttachBatch.customer_id == customer.id, AttachBatch.status == PROCESSING)
            .limit(1)
        )
        is not None
    )


def bind_files(customer: Customer, rows: dict[str, StoredFile]) -> None:
    for row in rows.values():
        if row.customer_id is not None and row.customer_id != customer.id:
            raise Forbidden(NOT_ELIGIBLE)
    for row in rows.values():
        row.customer_id = customer.id


def record_tos_attestation(customer: Customer, now: datetime, ip: str | None, agent: str | None) -> None:
    """Sending the value is the integrator's attestation that the customer accepted the terms."""
    if customer.tos_accepted_at is None:
        customer.tos_accepted_at = now
        customer.tos_accepted_ip = ip
        customer.tos_accepted_user_agent = (agent or "")[:500] or None


def start_batch(
    uow: UnitOfWork,
    customer: Customer,
    source: str,
    *,
    process: bool = True,
    to_processing: bool = True,
) -> AttachBatch:
    """Record an accepted submission. ``process`` queues the checks (in this transaction); with
    ``to_processing`` the customer moves to PROCESSING first, otherwise its status is left as it is.
    A batch still waiting for its checks is superseded: the new batch's checks judge every document."""
    session, now = uow.session, uow.now()
    for old in session.scalars(
        select(AttachBatch).where(AttachBatch.customer_id == customer.id, AttachBatch.status == PROCESSING)
    ).all():
        old.status = SUPERSEDED
        old.finished_at = now
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
        if to_processing and customer.status != S.PROCESSING.value:
            transition(uow, customer, S.PROCESSING, reason=source)
        else:
            touch(customer, now)
        batch.expected_status = customer.status
        payload = {"customer_id": str(customer.id), "batch_id": str(batch.id)}
        queue.enqueue(session, CHECKS_JOB, payload, uow.server_now())
    else:
        touch(customer, now)
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


def replace_section(session: Session, customer: Customer, party_id: uuid.UUID | None, section: str) -> None:
    """Retire every active document of one section of the customer (or of one party)."""
    session.execute(
        update(Attachment)
        .where(
            Attachment.customer_id == customer.id,
            Attachment.section == section,
            Attachment.party_id.is_(None) if party_id is None else Attachment.party_id == party_id,
            Attachment.active.is_(True),
        )
        .values(active=False)
    )


def add_individual_address(
    session: Session, customer: Customer, batch: AttachBatch, now: datetime, doc: IndividualAddressDocument
) -> None:
    """An individual has exactly one address document: the new one replaces the old, whatever its type."""
    replace_section(session, customer, None, "address_documents")
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
