"""The rules of an attach body (and of an RFI answer): sides, dates, numbers, file URIs, terms. They add
``(path, message)`` pairs to an error list and change nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.documents.models import StoredFile
from tollgate.documents.schemas import (
    IndividualAddressDocument,
    IndividualIdentifyingDocument,
    IndividualIdType,
    PartyAttachment,
    PartyIdType,
)

TWO_SIDED = {"NATIONAL_ID", "DRIVERS_LICENSE", "RESIDENCE_PERMIT"}


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


def check_not_foreign(
    customer: Customer,
    rows: dict[str, StoredFile],
    refs: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> None:
    """For attaches whose contract has no 403: a file already bound to another customer is a field
    error (the V2 individual attach answers 403, as Fin declares, in ``batches.bind_files``)."""
    for path, uri in refs:
        row = rows.get(uri)
        if row is not None and row.customer_id is not None and row.customer_id != customer.id:
            errors.append((path, "The file belongs to another customer"))


def check_tos(customer: Customer, value: str, errors: list[tuple[str, str]]) -> None:
    if value != customer.tos_policies_value:
        errors.append(("tos_policies_value", "Does not match the customer's tos_policies_url"))


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
