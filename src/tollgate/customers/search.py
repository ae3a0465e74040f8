"""Exact search by tax id or document number through keyed hashes (blind indexes), never plaintext.

Every flush that adds a customer, a party or an attachment, or changes a stored request body, writes the
digests of the tax ids and document numbers it carries (``IdentifierDigest``) in the same transaction, so
no write path can forget them. Bulk inserts that bypass the ORM call :func:`digests_for` themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, UOWTransaction

from tollgate.customers.models import AssociatedParty, Customer, IdentifierDigest
from tollgate.documents.models import Attachment
from tollgate.kit.crypto import Keyring, keyring_of
from tollgate.kit.ids import new_uuid

TAX_ID = "tax_id"
DOCUMENT_NUMBER = "document_number"
KINDS = (TAX_ID, DOCUMENT_NUMBER)


def tax_ids(payload: dict[str, Any] | None) -> list[str]:
    """The tax ids in a stored create body (``basic_info.tax_info[].document_id``)."""
    info = (payload or {}).get("basic_info") or {}
    found = []
    for entry in info.get("tax_info") or []:
        if isinstance(entry, dict) and isinstance(entry.get("document_id"), str):
            found.append(entry["document_id"])
    return found


@dataclass(frozen=True)
class Digest:
    kind: str
    value: str
    source_id: uuid.UUID | None


def _of_customer(customer: Customer) -> Iterator[Digest]:
    for value in tax_ids(customer.payload):
        yield Digest(TAX_ID, value, None)


def _of_party(party: AssociatedParty) -> Iterator[Digest]:
    for value in tax_ids(party.payload):
        yield Digest(TAX_ID, value, party.id)


def digests_for(
    keyring: Keyring, client_pk: uuid.UUID, customer_id: uuid.UUID, found: Iterable[Digest]
) -> list[dict[str, Any]]:
    """Rows of ``identifier_digest`` for ``found`` values of one customer (duplicates written once)."""
    rows: dict[tuple[str, str, uuid.UUID | None], dict[str, Any]] = {}
    for d in found:
        digest = keyring.blind_index(d.kind, d.value)
        rows.setdefault(
            (d.kind, digest, d.source_id),
            {
                "id": new_uuid(),
                "client_pk": client_pk,
                "customer_id": customer_id,
                "source_id": d.source_id,
                "kind": d.kind,
                "digest": digest,
            },
        )
    return list(rows.values())


def customer_digests(keyring: Keyring, customer: Customer) -> list[dict[str, Any]]:
    """Digests of a customer built in memory, parties included (for bulk inserts)."""
    found = list(_of_customer(customer))
    for party in customer.parties:
        found.extend(_of_party(party))
    return digests_for(keyring, customer.client_pk, customer.id, found)


def _changed(obj: Any, key: str) -> bool:
    return bool(sa_inspect(obj).attrs[key].history.has_changes())


@dataclass
class _Work:
    customer_id: uuid.UUID
    client_pk: uuid.UUID | None
    source_id: uuid.UUID | None
    replace: bool  # the row existed: its earlier digests go first
    found: list[Digest]


def _work(session: Session, obj: object) -> _Work | None:
    pending = obj in session.new
    if isinstance(obj, Customer) and (pending or _changed(obj, "payload")):
        return _Work(obj.id, obj.client_pk, None, not pending, list(_of_customer(obj)))
    if isinstance(obj, AssociatedParty) and (pending or _changed(obj, "payload")):
        owner = obj.customer
        customer_id = owner.id if owner is not None else obj.customer_id
        client_pk = owner.client_pk if owner is not None else None
        return _Work(customer_id, client_pk, obj.id, not pending, list(_of_party(obj)))
    if isinstance(obj, Attachment) and (pending or _changed(obj, "number")):
        found = [Digest(DOCUMENT_NUMBER, obj.number, obj.id)] if obj.number else []
        return _Work(obj.customer_id, None, obj.id, not pending, found)
    return None


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    work = [w for w in (_work(session, obj) for obj in list(session.new) + list(session.dirty)) if w]
    if not work:
        return
    keyring = keyring_of(session.get_bind().dialect)
    for w in work:
        if w.replace:
            source = (
                IdentifierDigest.source_id.is_(None)
                if w.source_id is None
                else IdentifierDigest.source_id == w.source_id
            )
            session.execute(
                delete(IdentifierDigest).where(IdentifierDigest.customer_id == w.customer_id, source)
            )
        if not w.found:
            continue
        client_pk = w.client_pk or session.scalar(
            select(Customer.client_pk).where(Customer.id == w.customer_id)
        )
        assert client_pk is not None
        for row in digests_for(keyring, client_pk, w.customer_id, w.found):
            session.add(IdentifierDigest(**row))


event.listen(Session, "before_flush", _before_flush)


def find_customers(
    session: Session,
    keyring: Keyring,
    kind: str,
    value: str,
    client_pks: Iterable[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Ids of the customers whose tax id (``kind="tax_id"``) or document number (``"document_number"``)
    is exactly ``value`` (case, spaces and '-', '.', '/' aside), optionally only of some clients."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    query = select(IdentifierDigest.customer_id).where(
        IdentifierDigest.kind == kind, IdentifierDigest.digest == keyring.blind_index(kind, value)
    )
    if client_pks is not None:
        query = query.where(IdentifierDigest.client_pk.in_(list(client_pks)))
    return list(dict.fromkeys(session.scalars(query.order_by(IdentifierDigest.customer_id))))
