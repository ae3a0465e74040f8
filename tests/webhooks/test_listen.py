"""``tollgate listen`` (webhooks.listen) forwards every event exactly once, in the order the events
committed, whatever the sandbox clock does: moved forward, moved back, or the sandbox reset."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.webhooks.conftest import individual
from tollgate.auth.models import ApiClient
from tollgate.db import unit_of_work
from tollgate.webhooks import service
from tollgate.webhooks.listen import Forwarded, listen
from tollgate.webhooks.signing import new_secret


def _client_pk(runtime, name: str = "main"):
    with unit_of_work(runtime.read_sessions) as session:
        return session.scalars(select(ApiClient.id).where(ApiClient.name == name)).one()


def _wait(predicate, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_listen_forwards_each_event_once_whatever_the_clock_does(api, auth_headers, runtime, receivers):
    rec = receivers()
    pk = _client_pk(runtime)
    individual(api, auth_headers, 0)  # before the listener starts: not forwarded
    with unit_of_work(runtime.read_sessions) as session:
        after = service.last_event_number(session, pk)
    forwarded: list[Forwarded] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=listen,
        args=(runtime, pk, rec.url, new_secret(), forwarded.append),
        kwargs={"after": after, "poll_seconds": 0.05, "stop": stop},
        daemon=True,
    )
    thread.start()
    try:
        created = []
        r = api.post("/sandbox/clock", json={"advance_by": "PT20M"}, headers=auth_headers)
        assert r.status_code == 200, r.text
        created.append(individual(api, auth_headers, 1))
        _wait(lambda: len(forwarded) == 1)
        # The clock goes back a year: the next events are older than the ones already forwarded.
        back = (datetime.now(UTC) - timedelta(days=365)).isoformat()
        r = api.post("/sandbox/clock", json={"set_to": back}, headers=auth_headers)
        assert r.status_code == 200, r.text
        created.append(individual(api, auth_headers, 2))
        created.append(individual(api, auth_headers, 3))
        _wait(lambda: len(forwarded) == 3)  # (a reset deletes events the listener has not read yet)
        # Then the sandbox is reset (its customers and events deleted) and the clock set to now.
        assert api.post("/sandbox/reset", headers=auth_headers).status_code == 200
        r = api.post("/sandbox/clock", json={"set_to": datetime.now(UTC).isoformat()}, headers=auth_headers)
        assert r.status_code == 200, r.text
        created.append(individual(api, auth_headers, 4))
        _wait(lambda: len(forwarded) >= len(created))
        time.sleep(0.5)  # nothing more arrives
    finally:
        stop.set()
        thread.join(timeout=10)
    assert [r.json["data"]["customer_id"] for r in rec.requests] == created
    ids = [f.event_id for f in forwarded]
    assert len(ids) == len(set(ids)) == len(created)
    stamps = [f.created_at for f in forwarded]
    assert stamps[1] < stamps[0]  # the clock did go back


def test_events_list_newest_first_by_commit_order_across_a_clock_moved_back(api, auth_headers):
    first = individual(api, auth_headers, 1)
    back = (datetime.now(UTC) - timedelta(days=365)).isoformat()
    assert api.post("/sandbox/clock", json={"set_to": back}, headers=auth_headers).status_code == 200
    second = individual(api, auth_headers, 2)
    third = individual(api, auth_headers, 3)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"per_page": 1, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v2/events", params=params, headers=auth_headers).json()["data"]
        seen.extend(e["data"]["customer_id"] for e in page["events"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert seen == [third, second, first]
