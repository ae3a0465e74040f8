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
