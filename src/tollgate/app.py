"""create_app(): the FastAPI application, its routers, error handlers and middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp

from tollgate import __version__, errors, http_docs
from tollgate.auth.deps import authenticate_request
from tollgate.auth.router import router as auth_router
from tollgate.catalogue.router import router as catalogue_router
from tollgate.config import Settings, get_settings
from tollgate.console.api import router as console_api_router
from tollgate.customers.router import router as customers_router
from tollgate.customers.v1_router import router as customers_v1_router
from tollgate.documents.answer_router import router as rfi_answer_router
from tollgate.documents.router import router as documents_router
from tollgate.documents.v1_router import router as documents_v1_router
from tollgate.guard import RequestGuard
from tollgate.kit.clock import Clock
from tollgate.runtime import Runtime, build_runtime
from tollgate.sandbox.router import router as sandbox_router
from tollgate.verification.router import router as operator_router
from tollgate.web.console.auth import router as console_auth_router
from tollgate.web.console.case import router as console_case_router
from tollgate.web.console.operators import router as console_operators_router
from tollgate.web.console.queue import router as console_queue_router
from tollgate.web.console.static import router as static_router
from tollgate.web.router import router as web_router
from tollgate.webhooks.router import router as webhooks_router


class _App(FastAPI):
    """FastAPI whose outermost layer is the request guard (guard.py), outside Starlette's error
    middleware, so that even a 500 carries ``X-Request-Id``."""

    guard_settings: Settings

    def build_middleware_stack(self) -> ASGIApp:
        return RequestGuard(super().build_middleware_stack(), lambda: self.router.routes, self.guard_settings)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, runtime: Runtime | None = None
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The thread pool that runs the endpoints' database work (handler.py), sized per the settings.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        yield

    app = _App(
        lifespan=lifespan,
        title="Tollgate",
        version=__version__,
        description="Customer onboarding server speaking Fin.com's Customers API v2.",
        # /docs is served from vendored files (web/console/static.py): it works without internet.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime or build_runtime(settings, clock)
    app.guard_settings = app.state.runtime.settings
    errors.install(app, authenticate_request)
    app.openapi = http_docs.openapi_of(app)  # type: ignore[method-assign]

    app.include_router(auth_router)
    app.include_router(customers_router)
    app.include_router(customers_v1_router)
    app.include_router(documents_router)
    app.include_router(documents_v1_router)
    app.include_router(rfi_answer_router)
    app.include_router(catalogue_router)
    app.include_router(operator_router)
    app.include_router(console_api_router)
    app.include_router(webhooks_router)
    app.include_router(web_router)
    app.include_router(static_router)
    app.include_router(console_auth_router)
    app.include_router(console_queue_router)
    app.include_router(console_case_router)
    app.include_router(console_operators_router)
    app.include_router(sandbox_router)
    return app
