"""`tollgate sandbox ...`: the simulation API, clock, faults and reset from the command line."""

from __future__ import annotations

import json

from tests.sandbox.conftest import tollgate

from tollgate.config import Mode


def reviewing(integrator) -> str:
    cid, tos = integrator.individual("john+review@example.com")
    integrator.attach_individual(cid, tos)
    integrator.drain()
    return cid


def test_decisions_from_the_command_line(integrator, settings):
    cid = reviewing(integrator)
    body = {"rfis": [{"section": "address_documents", "categories": [
        {"document_type": "UTILITY_BILL", "fields": [{"field_name": "files", "data_type": "URI", "status": "MISSING"}]}
    ]}]}  # fmt: skip
    r = tollgate(settings, "sandbox", "request-information", "--client", "integrator", cid, "--body", "-",
                 stdin=json.dumps(body))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["customer_status"] == "ACTION_REQUIRED"
    r = tollgate(settings, "sandbox", "hold", "--client", "integrator", cid, "--reason", "EDD")
    assert r.returncode == 0 and json.loads(r.stdout)["customer_status"] == "IN_COMPLIANCE"
    r = tollgate(settings, "sandbox", "reject", "--client", "integrator", cid, "--label", "FORGERY")
    assert r.returncode == 0, r.stderr
    assert integrator.detail(cid)["rejection_reason"]["applicant"]["reject_labels"] == ["FORGERY"]
    r = tollgate(settings, "sandbox", "approve", "--client", "integrator", cid)
    assert r.returncode == 1 and "A customer in REJECTED cannot be approved" in r.stderr


def test_another_clients_customer_is_refused(integrator, other_integrator, settings):
    cid = reviewing(integrator)
    r = tollgate(settings, "sandbox", "approve", "--client", "someone-else", cid)
    assert r.returncode == 1 and "Resource not found" in r.stderr
    assert integrator.detail(cid)["customer_status"] == "REVIEWING"


def test_clock_faults_and_reset_from_the_command_line(integrator, settings):
    r = tollgate(settings, "sandbox", "clock", "--client", "integrator", "--advance-by", "PT2H")
    assert r.returncode == 0 and json.loads(r.stdout)["offset_seconds"] == 7200
    r = tollgate(settings, "sandbox", "clock", "--client", "integrator", "--advance-by", "60")
    assert json.loads(r.stdout)["offset_seconds"] == 7260
    r = tollgate(settings, "sandbox", "clock", "--client", "integrator", "--real-time")
    assert json.loads(r.stdout)["real_time"] is True
    r = tollgate(settings, "sandbox", "webhook-faults", "--client", "integrator", "--duplicate", "0.5")
    assert json.loads(r.stdout) == {"duplicate": 0.5, "delay_seconds": 0.0, "reorder": False}
    assert (
        integrator.api.get("/sandbox/webhook-faults", headers=integrator.headers).json()["data"]["duplicate"]
        == 0.5
    )
    integrator.individual("john@example.com")
    r = tollgate(settings, "sandbox", "reset", "--client", "integrator", "--yes")
    assert r.returncode == 0 and json.loads(r.stdout)["customers"] == 1


def test_sandbox_commands_refuse_live_mode(integrator, settings, runtime):
    live = settings.model_copy(
        update={
            "mode": Mode.LIVE,
            "signing_key": runtime.keys.signing_key.decode(),
            "secret_pepper": runtime.keys.pepper.decode(),
        }
    )
    r = tollgate(live, "sandbox", "clock", "--client", "integrator")
    assert r.returncode == 1 and "sandbox mode only" in r.stderr
