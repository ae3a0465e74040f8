"""Enqueue, claim, complete and fail jobs."""

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


def claim(
    session: Session, worker: str, now: datetime, *, lease: timedelta, kinds: list[str] | None = None
) -> Job | None:
    """Take the oldest runnable job (or one whose worker's lease ran out) and lease it to ``worker``."""
    runnable = or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.locked_until < now),
    )
    stmt = select(Job).where(runnable).order_by(Job.run_at).limit(1).with_for_update(skip_locked=True)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    job = session.scalars(stmt).first()
    if job is None:
        return None
    job.status = JobStatus.RUNNING.value
    job.locked_by = worker
    job.locked_until = now + lease
    job.attempts += 1
    job.updated_at = now
    session.flush()
    return job


def complete(session: Session, job_id: uuid.UUID, worker: str, now: datetime) -> None:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.locked_by == worker, Job.status == JobStatus.RUNNING.value)
        .values(status=JobStatus.DONE.value, locked_by=None, locked_until=None, updated_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(str(job_id))


def backoff(attempt: int, *, base: float = 2.0, cap: float = 3600.0) -> timedelta:
    """Exponential backoff with full jitter."""
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
) -> JobStatus:
    """Record a failed attempt: back to the queue with backoff, or dead after the last attempt."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.locked_by != worker:
        return JobStatus.QUEUED
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
