"""Endpoints, events and deliveries as wire dicts."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from tollgate.kit.timefmt import fractional_z, seconds_z
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint


def _opt(dt: datetime | None) -> str | None:
    return fractional_z(dt) if dt is not None else None


def endpoint(e: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(e.id),
        "url": e.url,
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "event_types": list(e.event_types),
        "previous_secret_expires_at": _opt(e.previous_secret_expires_at),
        "created_at": seconds_z(e.created_at),
        "updated_at": seconds_z(e.updated_at),
    }
    if secret is not None:
        out["secret"] = secret
    return out


def attempt(a: DeliveryAttempt) -> dict[str, Any]:
    return {
        "number": a.number,
        "attempted_at": fractional_z(a.started_at),
        "finished_at": _opt(a.finished_at),
        "status_code": a.status_code,
        "duration_ms": a.duration_ms,
        "response_body": a.response_body,
        "error": a.error,
    }


def delivery(d: Delivery, attempts: list[DeliveryAttempt] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(d.id),
        "endpoint_id": str(d.endpoint_id),
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": _opt(d.next_attempt_at),
        "waiting_for_event_id": str(d.waiting_for_event_id) if d.waiting_for_event_id else None,
        "last_attempt_at": _opt(d.last_attempt_at),
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "completed_at": _opt(d.completed_at),
    }
    if attempts is not None:
        out["attempt_log"] = [attempt(a) for a in attempts]
    return out


def event(
    e: Event,
    deliveries: list[Delivery],
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] | None = None,
) -> dict[str, Any]:
    """``{"event": envelope, "data": payload}`` exactly as sent, plus this server's ``deliveries``."""
    document: dict[str, Any] = json.loads(e.body)
    document["deliveries"] = [
        delivery(d, attempts.get(d.id, []) if attempts is not None else None) for d in deliveries
    ]
    return document
