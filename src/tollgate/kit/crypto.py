"""Personal data and server secrets at rest: AES-256-GCM with key ids, and keyed hashes for exact search.

A sealed value is one string ``tg1$<key id>$<base64url(nonce || ciphertext || tag)>``: the key id sits
beside the ciphertext, so old values stay readable after a new primary key is added and a rotation can
re-encrypt them at its own pace (``tollgate keys rotate``). Each value is bound to its purpose (the column
it lives in) as associated data, so a ciphertext copied into another column does not open.

Columns use :class:`Sealed` (text) or :class:`SealedJSON` (a JSON document). They find the keyring on the
engine's dialect (:func:`attach`), so every engine carries its own keys and no module holds them. Code that
stores bytes by hand (a read model, a cache) calls :meth:`Keyring.seal` and :meth:`Keyring.open`.

Exact search goes through :meth:`Keyring.blind_index`: an HMAC-SHA256 of the normalised value under a key
of its own, which never leaves the keyring and is not rotated with the data keys.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, Text, func, select, update
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "tg1"
_SEP = "$"
_NONCE = 12
# The most plaintext bytes (with their ciphertexts) a keyring keeps of values it has opened.
OPENED_CACHE_BYTES = 32 * 1024 * 1024
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_DIALECT_ATTR = "tollgate_keyring"


class KeyError_(Exception):
    """A keyring that cannot be used: missing, malformed, or lacking the key a value was sealed with."""


class SealError(KeyError_):
    """A sealed value that does not open (unknown key id, tampered bytes, wrong purpose)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh 256-bit key, as the key file and ``TOLLGATE_KEYS`` write it (base64url)."""
    return _b64(secrets.token_bytes(32))


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX + _SEP)


@dataclass(frozen=True)
class Keyring:
    """Data keys by id (``primary`` seals, every key opens) and the blind-index key."""

    keys: Mapping[str, bytes]
    primary: str
    index_key: bytes
    _aead: dict[str, AESGCM] = field(default_factory=dict, init=False, repr=False, compare=False)
    # Values already opened, by ciphertext: a list page opens the same phones read after read. Bounded
    # by bytes; emptied whole when full (cheaper than tracking recency, and refilled by the next reads).
    _opened: dict[tuple[str, str], bytes] = field(default_factory=dict, init=False, repr=False, compare=False)
    _opened_bytes: list[int] = field(default_factory=lambda: [0], init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.primary not in self.keys:
            raise KeyError_(f"the primary key id {self.primary!r} is not among the keys")
        for key_id, key in self.keys.items():
            if not _KEY_ID.match(key_id):
                raise KeyError_(f"key id {key_id!r}: use 1-32 letters, digits, '-' or '_'")
            if len(key) != 32:
                raise KeyError_(f"key {key_id!r} is {len(key)} bytes; AES-256-GCM keys are 32 bytes")
            self._aead[key_id] = AESGCM(key)
        if len(self.index_key) < 32:
            raise KeyError_("the index key must be at least 32 bytes")

    # -------------------------------------------------------------- sealing

    def seal(self, plaintext: bytes, purpose: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead[self.primary].encrypt(nonce, plaintext, purpose.encode())
        return f"{PREFIX}{_SEP}{self.primary}{_SEP}{_b64(nonce + sealed)}"

    def open(self, token: str, purpose: str) -> bytes:
        key = (token, purpose)
        found = self._opened.get(key)
        if found is not None:
            return found
        value = self._open(token, purpose)
        size = len(token) + len(value)
        if self._opened_bytes[0] + size > OPENED_CACHE_BYTES:
            self._opened.clear()
            self._opened_bytes[0] = 0
        self._opened[key] = value
        self._opened_bytes[0] += size
        return value

    def _open(self, token: str, purpose: str) -> bytes:
        try:
            prefix, key_id, body = token.split(_SEP, 2)
        except ValueError:
            raise SealError("not a sealed value") from None
        if prefix != PREFIX:
            raise SealError("not a sealed value")
        aead = self._aead.get(key_id)
        if aead is None:
            raise SealError(f"sealed with key {key_id!r}, which this keyring does not hold")
        raw = _unb64(body)
        try:
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode())
        except InvalidTag:
            raise SealError(f"a value sealed for {purpose!r} does not open: tampered or misplaced") from None

    def seal_text(self, text: str, purpose: str) -> str:
        return self.seal(text.encode(), purpose)

    def open_text(self, token: str, purpose: str) -> str:
        return self.open(token, purpose).decode()

    @staticmethod
    def key_id_of(token: str) -> str | None:
        parts = token.split(_SEP, 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None

    # -------------------------------------------------------------- search

    def blind_index(self, kind: str, value: str) -> str:
        """A keyed hash of ``value`` for exact search: separators and case do not matter."""
        normal = normalise_identifier(value)
        return hmac.new(self.index_key, f"{kind}\x00{normal}".encode(), hashlib.sha256).hexdigest()

    # -------------------------------------------------------------- files

    def to_document(self) -> dict[str, Any]:
        return {
            "primary": self.primary,
            "keys": {key_id: _b64(key) for key_id, key in self.keys.items()},
            "index_key": _b64(self.index_key),
        }

    @classmethod
    def from_document(cls, doc: Any, where: str) -> Keyring:
        try:
            keys = {str(k): _unb64(str(v)) for k, v in dict(doc["keys"]).items()}
            return cls(keys=keys, primary=str(doc["primary"]), index_key=_unb64(str(doc["index_key"])))
        except KeyError_ as exc:
            raise KeyError_(f"{where}: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise KeyError_(
                f"{where}: expected {{'primary': id, 'keys': {{id: base64}}, 'index_key': base64}} ({exc})"
            ) from None

    @classmethod
    def generate(cls, key_id: str = "k1") -> Keyring:
        return cls(keys={key_id: secrets.token_bytes(32)}, primary=key_id, index_key=secrets.token_bytes(32))

    def with_new_primary(self, key_id: str | None = None) -> Keyring:
        """This keyring plus a fresh key that becomes the primary (the old keys still open old values)."""
        if key_id is None:
            n = len(self.keys) + 1
            while f"k{n}" in self.keys:
                n += 1
            key_id = f"k{n}"
        if key_id in self.keys:
            raise KeyError_(f"key id {key_id!r} is already in the keyring")
        return Keyring(
            keys={**self.keys, key_id: secrets.token_bytes(32)}, primary=key_id, index_key=self.index_key
        )

    def without(self, key_ids: set[str]) -> Keyring:
        return Keyring(
            keys={k: v for k, v in self.keys.items() if k not in key_ids},
            primary=self.primary,
            index_key=self.index_key,
        )


_SEPARATORS = re.compile(r"[\s\-./]+")


def normalise_identifier(value: str) -> str:
    """Tax ids and document numbers compared as people type them: case, spaces, '-', '.', '/' ignored."""
    return _SEPARATORS.sub("", value).upper()


def write_key_file(path: Path, keyring: Keyring, extra: Mapping[str, str] | None = None) -> None:
    """Write ``path`` readable by its owner only, atomically (a crash leaves the old file or the new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = keyring.to_document() | dict(extra or {})
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_key_document(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyError_(f"cannot read the key file {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise KeyError_(f"{path}: the key file must hold a JSON object")
    return doc


# ------------------------------------------------------------------ columns


def attach(bind: Engine | Connection, keyring: Keyring) -> None:
    """Give ``bind``'s dialect the keyring its sealed columns use (each engine has its own dialect)."""
    setattr(bind.dialect, _DIALECT_ATTR, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    found = getattr(dialect, _DIALECT_ATTR, None)
    if not isinstance(found, Keyring):
        raise KeyError_("this database engine has no keyring: build it with tollgate.runtime or attach() one")
    return found


class Sealed(TypeDecorator[str]):
    """A text column stored sealed; ``purpose`` names the column (it is the AEAD associated data)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).seal_text(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).open_text(value, self.purpose)


def dump_json(value: Any) -> str:
    """Compact JSON keeping key order (stored request bodies come back in the order they were sent)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class SealedJSON(TypeDecorator[Any]):
    """A JSON document stored sealed (as text: the database never sees its structure)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).seal_text(dump_json(value), self.purpose)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(keyring_of(dialect).open(value, self.purpose))


# ------------------------------------------------------------------ bulk re-sealing


def reseal_column(
    conn: Connection,
    keyring: Keyring,
    table: str,
    key_column: str,
    column: str,
    purpose: str,
    *,
    json_null: bool = False,
    batch: int = 500,
) -> int:
    """Seal every plaintext value of ``table.column`` and re-seal every value not under the primary key,
    in batches of ``batch`` rows (keyset on ``key_column``); returns how many values changed. With
    ``json_null`` a stored JSON ``null`` becomes SQL NULL (sealed JSON columns keep None as NULL)."""
    t = sa_table(table, sa_column(key_column), sa_column(column, Text()))
    key, value = t.c[key_column], t.c[column]
    changed = 0
    last: Any = None
    while True:
        query = select(key, value).where(value.is_not(None)).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        rows = conn.execute(query).all()
        if not rows:
            return changed
        for row_key, stored in rows:
            new: str | None
            if is_sealed(stored):
                if keyring.key_id_of(stored) == keyring.primary:
                    continue
                new = keyring.seal(keyring.open(stored, purpose), purpose)
            elif json_null and stored.strip() == "null":
                new = None
            else:
                new = keyring.seal_text(stored, purpose)
            conn.execute(update(t).where(key == row_key).values({column: new}))
            changed += 1
        last = rows[-1][0]


def unseal_column(
    conn: Connection, keyring: Keyring, table: str, key_column: str, column: str, purpose: str
) -> None:
    """The reverse of :func:`reseal_column` (used by migrations going down)."""
    t = sa_table(table, sa_column(key_column), sa_column(column, Text()))
    key, value = t.c[key_column], t.c[column]
    for row_key, stored in conn.execute(select(key, value).where(value.is_not(None))).all():
        if is_sealed(stored):
            conn.execute(update(t).where(key == row_key).values({column: keyring.open_text(stored, purpose)}))


def count_not_under(conn: Connection, keyring: Keyring, table: str, column: str) -> int:
    """How many values of ``table.column`` are plaintext or sealed with a key other than the primary."""
    t = sa_table(table, sa_column(column, Text()))
    value = t.c[column]
    prefix = f"{PREFIX}{_SEP}{keyring.primary}{_SEP}"
    query = (
        select(func.count())
        .select_from(t)
        .where(value.is_not(None), ~value.startswith(prefix, autoescape=True))
    )
    return int(conn.execute(query).scalar_one())
