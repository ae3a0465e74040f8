"""create_app(): the FastAPI application, its routers, error handlers and middleware."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from tollgate import __version__, errors
from tollgate.auth.router import router as auth_router
from tollgate.catalogue.router import router as catalogue_router
from tollgate.config import Settings, get_settings
from tollgate.customers.router import router as customers_router
from tollgate.documents.answer_router import router as rfi_answer_router
from tollgate.documents.router import router as documents_router
from tollgate.kit.clock import Clock
from tollgate.runtime import Runtime, build_runtime
from tollgate.sandbox.router import router as sandbox_router
from tollgate.verification.router import router as operator_router
from tollgate.web.router import router as web_router
from tollgate.webhooks.router import router as webhooks_router

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, runtime: Runtime | None = None
) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Tollgate",
        version=__version__,
        description="Customer onboarding server speaking Fin.com's Customers API v2.",
    )
    app.state.runtime = runtime or build_runtime(settings, clock)
    errors.install(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        # Echo a caller's id only when it is short and plain, so it cannot smuggle anything into logs.
        rid = given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4())
        response = await call_next(request)
        response.headers["X-Request-Id"] = rid
        return response

    app.include_router(auth_router)
    app.include_router(customers_router)
    app.include_router(documents_router)
    app.include_router(rfi_answer_router)
    app.include_router(catalogue_router)
    app.include_router(operator_router)
    app.include_router(webhooks_router)
    app.include_router(web_router)
    app.include_router(sandbox_router)
    return app
