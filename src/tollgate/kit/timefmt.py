"""Fin's three time formats on the wire."""

from __future__ import annotations

from datetime import UTC, datetime


def _utc(dt: datetime) -> datetime:
    if dt.tzinfo is UTC:
        return dt
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def seconds_z(dt: datetime) -> str:
    """``created_at`` / ``updated_at``: whole seconds, ``Z`` suffix (``isoformat``: a list page formats
    a thousand of these, and it is several times faster than ``strftime``)."""
    return _utc(dt).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def fractional_z(dt: datetime) -> str:
    """``last_status_updated_at`` / event ``created_at``: microseconds, trailing zeros trimmed."""
    d = _utc(dt)
    base = d.strftime("%Y-%m-%dT%H:%M:%S")
    if d.microsecond:
        base += "." + f"{d.microsecond:06d}".rstrip("0")
    return base + "Z"


def token_instant(dt: datetime) -> str:
    """Token TTLs and ``current_time``: ``YYYY-MM-DD HH:MM:SS+00``."""
    return _utc(dt).strftime("%Y-%m-%d %H:%M:%S+00")
