"""The queue page: cases waiting for a person, filtered and searched, longest waiting first."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tollgate.console import queue, sessions
from tollgate.runtime import RuntimeDep
from tollgate.web.console import kit

router = APIRouter(include_in_schema=False)


def _filter(request: Request) -> tuple[queue.QueueFilter, dict[str, str]]:
    """The filter from the query string; anything unknown falls back to the default, never an error."""
    p = request.query_params
    given = {
        k: p.get(k, "")[:200] for k in ("status", "type", "client", "assignee", "age", "q", "after", "per")
    }
    per = int(given["per"]) if given["per"].isdigit() and 1 <= int(given["per"]) <= 200 else queue.PAGE_SIZE
    status = given["status"] if given["status"] in ("waiting", "all", *queue.ALL_STATUSES) else "waiting"
    ctype = given["type"] if given["type"] in ("INDIVIDUAL", "BUSINESS") else None
    try:
        client_pk = uuid.UUID(given["client"]) if given["client"] else None
    except ValueError:
        client_pk = None
    assignee = given["assignee"] if given["assignee"] in queue.ASSIGNEES else "anyone"
    try:
        age = float(given["age"]) if given["age"] else None
        if age is not None and not 0 < age < 100_000:
            age = None
    except ValueError:
        age = None
    q = given["q"].strip()
    f = queue.QueueFilter(
        status="all" if q and not given["status"] else status,
        type=ctype,
        client_pk=client_pk,
        assignee=assignee,
        min_age_hours=age,
        q=q,
        after=given["after"] or None,
        limit=per,
    )
    shown = {
        "status": f.status,
        "type": ctype or "",
        "client": str(client_pk) if client_pk else "",
        "assignee": assignee,
        "age": given["age"] if age else "",
        "q": q,
        "per": str(per) if per != queue.PAGE_SIZE else "",
    }
    return f, shown


@router.get("/console/queue")
async def queue_page(request: Request, runtime: RuntimeDep) -> Response:
    f, shown = _filter(request)
    sla = timedelta(hours=runtime.settings.console_sla_hours)

    def work(session: Session, signed: sessions.SignedIn) -> Response:
        now = runtime.now()
        page = queue.load(session, runtime.keyring, signed.operator, f, now, sla)
        counts = queue.counts(session, signed.operator)
        next_url = None
        if page.next_cursor:
            next_url = "/console/queue?" + urlencode(
                {**{k: v for k, v in shown.items() if v}, "after": page.next_cursor}
            )
        return kit.html(
            "queue.html",
            me=signed,
            csrf=signed.csrf_token,
            page=page,
            counts=counts,
            waiting_total=sum(counts[s] for s in queue.WAITING),
            shown=shown,
            statuses=queue.ALL_STATUSES,
            clients=queue.clients(session, signed.operator),
            sla_hours=runtime.settings.console_sla_hours,
            next_url=next_url,
            first_page=f.after is None,
        )

    return await kit.signed_in(request, runtime, work)
