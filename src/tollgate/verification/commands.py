"""Decisions as commands, applied by one function.

Every way a person decides (the ``/ops/v1`` API, the console, ``tollgate review``, the sandbox API) builds
one of these commands and hands it to ``handle``, which loads and locks the customer, checks the state the
decision expects, applies it through the transition tables and records audit rows, RFIs and events, all
in the caller's transaction. A decision the state does not allow is refused with a 409 that says why;
nothing is ever silently accepted.

A command may carry ``expected_version``: the customer's ``version`` the decider saw. Every change to a
customer (its status, parties, RFIs, documents) moves the version, so a decision made on a page opened
before the checks finished, an RFI was answered or another reviewer decided is refused, with what
changed since.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tollgate.customers.enums import CustomerStatus as S
from tollgate.customers.enums import CustomerType
from tollgate.customers.enums import PartyStatus as P
from tollgate.customers.models import AssociatedParty, Customer
from tollgate.errors import NotFound, TollgateError
from tollgate.verification import service
from tollgate.verification.models import AuditEntry
from tollgate.verification.service import Rejection, RfiRequest
from tollgate.verification.transitions import CUSTOMER_TRANSITIONS, PARTY_TRANSITIONS

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

CHECKS_RUNNING = (
    "The automated checks of this customer's latest submission are still running; decide when they finish"
)


class DecisionRefused(TollgateError):
    """The customer's state does not allow this decision (409)."""

    status_code = 409


class StaleDecision(DecisionRefused):
    """The customer changed since the decider looked at it (409)."""

    def __init__(self, seen: int, now: int, changes: list[str]) -> None:
        what = "; ".join(changes) if changes else "its data was updated"
        super().__init__(f"This case changed since you opened it (version {seen}, now {now}): {what}")
        self.seen = seen
        self.current = now
        self.changes = changes


@dataclass(frozen=True)
class Approve:
    customer_id: uuid.UUID
    note: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class Reject:
    customer_id: uuid.UUID
    rejection: Rejection
    developer_note: str | None = None
    final: bool = True
    rfis: list[RfiRequest] = field(default_factory=list)
    expected_version: int | None = None


@dataclass(frozen=True)
class RequestInformation:
    customer_id: uuid.UUID
    rfis: list[RfiRequest]
    expected_version: int | None = None


@dataclass(frozen=True)
class Hold:
    customer_id: uuid.UUID
    reason: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class ApproveParty:
    customer_id: uuid.UUID
    party_id: uuid.UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class RejectParty:
    customer_id: uuid.UUID
    party_id: uuid.UUID
    rejection: Rejection
    for_customer: str | None = None
    for_developer: str | None = None
    rfis: list[RfiRequest] = field(default_factory=list)
    expected_version: int | None = None


@dataclass(frozen=True)
class RequestPartyInformation:
    customer_id: uuid.UUID
    party_id: uuid.UUID
    rfis: list[RfiRequest]
    expected_version: int | None = None


Command = Approve | Reject | RequestInformation | Hold | ApproveParty | RejectParty | RequestPartyInformation


def load_locked(uow: UnitOfWork, customer_id: uuid.UUID, client_pk: uuid.UUID | None = None) -> Customer:
    """The customer, locked for this transaction; with ``client_pk``, only that client's (another client's
    customer answers exactly like an unknown one)."""
    stmt = (
        select(Customer)
        .where(Customer.id == customer_id)
        .options(selectinload(Customer.parties))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if client_pk is not None:
        stmt = stmt.where(Customer.client_pk == client_pk)
    customer = uow.session.scalars(stmt).one_or_none()
    if customer is None:
        raise NotFound()
    return customer


def changes_since(uow: UnitOfWork, customer: Customer, version: int) -> list[str]:
    """What the audit trail recorded after ``version``, in words a reviewer reads."""
    rows = uow.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.customer_id == customer.id, AuditEntry.customer_version > version)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    ).all()
    out: list[str] = []
    for row in rows:
        who = f"{row.actor_type}:{row.actor_id}" if row.actor_id else row.actor_type
        if row.from_status or row.to_status:
            subject = "a party" if row.party_id else "status"
            out.append(f"{subject} {row.from_status} -> {row.to_status} by {who}")
        else:
            out.append(f"{row.action.replace('_', ' ')} by {who}")
    return list(dict.fromkeys(out))


