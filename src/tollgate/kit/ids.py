"""Identifiers and secrets."""

from __future__ import annotations

import secrets
import uuid


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()


def token_urlsafe(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
