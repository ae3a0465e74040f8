"""Decisions by operators, with four-eyes: in four-eyes mode an approval (of a customer or a party) and a
final rejection are only proposed; they take effect when a senior other than the proposer confirms, and
then go through ``verification.commands.handle`` with the customer version the proposer saw, like any
decision. A proposal on a case that changed since is refused at confirmation, with what changed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tollgate.console.models import ProposedDecision
from tollgate.customers.models import Customer
from tollgate.errors import Conflict, Forbidden, NotFound
from tollgate.kit.ids import new_uuid
from tollgate.verification import commands
from tollgate.verification.operators import OperatorIdentity
from tollgate.verification.service import RejectedDocument, Rejection
from tollgate.verification.transitions import audit

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork

PENDING, CONFIRMED, WITHDRAWN, REFUSED = "pending", "confirmed", "withdrawn", "refused"


def needs_second_pair(command: commands.Command) -> bool:
    return isinstance(command, commands.Approve | commands.ApproveParty) or (
        isinstance(command, commands.Reject) and command.final
    )


def _encode(command: commands.Command) -> tuple[str, dict[str, Any]]:
    match command:
        case commands.Approve(note=note):
            return "approve", {"note": note}
        case commands.ApproveParty(party_id=party_id):
            return "approve_party", {"party_id": str(party_id)}
        case commands.Reject(rejection=r, developer_note=dev):
            return "reject_final", {
                "labels": r.labels,
                "comment": r.comment,
                "documents": [d.wire() for d in r.documents],
                "developer_note": dev,
            }
    raise ValueError(f"{type(command).__name__} needs no second pair of eyes")


def _decode(row: ProposedDecision) -> commands.Command:
    data = json.loads(row.command)
    version = row.customer_version
    if row.kind == "approve":
        return commands.Approve(row.customer_id, data.get("note"), version)
    if row.kind == "approve_party":
        return commands.ApproveParty(row.customer_id, uuid.UUID(data["party_id"]), version)
    rejection = Rejection(
        labels=list(data["labels"]),
        comment=data.get("comment") or "",
        documents=[
            RejectedDocument(d["uri"], d["category"], d["moderation_comment"], list(d["reject_labels"]))
            for d in data.get("documents", [])
        ],
    )
    return commands.Reject(row.customer_id, rejection, data.get("developer_note"), True, [], version)


def describe(row: ProposedDecision) -> str:
    data = json.loads(row.command)
    if row.kind == "approve":
        return "Approve the customer" + (f" ({data['note']})" if data.get("note") else "")
    if row.kind == "approve_party":
        return f"Approve associated party {data['party_id']}"
    labels = ", ".join(data.get("labels") or [])
    return f"Reject, final ({labels})" + (f": {data['comment']}" if data.get("comment") else "")


@dataclass(frozen=True)
class Outcome:
    customer: Customer
    proposal: ProposedDecision | None = None  # set when the decision waits for a second operator


def decide(uow: UnitOfWork, op: OperatorIdentity, command: commands.Command, *, four_eyes: bool) -> Outcome:
    """Apply ``command`` now, or (four-eyes) check it could apply and record it as a proposal."""
    if not (four_eyes and needs_second_pair(command)):
        return Outcome(commands.handle(uow, command))
    # The proposal is checked as the decision itself would be (state, version), without applying it.
    customer = commands.load_locked(uow, command.customer_id)
    savepoint = uow.session.begin_nested()
    try:
        commands.handle(uow, command)
    finally:
        savepoint.rollback()
    uow.session.refresh(customer)
    if command.expected_version is None:
        raise Conflict("A proposal must carry the version of the case it was made on")
    pending = uow.session.scalars(
        select(ProposedDecision).where(
            ProposedDecision.customer_id == customer.id, ProposedDecision.status == PENDING
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"A decision by {pending.proposed_by} already waits for confirmation: {describe(pending)}"
        )
    kind, data = _encode(command)
    row = ProposedDecision(
        id=new_uuid(),
        customer_id=customer.id,
        party_id=getattr(command, "party_id", None),
        kind=kind,
        command=json.dumps(data),
        customer_version=command.expected_version,
        status=PENDING,
        proposed_by=op.username,
        proposed_at=uow.now(),
    )
    uow.session.add(row)
    audit(uow, customer, "decision_proposed", reason=describe(row), details={"proposal_id": str(row.id)})
    uow.session.flush()
    return Outcome(customer, row)


def proposal_view(row: ProposedDecision) -> dict[str, Any]:
    return {
        "proposal_id": str(row.id),
        "customer_id": str(row.customer_id),
        "kind": row.kind,
        "decision": describe(row),
        "status": row.status,
        "customer_version": row.customer_version,
        "proposed_by": row.proposed_by,
        "proposed_at": row.proposed_at.isoformat(),
        "decided_by": row.decided_by,
    }


def pending_for(session: Any, customer_id: uuid.UUID) -> list[ProposedDecision]:
    return list(
        session.scalars(
            select(ProposedDecision)
            .where(ProposedDecision.customer_id == customer_id, ProposedDecision.status == PENDING)
            .order_by(ProposedDecision.proposed_at)
        )
    )


def _pending(uow: UnitOfWork, customer_id: uuid.UUID, proposal_id: uuid.UUID) -> ProposedDecision:
    row = uow.session.get(ProposedDecision, proposal_id, with_for_update=True)
    if row is None or row.customer_id != customer_id:
        raise NotFound()
    if row.status != PENDING:
        raise Conflict(f"This proposal was already {row.status} by {row.decided_by}")
    return row


def confirm(
    uow: UnitOfWork, op: OperatorIdentity, customer_id: uuid.UUID, proposal_id: uuid.UUID
) -> Customer:
    """A senior other than the proposer applies the proposed decision."""
    if not op.senior:
        raise Forbidden("Only a senior can confirm a decision")
    commands.load_locked(uow, customer_id)  # the customer first, then the proposal: one lock order
    row = _pending(uow, customer_id, proposal_id)
    if row.proposed_by == op.username:
        raise Forbidden("You proposed this decision; another senior must confirm it")
    try:
        customer = commands.handle(uow, _decode(row))
    except commands.DecisionRefused:
        raise
    row.status = CONFIRMED
    row.decided_by = op.username
    row.decided_at = uow.now()
    audit(
        uow,
        customer,
        "decision_confirmed",
        reason=describe(row),
        details={"proposal_id": str(row.id), "proposed_by": row.proposed_by, "confirmed_by": op.username},
    )
    uow.session.flush()
    return customer


def withdraw(uow: UnitOfWork, op: OperatorIdentity, customer_id: uuid.UUID, proposal_id: uuid.UUID) -> None:
    """The proposer withdraws it, or a senior turns it down."""
    customer = commands.load_locked(uow, customer_id)
    row = _pending(uow, customer_id, proposal_id)
    if row.proposed_by != op.username and not op.senior:
        raise Forbidden("Only the proposer or a senior can withdraw this proposal")
    row.status = WITHDRAWN if row.proposed_by == op.username else REFUSED
    row.decided_by = op.username
    row.decided_at = uow.now()
    audit(uow, customer, f"decision_{row.status}", reason=describe(row), details={"proposal_id": str(row.id)})
    uow.session.flush()
