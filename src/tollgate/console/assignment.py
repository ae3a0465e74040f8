"""Who works a case: take it, release it, or (a senior) hand it to someone else. Each change is in the
customer's audit trail; taking a case someone else holds is refused with who holds it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from tollgate.console.models import CaseAssignment
from tollgate.customers.models import Customer
from tollgate.errors import Conflict, Forbidden, NotFound
from tollgate.verification.models import Operator
from tollgate.verification.operators import OperatorIdentity
from tollgate.verification.transitions import audit

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


def holder(uow: UnitOfWork, customer_id: uuid.UUID) -> tuple[CaseAssignment, str] | None:
    row = uow.session.get(CaseAssignment, customer_id)
    if row is None:
        return None
    op = uow.session.get(Operator, row.operator_id)
    return row, op.username if op else "?"


def holder_name(session: object, customer_id: uuid.UUID) -> str | None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    return session.scalar(
        select(Operator.username)
        .join(CaseAssignment, CaseAssignment.operator_id == Operator.id)
        .where(CaseAssignment.customer_id == customer_id)
    )


def take(uow: UnitOfWork, customer: Customer, me: OperatorIdentity) -> None:
    current = holder(uow, customer.id)
    if current is not None:
        if current[0].operator_id == me.id:
            return
        raise Conflict(f"This case is already taken by {current[1]}; a senior can reassign it")
    uow.session.add(
        CaseAssignment(
            customer_id=customer.id, operator_id=me.id, assigned_at=uow.now(), assigned_by=me.username
        )
    )
    audit(uow, customer, "case_taken", details={"operator": me.username})
    uow.session.flush()


def release(uow: UnitOfWork, customer: Customer, me: OperatorIdentity) -> None:
    current = holder(uow, customer.id)
    if current is None:
        return
    if current[0].operator_id != me.id and not me.senior:
        raise Forbidden(f"This case is taken by {current[1]}; only they or a senior can release it")
    uow.session.delete(current[0])
    audit(uow, customer, "case_released", details={"operator": current[1]})
    uow.session.flush()


def reassign(uow: UnitOfWork, customer: Customer, me: OperatorIdentity, to_username: str) -> None:
    if not me.senior:
        raise Forbidden("Only a senior can reassign a case")
    target = uow.session.scalars(select(Operator).where(Operator.username == to_username)).one_or_none()
    if target is None or target.disabled_at is not None:
        raise NotFound(f"No active operator named {to_username!r}")
    if target.client_pks is not None and str(customer.client_pk) not in target.client_pks:
        raise Conflict(f"{to_username} does not work this API client's customers")
    current = holder(uow, customer.id)
    if current is not None:
        uow.session.delete(current[0])
        uow.session.flush()
    uow.session.add(
        CaseAssignment(
            customer_id=customer.id, operator_id=target.id, assigned_at=uow.now(), assigned_by=me.username
        )
    )
    audit(
        uow,
        customer,
        "case_reassigned",
        details={"from": current[1] if current else None, "to": target.username},
    )
    uow.session.flush()
