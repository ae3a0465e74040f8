"""Bodies of the sandbox endpoints. Decisions reuse the reviewer's bodies (verification.schemas)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from tollgate.kit.text import NulFree

# Far enough for any test (documents valid for ten years, RFIs months old), near enough that no date
# arithmetic on a client's time can leave the calendar.
MAX_OFFSET = timedelta(days=100 * 366)


class _In(NulFree):
    model_config = ConfigDict(extra="forbid")


class ClockIn(_In):
    """Exactly one of ``advance_by`` (an ISO 8601 duration such as ``P1D`` or ``PT90M``, or seconds) and
    ``set_to`` (an ISO 8601 date-time with its offset)."""

    advance_by: timedelta | None = Field(
        default=None, description="ISO 8601 duration (P1D, PT2H30M, P1M = 30 days) or seconds; forward only"
    )
    set_to: AwareDatetime | None = Field(default=None, description="ISO 8601 date-time with an offset")

    @field_validator("advance_by")
    @classmethod
    def _forward(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(0) < value <= MAX_OFFSET:
            raise ValueError("Must be positive and at most 100 years; use set_to to go back")
        return value

    @model_validator(mode="after")
    def _one(self) -> ClockIn:
        if (self.advance_by is None) == (self.set_to is None):
            raise ValueError("Give exactly one of advance_by and set_to")
        return self


class ClockData(BaseModel):
    now: str = Field(description="The client's current time")
    offset_seconds: float = Field(description="How far the client's clock is ahead of real time")
    real_time: bool


class ClockRead(BaseModel):
    data: ClockData


class WebhookFaultsIn(_In):
    duplicate: float | bool = Field(
        default=0.0, description="Probability (0 to 1, or true for 1) that a delivered event is sent again"
    )
    delay_seconds: float = Field(default=0, ge=0, le=3600, description="Hold each new delivery this long")
    reorder: bool = Field(default=False, description="A customer's events due together go out newest first")

    @field_validator("duplicate")
    @classmethod
    def _probability(cls, value: float | bool) -> float:
        number = float(value)
        if not 0.0 <= number <= 1.0:
            raise ValueError("Must be between 0 and 1, or a boolean")
        return number


class WebhookFaultsData(BaseModel):
    duplicate: float
    delay_seconds: float
    reorder: bool


class WebhookFaultsRead(BaseModel):
    data: WebhookFaultsData


class ResetCounts(BaseModel):
    customers: int
    associated_parties: int
    files: int
    rfis: int
    audit_entries: int
    events: int
    deliveries: int
    jobs: int


class ResetRead(BaseModel):
    data: ResetCounts
