"""Uploads: every file part of a multipart upload is typed from its bytes, checked and inspected, then
stored, and only then recorded; all of it or none.

The steps run apart so that no transaction waits for a client, a decoder or the file store:

1. ``customer_id_of`` and ``check_customer``: the optional ``customer_id`` part, in a short read.
2. ``prepare`` (slow, no transaction): each file is typed, checked against the limits and inspected in
   full; the findings are kept for the checks job, which then never decodes a file.
3. ``put`` (file I/O, no transaction): the bytes go to the file store; a failure removes what was put.
4. ``record``: one short write transaction checks the customer again and inserts the rows. If it fails,
   the caller removes the stored objects with ``discard``.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.models import Customer
from tollgate.documents import findings, inspection
from tollgate.documents.models import StoredFile
from tollgate.documents.multipart import Part
from tollgate.documents.storage import FileStore, key_for_uri, make_uri
from tollgate.errors import ValidationFailed
from tollgate.kit.ids import new_uuid

log = logging.getLogger(__name__)

# Decodes one file and returns its findings record (``findings.inspect``, or a runtime's ``Decoder``).
Decode = Callable[[bytes, inspection.DocumentKind, inspection.Limits], dict[str, Any]]
# Why a file must be refused at once (``inspection.check_upload``, or a runtime's ``Decoder.check``).
Check = Callable[[bytes, inspection.DocumentKind | None, inspection.Limits], list[inspection.Refusal]]


@dataclass(frozen=True)
class Uploaded:
    field: str
    uri: str


@dataclass(frozen=True)
class Prepared:
    """One accepted file part: its bytes, what they are, and what inspecting them found."""

    field: str
    filename: str
    kind: inspection.DocumentKind
    data: bytes
    sha256: str
    findings: dict[str, Any]
    uri: str
    storage_key: str


def customer_id_of(parts: Sequence[Part]) -> uuid.UUID | None:
    """The ``customer_id`` part, if any, as a UUID (the last one wins, as in a form)."""
    customer_id: uuid.UUID | None = None
    for part in parts:
        if part.filename is None and part.name == "customer_id":
            try:
                customer_id = uuid.UUID(part.data.decode("utf-8", "replace").strip())
            except ValueError as exc:
                raise ValidationFailed([("customer_id", "Must be a UUID")]) from exc
    return customer_id


def check_customer(session: Session, caller: Caller, customer_id: uuid.UUID | None) -> None:
    if customer_id is None:
        return
    owned = session.scalar(
        select(Customer.id).where(Customer.id == customer_id, Customer.client_pk == caller.id)
    )
    if owned is None:
        raise ValidationFailed([("customer_id", "Unknown customer")])


def prepare(
    caller: Caller,
    parts: Sequence[Part],
    limits: inspection.Limits,
    decode: Decode = findings.inspect,
    check: Check = inspection.check_upload,
) -> list[Prepared]:
    """Type, check and inspect every file part (decodes them with ``decode``, the runtime's decoder in
    the server: never inside a transaction). Refuses the whole upload (422) when one part may not be
    kept."""
    files = [part for part in parts if part.filename is not None]
    if not files:
        raise ValidationFailed([("files", "At least one file is required")])
    errors: list[tuple[str, str]] = []
    accepted: list[tuple[Part, bytes, inspection.DocumentKind]] = []
    for part in files:
        data = bytes(part.data)
        kind = inspection.sniff(data[: inspection.SNIFF_BYTES])
        refusals = check(data, kind, limits)
        if refusals:
            errors.append((part.name or "file", " ".join(r.message for r in refusals)))
        elif kind is not None:
            accepted.append((part, data, kind))
    if errors:
        raise ValidationFailed(errors)
    out: list[Prepared] = []
    for part, data, kind in accepted:
        uri = make_uri(part.filename or "file")
        out.append(
            Prepared(
                field=part.name,
                filename=part.filename or "",
                kind=kind,
                data=data,
                sha256=hashlib.sha256(data).hexdigest(),
                findings=decode(data, kind, limits),
                uri=uri,
                storage_key=f"{caller.id.hex}-{key_for_uri(uri)}",
            )
        )
    return out


def put(store: FileStore, files: Sequence[Prepared]) -> None:
    """Store every file, or none: what was put before a failure is removed again."""
    done: list[Prepared] = []
    try:
        for f in files:
            store.put(f.storage_key, f.data)
            done.append(f)
    except BaseException:
        discard(store, done)
        raise


def discard(store: FileStore, files: Sequence[Prepared]) -> None:
    """Remove stored objects whose rows were never committed (a failed or refused upload)."""
    for f in files:
        try:
            store.delete(f.storage_key)
        except Exception:  # best effort: an orphan object is harmless, no row points to it
            log.warning("could not remove %s from the file store", f.storage_key, exc_info=True)


def record(
    session: Session,
    caller: Caller,
    customer_id: uuid.UUID | None,
    files: Sequence[Prepared],
    now: datetime,
) -> list[Uploaded]:
    """The short write transaction of an upload: the customer is still the caller's, the rows go in."""
    check_customer(session, caller, customer_id)
    for f in files:
        session.add(
            StoredFile(
                id=new_uuid(),
                client_pk=caller.id,
                customer_id=customer_id,
                uri=f.uri,
                storage_key=f.storage_key,
                field_name=f.field[:200],
                original_name=f.filename[:300],
                kind=f.kind.value,
                size=len(f.data),
                sha256=f.sha256,
                findings=f.findings,
                created_at=now,
            )
        )
    session.flush()
    return [Uploaded(f.field, f.uri) for f in files]
