"""Response declarations shared by routers so /openapi.json shows Fin's error bodies as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
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


def openapi_of(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` without FastAPI's default 422 (``{"detail": [...]}``), a body Tollgate never sends:
    every validation failure is rendered in the endpoint's dialect (errors.py). An operation that declares
    the field-map 400 answers its field errors with it, and the default is dropped; elsewhere it becomes
    the 422 that is sent (``{message, errors}``)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for item in schema["paths"].values():
            for operation in item.values():
                answers = operation.get("responses", {})
                if _DEFAULT_422 not in str(answers.get("422", "")):
                    continue
                if _ref(FieldMapErrorBody) in str(answers.get("400", "")):
                    del answers["422"]
                else:
                    answers["422"] = {
                        "description": VALIDATION_422[2],
                        "content": {"application/json": {"schema": {"$ref": _ref(ValidationErrorBody)}}},
                    }
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            ValidationErrorBody.__name__, ValidationErrorBody.model_json_schema(ref_template=_REF_TEMPLATE)
        )
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        app.openapi_schema = schema
        return schema

    return build


_REF_TEMPLATE = "#/components/schemas/{model}"
_DEFAULT_422 = _REF_TEMPLATE.format(model="HTTPValidationError")


def _ref(model: type[BaseModel]) -> str:
    return _REF_TEMPLATE.format(model=model.__name__)
