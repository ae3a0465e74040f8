"""The unit of work: one transaction and everything the services acting in it need.

A service never looks anything up on the side: the session, the settings, the server's clock, the
client's clock (sandbox mode), who is acting and the mode's policies all travel in this object, built by
the adapter (an HTTP route, a CLI command, a job) that opens the transaction. ``db.transaction`` is the
one place that commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from tollgate.config import Settings
from tollgate.kit.clock import Clock

if TYPE_CHECKING:
    from tollgate.verification.policies import Policies
    from tollgate.verification.transitions import Actor


@dataclass
class UnitOfWork:
    session: Session
    settings: Settings
    clock: Clock
    policies: Policies
    actor: Actor
    # How far the acting client's clock is ahead of the server's (sandbox clock control, docs/sandbox.md).
    skew: timedelta = field(default=timedelta(0))
    # The transaction's time; seeding, which writes histories, pins the times it chooses.
    pinned: datetime | None = None

    def now(self) -> datetime:
        """Now on the clock of the client whose customer is being changed: read once, at the first change
        (after the rows it changes are locked), so every time one change stamps is the same."""
        if self.pinned is None:
            self.pinned = self.clock.now() + self.skew
        return self.pinned

    def at(self, when: datetime) -> UnitOfWork:
        """The same transaction with its changes stamped ``when`` (seeded histories)."""
        return replace(self, pinned=when)

    def server_now(self) -> datetime:
        return self.clock.now()

    def acting(self, actor: Actor) -> UnitOfWork:
        """The same transaction, another actor (the sandbox's magic deciding a customer's checks)."""
        return replace(self, actor=actor)
