"""Every ORM model, imported in one place so Alembic and tests see the whole schema."""

from tollgate.auth import cache as _auth_cache  # noqa: F401 - registers the auth counter's hooks
from tollgate.auth.models import ApiClient, AuthEpoch, RefreshFamily, RefreshToken, ServerKey
from tollgate.console.models import CaseAssignment, CaseNote, OperatorSession, ProposedDecision
from tollgate.customers import readmodel as _readmodel  # noqa: F401 - registers the read model's writer
from tollgate.customers import search as _search  # noqa: F401 - registers the blind-index writer
from tollgate.customers.models import (
    AssociatedParty,
    Customer,
    CustomerCounter,
    CustomerView,
    IdentifierDigest,
)
from tollgate.db import Base
from tollgate.documents.models import AttachBatch, Attachment, StoredFile
from tollgate.idempotency import IdempotencyKey
from tollgate.jobs.models import Job
from tollgate.ratelimit import RateLimitCounter
from tollgate.sandbox.models import SandboxClient
from tollgate.verification.models import AuditEntry, Operator, Rfi
from tollgate.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint

__all__ = [
    "ApiClient",
    "AssociatedParty",
    "AttachBatch",
    "Attachment",
    "AuditEntry",
    "AuthEpoch",
    "Base",
    "CaseAssignment",
    "CaseNote",
    "Customer",
    "CustomerCounter",
    "CustomerView",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "IdempotencyKey",
    "IdentifierDigest",
    "Job",
    "Operator",
    "OperatorSession",
    "ProposedDecision",
    "RateLimitCounter",
    "RefreshFamily",
    "RefreshToken",
    "Rfi",
    "SandboxClient",
    "ServerKey",
    "StoredFile",
    "WebhookEndpoint",
]
