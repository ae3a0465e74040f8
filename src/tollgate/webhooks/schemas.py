"""Webhook endpoints and events on the wire (Tollgate's own endpoints; Fin documents none)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tollgate.kit.text import NulFree


class EventType(StrEnum):
    CUSTOMER_CREATED = "customer.created"
    CUSTOMER_STATUS = "customer.status"
    CUSTOMER_RFI = "customer.rfi"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ALL_EVENT_TYPES = [t.value for t in EventType]
MAX_GRACE_SECONDS = 7 * 24 * 3600


class EndpointCreate(NulFree):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2048, description="Where events are POSTed (https only in live mode)")
    event_types: list[EventType] = Field(
        default_factory=lambda: list(EventType), min_length=1, description="Events to send; all by default"
    )
    enabled: bool = True


class EndpointUpdate(NulFree):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2048)
    event_types: list[EventType] | None = Field(default=None, min_length=1)
    enabled: bool | None = None


class SecretRotate(NulFree):
    model_config = ConfigDict(extra="forbid")

    grace_period_seconds: int | None = Field(
        default=None,
        ge=0,
        le=MAX_GRACE_SECONDS,
        description="How long the previous secret keeps signing (server default when absent; 0: at once)",
    )


class ResendRequest(NulFree):
    model_config = ConfigDict(extra="forbid")

    endpoint_id: uuid.UUID | None = Field(
        default=None, description="Send to this endpoint only; by default to every enabled, subscribed one"
    )


class EndpointRead(BaseModel):
    id: str
    url: str
    enabled: bool
    disabled_reason: str | None
    event_types: list[str]
    previous_secret_expires_at: str | None
    created_at: str
    updated_at: str


class EndpointWithSecretRead(EndpointRead):
    secret: str = Field(description="Shown only in this response: keep it to verify signatures")


class EndpointResponse(BaseModel):
    data: EndpointRead


class EndpointWithSecretResponse(BaseModel):
    data: EndpointWithSecretRead


class EndpointList(BaseModel):
    webhook_endpoints: list[EndpointRead]


class EndpointListResponse(BaseModel):
    data: EndpointList


class EnvelopeRead(BaseModel):
    id: str
    event_reference_id: str
    type: str
    created_at: str
    sandbox_mode: bool


class AttemptRead(BaseModel):
    number: int
    attempted_at: str
    finished_at: str | None
    status_code: int | None
    duration_ms: int | None
    response_body: str | None
    error: str | None


class DeliveryRead(BaseModel):
    id: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: str | None
    waiting_for_event_id: str | None
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    completed_at: str | None
    attempt_log: list[AttemptRead] | None = Field(default=None, description="On GET /v2/events/{id} only")


class EventRead(BaseModel):
    event: EnvelopeRead
    data: dict[str, Any]
    deliveries: list[DeliveryRead]


class EventResponse(BaseModel):
    data: EventRead


class EventPage(BaseModel):
    events: list[EventRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null at the end")


class EventListResponse(BaseModel):
    data: EventPage
