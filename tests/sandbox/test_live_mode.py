"""Live mode has no sandbox: every /sandbox path is 404, magic values are ordinary emails, clocks are real."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.conftest import BASE_URL
from tests.sandbox.conftest import Integrator

from tollgate.app import create_app
from tollgate.config import Mode
from tollgate.runtime import Runtime, build_runtime

NOT_FOUND = {"message": "Resource not found"}
PATHS = [
    ("GET", "/sandbox/clock"),
    ("POST", "/sandbox/clock"),
    ("DELETE", "/sandbox/clock"),
    ("POST", "/sandbox/reset"),
    ("GET", "/sandbox/webhook-faults"),
    ("POST", "/sandbox/webhook-faults"),
    ("DELETE", "/sandbox/webhook-faults"),
    ("POST", "/sandbox/customers/00000000-0000-4000-8000-000000000000/approve"),
    ("POST", "/sandbox/customers/00000000-0000-4000-8000-000000000000/reject"),
    ("POST", "/sandbox/customers/00000000-0000-4000-8000-000000000000/request-information"),
    ("POST", "/sandbox/customers/00000000-0000-4000-8000-000000000000/hold"),
    ("POST", "/sandbox/customers/00000000-0000-4000-8000-000000000000/associated-parties/x/approve"),
]


@pytest.fixture
def live(runtime: Runtime, clock) -> Iterator[tuple[TestClient, Runtime]]:
    # Live mode takes its signing key and pepper from outside the database: the same ones, here.
    settings = runtime.settings.model_copy(
        update={
            "mode": Mode.LIVE,
            "signing_key": runtime.keys.signing_key.decode(),
            "secret_pepper": runtime.keys.pepper.decode(),
        }
    )
    live_runtime = build_runtime(settings, clock, engine=runtime.engine)
    live_runtime.write_sessions.configure(info={"settings": settings})
    live_runtime.read_sessions.configure(info={"settings": settings})
    with TestClient(create_app(settings, runtime=live_runtime), base_url=BASE_URL) as client:
        yield client, live_runtime


@pytest.mark.parametrize(("method", "path"), PATHS)
def test_sandbox_paths_are_404_in_live_mode(live, make_client, method, path):
    api, live_runtime = live
    assert api.request(method, path).status_code == 404
    integrator = Integrator(api, make_client("live-client"), live_runtime)
    r = api.request(method, path, headers=integrator.headers, json={"advance_by": "P1D"})
    assert r.status_code == 404 and r.json() == NOT_FOUND


def test_sandbox_paths_are_not_404_in_sandbox_mode(integrator):
    assert integrator.api.get("/sandbox/clock", headers=integrator.headers).status_code == 200


def test_magic_values_are_ordinary_emails_in_live_mode(live, make_client):
    api, live_runtime = live
    integrator = Integrator(api, make_client("live-client"), live_runtime)
    cid, tos = integrator.individual("john+reject@example.com")
    integrator.attach_individual(cid, tos)
    integrator.drain()
    # Live mode: no auto-approval, no magic: the clean checks send it to a reviewer.
    assert integrator.detail(cid)["customer_status"] == "REVIEWING"
