"""Uploads: every file part of a multipart upload is typed from its bytes and checked, then kept."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tollgate.auth.service import Caller
from tollgate.customers.models import Customer
from tollgate.documents import inspection
from tollgate.documents.models import StoredFile
from tollgate.documents.multipart import Part
from tollgate.documents.storage import FileStore, key_for_uri, make_uri
from tollgate.errors import ValidationFailed
from tollgate.kit.ids import new_uuid


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
    limits: inspection.Limits,
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
    kinds: list[inspection.DocumentKind] = []
    for part in files:
        data = bytes(part.data)
        kind = inspection.sniff(data[: inspection.SNIFF_BYTES])
        refusals = inspection.check_upload(data, kind, limits)
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
