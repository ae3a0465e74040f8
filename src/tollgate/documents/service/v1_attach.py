"""The three V1 attaches (DOMAIN.md 7.2, "V1 shapes"). Fin declares only 200, 401 and 422 for them, so
everything that stops an attach is a 422 naming the field at fault: an unknown customer (another client's
is unknown too), one of the wrong type or API version, one whose status takes no documents, a file bound
to another customer. An attach sent while an earlier one waits for its checks supersedes it, and the
checks then judge the documents of both (``batches.start_batch``).

The documents land in the same sections as V2's (``identifying_documents``, ``address_documents``), so the
checks, the RFIs and the reviewer see one kind of document. A V1 business keeps Fin's V1 sections
(``company_details``, ``ownership_structure``, ``legal_presence``): their types have no V2 equivalent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers import repository
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.models import Customer
from tollgate.documents.models import AttachBatch, StoredFile
from tollgate.documents.schemas import IndividualIdentifyingDocument, IndividualIdType
from tollgate.documents.service.batches import (
    NOT_ELIGIBLE,
    add_attachment,
    add_individual_identity,
    bind_files,
    record_tos_attestation,
    replace_section,
    start_batch,
)
from tollgate.documents.service.rules import (
    check_files,
    check_individual_identity,
    check_not_foreign,
    check_tos,
    check_unique,
)
from tollgate.documents.v1_schemas import (
    CompanyDetailsItem,
    LegalPresenceItem,
    OwnershipStructureItem,
    ProofOfAddressBusiness,
    ProofOfAddressIndividual,
    ProofOfIdentity,
    V1BusinessAttach,
    V1IndividualAttach,
    V1PartyAttach,
)
from tollgate.errors import ValidationFailed

if TYPE_CHECKING:
    from datetime import datetime

    from tollgate.uow import UnitOfWork

V1 = 1
CUSTOMER_NOT_FOUND = "Customer not found"
# What the V1 business sections ask for (the only type of each, or the certificate of incorporation).
V1_BUSINESS_SECTIONS = ("company_details", "ownership_structure", "legal_presence")

Errors = list[tuple[str, str]]


def _load(session: Session, caller: Caller, customer_id: uuid.UUID, kind: CustomerType) -> Customer:
    """The caller's customer of ``kind`` created through V1, locked; otherwise a 422 on ``customer_id``."""
    customer = repository.get_owned(session, caller.id, customer_id, for_update=True)
    if customer is None:
        raise ValidationFailed([("customer_id", CUSTOMER_NOT_FOUND)])
    if customer.type != kind.value:
        raise ValidationFailed([("customer_id", f"Customer is not a {kind.value.lower()} customer")])
    if customer.api_version != V1:
        raise ValidationFailed(
            [("customer_id", "Customer was created through V2; attach its documents through the V2 attach")]
        )
    return customer


def _check_status(customer: Customer, allowed: set[S], errors: Errors) -> None:
    # PROCESSING: an earlier attach still waits for its checks; this one supersedes it.
    if S(customer.status) not in allowed | {S.PROCESSING}:
        errors.append(("customer_id", NOT_ELIGIBLE))


def _identity(doc: ProofOfIdentity) -> IndividualIdentifyingDocument:
    return IndividualIdentifyingDocument(
        type=IndividualIdType(doc.type.value),
        number=doc.number,
        country=doc.country,
        issue_date=doc.issue_date,
        expiry_date=doc.expiry_date,
        files=doc.files,
    )


def _refs(path: str, files: Sequence[object]) -> list[tuple[str, str]]:
    return [(f"{path}.files[{j}].uri", str(getattr(f, "uri"))) for j, f in enumerate(files)]  # noqa: B009


def _files(
    session: Session, caller: Caller, customer: Customer, refs: list[tuple[str, str]], errors: Errors
) -> dict[str, StoredFile]:
    check_unique(refs, errors)
    rows = check_files(session, caller, customer, refs, errors)
    check_not_foreign(customer, rows, refs, errors)
    return rows


def _add_address(
    session: Session,
    customer: Customer,
    batch: AttachBatch,
    now: datetime,
    doc: ProofOfAddressIndividual | ProofOfAddressBusiness,
    party_id: uuid.UUID | None = None,
) -> None:
    add_attachment(
        session,
        customer,
        batch,
        now,
        party_id=party_id,
        section="address_documents",
        doc_type=doc.type.value,
        files=[{"uri": f.uri, "side": None} for f in doc.files],
        country=doc.country,
    )


