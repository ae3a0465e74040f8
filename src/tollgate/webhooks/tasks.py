"""Job handlers of the webhooks domain."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from tollgate.jobs.worker import JobContext, handler
from tollgate.webhooks import delivery
from tollgate.webhooks.delivery import DELIVER_JOB


@handler(DELIVER_JOB)
def deliver(session: Session, ctx: JobContext) -> None:
    """One attempt of one delivery (see ``delivery`` for the three steps)."""
    delivery.run(session, ctx.runtime, uuid.UUID(str(ctx.payload["delivery_id"])))
