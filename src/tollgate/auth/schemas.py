from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from tollgate.kit.text import NulFree


class _Body(NulFree):
    """Token bodies."""


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
