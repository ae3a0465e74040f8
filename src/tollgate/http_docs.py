"""Response declarations shared by routers so /openapi.json shows Fin's error bodies as they are."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class MessageBody(BaseModel):
    message: str


class ValidationErrorBody(BaseModel):
    message: str
    errors: list[dict[str, str]] = []


class FieldMapErrorBody(BaseModel):
    status: int
    message: str
    data: dict[str, str] = {}


class StatusMessageBody(BaseModel):
    status: int
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str


class CodedErrorBody(BaseModel):
    model_config = ConfigDict(title="CodedError")
    error: ErrorDetail


def responses(*codes: tuple[int, type[BaseModel], str]) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": model, "description": desc} for code, model, desc in codes}


AUTH_401 = (401, MessageBody, "Authentication failed")
NOT_FOUND_404 = (404, MessageBody, "Resource not found")
VALIDATION_422 = (422, ValidationErrorBody, "Failed due to a formatting error.")
FIELD_MAP_400 = (400, FieldMapErrorBody, "Validation failed")


# Fin deprecated these V1 operations on 2026-05-20 (DOMAIN.md 14). They still work; each answer says so in
# a ``Deprecation`` header (RFC 9745: the instant, as ``@`` and Unix seconds) with a link to its successor.
DEPRECATED_SINCE = "@1779235200"


def deprecation_headers(successor: str) -> dict[str, str]:
    return {"Deprecation": DEPRECATED_SINCE, "Link": f'<{successor}>; rel="successor-version"'}


def deprecated_header_doc(successor: str) -> dict[str, Any]:
    """The ``headers`` of a deprecated operation's 200 in /openapi.json."""
    return {
        "Deprecation": {
            "description": "When Fin deprecated this operation (RFC 9745)",
            "schema": {"type": "string", "example": DEPRECATED_SINCE},
        },
        "Link": {
            "description": f"The successor operation, {successor}",
            "schema": {"type": "string"},
        },
    }
