"""The one place statuses change: the transition tables and the functions that apply them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.errors import TollgateError
from tollgate.kit.ids import new_uuid
from tollgate.verification.models import AuditEntry
from tollgate.webhooks.outbox import record_customer_status

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

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

    def label(self) -> str:
        return f"{self.type}:{self.id or ''}"


SYSTEM = Actor("system")


def touch(customer: Customer, now: datetime) -> None:
    """Every change to a customer, its parties, RFIs or documents goes through here: the time it shows and
    the version a decision must have seen (``commands``) move together."""
    customer.updated_at = now
    customer.version = (customer.version or 0) + 1


def audit(
    uow: UnitOfWork,
    customer: Customer,
    action: str,
    *,
    party: AssociatedParty | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    actor: Actor | None = None,
) -> None:
    actor = actor or uow.actor
    uow.session.add(
        AuditEntry(
            id=new_uuid(),
            customer_id=customer.id,
            customer_version=customer.version,
            party_id=party.id if party else None,
            actor_type=actor.type,
            actor_id=actor.id,
            action=action,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            details=details,
            created_at=uow.now(),
        )
    )


def transition(uow: UnitOfWork, customer: Customer, target: S, *, reason: str | None = None) -> None:
    """Move a customer to ``target``: refuses what the table forbids, stamps the times, audits, and writes
    the ``customer.status`` event (with its deliveries) in the same transaction."""
    current = S(customer.status)
    if target not in CUSTOMER_TRANSITIONS[current]:
        raise TransitionRefused(current.value, target.value)
    now = uow.now()
    customer.status = target.value
    touch(customer, now)
    customer.last_status_updated_at = now
    if target is S.PROCESSING:
        # The reason of the last refusal is answered by this submission: it is no longer shown.
        customer.rejection_reason = None
    audit(uow, customer, "status", from_status=current.value, to_status=target.value, reason=reason)
    uow.session.flush()
    record_customer_status(uow, customer)


def transition_party(
    uow: UnitOfWork,
    customer: Customer,
    party: AssociatedParty,
    target: P,
    *,
    for_customer: str | None = None,
    for_developer: str | None = None,
) -> None:
    current = P(party.verification_status)
    now = uow.now()
    if target is current:
        party.reason_for_customer = for_customer
        party.reason_for_developer = for_developer
        touch(customer, now)
        return
    if target not in PARTY_TRANSITIONS[current]:
        raise TransitionRefused(current.value, target.value)
    party.verification_status = target.value
    party.reason_for_customer = for_customer
    party.reason_for_developer = for_developer
    party.verification_updated_at = now
    touch(customer, now)
    audit(
        uow,
        customer,
        "party_status",
        party=party,
        from_status=current.value,
        to_status=target.value,
        reason=for_developer or for_customer,
    )
