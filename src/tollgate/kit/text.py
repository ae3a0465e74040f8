"""Input that every database can store: PostgreSQL refuses NUL characters in text outright."""

from __future__ import annotations

from typing import Any


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul(value: Any) -> Any:
    """A ``model_validator(mode="before")`` body: refuse a payload with NUL anywhere in it."""
    if has_nul(value):
        raise ValueError("Must not contain NUL characters")
    return value
