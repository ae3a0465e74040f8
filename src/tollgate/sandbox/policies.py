"""Sandbox mode's policies: magic values in a customer's data decide its checks (docs/sandbox.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollgate.config import Settings
from tollgate.customers.models import Customer
from tollgate.sandbox import magic
from tollgate.sandbox.faults import SandboxFaults
from tollgate.verification.policies import Policies

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


class SandboxPolicies(Policies):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.faults = SandboxFaults(settings)

    def decide_checks(self, uow: UnitOfWork, customer: Customer) -> bool:
        chosen = magic.outcome_for(customer)
        if chosen is None:
            return False
        magic.apply(uow, customer, chosen)
        return True
