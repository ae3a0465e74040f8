"""The error tree and the one handler that renders Fin's body shapes.

Fin's error bodies are not uniform: each endpoint speaks one *dialect* (see DOMAIN.md section 3). Code raises
the same exceptions everywhere; the handler looks up the matched route's dialect and renders accordingly.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tollgate.kit.responses import JSONBody
from tollgate.kit.text import NUL_ERROR

log = logging.getLogger(__name__)

VALIDATION_MESSAGE = "Validation failed"
MALFORMED_JSON = "Malformed JSON"
NOT_UTF8 = "Malformed JSON: the body must be UTF-8"


class Dialect(StrEnum):
    # 422 {message, errors: [{path: msg}]}, 423/500 {message}
    STANDARD = "standard"
    # 400 {status, message: "Validation failed", data: {path: msg}}, 423/500 {status, message}
    FIELD_MAP = "field_map"
    # V2 individual attach: 400 {status, message} for unparseable bodies, 403/409 {error: {code, message}},
    # 422 {message, errors}
    ATTACH_INDIVIDUAL = "attach_individual"


F = TypeVar("F", bound=Callable[..., Any])


def speaks(dialect: Dialect) -> Callable[[F], F]:
    """Declare the error dialect of an endpoint function."""

    def mark(fn: F) -> F:
        fn.__tollgate_dialect__ = dialect  # type: ignore[attr-defined]
        return fn

    return mark


# The rules an endpoint runs once its body validates, run instead on a body the schema refused (on what of
# it did validate): ``rules(request, body)`` -> (path, message) pairs.
RuleCheck = Callable[[Request, Any], Awaitable[Sequence[tuple[str, str]]]]


def checks_beside_schema(rules: RuleCheck) -> Callable[[F], F]:
    """Declare an endpoint's rules so that one answer names the schema's errors and the rules' together."""

    def mark(fn: F) -> F:
        fn.__tollgate_rules__ = rules  # type: ignore[attr-defined]
        return fn

    return mark


class TollgateError(Exception):
    status_code = 500
    message = "Internal server error"
    # True when the transaction's changes must be committed even though the request fails
    # (e.g. revoking a refresh-token family on reuse).
    keeps_changes = False

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message


class AuthenticationFailed(TollgateError):
    status_code = 401
    message = "Authentication failed"


class NotFound(TollgateError):
    status_code = 404
    message = "Resource not found"


class Forbidden(TollgateError):
    status_code = 403
    message = "Customer is not eligible for this operation"
    code = "forbidden"


class Conflict(TollgateError):
    status_code = 409
    message = "An attach request is already in progress for this customer"
    code = "conflict"


class Locked(TollgateError):
    status_code = 423


class PayloadTooLarge(TollgateError):
    status_code = 413
    message = "Payload too large"


