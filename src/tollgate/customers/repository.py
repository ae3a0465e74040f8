"""Queries for customers. Lists are range lookups on ``seq`` (docs/adr/0003), never OFFSET scans."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from tollgate.customers.models import Customer, CustomerCounter


def next_seq(session: Session, client_pk: uuid.UUID, kind: str, count: int = 1) -> int:
    """Reserve the next sequence number (or the next ``count``, ending with the one returned); the counter
    row stays locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(CustomerCounter).values(client_pk=client_pk, type=kind, total=0).on_conflict_do_nothing()
    )
    total = session.execute(
        update(CustomerCounter)
        .where(CustomerCounter.client_pk == client_pk, CustomerCounter.type == kind)
        .values(total=CustomerCounter.total + count)
        .returning(CustomerCounter.total)
    ).scalar_one()
    return int(total)


def count(session: Session, client_pk: uuid.UUID, kind: str) -> int:
    total = session.scalar(
        select(CustomerCounter.total).where(
            CustomerCounter.client_pk == client_pk, CustomerCounter.type == kind
        )
    )
    return int(total or 0)


def page(session: Session, client_pk: uuid.UUID, kind: str, *, hi: int, lo: int) -> list[Customer]:
    """Customers with ``lo <= seq <= hi``, newest first."""
    return list(
        session.scalars(
            select(Customer)
            .where(
                Customer.client_pk == client_pk, Customer.type == kind, Customer.seq <= hi, Customer.seq >= lo
            )
            .order_by(Customer.seq.desc())
        )
    )


def get_owned(
    session: Session, client_pk: uuid.UUID, customer_id: uuid.UUID, *, for_update: bool = False
) -> Customer | None:
    stmt = (
        select(Customer)
        .where(Customer.id == customer_id, Customer.client_pk == client_pk)
        .options(selectinload(Customer.parties))
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()