def attach_individual(
    uow: UnitOfWork, caller: Caller, body: V1IndividualAttach, *, ip: str | None, agent: str | None
) -> Customer:
    session = uow.session
    customer = _load(session, caller, body.customer_id, CustomerType.INDIVIDUAL)
    now = uow.now()  # after the customer is locked
    errors: Errors = []
    _check_status(customer, {S.INCOMPLETE, S.ACTION_REQUIRED}, errors)
    identity = _identity(body.proof_of_identity)
    check_individual_identity("proof_of_identity", identity, now.date(), errors)
    refs = _refs("proof_of_identity", body.proof_of_identity.files)
    refs += _refs("proof_of_address", body.proof_of_address.files)
    check_tos(customer, body.tos_policies_value, errors)
    rows = _files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    record_tos_attestation(customer, now, ip, agent)
    batch = start_batch(uow, customer, "individual_attach")
    add_individual_identity(session, customer, batch, now, identity)
    # One proof of address at a time, whatever its type.
    replace_section(session, customer, None, "address_documents")
    _add_address(session, customer, batch, now, body.proof_of_address)
    session.flush()
    return customer


def attach_parties(uow: UnitOfWork, caller: Caller, body: V1PartyAttach) -> Customer:
    """Party documents. While the customer is INCOMPLETE they wait for the business attach, which submits
    everything; afterwards they are an answer and the checks run again."""
    session = uow.session
    customer = _load(session, caller, body.customer_id, CustomerType.BUSINESS)
    now = uow.now()
    errors: Errors = []
    _check_status(customer, {S.INCOMPLETE, S.ACTION_REQUIRED, S.ASSOCIATED_PARTIES_REMAINING}, errors)
    parties = {p.id for p in customer.parties}
    refs: list[tuple[str, str]] = []
    identities: list[IndividualIdentifyingDocument] = []
    for i, att in enumerate(body.associated_party_attachments):
        base = f"associated_party_attachments[{i}]"
        if att.associated_party_id not in parties:
            errors.append((f"{base}.associated_party_id", "Unknown associated party of this customer"))
        identity = _identity(att.proof_of_identity)
        identities.append(identity)
        check_individual_identity(f"{base}.proof_of_identity", identity, now.date(), errors)
        refs += _refs(f"{base}.proof_of_identity", att.proof_of_identity.files)
        refs += _refs(f"{base}.proof_of_address", att.proof_of_address.files)
    rows = _files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    batch = start_batch(uow, customer, "party_attach", process=customer.status != S.INCOMPLETE.value)
    for att, identity in zip(body.associated_party_attachments, identities, strict=True):
        pid = att.associated_party_id
        add_attachment(
            session,
            customer,
            batch,
            now,
            party_id=pid,
            section="identifying_documents",
            doc_type=identity.type.value,
            files=[{"uri": f.uri, "side": f.side.value if f.side else None} for f in identity.files],
            number=identity.number,
            country=identity.country,
            issue_date=identity.issue_date,
            expiry_date=identity.expiry_date,
        )
        replace_section(session, customer, pid, "address_documents")
        _add_address(session, customer, batch, now, att.proof_of_address, party_id=pid)
    session.flush()
    return customer


def attach_business(
    uow: UnitOfWork, caller: Caller, body: V1BusinessAttach, *, ip: str | None, agent: str | None
) -> Customer:
    session = uow.session
    customer = _load(session, caller, body.customer_id, CustomerType.BUSINESS)
    now = uow.now()
    errors: Errors = []
    _check_status(customer, {S.INCOMPLETE, S.ACTION_REQUIRED, S.ASSOCIATED_PARTIES_REMAINING}, errors)
    sections: dict[str, Sequence[CompanyDetailsItem | OwnershipStructureItem | LegalPresenceItem]] = {
        "company_details": body.company_details,
        "ownership_structure": body.ownership_structure,
        "legal_presence": body.legal_presence,
    }
    refs: list[tuple[str, str]] = []
    for section, items in sections.items():
        for i, item in enumerate(items):
            refs += _refs(f"{section}[{i}]", item.files)
    if not refs:
        errors.append(("company_details", "Attach at least one document"))
    check_tos(customer, body.tos_policies_value, errors)
    rows = _files(session, caller, customer, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    record_tos_attestation(customer, now, ip, agent)
    batch = start_batch(uow, customer, "business_attach")
    for section, items in sections.items():
        for item in items:
            add_attachment(
                session,
                customer,
                batch,
                now,
                section=section,
                doc_type=item.type.value,
                files=[{"uri": f.uri, "side": None} for f in item.files],
            )
    session.flush()
    return customer