class TooManyRequests(TollgateError):
    status_code = 429
    message = "Too many requests; retry after the time in Retry-After"

    def __init__(self, message: str | None = None, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        super().__init__(message)
        self.headers = list(headers)


class MalformedBody(TollgateError):
    status_code = 400
    message = "Malformed request body"


FieldErrors = Sequence[tuple[str, str]]


class ValidationFailed(TollgateError):
    """One or more fields are invalid. ``errors`` pairs a field path with its message."""

    status_code = 422
    message = VALIDATION_MESSAGE

    def __init__(self, errors: Iterable[tuple[str, str]], message: str | None = None) -> None:
        super().__init__(message)
        self.errors: list[tuple[str, str]] = list(errors)


def field_path(loc: Sequence[int | str]) -> str:
    """``("body", "associated_parties", 0, "basic_info", "dob")``
    -> ``associated_parties[0].basic_info.dob``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # pydantic labels union / function branches with their type names; they are not fields.
            if "[" in part or part.startswith("function-"):
                continue
            out += f".{part}" if out else part
    return out or "body"


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "This field is required"
    if kind == "extra_forbidden":
        return "This field is not allowed"
    if kind == "json_invalid":
        return MALFORMED_JSON
    msg = str(err.get("msg", "Invalid value"))
    return msg.removeprefix("Value error, ")


def from_pydantic(errors: Sequence[Any]) -> ValidationFailed:
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        field = (err.get("ctx") or {}).get("field") if err.get("type") == NUL_ERROR else None
        path = field_path((*loc, field) if field else loc)
        if path in seen:
            continue
        seen.add(path)
        pairs.append((path, _message(err)))
    return ValidationFailed(pairs)


def _endpoint(request: Request) -> Any:
    return getattr(request.scope.get("route"), "endpoint", None)


def _dialect(request: Request) -> Dialect:
    return getattr(_endpoint(request), "__tollgate_dialect__", Dialect.STANDARD)


def render(exc: TollgateError, dialect: Dialect) -> JSONResponse:
    status = exc.status_code
    body: dict[str, Any]
    if isinstance(exc, ValidationFailed):
        if dialect is Dialect.FIELD_MAP:
            body = {"status": 400, "message": exc.message, "data": dict(exc.errors)}
            status = 400
        else:
            body = {"message": exc.message, "errors": [{path: msg} for path, msg in exc.errors]}
    elif isinstance(exc, AuthenticationFailed | NotFound):
        body = {"message": exc.message}
    elif isinstance(exc, Forbidden | Conflict) and dialect is Dialect.ATTACH_INDIVIDUAL:
        body = {"error": {"code": exc.code, "message": exc.message}}
    elif dialect in (Dialect.FIELD_MAP, Dialect.ATTACH_INDIVIDUAL) or isinstance(exc, MalformedBody):
        body = {"status": status, "message": exc.message}
    else:
        body = {"message": exc.message}
    response = JSONBody(body, status_code=status)
    if isinstance(exc, TooManyRequests):
        response.raw_headers.extend(exc.headers)
    return response


async def _tollgate_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TollgateError)
    return render(exc, _dialect(request))


def _malformed(dialect: Dialect, message: str) -> JSONResponse:
    if dialect is Dialect.ATTACH_INDIVIDUAL:
        return render(MalformedBody(), dialect)
    return render(ValidationFailed([("body", message)]), dialect)


# What the matched endpoint's dependencies would have checked of the caller (auth.deps.authenticate_request).
Authenticate = Callable[[Request], Awaitable[None]]


async def _unreadable_body(request: Request, authenticate: Authenticate, message: str) -> JSONResponse:
    """FastAPI reads a JSON body before any dependency runs: it answers one that is not JSON before the
    token is looked at, and one that is not UTF-8 with its own ``400 {"message": "There was an error
    parsing the body"}``. Both get Fin's answer instead, after the caller is authenticated as the endpoint
    would have done (a caller without a token learns nothing), in the endpoint's own dialect."""
    dialect = _dialect(request)
    try:
        await authenticate(request)
    except TollgateError as exc:
        return render(exc, dialect)
    return _malformed(dialect, message)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return JSONBody({"message": "Resource not found"}, status_code=404)
    if exc.status_code == 401:
        return JSONBody({"message": "Authentication failed"}, status_code=401)
    return JSONBody({"message": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    dialect = _dialect(request)
    if dialect is Dialect.STANDARD:
        return JSONBody({"message": "Internal server error"}, status_code=500)
    return JSONBody({"status": 500, "message": "Internal server error"}, status_code=500)


def install(app: FastAPI, authenticate: Authenticate) -> None:
    async def request_validation_handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return await _unreadable_body(request, authenticate, MALFORMED_JSON)
        failed = from_pydantic(errors)
        rules: RuleCheck | None = getattr(_endpoint(request), "__tollgate_rules__", None)
        if rules is not None and exc.body is not None:
            named = {path for path, _ in failed.errors}
            failed.errors += [
                (path, msg) for path, msg in await rules(request, exc.body) if path not in named
            ]
        return render(failed, _dialect(request))

    async def http_handler(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc.__cause__, UnicodeDecodeError):
            return await _unreadable_body(request, authenticate, NOT_UTF8)
        if isinstance(exc.__cause__, RecursionError):  # JSON nested deeper than the parser goes
            return await _unreadable_body(request, authenticate, MALFORMED_JSON)
        return await _http_handler(request, exc)

    app.add_exception_handler(TollgateError, _tollgate_handler)
    app.add_exception_handler(RequestValidationError, request_validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_handler)
    app.add_exception_handler(Exception, _unhandled)
