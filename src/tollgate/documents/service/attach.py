"""The three attach commands: load and lock the customer, check the body, record the batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.models import Customer
from tollgate.documents.schemas import (
    BusinessAttach,
    FormationItem,
    IndividualAttach,
    IndividualIdType,
    OwnershipItem,
    PartyAttach,
    SupportingItem,
)
from tollgate.documents.service.batches import (
    NOT_ELIGIBLE,
    add_business_document,
    add_individual_address,
    add_individual_identity,
    add_party_documents,
    bind_files,
    in_flight,
    record_tos_attestation,
    start_batch,
)
from tollgate.documents.service.rules import (
    check_files,
    check_individual_address,
    check_individual_identity,
    check_not_foreign,
    check_party_documents,
    check_tos,
    check_unique,
)
from tollgate.errors import Conflict, Forbidden, NotFound, ValidationFailed

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


def load_owned(session: Session, caller: Caller, customer_id: uuid.UUID) -> Customer:
    from tollgate.customers import repository

    customer = repository.get_owned(session, caller.id, customer_id, for_update=True)
    if customer is None:
        raise NotFound()
    return customer


def _guard(session: Session, customer: Customer, kind: CustomerType, allowed: set[S]) -> None:
    """The V2 individual attach: Fin declares 409 for an attach in flight and 403 for a customer that is
    not eligible (wrong type, created through V1, or a status that takes no documents)."""
    if in_flight(session, customer):
        raise Conflict()
    if customer.type != kind.value or customer.api_version != 2 or S(customer.status) not in allowed:
        raise Forbidden(NOT_ELIGIBLE)


def _eligible(customer: Customer, allowed: set[S], errors: list[tuple[str, str]]) -> None:
    """The V2 business and party attaches declare neither 403 nor 409: what stops them is a field error
    (400). An attach sent while an earlier one waits for its checks is accepted and supersedes it; the
    checks then judge the documents of both (``batches.start_batch``)."""
    if customer.type != CustomerType.BUSINESS.value:
        errors.append(("customer_id", "Customer is not a business customer"))
    elif customer.api_version != 2:
        errors.append(("customer_id", "Customer was created through V1; attach its documents through V1"))
    elif S(customer.status) not in allowed | {S.PROCESSING}:
        errors.append(("customer_id", NOT_ELIGIBLE))


_BUSINESS_ATTACHABLE = {S.INCOMPLETE, S.ACTION_REQUIRED, S.ASSOCIATED_PARTIES_REMAINING}


def attach_individual(
    uow: UnitOfWork,
    caller: Caller,
    customer_id: uuid.UUID,
    body: IndividualAttach,
    *,
    ip: str | None,
    agent: str | None,
) -> Customer:
    session = uow.session
    customer = load_owned(session, caller, customer_id)
    now = uow.now()  # after the customer is locked
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
    batch = start_batch(uow, customer, "individual_attach")
    for doc in body.identifying_documents:
        add_individual_identity(session, customer, batch, now, doc)
    add_individual_address(session, customer, batch, now, address)
    session.flush()
    return customer


def attach_business(
    uow: UnitOfWork,
    caller: Caller,
    customer_id: uuid.UUID,
    body: BusinessAttach,
    *,
    ip: str | None,
    agent: str | None,
) -> Customer:
    session = uow.session
    customer = load_owned(session, caller, customer_id)
    now = uow.now()  # after the customer is locked
    errors: list[tuple[str, str]] = []
    _eligible(customer, _BUSINESS_ATTACHABLE, errors)
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
    check_not_foreign(customer, rows, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    record_tos_attestation(customer, now, ip, agent)
    batch = start_batch(uow, customer, "business_attach")
    for section, items in sections.items():
        for item in items:
            add_business_document(session, customer, batch, now, section, item)
    session.flush()
    return customer


def attach_parties(uow: UnitOfWork, caller: Caller, customer_id: uuid.UUID, body: PartyAttach) -> Customer:
    """Party documents. While the customer is INCOMPLETE they are kept for the business attach, which
    submits everything; after an RFI they are an answer and the checks run again."""
    session = uow.session
    customer = load_owned(session, caller, customer_id)
    now = uow.now()  # after the customer is locked
    errors: list[tuple[str, str]] = []
    _eligible(customer, _BUSINESS_ATTACHABLE, errors)
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
    check_not_foreign(customer, rows, refs, errors)
    if errors:
        raise ValidationFailed(errors)
    bind_files(customer, rows)
    process = customer.status != S.INCOMPLETE.value
    batch = start_batch(uow, customer, "party_attach", process=process)
    for att in body.associated_party_attachments:
        add_party_documents(session, customer, batch, now, att)
    session.flush()
    return customer
