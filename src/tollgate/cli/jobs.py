"""`tollgate jobs ...`: inspect and retry jobs that ran out of attempts."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tollgate.cli.common import fail, open_runtime, parse_uuid
from tollgate.db import unit_of_work
from tollgate.jobs import queue
from tollgate.kit.timefmt import fractional_z

jobs_app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown")


@jobs_app.command("dead")
def dead(limit: Annotated[int, typer.Option(min=1, help="How many, newest first")] = 100) -> None:
    """Jobs that failed on every attempt, newest first (JSON lines)."""
    runtime = open_runtime()
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
    runtime = open_runtime()
    with unit_of_work(runtime.write_sessions) as session:
        ok = queue.retry(session, parse_uuid(job_id, "the job id"), runtime.now())
    if not ok:
        fail(f"no dead job {job_id}")
    typer.echo(json.dumps({"id": job_id, "status": "queued"}))
