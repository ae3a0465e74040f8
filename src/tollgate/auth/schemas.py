from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tollgate.kit.text import refuse_nul


class _Body(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class TokenCreate(_Body):
    model_config = ConfigDict(json_schema_extra={"example": {"client_id": "...", "client_secret": "..."}})

    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)


class TokenRefresh(_Body):
    refresh_token: str = Field(min_length=1, max_length=500)


class TokenRead(BaseModel):
    access_token: str
    access_token_ttl: str = Field(description="Absolute expiry instant, `YYYY-MM-DD HH:MM:SS+00`")
    refresh_token: str
    refresh_token_ttl: str = Field(description="Absolute expiry instant, `YYYY-MM-DD HH:MM:SS+00`")
    current_time: str = Field(description="Server clock, `YYYY-MM-DD HH:MM:SS+00`")
