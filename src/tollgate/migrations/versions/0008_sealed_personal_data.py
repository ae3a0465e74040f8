"""personal data sealed at rest, blind indexes for tax ids and document numbers

Seals what earlier versions stored in the clear (tax ids, dates of birth, document numbers and phones in
request bodies, RFI answers and event bodies; the generated signing key and pepper) with the data keys
(docs/security.md), and fills ``identifier_digest`` for the customers already stored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:40:00
"""

import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from tollgate.kit.crypto import Keyring, reseal_column, unseal_column

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, key column, column, purpose, JSON) as the models declare them at this revision.
SEALED = (
    ("customer", "id", "phone", "customer.phone", False),
    ("customer", "id", "payload", "customer.payload", True),
    ("associated_party", "id", "payload", "associated_party.payload", True),
    ("attachment", "id", "number", "attachment.number", False),
    ("rfi", "id", "answer", "rfi.answer", True),
    ("event", "id", "body", "event.body", False),
    ("server_key", "name", "value", "server_key.value", False),
)


def _keyring() -> Keyring:
    given = context.config.attributes.get("keyring")
    if isinstance(given, Keyring):
        return given
    from tollgate.config import get_settings
    from tollgate.keystore import load_key_source

    return load_key_source(get_settings()).keyring


def _has_rows(conn: sa.Connection) -> bool:
    return any(
        conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608
        for table in {t for t, *_ in SEALED}
    )


def _digest(keyring: Keyring, kind: str, value: str) -> str:
    return keyring.blind_index(kind, value)


def _tax_ids(payload: Any) -> list[str]:
    info = (payload or {}).get("basic_info") or {} if isinstance(payload, dict) else {}
    return [
        e["document_id"]
        for e in info.get("tax_info") or []
        if isinstance(e, dict) and isinstance(e.get("document_id"), str)
    ]


def _rows(conn: sa.Connection, sql: str) -> Iterator[tuple[Any, ...]]:
    for row in conn.execute(sa.text(sql)):
        yield tuple(row)


def _fill_digests(conn: sa.Connection, keyring: Keyring) -> None:
    table = sa.table(
        "identifier_digest",
        sa.column("id", sa.Uuid()),
        sa.column("client_pk", sa.Uuid()),
        sa.column("customer_id", sa.Uuid()),
        sa.column("source_id", sa.Uuid()),
        sa.column("kind", sa.String()),
        sa.column("digest", sa.String()),
    )

    def key(raw: Any) -> uuid.UUID:
        # SQLite keeps UUIDs as 32 hex digits, PostgreSQL as uuid: both parse.
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))

    pending: list[dict[str, Any]] = []

    def add(client_pk: Any, customer_id: Any, source_id: Any, kind: str, value: str) -> None:
        pending.append(
            {
                "id": uuid.uuid4(),
                "client_pk": key(client_pk),
                "customer_id": key(customer_id),
                "source_id": key(source_id) if source_id is not None else None,
                "kind": kind,
                "digest": _digest(keyring, kind, value),
            }
        )

    def plain(text: str | None) -> Any:
        return json.loads(text) if text else None

    # Read before sealing: the values are still in the clear here.
    for cid, client_pk, payload in _rows(conn, "SELECT id, client_pk, payload FROM customer"):
        for value in dict.fromkeys(_tax_ids(plain(payload))):
            add(client_pk, cid, None, "tax_id", value)
    for pid, client_pk, cid, payload in _rows(
        conn,
        "SELECT p.id, c.client_pk, p.customer_id, p.payload FROM associated_party p "
        "JOIN customer c ON c.id = p.customer_id",
    ):
        for value in dict.fromkeys(_tax_ids(plain(payload))):
            add(client_pk, cid, pid, "tax_id", value)
    for aid, client_pk, cid, number in _rows(
        conn,
        "SELECT a.id, c.client_pk, a.customer_id, a.number FROM attachment a "
        "JOIN customer c ON c.id = a.customer_id WHERE a.number IS NOT NULL",
    ):
        add(client_pk, cid, aid, "document_number", number)
    for i in range(0, len(pending), 1000):
        conn.execute(table.insert(), pending[i : i + 1000])


def upgrade() -> None:
    op.create_table(
        "identifier_digest",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_pk", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"],
            ["api_client.id"],
            name=op.f("fk_identifier_digest_client_pk_api_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_identifier_digest_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identifier_digest")),
    )
    op.create_index("ix_identifier_digest_kind_digest", "identifier_digest", ["kind", "digest"])
    op.create_index(op.f("ix_identifier_digest_customer_id"), "identifier_digest", ["customer_id"])

    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        # Sealed values are text; SQLite keeps any text in any column, so only PostgreSQL changes types.
        for table, _key, column, _purpose, is_json in SEALED:
            using = f" USING {column}::text" if is_json else ""
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE TEXT{using}")
    if not _has_rows(conn):
        return
    keyring = _keyring()
    _fill_digests(conn, keyring)
    for table, key, column, purpose, is_json in SEALED:
        reseal_column(conn, keyring, table, key, column, purpose, json_null=is_json)


def downgrade() -> None:
    conn = op.get_bind()
    if _has_rows(conn):
        keyring = _keyring()
        for table, key, column, purpose, _is_json in SEALED:
            unseal_column(conn, keyring, table, key, column, purpose)
    if conn.dialect.name == "postgresql":
        types = {"phone": "VARCHAR(20)", "number": "VARCHAR(100)", "value": "VARCHAR(256)"}
        for table, _key, column, _purpose, is_json in SEALED:
            if table == "event":
                continue
            target = "JSON" if is_json else types[column]
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {target} USING {column}::{target}")
    op.drop_index(op.f("ix_identifier_digest_customer_id"), table_name="identifier_digest")
    op.drop_index("ix_identifier_digest_kind_digest", table_name="identifier_digest")
    op.drop_table("identifier_digest")
