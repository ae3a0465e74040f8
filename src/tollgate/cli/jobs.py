"""`tollgate jobs ...`: inspect and retry jobs that ran out of attempts."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from tollgate.config import get_settings
from tollgate.db import unit_of_work
from tollgate.jobs import queue
from tollgate.kit.timefmt import fractional_z
from tollgate.runtime import build_runtime

jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)


@jobs_app.command("dead")
def dead(limit: Annotated[int, typer.Option()] = 100) -> None:
    """Jobs that failed on every attempt, newest first (JSON lines)."""
    runtime = build_runtime(get_settings())
    with unit_of_work(runtime.read_sessions) as session:
        for job in queue.dead_jobs(session, limit):
            typer.echo(
                json.dumps(
                    {
                        "id": str(job.id),
                        "kind": job.kind,
                        "payload": job.payload,
                        "attempts": job.attempts,
                        "failed_at": fractional_z(job.updated_at),
                        "last_error": (job.last_error or "").strip().splitlines()[-1:] or None,
                    }
                )
            )


@jobs_app.command("retry")
def retry(job_id: Annotated[str, typer.Argument(help="A dead job's id")]) -> None:
    """Queue a dead job again with a fresh set of attempts."""
    runtime = build_runtime(get_settings())
    with unit_of_work(runtime.write_sessions) as session:
        ok = queue.retry(session, uuid.UUID(job_id), runtime.now())
    if not ok:
        typer.echo(f"no dead job {job_id}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps({"id": job_id, "status": "queued"}))
