"""A client's sandbox state as one JSON document, for reproducible fixtures: ``tollgate sandbox export``
and ``tollgate sandbox import``.

The document holds the client's customers with their stored request, parties, statuses, rejection reasons,
RFIs (with their history), attached documents and audit trail, its uploaded files (metadata and bytes in
base64), and its customer counters. Events, deliveries and jobs are not part of it: an import restores
state, it does not replay webhooks. Ids are kept, so tests can name customers; an import replaces the
client's whole state and refuses customers that belong to another client of the same database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Date, Uuid, inspect, select
from sqlalchemy.orm import DeclarativeBase, Session

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.models import AssociatedParty, Customer, CustomerCounter
from tollgate.db import UTCDateTime
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.documents.service import CHECKS_JOB, PROCESSING
from tollgate.documents.storage import key_for_uri
from tollgate.errors import ValidationFailed
from tollgate.jobs import queue
from tollgate.kit.timefmt import fractional_z
from tollgate.runtime import Runtime
from tollgate.sandbox import service
from tollgate.verification.models import AuditEntry, Rfi

FORMAT = "tollgate.sandbox.fixture"
VERSION = 1

M = TypeVar("M", bound=DeclarativeBase)

# Per customer: key in the document -> model. Each row's customer_id is implied by its place.
_CHILDREN: dict[str, type[DeclarativeBase]] = {
    "associated_parties": AssociatedParty,
    "attach_batches": AttachBatch,
    "attachments": Attachment,
    "rfis": Rfi,
    "audit_entries": AuditEntry,
}
_ORDER = {
    "associated_parties": ("position",),
    "attach_batches": ("created_at", "id"),
    "attachments": ("created_at", "id"),
    "rfis": ("raised_at", "position", "id"),
    "audit_entries": ("created_at", "id"),
}


class FixtureError(ValidationFailed):
    """The document is not a fixture this server can load."""


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _dump(row: DeclarativeBase, skip: Sequence[str] = ()) -> dict[str, Any]:
    return {
        attr.key: _plain(getattr(row, attr.key))
        for attr in inspect(type(row)).column_attrs
        if attr.key not in skip
    }


def _load(model: type[M], data: dict[str, Any], where: str, **fixed: Any) -> M:
    """A row of ``model`` from its dumped columns (types restored from the column types)."""
    columns = {attr.key: attr.columns[0].type for attr in inspect(model).column_attrs}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in columns or key in fixed:
            raise FixtureError([(f"{where}.{key}", "Unknown field")])
        kind = columns[key]
        try:
            if value is None:
                values[key] = None
            elif isinstance(kind, Uuid):
                values[key] = uuid.UUID(str(value))
            elif isinstance(kind, UTCDateTime):
                parsed = datetime.fromisoformat(str(value))
                if parsed.tzinfo is None:
                    raise ValueError("a time without its offset")
                values[key] = parsed
            elif isinstance(kind, Date):
                values[key] = date.fromisoformat(str(value))
            else:
                values[key] = value
        except ValueError as exc:
            raise FixtureError([(f"{where}.{key}", f"Invalid value: {exc}")]) from exc
    values.update(fixed)
    return model(**values)


def _sorted(rows: list[Any], keys: tuple[str, ...]) -> list[Any]:
    return sorted(rows, key=lambda r: tuple(str(getattr(r, k)) for k in keys))


def export(session: Session, runtime: Runtime, client_pk: uuid.UUID) -> dict[str, Any]:
    """The client's state as a JSON-ready document, in a stable order (customers by type and number)."""
    customers = list(
        session.scalars(
            select(Customer).where(Customer.client_pk == client_pk).order_by(Customer.type, Customer.seq)
        )
    )
    ids = select(Customer.id).where(Customer.client_pk == client_pk)
    children: dict[str, dict[uuid.UUID, list[Any]]] = {}
    for key, model in _CHILDREN.items():
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in session.scalars(select(model).where(model.__table__.c.customer_id.in_(ids))):
            grouped[getattr(row, "customer_id")].append(row)  # noqa: B009 - any of the child models
        children[key] = grouped
    out_customers = []
    for customer in customers:
        item = _dump(customer, skip=("client_pk",))
        for key in _CHILDREN:
            rows = _sorted(children[key][customer.id], _ORDER[key])
            item[key] = [_dump(r, skip=("customer_id",)) for r in rows]
        out_customers.append(item)
    files = []
    for f in session.scalars(
        select(StoredFile)
        .where(StoredFile.client_pk == client_pk)
        .order_by(StoredFile.created_at, StoredFile.uri)
    ):
        entry = _dump(f, skip=("client_pk", "storage_key"))
        entry["content_base64"] = base64.b64encode(runtime.files.get(f.storage_key)).decode("ascii")
        files.append(entry)
    counters = {
        c.type: c.total
        for c in session.scalars(select(CustomerCounter).where(CustomerCounter.client_pk == client_pk))
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": fractional_z(runtime.now_for(client_pk, session)),
        "counters": dict(sorted(counters.items())),
        "customers": out_customers,
        "files": files,
    }


