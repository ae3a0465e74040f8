"""The checks of an attach survive their worker: a real ``tollgate worker`` process killed (SIGKILL) while it
decodes the customer's documents leaves nothing half decided; once its lease has run out another worker
takes the job over and decides the customer exactly once. And the checks have a deadline of their own:
an attempt that runs past it decides nothing and is retried."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from tests.documents import samples
from tests.jobs.test_leases import PROCESS_LEASE, _env, _wait, _worker_process
from tests.journeys import attach, create
from tollgate.db import unit_of_work
from tollgate.documents import service as documents
from tollgate.documents.models import AttachBatch, StoredFile
from tollgate.jobs import worker
from tollgate.jobs.models import Job
from tollgate.runtime import Runtime, build_runtime
from tollgate.verification.models import AuditEntry
from tollgate.webhooks.models import Event


def _status(api, headers, cid: str) -> str:
    return str(api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["customer_status"])


def _checks_job(runtime: Runtime, cid: str) -> Job | None:
    with runtime.read_sessions() as session:
        for job in session.scalars(select(Job).where(Job.kind == documents.CHECKS_JOB)):
            if job.payload.get("customer_id") == cid:
                return job
    return None


def _stored_without_findings(runtime: Runtime) -> None:
    """As files uploaded before findings were kept: the checks job must decode them itself."""
    with unit_of_work(runtime.write_sessions) as session:
        session.execute(update(StoredFile).values(findings=None))


def _batches(runtime: Runtime, cid: str) -> list[str]:
    with runtime.read_sessions() as session:
        return list(
            session.scalars(select(AttachBatch.status).where(AttachBatch.customer_id == uuid.UUID(cid)))
        )


def _trail(runtime: Runtime, cid: str) -> list[AuditEntry]:
    with runtime.read_sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.customer_id == uuid.UUID(cid))
                .order_by(AuditEntry.created_at, AuditEntry.id)
            )
        )


def _status_events(runtime: Runtime, cid: str) -> int:
    with runtime.read_sessions() as session:
        rows = session.scalars(
            select(Event.id).where(Event.customer_id == uuid.UUID(cid), Event.type == "customer.status")
        )
        return len(list(rows))


def test_a_worker_killed_while_it_decodes_the_checks_files_is_taken_over_and_decides_once(
    api, auth_headers, runtime, settings
):
    cid, tos = create(api, auth_headers, tag="approve")
    # Big scans, so that decoding them takes the worker a while: it is killed in the middle of it.
    files = {
        "passport": ("p.jpg", samples.jpeg_bytes(4000, 3000, seed=3)),
        "poa": ("b.pdf", samples.pdf_bytes(text="bill")),
    }
    attach(api, auth_headers, cid, tos, files=files)
    _stored_without_findings(runtime)
    events_before = _status_events(runtime, cid)
    env = _env(
        settings,
        TOLLGATE_JOB_LEASE_SECONDS=str(PROCESS_LEASE.total_seconds()),
        TOLLGATE_STORAGE_DIR=settings.storage_dir,
        TOLLGATE_DECODE_NICE="0",
    )
    proc = _worker_process(env, "--threads", "1")
    try:
        assert _wait(lambda: f":{proc.pid}:" in ((_checks_job(runtime, cid) or Job()).locked_by or "")), (
            proc.stderr.read() if proc.poll() is not None else "not claimed"
        )
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    # Killed mid-job: nothing of its decision landed.
    job = _checks_job(runtime, cid)
    assert job is not None and job.status == "running" and job.attempts == 1
    assert _status(api, auth_headers, cid) == "PROCESSING"
    assert _batches(runtime, cid) == [documents.PROCESSING]

    # Another worker takes the job over once the lease has run out, decodes the files and decides, once.
    assert _wait(lambda: worker.run_one(runtime, "other", lease=PROCESS_LEASE), timeout=20)
    job = _checks_job(runtime, cid)
    assert job is not None and job.status == "done" and job.attempts == 2
    assert job.last_error is not None and job.last_error.startswith("Worker lost: ")
    assert _status(api, auth_headers, cid) == "APPROVED"
    assert _batches(runtime, cid) == [documents.DONE]
    with runtime.read_sessions() as session:
        kept = list(session.scalars(select(StoredFile.findings)))
    assert kept and all(f is not None for f in kept)  # decoded by the second attempt and kept
    assert [a.to_status for a in _trail(runtime, cid) if a.action == "status"][-2:] == [
        "PROCESSING",
        "APPROVED",
    ]
    assert _status_events(runtime, cid) == events_before + 1  # one customer.status: APPROVED
    assert not worker.run_one(runtime, "other", lease=PROCESS_LEASE)


def test_checks_past_their_deadline_decide_nothing_and_are_retried(api, auth_headers, runtime, settings):
    cid, tos = create(api, auth_headers, tag="approve")
    files = {
        "passport": ("p.jpg", samples.jpeg_bytes(2400, 1800, seed=4)),
        "poa": ("b.pdf", samples.pdf_bytes(text="bill")),
    }
    attach(api, auth_headers, cid, tos, files=files)
    _stored_without_findings(runtime)
    hurried = build_runtime(
        settings.model_copy(update={"checks_deadline_seconds": 0.001}), runtime.clock, engine=runtime.engine
    )
    spec = worker.handlers()[documents.CHECKS_JOB]
    assert spec.deadline_for(hurried.settings) == timedelta(seconds=0.001)
    assert spec.deadline_for(settings) == timedelta(seconds=settings.checks_deadline_seconds)
    try:
        assert worker.run_one(hurried, "w1")
    finally:
        hurried.decoder.close()
    job = _checks_job(runtime, cid)
    assert job is not None and job.status == "queued" and job.attempts == 1
    assert job.last_error is not None and job.last_error.startswith(
        "Deadline exceeded: verification.checks ran longer than its 0.001 s deadline"
    )
    assert _status(api, auth_headers, cid) == "PROCESSING"
    assert _batches(runtime, cid) == [documents.PROCESSING]

    # With time enough, the retry decides.
    runtime.clock.offset += timedelta(minutes=10)  # type: ignore[attr-defined]
    assert worker.run_one(runtime, "w1")
    assert _status(api, auth_headers, cid) == "APPROVED"
    assert _checks_job(runtime, cid).status == "done"  # type: ignore[union-attr]
