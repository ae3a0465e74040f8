"""The ceiling: Tollgate's own application object (``tollgate.app.create_app``: the same middleware, error
handlers and routers) with one more router answering a precomputed body, and no database at all.

Served as ``uvicorn bench.ceiling_app:create_app --factory``, with the options of ``tollgate serve``.
``BENCH_CEILING_BODY`` names a file holding the body, normally a detail response captured from the server
under test so both send as many bytes; without it a body of ``DEFAULT_SIZE`` bytes is made up.

Two routes, placed where the customers router is so routing costs what it costs the detail read:
``/bench/ceiling/{customer_id}`` has an ``async`` handler, what the stack does at best;
``/bench/ceiling-sync/{customer_id}`` a plain ``def`` handler like Tollgate's endpoints, which FastAPI
runs in its thread pool.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import cast

from fastapi import APIRouter, FastAPI, Response

from tollgate.app import create_app as create_tollgate_app
from tollgate.config import Settings
from tollgate.customers.router import router as customers_router
from tollgate.errors import AuthenticationFailed
from tollgate.runtime import Runtime

DEFAULT_SIZE = 800
ASYNC_PATH = "/bench/ceiling/{customer_id}"
SYNC_PATH = "/bench/ceiling-sync/{customer_id}"


class NoDatabase:
    """Stands in for the runtime; the ceiling's routes never touch it (the app reads its settings)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def verify_token(self, token: str) -> None:
        # The request guard reads a token's client for its rate limit; the ceiling has none to limit.
        raise AuthenticationFailed()


def _body() -> bytes:
    given = os.environ.get("BENCH_CEILING_BODY")
    if given:
        return Path(given).read_bytes()
    filler = "x" * max(DEFAULT_SIZE - 60, 0)
    return json.dumps({"data": {"customer_id": str(uuid.uuid4()), "filler": filler}}).encode()


def create_app() -> FastAPI:
    body = _body()
    settings = Settings()
    app = create_tollgate_app(settings, runtime=cast(Runtime, NoDatabase(settings)))
    ceiling = APIRouter()

    @ceiling.get(ASYNC_PATH)
    async def detail(customer_id: uuid.UUID) -> Response:
        return Response(body, media_type="application/json")

    @ceiling.get(SYNC_PATH)
    def detail_in_thread_pool(customer_id: uuid.UUID) -> Response:
        return Response(body, media_type="application/json")

    app.include_router(ceiling)
    routes = app.router.routes
    position = next(
        (i for i, r in enumerate(routes) if getattr(r, "original_router", None) is customers_router), None
    )
    if position is not None:
        routes.insert(position, routes.pop())
    return app
