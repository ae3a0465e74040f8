"""`tollgate operators ...` run as a real process against the test database, checked through the console."""

from __future__ import annotations

import json

from tests.cli.test_clients_cli import cli  # noqa: F401 - the fixture
from tests.console.helpers import sign_in

PASSWORD = "a long enough password"


def test_create_list_roles_disable_enable_reset(cli, api):  # noqa: F811
    created = json.loads(
        cli(
            "operators",
            "create",
            "--username",
            "alice",
            "--role",
            "senior",
            "--password-stdin",
            input=PASSWORD + "\n",
        ).stdout
    )
    assert created["username"] == "alice" and created["role"] == "senior" and created["clients"] == "all"
    again = cli(
        "operators", "create", "--username", "alice", "--password-stdin", input=PASSWORD + "\n", check=False
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    short = cli("operators", "create", "--username", "bob", "--password-stdin", input="short\n", check=False)
    assert short.returncode == 1 and "at least 12 characters" in short.stderr

    assert sign_in(api, "alice", PASSWORD).status_code == 303
    api.cookies.clear()

    changed = json.loads(cli("operators", "set-role", "alice", "admin").stdout)
    assert changed["role"] == "admin"
    bad = cli("operators", "set-role", "alice", "boss", check=False)
    assert bad.returncode == 2

    assert json.loads(cli("operators", "disable", "alice").stdout)["disabled"] is True
    assert sign_in(api, "alice", PASSWORD).status_code == 401
    assert json.loads(cli("operators", "enable", "alice").stdout)["disabled"] is False

    for _ in range(5):
        sign_in(api, "alice", "wrong password!!")
    listed = [json.loads(line) for line in cli("operators", "list").stdout.splitlines()]
    assert [o["username"] for o in listed] == ["alice"]
    assert listed[0]["locked_until"] is not None
    assert json.loads(cli("operators", "unlock", "alice").stdout)["locked_until"] is None

    cli("operators", "reset-password", "alice", "--password-stdin", input="another long password\n")
    assert sign_in(api, "alice", PASSWORD).status_code == 401
    api.cookies.clear()
    assert sign_in(api, "alice", "another long password").status_code == 303
    missing = cli("operators", "disable", "nobody", check=False)
    assert missing.returncode == 1 and "no operator named" in missing.stderr


def test_limit_to_api_clients(cli):  # noqa: F811
    acme = json.loads(cli("clients", "create", "--name", "acme").stdout)
    made = json.loads(
        cli(
            "operators",
            "create",
            "--username",
            "carol",
            "--client",
            "acme",
            "--password-stdin",
            input=PASSWORD + "\n",
        ).stdout
    )
    assert made["clients"] == ["acme"]
    changed = json.loads(cli("operators", "set-clients", "carol", "--client", acme["client_id"]).stdout)
    assert changed["clients"] == ["acme"]
    assert json.loads(cli("operators", "set-clients", "carol").stdout)["clients"] == "all"
    bad = cli("operators", "set-clients", "carol", "--client", "nope", check=False)
    assert bad.returncode == 1 and "no API client" in bad.stderr


def test_bootstrap_creates_the_first_admin_once(cli, tmp_path, api):  # noqa: F811
    first = cli("bootstrap")
    admin = json.loads((tmp_path / "var" / "console-admin.json").read_text())
    assert admin["username"] == "admin" and admin["console"].endswith("/console")
    assert "reviewer console: http://tollgate.test/console" in first.stdout
    second = cli("bootstrap")
    assert "username:      admin" in second.stdout
    listed = [json.loads(line) for line in cli("operators", "list").stdout.splitlines()]
    assert [(o["username"], o["role"]) for o in listed] == [("admin", "admin")]
    assert sign_in(api, "admin", admin["password"]).status_code == 303
