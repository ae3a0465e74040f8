"""The `tollgate` command as an operator runs it: a real process against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOLLGATE = [sys.executable, "-m", "tollgate.cli.main"]


@pytest.fixture
def cli(settings, tmp_path):
    env = {
        **os.environ,
        "TOLLGATE_DATABASE_URL": settings.database_url,
        "TOLLGATE_KEYS": settings.keys,
        "TOLLGATE_PUBLIC_BASE_URL": settings.public_base_url,
        "TOLLGATE_STORAGE_DIR": str(tmp_path / "files"),
        "TOLLGATE_HOME": str(tmp_path / "var"),
    }

    def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [*TOLLGATE, *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    run.env = env  # type: ignore[attr-defined]
    return run


def _token(api, creds: dict) -> dict:
    return api.post("/v1/oauth/token", json=creds)


def test_create_list_rotate(cli, api):
    created = json.loads(cli("clients", "create", "--name", "acme").stdout)
    assert set(created) == {"client_id", "client_secret"}
    first = _token(api, created)
    assert first.status_code == 200
    access = first.json()["access_token"]

    listed = json.loads(cli("clients", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["acme"]
    assert "client_secret" not in listed[0] and created["client_secret"] not in json.dumps(listed)

    rotated = json.loads(cli("clients", "rotate-secret", created["client_id"]).stdout)
    assert (
        rotated["client_id"] == created["client_id"] and rotated["client_secret"] != created["client_secret"]
    )
    # the old secret stops working, and so do the tokens issued before
    assert _token(api, created).status_code == 401
    assert (
        api.get(
            "/v2/customers", params={"type": "INDIVIDUAL"}, headers={"Authorization": f"Bearer {access}"}
        ).status_code
        == 401
    )
    refreshed = api.post("/v1/oauth/refresh-token", json={"refresh_token": first.json()["refresh_token"]})
    assert refreshed.status_code == 401
    assert _token(api, rotated).status_code == 200


def test_duplicate_name_is_refused(cli):
    cli("clients", "create", "--name", "acme")
    proc = cli("clients", "create", "--name", "acme", check=False)
    assert proc.returncode == 1 and "already exists" in proc.stderr + proc.stdout


def test_reliance_flag(cli, api):
    from tests.factories import individual_body

    creds = json.loads(cli("clients", "create", "--name", "trusted", "--reliance").stdout)
    token = _token(api, creds).json()["access_token"]
    r = api.post(
        "/v2/customers/individual",
        json=individual_body(verification_type="RELIANCE"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200


def test_bootstrap_is_idempotent(cli, tmp_path: Path):
    first = cli("bootstrap", "--credentials-file", str(tmp_path / "demo.json"))
    second = cli("bootstrap", "--credentials-file", str(tmp_path / "demo.json"))
    creds = json.loads((tmp_path / "demo.json").read_text())
    assert creds["client_id"] in first.stdout and creds["client_id"] in second.stdout
    assert oct((tmp_path / "demo.json").stat().st_mode & 0o777) == "0o600"
    listed = json.loads(cli("clients", "list", "--json").stdout)
    assert [c["name"] for c in listed] == ["demo"]


def test_rotate_unknown_client_fails(cli):
    proc = cli("clients", "rotate-secret", "nope", check=False)
    assert proc.returncode == 1
