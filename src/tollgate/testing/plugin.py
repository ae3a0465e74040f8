"""The pytest plugin (entry point ``pytest11``, loaded wherever Tollgate is installed): fixtures that give
an integrator's tests a real Tollgate server. Every fixture is named ``tollgate_*``, and nothing starts
until a test asks for one of them (docs/testing.md).

- ``tollgate_server`` (session): the running server (:class:`TollgateServer`).
- ``tollgate_url`` (session): its base URL.
- ``tollgate_client``: a new API client for each test, with its credentials, an authenticated
  ``httpx.Client`` (``.http``) and the sandbox controls (``.sandbox``).
- ``tollgate_sandbox``: ``tollgate_client.sandbox``.
- ``tollgate_inbox``: a webhook receiver registered as that client's endpoint, checking signatures;
  ``tollgate_inbox.wait_for("customer.status", customer_id=..., status="APPROVED", timeout=30)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tollgate.testing.client import ApiClient, Sandbox
from tollgate.testing.inbox import WebhookInbox
from tollgate.testing.server import TollgateServer

DATABASE_URL_ENV = "TOLLGATE_TESTING_DATABASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tollgate", "a Tollgate server for the tests (tollgate.testing)")
    group.addoption(
        "--tollgate-database-url",
        default=None,
        help=(
            "a PostgreSQL server URL: the test server gets a temporary database there, dropped at the "
            f"end (default: ${DATABASE_URL_ENV}, else a temporary SQLite file)"
        ),
    )


@pytest.fixture(scope="session")
def tollgate_server(request: pytest.FixtureRequest) -> Iterator[TollgateServer]:
    url = request.config.getoption("--tollgate-database-url") or os.environ.get(DATABASE_URL_ENV)
    server = TollgateServer(postgres_url=url or None)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tollgate_url(tollgate_server: TollgateServer) -> str:
    return tollgate_server.base_url


@pytest.fixture
def tollgate_client(tollgate_server: TollgateServer, request: pytest.FixtureRequest) -> Iterator[ApiClient]:
    client = ApiClient(tollgate_server.new_client(f"test {request.node.nodeid}"[:200]))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def tollgate_sandbox(tollgate_client: ApiClient) -> Sandbox:
    return tollgate_client.sandbox


@pytest.fixture
def tollgate_inbox(tollgate_client: ApiClient) -> Iterator[WebhookInbox]:
    inbox = WebhookInbox().start()
    try:
        inbox.secret = tollgate_client.register_webhook(inbox.url)["secret"]
        yield inbox
    finally:
        inbox.stop()
