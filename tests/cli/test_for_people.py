"""The `tollgate` command for the people who type it: help on every command and option, a fast
`tollgate --help`, and a user's mistakes answered with one line that says what to do, never a traceback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_clients_cli import TOLLGATE, cli  # noqa: F401 - the fixture
from tests.sandbox.test_simulate import MISSING_POA
from tollgate.cli.main import COMMANDS, app, load

RFI = MISSING_POA


def _every_command() -> list[tuple[list[str], object]]:
    """(path, command) for every command and group of `tollgate`."""
    found: list[tuple[list[str], object]] = []

    def walk(path: list[str], command: object) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk([*path, name], sub)

    for name in COMMANDS:
        walk([name], load(name))
    return found


def test_every_command_and_option_has_help_and_no_bool_metavar():
    runner = CliRunner()
    commands = _every_command()
    assert len(commands) > 40
    for path, command in commands:
        assert command.help, f"tollgate {' '.join(path)} has no help"  # type: ignore[attr-defined]
        for param in command.params:  # type: ignore[attr-defined]
            assert param.help, f"tollgate {' '.join(path)}: {param.name} has no help"
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
        assert shown.exit_code == 0, (path, shown.output)
        assert "Traceback" not in shown.output and "<bool>" not in shown.output, shown.output
        assert "``" not in shown.output and ":func:" not in shown.output, shown.output


def test_the_list_of_commands_says_what_each_command_says_of_itself():
    for name, entry in COMMANDS.items():
        own = (load(name).help or "").split("\n\n")[0]
        assert " ".join(own.split()) == entry.help, name


def test_help_loads_neither_the_database_layer_nor_the_web_app():
    code = (
        "import sys\n"
        "from tollgate.cli.main import main\n"
        "sys.argv = ['tollgate', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'fastapi', 'pydantic'))\n"
        "print('HEAVY', heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "migrate" in proc.stdout and "review" in proc.stdout
    assert proc.stdout.strip().endswith("HEAVY []"), proc.stdout[-400:]


def test_python_dash_m_tollgate_is_tollgate():
    proc = subprocess.run(
        [sys.executable, "-m", "tollgate", "version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout.startswith("tollgate 0."), proc.stderr


def _run(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TOLLGATE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def _user_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_")}
    return {**env, "TOLLGATE_HOME": str(tmp_path / "home"), **settings}


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return " ".join(proc.stderr.split())


def test_no_database_yet_says_to_migrate(tmp_path):
    proc = _run(_user_env(tmp_path), "clients", "list", cwd=tmp_path)
    assert proc.returncode == 1
    said = _one_line(proc)
    assert "there is no database at" in said and "run `tollgate migrate`" in said, said
    assert not (tmp_path / "home" / "tollgate.db").exists()


def test_a_database_never_migrated_says_to_migrate(tmp_path):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()
    env = _user_env(tmp_path, TOLLGATE_DATABASE_URL=f"sqlite:///{db}")
    for args in (["serve", "--port", "1"], ["clients", "list"], ["review", "queue"]):
        proc = _run(env, *args, cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        said = _one_line(proc)
        assert "is not migrated: run `tollgate migrate`" in said, said


def test_a_database_that_cannot_be_opened_says_why(tmp_path):
    # Port 9 (discard) on loopback: nothing listens there.
    env = _user_env(tmp_path, TOLLGATE_DATABASE_URL="postgresql://tollgate:secret@127.0.0.1:9/tollgate")
    proc = _run(env, "clients", "list", cwd=tmp_path)
    assert proc.returncode == 1
    said = _one_line(proc)
    assert "cannot open the database postgresql://tollgate:***@127.0.0.1:9/tollgate" in said, said
    assert "secret" not in said


def test_bad_bodies_say_what_is_wrong_as_the_api_would(cli, tmp_path):  # noqa: F811
    cid = "00000000-0000-4000-8000-000000000001"
    (tmp_path / "broken.json").write_text('{"rfis": [')
    broken = cli("review", "request-info", cid, "--operator", "x", "--body", "broken.json", check=False)
    assert broken.returncode == 2 and "--body: not JSON" in _one_line(broken)
    (tmp_path / "empty.json").write_text('{"rfis": []}')
    empty = cli("review", "request-info", cid, "--operator", "x", "--body", "empty.json", check=False)
    said = _one_line(empty)
    assert empty.returncode == 2 and "Validation failed: rfis: List should have at least 1 item" in said, said
    missing = cli("sandbox", "request-information", cid, "--client", "x", "--body", "nope.json", check=False)
    assert missing.returncode == 2 and "--body: cannot read nope.json" in _one_line(missing)
    not_uuid = cli("review", "show", "not-an-id", check=False)
    assert not_uuid.returncode == 2 and "must be a UUID" in not_uuid.stderr
    assert "Traceback" not in not_uuid.stderr


def test_an_unknown_status_lists_the_valid_ones(cli):  # noqa: F811
    proc = cli("review", "queue", "--status", "WAITING", check=False)
    assert proc.returncode == 2
    said = _one_line(proc)
    assert "WAITING" in said and "REVIEWING" in said and "ACTION_REQUIRED" in said, said


def test_reference_seeding_twice_and_party_rfis_from_review(cli):  # noqa: F811
    first = cli("seed", "--client", "acme", "--reference")
    summary = json.loads(first.stdout.splitlines()[-1])
    business = summary["reference"]["action_required_business"]
    again = cli("seed", "--client", "acme", "--reference", "--individuals", "2")
    said = _one_line(again)
    assert "exist already" in said and business in said
    assert json.loads(again.stdout.splitlines()[-1])["created"] == 2

    cli("operators", "create", "--username", "rita", "--password-stdin", input="a long enough password\n")
    view = json.loads(cli("review", "show", business).stdout)
    jane = next(
        p for p in view["customer"]["associated_parties"] if p["verification"]["status"] == "REJECTED"
    )
    before = view["customer"]["request_for_information"]
    proc = cli(
        "review",
        "party-request-info",
        business,
        jane["id"],
        "--operator",
        "rita",
        "--body",
        "-",
        input=json.dumps(RFI),
    )
    after = json.loads(proc.stdout)["request_for_information"]
    [raised] = [entry for entry in after if entry not in before]
    assert raised["scope"] == "ASSOCIATED_PARTY" and raised["section"] == "address_documents", raised
    assert jane["id"] in json.dumps(raised)

    refused = cli("review", "approve", business, "--operator", "rita", check=False)
    assert refused.returncode == 1
    assert "refused: A customer in ACTION_REQUIRED cannot be approved" in _one_line(refused)


@pytest.mark.parametrize("columns", ["40", "200"])
def test_tables_print_ids_whole_however_narrow_the_terminal(cli, columns):  # noqa: F811
    created = json.loads(cli("clients", "create", "--name", "a-client-with-a-long-name").stdout)
    proc = subprocess.run(
        [*TOLLGATE, "clients", "list"],
        env={**cli.env, "COLUMNS": columns},  # type: ignore[attr-defined]
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert created["client_id"] in proc.stdout, proc.stdout
