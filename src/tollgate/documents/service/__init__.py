"""Uploads and attaches: which files a caller may use, and what an accepted attach sets in motion.

- ``uploads``: a multipart upload, inspected and stored outside any transaction, then recorded in one
  short write transaction.
- ``rules``: the checks of an attach body (and of an RFI answer); they only collect errors.
- ``batches``: what an accepted attach writes (attachments, batch, checks job) and the checks' reads.
- ``attach``: the three attach commands, built from the two above.
"""

from tollgate.documents.service.attach import attach_business, attach_individual, attach_parties, load_owned
from tollgate.documents.service.batches import (
    CHECKS_JOB,
    DONE,
    NOT_ELIGIBLE,
    PROCESSING,
    active_attachments,
    add_attachment,
    add_business_document,
    add_individual_address,
    add_individual_identity,
    add_party_documents,
    bind_files,
    files_by_uri,
    finish_batch,
    in_flight,
    record_tos_attestation,
    start_batch,
)
from tollgate.documents.service.rules import (
    TWO_SIDED,
    check_files,
    check_individual_address,
    check_individual_identity,
    check_party_documents,
    check_tos,
    check_unique,
)
from tollgate.documents.service.uploads import Uploaded

__all__ = [
    "CHECKS_JOB",
    "DONE",
    "NOT_ELIGIBLE",
    "PROCESSING",
    "TWO_SIDED",
    "Uploaded",
    "active_attachments",
    "add_attachment",
    "add_business_document",
    "add_individual_address",
    "add_individual_identity",
    "add_party_documents",
    "attach_business",
    "attach_individual",
    "attach_parties",
    "bind_files",
    "check_files",
    "check_individual_address",
    "check_individual_identity",
    "check_party_documents",
    "check_tos",
    "check_unique",
    "files_by_uri",
    "finish_batch",
    "in_flight",
    "load_owned",
    "record_tos_attestation",
    "start_batch",
]
