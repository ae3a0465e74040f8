"""Field rules shared by the create schemas (individual, business, associated parties).

Shape-level rules (types, formats, codes that exist) are ``Annotated`` types checked by Pydantic while the
body is parsed; rules that relate fields to each other, to the catalogue or to the clock are functions
that append ``(path, message)`` pairs to a list, so one response names every offending field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from datetime import date
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictFloat,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from tollgate.catalogue import service as catalogue

Errors = list[tuple[str, str]]

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def _lower_email(value: str) -> str:
    if value != value.lower():
        raise ValueError("Email must be all lowercase")
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Invalid email address: {exc}") from exc
    return value


def _e164(value: str) -> str:
    if not _E164.match(value):
        raise ValueError("Phone must be in E.164 format, e.g. +14155552671")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Phone must be in E.164 format, e.g. +14155552671") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("Phone number is not a valid number")
    return value


def _alpha3(value: str) -> str:
    if not catalogue.is_country(value):
        raise ValueError("Must be an ISO 3166-1 alpha-3 country code")
    return value


def _subdivision(value: str) -> str:
    if not catalogue.is_subdivision(value):
        raise ValueError("Must be an ISO 3166-2 subdivision code, e.g. US-CA")
    return value


def _ascii(value: str) -> str:
    if not value.isascii():
        raise ValueError("Must contain English (Latin) characters only")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _single_line(value: str) -> str:
    # Control characters never belong in a name or code, and PostgreSQL refuses NUL outright.
    if _CONTROL.search(value):
        raise ValueError("Must not contain control characters")
    if not value.strip():
        raise ValueError("Must not be blank")
    return value


LowerEmail = Annotated[str, StringConstraints(max_length=254), AfterValidator(_lower_email)]
Phone = Annotated[str, AfterValidator(_e164)]
CountryCode = Annotated[str, AfterValidator(_alpha3)]
SubdivisionCode = Annotated[str, AfterValidator(_subdivision)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_single_line)]
LatinText = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(_single_line), AfterValidator(_ascii)
]


def years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def check_age(
    errors: Errors, path: str, dob: date, today: date, *, minimum: int = 18, maximum: int = 120
) -> None:
    if dob > today:
        errors.append((path, "Date of birth cannot be in the future"))
        return
    age = years_between(dob, today)
    if age < minimum:
        errors.append((path, f"Age must be at least {minimum} years"))
    elif age > maximum:
        errors.append((path, f"Age must be at most {maximum} years"))


def check_transliteration(errors: Errors, path: str, value: str | None, value_en: str | None) -> None:
    """A non-ASCII value needs its Latin transliteration in the matching ``_en`` field."""
    if value is not None and not value.isascii() and not value_en:
        errors.append((f"{path}_en", "Required when the field contains non-Latin characters"))


def check_subdivision(errors: Errors, path: str, country: str, code: str) -> None:
    if not catalogue.subdivision_belongs(country, code):
        errors.append((path, f"Subdivision {code} does not belong to country {country}"))


def check_phone_country(errors: Errors, path: str, phone: str, country: str) -> None:
    regions = catalogue.phone_region_alpha3(phone)
    if regions and country not in regions:
        errors.append((path, f"Phone country code does not match country {country}"))


def check_party_email(errors: Errors, path: str, email: str, i: int, seen: dict[str, int]) -> None:
    """Party ``i``'s email, unique across the business's parties (``seen``: casefolded email -> party)."""
    key = email.casefold()
    if key in seen:
        errors.append((path, f"Must be unique across associated parties (same as party {seen[key]})"))
    else:
        seen[key] = i


def check_not_future(errors: Errors, path: str, value: date, today: date) -> None:
    if value > today:
        errors.append((path, "Date cannot be in the future"))


# ---------------------------------------------------------------- shapes added for the V2 business create


def _paragraph(value: str) -> str:
    if _CONTROL_BUT_NEWLINES.search(value):
        raise ValueError("Must not contain control characters")
    if not value.strip():
        raise ValueError("Must not be blank")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HOST = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def _iso_date(value: object) -> object:
    # Pydantic reads "631152000", 0 and datetimes as dates, even in strict mode; Fin's are YYYY-MM-DD strings.
    # A ``date`` passes: models built in code from already validated fields.
    if type(value) is date:
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("Must be a date in YYYY-MM-DD format")
    return value


def _website(value: str) -> str:
    if not value.isascii() or any(ch.isspace() for ch in value) or _CONTROL.search(value):
        raise ValueError("Must be an http(s) URL without spaces")
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError as exc:
        raise ValueError("Must be a valid http(s) URL") from exc
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        raise ValueError("Must be an http(s) URL with a host, e.g. https://example.com")
    return value


# Any script (fields that have an ``_en`` transliteration beside them).
Line = Annotated[str, StringConstraints(min_length=1), AfterValidator(_single_line)]
# English (Latin) only: ASCII, as Fin's "non-ASCII needs an _en value" rule implies.
LatinLine = Annotated[
    str, StringConstraints(min_length=1), AfterValidator(_single_line), AfterValidator(_ascii)
]
LatinParagraph = Annotated[
    str, StringConstraints(min_length=1), AfterValidator(_paragraph), AfterValidator(_ascii)
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
Percentage = Annotated[StrictFloat, Field(ge=0, le=100, allow_inf_nan=False)]
Website = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_website)]

_PO_BOX = re.compile(
    r"\b(?:p\.?\s*o\.?\s*box|p\.?\s*o\.?\s*b\.?\s*\d|post\s*office\s*box|postal\s*box|post\s*box)",
    re.IGNORECASE,
)
# Every national format fits this (ZIP+4 "94105-1234", "SW1A 1AA", "LV-1010", "11936-53471"); countries
# the catalogue knows a format for are then held to it.
_POSTAL_CODE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,10}[A-Za-z0-9])$")


@cache
def _postal_format(country: str) -> re.Pattern[str] | None:
    regex = catalogue.postal_code_rule(country)["regex"]
    return re.compile(regex) if regex else None


def check_not_po_box(errors: Errors, path: str, value: str | None) -> None:
    if value is not None and _PO_BOX.search(value):
        errors.append((path, "P.O. Box addresses are not accepted"))


def check_postal_code(errors: Errors, path: str, country: str, code: str) -> None:
    pattern = _postal_format(country)
    # Letters compare case-insensitively: "k1a 0b1" is Ottawa's K1A 0B1.
    if not _POSTAL_CODE.match(code) or (pattern is not None and not pattern.match(code.upper())):
        errors.append((path, f"Invalid postal code format for {country}"))


def check_unique(errors: Errors, path: str, values: Sequence[Hashable]) -> None:
    if len(set(values)) != len(values):
        errors.append((path, "Items must be unique"))


def storable(value: Any) -> bool:
    """JSON that every database keeps: no NUL in text (PostgreSQL refuses it), no NaN or Infinity."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    return True


# ---------------------------------------------------------------- parts of a refused body

INVALID: Any = object()


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def validated(annotation: Any, value: object) -> Any:
    """``value`` validated as ``annotation``, or ``INVALID``."""
    if value is INVALID:
        return INVALID
    try:
        return _adapter(annotation).validate_python(value)
    except ValidationError:
        return INVALID


def validated_fields(model: type[BaseModel], raw: object) -> dict[str, Any]:
    """The top-level fields of a body the schema refused that validate on their own (an absent optional
    field as its default): what the rules can still run on."""
    if not isinstance(raw, dict):
        return {}
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in raw:
            if not info.is_required():
                out[name] = info.get_default(call_default_factory=True)
            continue
        value = validated(Annotated[info.annotation, info], raw[name])
        if value is not INVALID:
            out[name] = value
    return out
