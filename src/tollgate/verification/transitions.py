"""The one place statuses change: the transition tables and the functions that apply them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.errors import TollgateError
from tollgate.kit.ids import new_uuid
from tollgate.verification.models import AuditEntry

CUSTOMER_TRANSITIONS: dict[S, frozenset[S]] = {
    S.INCOMPLETE: frozenset({S.PROCESSING, S.IN_COMPLIANCE, S.REJECTED}),
    S.PROCESSING: frozenset(
        {
            S.REVIEWING,
            S.APPROVED,
            S.ACTION_REQUIRED,
            S.ASSOCIATED_PARTIES_REMAINING,
            S.IN_COMPLIANCE,
            S.REJECTED,
        }
    ),
    S.REVIEWING: frozenset(
        {S.APPROVED, S.ASSOCIATED_PARTIES_REMAINING, S.ACTION_REQUIRED, S.IN_COMPLIANCE, S.REJECTED}
    ),
    S.ASSOCIATED_PARTIES_REMAINING: frozenset(
        {S.PROCESSING, S.REVIEWING, S.APPROVED, S.ACTION_REQUIRED, S.IN_COMPLIANCE, S.REJECTED}
    ),
    S.IN_COMPLIANCE: frozenset(
        {S.REVIEWING, S.APPROVED, S.ASSOCIATED_PARTIES_REMAINING, S.ACTION_REQUIRED, S.REJECTED}
    ),
    S.ACTION_REQUIRED: frozenset({S.PROCESSING, S.IN_COMPLIANCE, S.REJECTED}),
    # An approved customer can be put on hold or offboarded; RFIs on it leave the status as it is.
    S.APPROVED: frozenset({S.IN_COMPLIANCE, S.REJECTED}),
    S.REJECTED: frozenset(),
}

PARTY_TRANSITIONS: dict[P, frozenset[P]] = {
    P.INITIATED: frozenset({P.REVIEWING, P.APPROVED, P.REJECTED}),
    P.REVIEWING: frozenset({P.APPROVED, P.REJECTED}),
    P.APPROVED: frozenset({P.REVIEWING, P.REJECTED}),
    P.REJECTED: frozenset({P.REVIEWING}),
}


class TransitionRefused(TollgateError):
    status_code = 409

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"Cannot move from {current} to {target}")
        self.current = current
        self.target = target


@dataclass(frozen=True)
class Actor:
    type: str  # system | reviewer | api_client | sandbox
    id: str | None = None


SYSTEM = Actor("system")

# Listeners run inside the transaction after a customer's status changed (the webhooks outbox).
StatusListener = Callable[[Session, Customer, datetime], None]
_status_listeners: list[StatusListener] = []


def on_status_change(listener: StatusListener) -> StatusListener:
    _status_listeners.append(listener)
    return listener


def audit(
    session: Session,
    customer: Customer,
    actor: Actor,
    action: str,
    now: datetime,
    *,
    party: AssociatedParty | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            id=new_uuid(),
            customer_id=customer.id,
            party_id=party.id if party else None,
            actor_type=actor.type,
            actor_id=actor.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=details,
            created_at=now,
        )
    )


def can_transition(current: str, target: S) -> bool:
    return target in CUSTOMER_TRANSITIONS[S(current)]


def transition(
    session: Session, customer: Customer, target: S, actor: Actor, now: datetime, *, reason: str | None = None
) -> None:
    """Move a customer to ``target``: refuses what the table forbids, stamps the times, audits, emits."""
    current = S(customer.status)
    if target not in CUSTOMER_TRANSITIONS[current]:
        raise TransitionRefused(current.value, target.value)
    customer.status = target.value
    customer.updated_at = now
    customer.last_status_updated_at = now
    audit(
        session,
        customer,
        actor,
        "status",
        now,
        from_status=current.value,
        to_status=target.value,
        reason=reason,
    )
    session.flush()
    # customer.status, in this transaction (the webhooks outbox).
    from tollgate.webhooks.outbox import record_customer_status

    record_customer_status(session, customer, now)
    for listener in _status_listeners:
        listener(session, customer, now)


def transition_party(
    session: Session,
    customer: Customer,
    party: AssociatedParty,
    target: P,
    actor: Actor,
    now: datetime,
    *,
    for_customer: str | None = None,
    for_developer: str | None = None,
) -> None:
    current = P(party.verification_status)
    if target is current:
        party.reason_for_customer = for_customer
        party.reason_for_developer = for_developer
        return
    if target not in PARTY_TRANSITIONS[current]:
        raise TransitionRefused(current.value, target.value)
    party.verification_status = target.value
    party.reason_for_customer = for_customer
    party.reason_for_developer = for_developer
    party.verification_updated_at = now
    customer.updated_at = now
    audit(
        session,
        customer,
        actor,
        "party_status",
        now,
        party=party,
        from_status=current.value,
        to_status=target.value,
        reason=for_developer or for_customer,
    )
