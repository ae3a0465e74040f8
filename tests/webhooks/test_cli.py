"""The command line, run as a separate process against the test database."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from standardwebhooks import Webhook

from tests.webhooks.conftest import all_settled, cli_env, deliveries, individual, pump, spawn, tollgate
from tollgate.jobs.worker import drain


def test_endpoints_from_the_command_line(api, auth_headers, settings):
    env = cli_env(settings)
    r = tollgate(
        "webhooks",
        "add",
        "http://127.0.0.1:9/hooks",
        "--event-type",
        "customer.status",
        "--client",
        "main",
        env=env,
    )
    assert r.returncode == 0, r.stderr
    added = json.loads(r.stdout)
    assert added["secret"].startswith("whsec_") and added["event_types"] == ["customer.status"]

    r = tollgate("webhooks", "list", "--client", "main", "--json", env=env)
    listed = json.loads(r.stdout)
    assert [e["id"] for e in listed] == [added["id"]] and "secret" not in listed[0]
    # The API sees what the command line made.
    api_list = api.get("/v2/webhook-endpoints", headers=auth_headers).json()["data"]["webhook_endpoints"]
    assert [e["id"] for e in api_list] == [added["id"]]

    r = tollgate("webhooks", "rotate-secret", added["id"], "--grace", "0", "--client", "main", env=env)
    rotated = json.loads(r.stdout)
    assert rotated["secret"] != added["secret"] and rotated["previous_secret_expires_at"] is None

    r = tollgate("webhooks", "add", "http://169.254.1.1/", "--client", "main", env=env)
    assert r.returncode == 1 and "link-local" in r.stderr
    r = tollgate("webhooks", "list", "--client", "nobody", env=env)
    assert r.returncode == 1 and "no client" in r.stderr

    r = tollgate("webhooks", "remove", added["id"], "--client", "main", env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == {"deleted": added["id"]}
    assert api.get("/v2/webhook-endpoints", headers=auth_headers).json()["data"]["webhook_endpoints"] == []


def test_failed_deliveries_are_listed_and_resent(
    api, auth_headers, settings, clock, receivers, worker_runtime
):
    state = {"up": False}
    rec = receivers(lambda r, n: (200, {}, b"ok") if state["up"] else (500, {}, b"down"))
    rt = worker_runtime()
    env = cli_env(settings)
    assert tollgate("webhooks", "add", rec.url, "--client", "main", env=env).returncode == 0
    individual(api, auth_headers, 0)
    individual(api, auth_headers, 1)
    pump(rt, clock, lambda: all_settled(rt), step=timedelta(minutes=10))
    assert [d.status for d in deliveries(rt)] == ["failed", "failed"]

    r = tollgate("webhooks", "events", "--failed", "--json", "--client", "main", env=env)
    failed = json.loads(r.stdout)
    assert len(failed) == 2 and {e["deliveries"][0]["status"] for e in failed} == {"failed"}

    state["up"] = True
    # The command line runs on the wall clock; the deliveries failed on the test's moved clock.
    since = (rt.now() - timedelta(hours=2)).isoformat()
    r = tollgate("webhooks", "resend", "--failed-since", since, "--client", "main", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout) == {"resent": 2}
    drain(rt)
    assert sorted(rec.delivered_ids()) == sorted(e["event"]["id"] for e in failed)

    r = tollgate("webhooks", "resend", failed[0]["event"]["id"], "--client", "main", env=env)
    assert json.loads(r.stdout) == {"resent": 1, "event_id": failed[0]["event"]["id"]}
    drain(rt)
    assert rec.delivered_ids().count(failed[0]["event"]["id"]) == 2


def test_worker_once_delivers_what_is_due(api, auth_headers, settings, receivers):
    rec = receivers()
    env = cli_env(settings)
    assert (
        tollgate("webhooks", "add", rec.url, env=env).returncode == 0
    )  # the only client: no --client needed
    individual(api, auth_headers)
    r = tollgate("worker", "--once", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"jobs_run": 1}
    assert len(rec.delivered_ids()) == 1


def test_listen_forwards_new_events_signed(api, auth_headers, settings, receivers):
    rec = receivers()
    individual(api, auth_headers, 0)  # before listen starts: not forwarded
    proc = spawn(
        "listen", "--forward-to", rec.url, "--client", "main", "--max-events", "2", env=cli_env(settings)
    )
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("Ready! Forwarding events to " + rec.url), ready + proc.stderr.read()
        secret = proc.stdout.readline().strip().removeprefix("Signing secret: ")
        assert secret.startswith("whsec_")
        created = [individual(api, auth_headers, n) for n in (1, 2)]
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert [r.json["data"]["customer_id"] for r in rec.requests] == created
    for got in rec.requests:
        expected = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["x-fin-signature"] == expected
        Webhook(secret).verify(got.body, got.headers)
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert all("customer.created" in line and line.endswith(" ms)") and "-> [200]" in line for line in lines)
    assert [line.split()[2] for line in lines] == [r.event_id for r in rec.requests]
