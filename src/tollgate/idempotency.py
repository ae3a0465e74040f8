"""``Idempotency-Key`` on every POST of the API, by Stripe's rules.

- The first response to a key (per API client) is stored and replayed, byte for byte with its status and
  ``Idempotent-Replayed: true``, for every request with the same key and the same method, path and body
  for ``IDEMPOTENCY_TTL`` (24 hours). A 5xx is not stored: the request may be retried with the same key.
- The same key with a different request is refused (422 in the endpoint's dialect, naming the header).
- While the first request runs, another with the same key gets 409 in the endpoint's dialect.

The stored response is sealed at rest: it carries what the customer sent (docs/security.md).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, Uuid, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from tollgate.db import Base, UTCDateTime
from tollgate.kit.crypto import SealedJSON

IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
IN_PROGRESS = "in_progress"
DONE = "done"


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("client_pk", "key", name="uq_idempotency_key_client_pk_key"),
        Index("ix_idempotency_key_created_at", "created_at"),
    )

    # A key of its own: sealed columns are re-sealed row by row by their primary key (cli/keys.py).
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_pk: Mapped[uuid.UUID] = mapped_column(Uuid)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    response: Mapped[dict[str, Any] | None] = mapped_column(
        SealedJSON("idempotency_key.response"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.isascii()


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Stored:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def record(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers],
            "body": self.body.decode("latin-1"),
        }

    @classmethod
    def of(cls, record: dict[str, Any]) -> Stored:
        return cls(
            int(record["status"]),
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in record["headers"]],
            str(record["body"]).encode("latin-1"),
        )


@dataclass(frozen=True)
class Begun:
    """What to do with a request: ``proceed`` (this request owns the key), or replay ``stored``, or refuse
    (``mismatch``: another request used the key; ``busy``: the first request is still running)."""

    proceed: bool = False
    stored: Stored | None = None
    mismatch: bool = False
    busy: bool = False


def begin(session: Session, client_pk: uuid.UUID, key: str, print_: str, now: datetime) -> Begun:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.client_pk == client_pk,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < now - IDEMPOTENCY_TTL,
        )
    )
    inserted = session.execute(
        insert(IdempotencyKey)
        .values(
            id=uuid.uuid4(),
            client_pk=client_pk,
            key=key,
            fingerprint=print_,
            state=IN_PROGRESS,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["client_pk", "key"])
        .returning(IdempotencyKey.key)
    ).first()
    if inserted is not None:
        return Begun(proceed=True)
    row = session.execute(
        select(IdempotencyKey.fingerprint, IdempotencyKey.state, IdempotencyKey.response).where(
            IdempotencyKey.client_pk == client_pk, IdempotencyKey.key == key
        )
    ).one()
    if row.fingerprint != print_:
        return Begun(mismatch=True)
    if row.state != DONE or row.response is None:
        return Begun(busy=True)
    return Begun(stored=Stored.of(row.response))


def finish(session: Session, client_pk: uuid.UUID, key: str, stored: Stored | None) -> None:
    """Keep the response (``None``: forget the key, so the request may be tried again)."""
    row = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.client_pk == client_pk, IdempotencyKey.key == key)
    ).one_or_none()
    if row is None:
        return
    if stored is None:
        session.delete(row)
    else:
        row.state = DONE
        row.response = stored.record()


def sweep(session: Session, now: datetime) -> int:
    """Forget keys older than the TTL (the worker calls it now and then)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_TTL))
    return int(getattr(result, "rowcount", 0) or 0)
