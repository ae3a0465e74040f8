"""Where the server's keys come from: the environment or a key file, never the database alone.

- Data keys (the keyring that seals personal data, docs/security.md): ``TOLLGATE_KEYS`` (a JSON keyring
  document) or the key file ``TOLLGATE_KEY_FILE`` (default ``keys.json`` in the data home,
  ``TOLLGATE_HOME``). Sandbox mode writes a new key file on first start when there is none; live mode
  refuses to start without one.
- The JWT signing key and the client-secret pepper: ``TOLLGATE_SIGNING_KEY`` / ``TOLLGATE_SECRET_PEPPER``
  or the key file's ``signing_key`` / ``secret_pepper``. Live mode refuses to start without them; sandbox
  mode generates them once and keeps them in the database sealed with the data keys, so a dump of the
  database alone does not give them away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tollgate.config import Settings
from tollgate.kit.crypto import KeyError_, Keyring, read_key_document, write_key_file


class MissingKeys(KeyError_):
    """Live mode without the keys it needs; the message says what to set."""


@dataclass(frozen=True)
class KeySource:
    keyring: Keyring
    # The key file the keyring came from (None when it came from TOLLGATE_KEYS).
    file: Path | None
    signing_key: str | None
    secret_pepper: str | None


def key_file_path(settings: Settings) -> Path:
    return Path(settings.key_file) if settings.key_file else settings.home / "keys.json"


_HOW = (
    "run `tollgate keys init` to write a key file (TOLLGATE_KEY_FILE, default keys.json in TOLLGATE_HOME), "
    "or set TOLLGATE_KEYS, TOLLGATE_SIGNING_KEY and TOLLGATE_SECRET_PEPPER; docs/security.md explains each"
)


def load_key_source(settings: Settings, *, create: bool | None = None) -> KeySource:
    """The keys for ``settings``. ``create`` (default: in sandbox mode) writes a new key file when none
    exists; live mode without keys raises :class:`MissingKeys`."""
    create = settings.sandbox if create is None else create
    path = key_file_path(settings)
    doc: dict[str, object] = {}
    if path.exists():
        doc = read_key_document(path)
    if settings.keys:
        try:
            env_doc = json.loads(settings.keys)
        except ValueError as exc:
            raise KeyError_(f"TOLLGATE_KEYS is not JSON: {exc}") from None
        keyring = Keyring.from_document(env_doc, "TOLLGATE_KEYS")
        source_file: Path | None = None
    elif doc:
        keyring = Keyring.from_document(doc, str(path))
        source_file = path
    elif create:
        keyring = Keyring.generate()
        write_key_file(path, keyring)
        source_file = path
    else:
        raise MissingKeys(f"no data keys: {_HOW}")
    signing = settings.signing_key or _text(doc.get("signing_key"))
    pepper = settings.secret_pepper or _text(doc.get("secret_pepper"))
    if not settings.sandbox and (signing is None or pepper is None):
        missing = [n for n, v in (("signing key", signing), ("secret pepper", pepper)) if v is None]
        raise MissingKeys(f"live mode needs the {' and the '.join(missing)} outside the database: {_HOW}")
    return KeySource(keyring, source_file, signing, pepper)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
