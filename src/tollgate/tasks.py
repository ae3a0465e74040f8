"""Imports every module that registers job handlers (``@handler(kind)``)."""

from tollgate.verification import checks  # noqa: F401
from tollgate.webhooks import tasks as _webhooks  # noqa: F401
