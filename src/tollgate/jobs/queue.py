"""Enqueue, claim, renew, complete and fail jobs."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from tollgate.jobs.models import Job
from tollgate.kit.ids import new_uuid


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class LeaseLost(Exception):
    """The job's lease expired and another worker took it; this worker's work must be rolled back."""


# How many abandoned last attempts one claim buries at most; the next claims bury the rest.
_BURY_BATCH = 100


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    # ``now`` and ``run_at`` are on the server's clock, which the workers compare with.
    job = Job(
        id=new_uuid(),
        kind=kind,
        payload=dict(payload),
        status=JobStatus.QUEUED.value,
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    return job


def worker_lost(job: Job) -> str:
    """The error recorded for an attempt whose worker stopped renewing its lease (killed, or stuck)."""
    return (
        f"Worker lost: {job.locked_by} stopped renewing the lease of attempt {job.attempts} "
        f"of {job.max_attempts} before it finished"
    )


def _bury_abandoned(session: Session, now: datetime) -> None:
    """Park as dead the running jobs whose last attempt's worker was lost: they never run again.

    A job that kills its worker (a crash in native code, the out-of-memory killer) would otherwise be
    taken back after every lease and kill worker after worker."""
    stmt = (
        select(Job)
        .where(
            Job.status == JobStatus.RUNNING.value,
            Job.locked_until < now,
            Job.attempts >= Job.max_attempts,
        )
        .limit(_BURY_BATCH)
        .with_for_update(skip_locked=True)
    )
    for job in session.scalars(stmt):
        job.last_error = worker_lost(job) + "; no attempts left"
        job.status = JobStatus.DEAD.value
        job.locked_by = None
        job.locked_until = None
        job.updated_at = now


def claim(
    session: Session, worker: str, now: datetime, *, lease: timedelta, kinds: list[str] | None = None
) -> Job | None:
    """Take the oldest runnable job (or one whose worker's lease ran out and that has attempts left)
    and lease it to ``worker``. A lost attempt counts as a failed one."""
    _bury_abandoned(session, now)
    runnable = or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        and_(
            Job.status == JobStatus.RUNNING.value,
            Job.locked_until < now,
            Job.attempts < Job.max_attempts,
        ),
    )
    stmt = select(Job).where(runnable).order_by(Job.run_at).limit(1).with_for_update(skip_locked=True)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    job = session.scalars(stmt).first()
    if job is None:
        return None
    if job.status == JobStatus.RUNNING.value:
        job.last_error = worker_lost(job)
    job.status = JobStatus.RUNNING.value
    job.locked_by = worker
    job.locked_until = now + lease
    job.attempts += 1
    job.updated_at = now
    session.flush()
    return job


def renew(session: Session, job_id: uuid.UUID, worker: str, now: datetime, *, lease: timedelta) -> bool:
    """Extend ``worker``'s lease to ``now + lease``; False when the lease is no longer its own."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING.value)
        .values(locked_until=now + lease, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def holds(session: Session, job_id: uuid.UUID, worker: str) -> bool:
    """Whether ``worker`` still holds the job's lease; the row stays locked until the transaction ends."""
    stmt = (
        select(Job.id)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING.value)
        .with_for_update()
    )
    return session.scalar(stmt) is not None


def complete(session: Session, job_id: uuid.UUID, worker: str, now: datetime) -> None:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING.value)
        .values(status=JobStatus.DONE.value, locked_by=None, locked_until=None, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(str(job_id))


def backoff(attempt: int, *, base: float = 2.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff with "equal jitter": a random wait between half the step and the whole step
    (``base * 2**(attempt-1)``, at most ``cap``), so retries spread out yet never come back early."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not crypto


def fail(
    session: Session,
    job_id: uuid.UUID,
    worker: str,
    now: datetime,
    error: str,
    *,
    retry_at: datetime | None = None,
) -> JobStatus | None:
    """Record a failed attempt: back to the queue with backoff, or dead after the last attempt. None when
    the lease is no longer ``worker``'s (the attempt was already settled, or taken over)."""
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.locked_by != worker or job.status != JobStatus.RUNNING.value:
        return None
    job.last_error = error[:4000]
    job.locked_by = None
    job.locked_until = None
    job.updated_at = now
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.DEAD.value
    else:
        job.status = JobStatus.QUEUED.value
        job.run_at = retry_at or now + backoff(job.attempts)
    return JobStatus(job.status)


def dead_jobs(session: Session, limit: int = 100) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(Job.status == JobStatus.DEAD.value).order_by(Job.updated_at.desc()).limit(limit)
        )
    )


def retry(session: Session, job_id: uuid.UUID, now: datetime) -> bool:
    """Put a dead job back in the queue with a fresh set of attempts."""
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.DEAD.value)
        .values(status=JobStatus.QUEUED.value, attempts=0, run_at=now, updated_at=now, last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
