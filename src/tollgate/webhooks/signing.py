"""How deliveries are signed.

Each endpoint has one secret, issued as ``whsec_<base64 of 32 random bytes>``:

- ``x-fin-signature`` is Fin's: the hex HMAC-SHA256 of the exact body bytes, keyed with the secret string
  exactly as issued (its UTF-8 bytes, prefix included), so Fin's own verification code works with the
  secret pasted in as is. ``x-fin-signature-algorithm`` is ``sha256``.
- ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature`` follow Standard Webhooks: the key is the
  base64-decoded part after ``whsec_``, the signed content ``{id}.{timestamp}.{body}``, so the
  ``standardwebhooks`` libraries verify with the same secret string.

While a rotated-out secret is in its grace period, ``x-fin-signature`` is made with the newest secret and
``x-fin-signature-previous`` with the previous one; ``webhook-signature`` lists both (``v1,<new> v1,<old>``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from tollgate import __version__

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
ALGORITHM = "sha256"
USER_AGENT = f"Tollgate-Webhooks/{__version__}"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def fin_signature(secret: str, body: bytes) -> str:
    """Fin's ``x-fin-signature``: hex HMAC-SHA256 of the raw body, keyed with the secret string."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``webhook-signature`` entry: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(body: bytes, msg_id: str, active_secrets: Sequence[str], timestamp: int) -> dict[str, str]:
    """Every header of one attempt. ``active_secrets`` is newest first; ``timestamp`` is Unix seconds."""
    if not active_secrets:
        raise ValueError("no secret to sign with")
    out = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "x-fin-signature": fin_signature(active_secrets[0], body),
        "x-fin-signature-algorithm": ALGORITHM,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(standard_signature(s, msg_id, timestamp, body) for s in active_secrets),
    }
    if len(active_secrets) > 1:
        out["x-fin-signature-previous"] = fin_signature(active_secrets[1], body)
    return out