def _party(customer: Customer, party_id: uuid.UUID) -> AssociatedParty:
    return service.party_of(customer, party_id)


def _expect(uow: UnitOfWork, customer: Customer, command: Command) -> None:
    if command.expected_version is not None and customer.version != command.expected_version:
        raise StaleDecision(
            command.expected_version,
            customer.version,
            changes_since(uow, customer, command.expected_version),
        )


def _refuse_while_checking(customer: Customer) -> None:
    if customer.status == S.PROCESSING.value:
        raise DecisionRefused(CHECKS_RUNNING)


def _customer_can(customer: Customer, target: S, what: str) -> None:
    current = S(customer.status)
    if target not in CUSTOMER_TRANSITIONS[current]:
        raise DecisionRefused(f"A customer in {current.value} cannot be {what}")


def _party_can(party: AssociatedParty, target: P, what: str) -> None:
    current = P(party.verification_status)
    if target is current or target not in PARTY_TRANSITIONS[current]:
        raise DecisionRefused(f"An associated party in {current.value} cannot be {what}")


def handle(uow: UnitOfWork, command: Command, *, client_pk: uuid.UUID | None = None) -> Customer:
    """Apply ``command`` in ``uow``'s transaction and return the changed customer."""
    customer = load_locked(uow, command.customer_id, client_pk)
    _expect(uow, customer, command)
    match command:
        case Approve(note=note):
            _refuse_while_checking(customer)
            business = customer.type == CustomerType.BUSINESS.value
            if customer.status == S.APPROVED.value or (
                business
                and customer.status == S.ASSOCIATED_PARTIES_REMAINING.value
                and customer.company_approved_at is not None
            ):
                raise DecisionRefused(f"The customer is already approved ({customer.status})")
            target = S.APPROVED
            if business and any(p.verification_status != P.APPROVED.value for p in customer.parties):
                target = S.ASSOCIATED_PARTIES_REMAINING
            _customer_can(customer, target, "approved")
            service.approve(uow, customer, note=note)
        case Reject(rejection=rejection, developer_note=note, final=final, rfis=requests):
            if not final:
                _refuse_while_checking(customer)
            _customer_can(customer, S.REJECTED if final else S.ACTION_REQUIRED, "rejected")
            service.reject(
                uow, customer, rejection=rejection, developer_note=note, final=final, retry_rfis=requests
            )
        case RequestInformation(rfis=requests):
            _refuse_while_checking(customer)
            if customer.status != S.APPROVED.value and customer.status != S.ACTION_REQUIRED.value:
                _customer_can(customer, S.ACTION_REQUIRED, "asked for information")
            service.request_information(uow, customer, requests)
        case Hold(reason=reason):
            _customer_can(customer, S.IN_COMPLIANCE, "put on hold")
            service.hold(uow, customer, reason=reason)
        case ApproveParty(party_id=party_id):
            _refuse_while_checking(customer)
            party = _party(customer, party_id)
            _party_can(party, P.APPROVED, "approved")
            service.approve_party(uow, customer, party)
        case RejectParty(
            party_id=party_id, rejection=rejection, for_customer=fc, for_developer=fd, rfis=requests
        ):
            _refuse_while_checking(customer)
            party = _party(customer, party_id)
            _party_can(party, P.REJECTED, "rejected")
            service.reject_party(
                uow,
                customer,
                party,
                rejection=rejection,
                for_customer=fc,
                for_developer=fd,
                retry_rfis=requests,
            )
        case RequestPartyInformation(party_id=party_id, rfis=requests):
            _refuse_while_checking(customer)
            _party(customer, party_id)
            if customer.status != S.APPROVED.value and customer.status != S.ACTION_REQUIRED.value:
                _customer_can(customer, S.ACTION_REQUIRED, "asked for information")
            service.request_information(uow, customer, requests)
    uow.session.flush()
    return customer
