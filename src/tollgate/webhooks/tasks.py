"""Job handlers of the webhooks domain."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from tollgate.jobs.worker import JobContext, handler
from tollgate.webhooks import delivery, transport
from tollgate.webhooks.delivery import DELIVER_JOB


@handler(DELIVER_JOB, deadline=delivery.job_deadline)
def deliver(session: Session, ctx: JobContext) -> None:
    """One attempt of one delivery (see ``delivery`` for the three steps): its start commits in a short
    transaction of its own, the send runs with no transaction open, and its answer is recorded in the
    job's transaction, which opens only after the send."""
    settings, faults = ctx.runtime.settings, ctx.runtime.policies.faults
    delivery_id = uuid.UUID(str(ctx.payload["delivery_id"]))
    with ctx.transaction() as begin:
        plan = delivery.start(begin, settings, faults, delivery_id, ctx.now())
    if plan is None:
        return
    if session.in_transaction():
        raise RuntimeError("a webhook is never sent while a transaction is open")
    outcome = transport.send(plan.url, plan.body, plan.event_id, plan.secrets, settings)
    ended = ctx.now()
    delivery.finish_attempt(session, settings, faults, plan, outcome, ended)
