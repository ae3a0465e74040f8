"""@one_thread: the Fin API's endpoints cross into the thread pool once per request."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Annotated

import anyio.to_thread
import pytest
from fastapi import Depends
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tollgate.app import create_app
from tollgate.auth.router import router as auth_router
from tollgate.catalogue.router import router as catalogue_router
from tollgate.customers.router import router as customers_router
from tollgate.documents.answer_router import router as answer_router
from tollgate.documents.router import router as documents_router
from tollgate.handler import one_thread
from tollgate.runtime import SessionDep
from tollgate.sandbox.router import router as sandbox_router
from tollgate.webhooks.router import router as webhooks_router

ROUTERS = (
    auth_router,
    customers_router,
    catalogue_router,
    documents_router,
    answer_router,
    webhooks_router,
    sandbox_router,
)


def _is_async(call: object) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(getattr(call, "__call__", None))


def _sync_calls(dependant: Dependant) -> list[str]:
    """Plain-def callables FastAPI would run in its thread pool for a route (the endpoint included)."""
    found = []
    if dependant.call is not None and not _is_async(dependant.call):
        found.append(getattr(dependant.call, "__qualname__", repr(dependant.call)))
    for sub in dependant.dependencies:
        found += _sync_calls(sub)
    return found


def test_fin_api_routes_hand_off_once():
    checked = 0
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            if route.path == "/v1/customers/upload":
                continue  # streams the body itself, on the event loop
            assert _sync_calls(route.dependant) == [], route.path
            checked += 1
    assert checked >= 35


def test_decorated_endpoints_keep_their_documentation(app):
    operation = app.openapi()["paths"]["/v2/customers/{customer_id}"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["customer_id"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert operation["summary"] == "Get Customer"


def needs_session(session: SessionDep) -> int:
    return 1


def takes_a_dependency_with_a_session(
    value: Annotated[int, Depends(needs_session)], session: SessionDep
) -> int:
    return value


def takes_a_plain_session(session: Session | None = None) -> int:
    return 1


def test_a_dependency_with_its_own_transaction_is_refused():
    with pytest.raises(TypeError, match="opens its own transaction"):
        one_thread(takes_a_dependency_with_a_session)


def test_only_the_known_dependencies_are_taken_over():
    assert "session" in inspect.signature(one_thread(takes_a_plain_session)).parameters


async def _thread_tokens() -> dict[str, float]:
    return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}


def test_the_thread_pool_is_sized_by_the_settings(runtime):
    settings = runtime.settings.model_copy(update={"request_threads": 3})
    app = create_app(settings, runtime=dataclasses.replace(runtime, settings=settings))
    app.add_api_route("/_threads", _thread_tokens)
    with TestClient(app) as client:
        assert client.get("/_threads").json() == {"tokens": 3}
