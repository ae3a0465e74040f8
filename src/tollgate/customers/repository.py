"""Queries for customers. Lists are range lookups on ``seq`` (docs/adr/0003), never OFFSET scans."""

from __future__ import annotations

import uuid

from sqlalchemy import Uuid, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tollgate.customers.models import Customer, CustomerCounter

# Bound-parameter names differ from the columns': SQLAlchemy reserves those in UPDATE statements.
_BUMP = (
    update(CustomerCounter)
    .where(
        CustomerCounter.client_pk == bindparam("c_client", type_=Uuid),
        CustomerCounter.type == bindparam("c_kind"),
    )
    .values(total=CustomerCounter.total + bindparam("c_count"))
    .returning(CustomerCounter.total)
)
_NEW_COUNTER = {
    "postgresql": pg_insert(CustomerCounter).on_conflict_do_nothing(),
    "sqlite": sqlite_insert(CustomerCounter).on_conflict_do_nothing(),
}


def next_seq(session: Session, client_pk: uuid.UUID, kind: str, count: int = 1) -> int:
    """Reserve the next sequence number (or the next ``count``, ending with the one returned); the counter
    row stays locked until the transaction ends."""
    params = {"c_client": client_pk, "c_kind": kind, "c_count": count}
    total = session.execute(_BUMP, params).scalar_one_or_none()
    if total is None:
        # The client's first customer of this type: make the counter (another transaction may be making
        # it at the same moment; the conflict leaves theirs), then count on it.
        dialect = session.get_bind().dialect.name
        session.execute(_NEW_COUNTER[dialect], {"client_pk": client_pk, "type": kind, "total": 0})
        total = session.execute(_BUMP, params).scalar_one()
    return int(total)


# The hot read paths' statements are built once, with bound parameters: building a statement and its cache
# key on every request costs more than running it (docs/benchmarks.md).
_COUNT = select(CustomerCounter.total).where(
    CustomerCounter.client_pk == bindparam("client_pk", type_=Uuid), CustomerCounter.type == bindparam("kind")
)
_OWNED = select(Customer).where(
    Customer.id == bindparam("customer_id"), Customer.client_pk == bindparam("client_pk", type_=Uuid)
)
_OWNED_FOR_UPDATE = _OWNED.with_for_update()


def count(session: Session, client_pk: uuid.UUID, kind: str) -> int:
    total = session.scalar(_COUNT, {"client_pk": client_pk, "kind": kind})
    return int(total or 0)


def get_owned(
    session: Session, client_pk: uuid.UUID, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer | None:
    """The caller's customer; its parties load on first use (only a business has any)."""
    stmt = _OWNED_FOR_UPDATE if for_update else _OWNED
    return session.scalars(stmt, {"customer_id": customer_id, "client_pk": client_pk}).one_or_none()