def _check_header(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FixtureError([("format", f"Not a fixture: expected format {FORMAT!r}")])
    if document.get("version") != VERSION:
        raise FixtureError([("version", f"Unsupported version; this server reads version {VERSION}")])
    for key in ("customers", "files"):
        if not isinstance(document.get(key), list):
            raise FixtureError([(key, "Must be a list")])


@dataclass
class Imported:
    counts: dict[str, int]
    # Store keys of the client's previous files that the fixture did not bring back: to delete after commit.
    stale_file_keys: list[str]


def import_(session: Session, runtime: Runtime, client_pk: uuid.UUID, document: Any) -> Imported:
    """Replace the client's state with the fixture's."""
    _check_header(document)
    items: list[dict[str, Any]] = document["customers"]
    try:
        wanted = [uuid.UUID(str(c["id"])) for c in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise FixtureError([("customers", "Every customer needs a UUID id")]) from exc
    for chunk in range(0, len(wanted), 500):
        taken = session.scalar(
            select(Customer.id)
            .where(Customer.id.in_(wanted[chunk : chunk + 500]), Customer.client_pk != client_pk)
            .limit(1)
        )
        if taken is not None:
            raise FixtureError(
                [("customers", f"Customer {taken} belongs to another client of this database")]
            )
    done = service.reset(session, client_pk)
    counts: dict[str, int] = defaultdict(int)
    stored_keys: set[str] = set()
    file_rows: list[StoredFile] = []
    for i, raw_file in enumerate(document["files"]):
        where = f"files[{i}]"
        entry = dict(raw_file)
        try:
            content = base64.b64decode(entry.pop("content_base64"), validate=True)
        except (KeyError, TypeError, binascii.Error) as exc:
            raise FixtureError([(f"{where}.content_base64", "Missing or not base64")]) from exc
        row = _load(StoredFile, entry, where, client_pk=client_pk)
        if hashlib.sha256(content).hexdigest() != row.sha256:
            raise FixtureError([(f"{where}.content_base64", "Does not match sha256")])
        row.storage_key = f"{client_pk.hex}-{key_for_uri(row.uri)}"
        stored_keys.add(row.storage_key)
        runtime.files.put(row.storage_key, content)
        file_rows.append(row)  # added after the customers they belong to
        counts["files"] += 1
    for i, item in enumerate(items):
        item = dict(item)
        nested = {key: item.pop(key, []) for key in _CHILDREN}
        customer = _load(Customer, item, f"customers[{i}]", client_pk=client_pk)
        session.add(customer)
        session.flush()
        counts["customers"] += 1
        for key, model in _CHILDREN.items():
            for j, child in enumerate(nested[key]):
                session.add(_load(model, child, f"customers[{i}].{key}[{j}]", customer_id=customer.id))
                counts[key] += 1
    session.flush()
    session.add_all(file_rows)
    counters = document.get("counters") or {}
    for kind in sorted(set(counters) | {c["type"] for c in items if "type" in c}):
        highest = max((int(c.get("seq", 0)) for c in items if c.get("type") == kind), default=0)
        total = max(int(counters.get(kind, 0)), highest)
        session.add(CustomerCounter(client_pk=client_pk, type=kind, total=total))
    session.flush()
    # A submission that was being checked when exported is checked again here, so it does not stay stuck.
    for batch in session.scalars(
        select(AttachBatch)
        .join(Customer, Customer.id == AttachBatch.customer_id)
        .where(
            Customer.client_pk == client_pk,
            AttachBatch.status == PROCESSING,
            Customer.status == S.PROCESSING.value,
        )
    ):
        queue.enqueue(
            session,
            CHECKS_JOB,
            {"customer_id": str(batch.customer_id), "batch_id": str(batch.id)},
            runtime.now(),  # jobs are due on the server's clock
        )
    return Imported(dict(counts), [k for k in done.file_keys if k not in stored_keys])
