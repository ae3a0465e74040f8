"""A real worker process with the test job kinds registered (tests/jobs/test_leases.py). Run from the
repository's root as ``python -m tests.jobs.worker_process worker [--once] [--threads N]``: the arguments
are those of ``tollgate``."""

from __future__ import annotations

import os
import time

from sqlalchemy.orm import Session

from tollgate.jobs import queue
from tollgate.jobs.worker import JobContext, handler

MARKER = "test.marker"  # a kind no worker runs: a row of it is a handler's committed work


def slow(session: Session, ctx: JobContext) -> None:
    """Sleeps ``payload["sleep"]`` seconds on its first attempt, with no transaction open, then records
    one marker in the job's transaction."""
    if ctx.attempt == 1:
        time.sleep(float(str(ctx.payload["sleep"])))
    queue.enqueue(session, MARKER, {"job_id": str(ctx.job_id), "attempt": ctx.attempt}, ctx.now())


def poison(session: Session, ctx: JobContext) -> None:
    """Kills the worker process that runs it, like a crash in native code or the out-of-memory killer."""
    os._exit(3)


def main() -> None:
    handler("test.slow")(slow)
    handler("test.poison")(poison)
    from tollgate.cli.main import app

    app(prog_name="tollgate")


if __name__ == "__main__":
    main()
