"""``/v2/webhook-endpoints`` and ``/v2/events``: Tollgate's own paths (Fin documents no webhook API)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from tollgate.auth.deps import Principal
from tollgate.errors import Dialect, speaks
from tollgate.handler import one_thread
from tollgate.http_docs import AUTH_401, NOT_FOUND_404, VALIDATION_422, responses
from tollgate.kit.responses import JSONBody
from tollgate.runtime import RuntimeDep, SessionDep
from tollgate.webhooks import present, service, urls
from tollgate.webhooks.models import Event
from tollgate.webhooks.schemas import (
    EndpointCreate,
    EndpointListResponse,
    EndpointResponse,
    EndpointUpdate,
    EndpointWithSecretResponse,
    EventListResponse,
    EventResponse,
    EventType,
    ResendRequest,
    SecretRotate,
)

router = APIRouter(tags=["Webhooks"])


@router.post(
    "/v2/webhook-endpoints",
    status_code=201,
    response_model=EndpointWithSecretResponse,
    responses=responses(AUTH_401, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def create_endpoint(
    body: EndpointCreate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Register a URL for the caller's events. The signing secret is in this response only."""
    endpoint, secret = service.create_endpoint(
        session, caller.id, body, runtime.now(), urls.Rules.of(runtime.settings)
    )
    return JSONBody({"data": present.endpoint(endpoint, secret=secret)}, status_code=201)


@router.get("/v2/webhook-endpoints", response_model=EndpointListResponse, responses=responses(AUTH_401))
@speaks(Dialect.STANDARD)
@one_thread
def list_endpoints(caller: Principal, session: SessionDep) -> JSONResponse:
    """The caller's endpoints, oldest first (never their secrets)."""
    rows = service.list_endpoints(session, caller.id)
    return JSONBody({"data": {"webhook_endpoints": [present.endpoint(e) for e in rows]}})


@router.get(
    "/v2/webhook-endpoints/{endpoint_id}",
    response_model=EndpointResponse,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def get_endpoint(endpoint_id: uuid.UUID, caller: Principal, session: SessionDep) -> JSONResponse:
    """One endpoint."""
    return JSONBody({"data": present.endpoint(service.get_endpoint(session, caller.id, endpoint_id))})


@router.patch(
    "/v2/webhook-endpoints/{endpoint_id}",
    response_model=EndpointResponse,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def update_endpoint(
    endpoint_id: uuid.UUID, body: EndpointUpdate, caller: Principal, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Change the URL, the event types or ``enabled``. Disabling fails the endpoint's pending deliveries."""
    endpoint = service.update_endpoint(
        session, caller.id, endpoint_id, body, runtime.now(), urls.Rules.of(runtime.settings)
    )
    return JSONBody({"data": present.endpoint(endpoint)})


@router.delete(
    "/v2/webhook-endpoints/{endpoint_id}",
    status_code=204,
    response_class=Response,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def delete_endpoint(endpoint_id: uuid.UUID, caller: Principal, session: SessionDep) -> Response:
    """Remove an endpoint and its delivery history."""
    service.delete_endpoint(session, caller.id, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/v2/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecretResponse,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def rotate_secret(
    endpoint_id: uuid.UUID,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    body: SecretRotate | None = None,
) -> JSONResponse:
    """Issue a new secret (in this response only). The old one also signs until the grace period ends."""
    seconds = body.grace_period_seconds if body and body.grace_period_seconds is not None else None
    if seconds is None:
        seconds = runtime.settings.webhook_secret_grace_seconds
    endpoint, secret = service.rotate_secret(
        session, caller.id, endpoint_id, runtime.now(), timedelta(seconds=seconds)
    )
    return JSONBody({"data": present.endpoint(endpoint, secret=secret)})


@router.get("/v2/events", response_model=EventListResponse, responses=responses(AUTH_401, VALIDATION_422))
@speaks(Dialect.STANDARD)
@one_thread
def list_events(
    caller: Principal,
    session: SessionDep,
    per_page: Annotated[int, Query(ge=1, le=512, description="Number of events per page")] = 10,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page")
    ] = None,
    type: Annotated[EventType | None, Query(description="Only events of this type")] = None,
    customer_id: Annotated[uuid.UUID | None, Query(description="Only this customer's events")] = None,
    failed: Annotated[bool, Query(description="Only events with a failed delivery")] = False,
) -> JSONResponse:
    """The caller's events, newest first, each with its deliveries."""
    page = service.list_events(
        session,
        caller.id,
        per_page=per_page,
        cursor=cursor,
        event_type=type,
        customer_id=customer_id,
        failed=failed,
    )
    by_event = service.deliveries_of(session, [e.id for e in page.events])
    events = [present.event(e, by_event[e.id]) for e in page.events]
    return JSONBody({"data": {"events": events, "next_cursor": page.next_cursor}})


def _event_detail(session: SessionDep, event: Event) -> dict[str, object]:
    rows = service.deliveries_of(session, [event.id])[event.id]
    attempts = service.attempts_of(session, [d.id for d in rows])
    return present.event(event, rows, attempts)


@router.get(
    "/v2/events/{event_id}",
    response_model=EventResponse,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def get_event(event_id: uuid.UUID, caller: Principal, session: SessionDep) -> JSONResponse:
    """One event as it was sent, with every delivery and every attempt."""
    event = service.get_event(session, caller.id, event_id)
    return JSONBody({"data": _event_detail(session, event)})


@router.post(
    "/v2/events/{event_id}/resend",
    status_code=202,
    response_model=EventResponse,
    responses=responses(AUTH_401, NOT_FOUND_404, VALIDATION_422),
)
@speaks(Dialect.STANDARD)
@one_thread
def resend_event(
    event_id: uuid.UUID,
    caller: Principal,
    runtime: RuntimeDep,
    session: SessionDep,
    body: ResendRequest | None = None,
) -> JSONResponse:
    """Queue the event again, with a fresh retry schedule, for its endpoints (or the one named)."""
    endpoint_id = body.endpoint_id if body else None
    event = service.resend_event(
        session,
        runtime.settings,
        runtime.policies.faults,
        caller.id,
        event_id,
        runtime.now(),
        endpoint_id=endpoint_id,
    )
    return JSONBody({"data": _event_detail(session, event)}, status_code=202)
