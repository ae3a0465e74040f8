"""Input that every database can store: PostgreSQL refuses NUL characters in text outright."""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, model_validator
from pydantic_core import PydanticCustomError

NUL_ERROR = "nul_character"


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul_fields(model: BaseModel) -> None:
    """A ``model_validator(mode="after")`` body: the last guard once every field passed its own rules.

    Nested models guard themselves, so only this model's plain values are looked at; fields with
    rules of their own have already named their error precisely.
    """
    for name, value in model.__dict__.items():
        if isinstance(value, BaseModel):
            continue
        if isinstance(value, list | tuple) and value and all(isinstance(v, BaseModel) for v in value):
            continue
        if has_nul(value):
            # The error names its field in ``ctx``; errors.from_pydantic appends it to the location.
            raise PydanticCustomError(NUL_ERROR, "Must not contain NUL characters", {"field": name})


class NulFree(BaseModel):
    """Base of request bodies: a NUL character anywhere is a 422 naming its field, never a 500."""

    @model_validator(mode="after")
    def _no_nul(self) -> Self:
        refuse_nul_fields(self)
        return self
