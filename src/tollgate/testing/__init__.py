"""Tollgate for an integrator's own tests: a real server per test session, a fresh API client per test,
a webhook inbox that checks signatures, and the sandbox controls. The pytest plugin
(``tollgate.testing.plugin``, registered through the ``pytest11`` entry point) gives them as fixtures;
docs/testing.md shows a complete example.

Importing this package starts nothing and loads neither the server nor pytest.
"""

from tollgate.testing.client import ApiClient, Sandbox
from tollgate.testing.inbox import Delivery, WebhookInbox
from tollgate.testing.server import Credentials, TollgateServer

__all__ = ["ApiClient", "Credentials", "Delivery", "Sandbox", "TollgateServer", "WebhookInbox"]
