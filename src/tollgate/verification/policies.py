"""What differs between modes, as policies the core is given (it never imports ``sandbox``).

The runtime wires ``Policies`` for live mode and the sandbox's own subclass for sandbox mode: the core
asks, the mode answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tollgate.auth.models import ApiClient
from tollgate.config import Settings
from tollgate.customers.models import Customer
from tollgate.webhooks.delivery import NO_FAULTS, DeliveryFaults

if TYPE_CHECKING:
    from tollgate.uow import UnitOfWork


class Policies:
    """Live mode's answers; the sandbox overrides what it changes (``sandbox.policies``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Webhook deliveries as they are: no faults (the sandbox injects them on request).
        self.faults: DeliveryFaults = NO_FAULTS

    def auto_approve(self, uow: UnitOfWork, customer: Customer) -> bool:
        """Whether a customer whose checks pass is approved without a reviewer: the client's setting, else
        the server's, else yes in sandbox mode only."""
        client = uow.session.get(ApiClient, customer.client_pk)
        if client is not None and client.auto_approve is not None:
            return client.auto_approve
        if self.settings.auto_approve is not None:
            return self.settings.auto_approve
        return self.settings.sandbox

    def decide_checks(self, uow: UnitOfWork, customer: Customer) -> bool:
        """Decide a checked customer instead of its findings; True when it did. Live mode never does."""
        return False
