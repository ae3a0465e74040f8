from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, UTCDateTime
from tollgate.kit.crypto import Sealed


class ServerKey(Base):
    """Server-wide secrets generated on first start in sandbox mode (JWT signing key, secret pepper),
    sealed with the data keys; live mode takes them from outside the database instead."""

    __tablename__ = "server_key"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Sealed("server_key.value"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiClient(Base):
    __tablename__ = "api_client"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    secret_generation: Mapped[int] = mapped_column(Integer, default=1)
    reliance_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: follow the server mode's default (on in sandbox, off in live).
    auto_approve: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    # A disabled client gets no tokens and its tokens stop working (``tollgate clients disable``).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefreshFamily(Base):
    """All refresh tokens descending from one login; reuse of a retired token revokes the family."""

    __tablename__ = "refresh_family"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RefreshToken(Base):
    __tablename__ = "refresh_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("refresh_family.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuthEpoch(Base):
    """One counter that moves whenever a client or a login family changes (``auth.cache``): each process
    reads it at most once per ``auth_cache_ms`` and forgets its cached callers when it has moved."""

    __tablename__ = "auth_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
