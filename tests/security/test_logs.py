"""No personal data or secrets in logs: database errors without their parameters, the demo client's
secret on a terminal only."""

from __future__ import annotations

import json
import logging
import os
import pty
import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import BASE_URL
from tollgate.app import create_app

TAX_ID = "523-45-6781"


def test_a_database_error_is_logged_without_its_parameters(runtime, caplog):
    app = create_app(runtime.settings, runtime=runtime)

    def broken() -> None:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT id FROM no_such_table WHERE tax_id = :tax_id"), {"tax_id": TAX_ID})

    app.add_api_route("/broken", broken)
    with (
        caplog.at_level(logging.ERROR),
        TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as c,
    ):
        r = c.get("/broken")
    assert r.status_code == 500
    assert TAX_ID not in r.text
    logged = caplog.text
    assert "unhandled error on GET /broken" in logged and "no_such_table" in logged
    assert "SQL parameters hidden" in logged
    assert TAX_ID not in logged


def _env(settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(TOLLGATE_DATABASE_URL=settings.database_url, TOLLGATE_KEYS=settings.keys)
    return env


def test_bootstrap_writes_the_demo_secret_to_a_terminal_only(settings, tmp_path):
    creds_file = tmp_path / "demo.json"
    admin_file = tmp_path / "admin.json"
    cmd = [
        sys.executable,
        "-m",
        "tollgate.cli.main",
        "bootstrap",
        "--credentials-file",
        str(creds_file),
        "--admin-file",
        str(admin_file),
    ]
    # As `make run > server.log` runs it: output redirected, no controlling terminal.
    logged = subprocess.run(
        cmd,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        check=False,
    )
    assert logged.returncode == 0, logged.stderr
    secret = json.loads(creds_file.read_text())["client_secret"]
    assert secret not in logged.stdout + logged.stderr
    assert "not written: the output is not a terminal" in logged.stdout
    assert json.loads(creds_file.read_text())["client_id"] in logged.stdout
    # The console's first admin likewise: its name and the console's URL in the log, never its password.
    admin = json.loads(admin_file.read_text())
    assert admin["password"] not in logged.stdout + logged.stderr
    assert f"username:      {admin['username']}" in logged.stdout
    assert "reviewer console: " in logged.stdout and "/console" in logged.stdout
    assert "password:      (not written: the output is not a terminal)" in logged.stdout
    assert oct(admin_file.stat().st_mode & 0o777) == "0o600"

    # On a terminal, the person who ran it sees the secret.
    leader, follower = pty.openpty()
    proc = subprocess.run(
        cmd,
        env=_env(settings),
        stdout=follower,
        stderr=follower,
        timeout=120,
        start_new_session=True,
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert secret.encode() in shown
    assert admin["password"].encode() in shown  # kept in the file: shown again on the next run
