from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from tollgate.db import Base, JSONType, UTCDateTime


class SandboxClient(Base):
    """One API client's sandbox controls: how far its clock is from real time, and the webhook faults it
    asked for. No row means real time and no faults."""

    __tablename__ = "sandbox_client"

    client_pk: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True
    )
    # The client's time minus real time, in microseconds (exact, and portable across databases).
    clock_offset_us: Mapped[int] = mapped_column(BigInteger, default=0)
    # {"duplicate": 0.0-1.0, "delay_seconds": N, "reorder": bool}; null when off.
    webhook_faults: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
