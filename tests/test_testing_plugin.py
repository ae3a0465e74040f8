"""`tollgate.testing`, the pytest plugin for integrators: the example onboarding suite runs on it (on
PostgreSQL too when the suite does), its webhook inbox checks signatures, it costs nothing where it is not
used, and `tollgate serve --ephemeral` gives other languages the same server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.ephemeral import ephemeral_server
from tollgate.db import make_engine
from tollgate.testing.inbox import WebhookInbox, signature_is_valid
from tollgate.webhooks import signing

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "onboarding"


def _test_databases(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'tollgate_test_%'"))
            return {r[0] for r in rows}
    finally:
        engine.dispose()


def test_the_example_onboarding_suite_passes_and_leaves_nothing_behind(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    env["TMPDIR"] = str(tmp_path)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(EXAMPLE)]
    postgres = os.environ.get("TOLLGATE_TEST_DATABASE_URL")
    before = _test_databases(postgres) if postgres else set()
    if postgres:
        args += ["--tollgate-database-url", postgres]
    proc = subprocess.run(args, env=env, cwd=EXAMPLE, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "4 passed" in proc.stdout
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("tollgate-")] == []
    if postgres:
        assert _test_databases(postgres) <= before


def _post(inbox: WebhookInbox, body: bytes, signature: str) -> int:
    headers = {"content-type": "application/json", "x-fin-signature": signature}
    return httpx.post(inbox.url, content=body, headers=headers, timeout=10).status_code


def test_the_inbox_keeps_signed_events_and_refuses_the_others():
    inbox = WebhookInbox().start()
    try:
        inbox.secret = signing.new_secret()
        body = json.dumps(
            {
                "event": {"id": "e1", "type": "customer.status"},
                "data": {"customer_id": "c1", "customer_status": "APPROVED"},
            }
        ).encode()
        assert _post(inbox, body, signing.fin_signature(signing.new_secret(), body)) == 400
        assert inbox.refused == 1 and inbox.events() == []
        assert _post(inbox, body, signing.fin_signature(inbox.secret, body)) == 200
        assert signature_is_valid(inbox.secret, body, signing.fin_signature(inbox.secret, body))
        got = inbox.wait_for("customer.status", customer_id="c1", status="APPROVED", timeout=5)
        assert got.id == "e1"
        with pytest.raises(AssertionError, match="no customer.status event with .*REJECTED.*APPROVED"):
            inbox.wait_for("customer.status", customer_id="c1", status="REJECTED", timeout=0.2)
    finally:
        inbox.stop()


def test_the_plugin_loads_nothing_heavy_until_a_fixture_is_used():
    code = "import sys, tollgate.testing.plugin; print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'fastapi', 'httpx', 'uvicorn'}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_serve_ephemeral_prints_credentials_and_deletes_its_data_at_exit(tmp_path):
    with ephemeral_server(tmp_path) as line:
        assert set(line) == {"client_id", "client_secret", "base_url"}
        assert line["base_url"].startswith("http://127.0.0.1:")
        assert [p.name for p in tmp_path.iterdir()][0].startswith("tollgate-ephemeral-")
        creds = {"client_id": line["client_id"], "client_secret": line["client_secret"]}
        token = httpx.post(f"{line['base_url']}/v1/oauth/token", json=creds, timeout=10)
        assert token.status_code == 200, token.text
    assert list(tmp_path.iterdir()) == []
