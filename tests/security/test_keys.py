"""Keys outside the database: live mode refuses to start without them, sandbox mode makes a key file,
rotation re-seals everything, and the migration seals what older versions stored in the clear.

Each test here runs on a database of its own (a SQLite file), since it changes the keys under it."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import individual_body
from tests.security.dump import file_bytes
from tollgate.app import create_app
from tollgate.auth import service as auth
from tollgate.cli.common import migrate_database
from tollgate.config import Settings
from tollgate.customers import search
from tollgate.db import unit_of_work
from tollgate.keystore import load_key_source
from tollgate.kit.crypto import Keyring, read_key_document
from tollgate.runtime import build_runtime

TOLLGATE = [sys.executable, "-m", "tollgate.cli.main"]
TAX_ID = "523-45-6781"
PHONE = "+14155550177"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        TOLLGATE_DATABASE_URL=f"sqlite:///{tmp_path / 'own.db'}",
        TOLLGATE_KEY_FILE=str(tmp_path / "keys.json"),
        TOLLGATE_STORAGE_DIR=str(tmp_path / "files"),
    )
    env.update(extra)
    return env


def _run(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TOLLGATE, *args],
        env=_env(tmp_path, **extra),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _raw(db: Path) -> bytes:
    return file_bytes(db)


def _db(path: Path) -> contextlib.closing[sqlite3.Connection]:
    """A connection that is closed (not only committed) when the block ends."""
    return contextlib.closing(sqlite3.connect(path, isolation_level=None))


def _rows_as_text(db: Path) -> str:
    """Every value of every row, as text."""
    out = []
    with _db(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            out.extend(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
    return "\n".join(out)


def _flat(text: str) -> str:
    """Terminal output with its line wrapping undone."""
    return " ".join(text.split())


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'own.db'}",
        key_file=str(tmp_path / "keys.json"),
        storage_dir=str(tmp_path / "files"),
        public_base_url="http://tollgate.test",
    )


def _customer(settings: Settings) -> tuple[str, auth.IssuedCredentials]:
    """A client and one customer made over HTTP on ``settings``' database; returns the customer id."""
    runtime = build_runtime(settings)
    with unit_of_work(runtime.write_sessions) as session:
        creds = auth.create_client(session, runtime.keys, runtime.now(), name="own")
    with TestClient(create_app(settings, runtime=runtime), base_url="http://tollgate.test") as api:
        token = api.post("/v1/oauth/token", json=creds.__dict__).json()["access_token"]
        body = individual_body()
        body["basic_info"]["phone"] = PHONE
        body["basic_info"]["tax_info"][0]["document_id"] = TAX_ID
        r = api.post("/v2/customers/individual", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
    runtime.engine.dispose()
    return r.json()["data"]["customer_id"], creds


def _reads_back(settings: Settings, cid: str, creds: auth.IssuedCredentials) -> None:
    """A server started on ``settings`` logs the client in, shows the customer, finds it by tax id."""
    runtime = build_runtime(settings)
    with TestClient(create_app(settings, runtime=runtime), base_url="http://tollgate.test") as api:
        token = api.post("/v1/oauth/token", json=creds.__dict__)
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert api.get(f"/v2/customers/{cid}", headers=headers).json()["data"]["phone"] == PHONE
    with unit_of_work(runtime.read_sessions) as session:
        assert search.find_customers(session, runtime.keyring, search.TAX_ID, TAX_ID) == [uuid.UUID(cid)]
    runtime.engine.dispose()


def test_live_mode_refuses_to_start_without_keys_outside_the_database(tmp_path):
    assert _run(tmp_path, "migrate").returncode == 0
    r = _run(tmp_path, "serve", "--port", "1", TOLLGATE_MODE="live")
    assert r.returncode == 1
    assert "cannot start: no data keys" in _flat(r.stderr) and "tollgate keys init" in _flat(r.stderr)
    assert "Traceback" not in r.stdout + r.stderr
    # Data keys alone are not enough: the signing key and pepper must not come from the database.
    only_data = json.dumps(Keyring.generate().to_document())
    r = _run(tmp_path, "serve", "--port", "1", TOLLGATE_MODE="live", TOLLGATE_KEYS=only_data)
    assert r.returncode == 1
    assert "live mode needs the signing key and the secret pepper outside the database" in _flat(r.stderr)
    # With a key file from `keys init`, live mode runs.
    assert _run(tmp_path, "keys", "init").returncode == 0
    assert oct((tmp_path / "keys.json").stat().st_mode & 0o777) == "0o600"
    doc = read_key_document(tmp_path / "keys.json")
    assert doc["signing_key"] and doc["secret_pepper"]
    r = _run(tmp_path, "clients", "create", "--name", "live-one", TOLLGATE_MODE="live")
    assert r.returncode == 0, r.stdout + r.stderr
    live = _settings(tmp_path).model_copy(update={"mode": "live"})
    assert load_key_source(live).signing_key == doc["signing_key"]
    # ...and keeps nothing of them in the database.
    with _db(tmp_path / "own.db") as db:
        assert db.execute("SELECT count(*) FROM server_key").fetchone() == (0,)
    assert _run(tmp_path, "keys", "init").returncode == 1  # never overwritten


def test_sandbox_mode_writes_a_key_file_and_keeps_its_generated_secrets_sealed(tmp_path):
    settings = _settings(tmp_path)
    migrate_database(settings.database_url)
    cid, creds = _customer(settings)
    assert oct((tmp_path / "keys.json").stat().st_mode & 0o777) == "0o600"
    keyring = load_key_source(settings).keyring
    with _db(tmp_path / "own.db") as db:
        stored = dict(db.execute("SELECT name, value FROM server_key").fetchall())
    assert set(stored) == {auth.SIGNING_KEY, auth.PEPPER_KEY}
    raw = _raw(tmp_path / "own.db")
    for value in stored.values():
        secret = keyring.open_text(value, "server_key.value")
        assert secret.encode() not in raw
    _reads_back(settings, cid, creds)


def test_rotation_re_seals_every_value_and_retires_the_old_key(tmp_path):
    settings = _settings(tmp_path)
    migrate_database(settings.database_url)
    cid, creds = _customer(settings)
    assert read_key_document(tmp_path / "keys.json")["primary"] == "k1"

    r = _run(tmp_path, "keys", "rotate", "--retire")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "new primary key k2" in _flat(r.stdout) and "retired k1" in _flat(r.stdout)
    doc = read_key_document(tmp_path / "keys.json")
    assert doc["primary"] == "k2" and list(doc["keys"]) == ["k2"]
    rows = _rows_as_text(tmp_path / "own.db")
    assert "tg1$k1$" not in rows and "tg1$k2$" in rows
    status = _run(tmp_path, "keys", "status")
    assert status.returncode == 0 and "primary: k2" in status.stdout
    _reads_back(settings, cid, creds)


def test_the_migration_seals_values_stored_in_the_clear_by_earlier_versions(tmp_path):
    """A database written by the version before sealing (revision 0005), as it stored a customer."""
    from alembic import command

    from tollgate.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'own.db'}"
    command.upgrade(alembic_config(url), "0005")
    body = individual_body()
    body["basic_info"]["phone"] = PHONE
    body["basic_info"]["tax_info"][0]["document_id"] = TAX_ID
    client, cid = uuid.uuid4(), uuid.uuid4()
    with _db(tmp_path / "own.db") as db:
        db.execute(
            "INSERT INTO api_client VALUES (?, 'cid', 'old', 'x', 1, 0, NULL, '2026-01-01', '2026-01-01')",
            (client.hex,),
        )
        db.execute(
            "INSERT INTO customer (id, client_pk, type, seq, api_version, verification_type, status, email, "
            "phone, country, first_name, last_name, tos_policies_value, payload, created_at, updated_at, "
            "last_status_updated_at) VALUES (?, ?, 'INDIVIDUAL', 1, 2, 'STANDARD', 'INCOMPLETE', 'a@b.c', ?, "
            "'USA', 'A', 'B', 'v', ?, '2026-01-01', '2026-01-01', '2026-01-01')",
            (cid.hex, client.hex, PHONE, json.dumps(body)),
        )
        db.execute("INSERT INTO server_key VALUES ('jwt_signing_key', 'old-plain-signing-key', '2026-01-01')")
    keyring = Keyring.generate()
    migrate_database(url, keyring=keyring)

    with _db(tmp_path / "own.db") as db:
        phone, payload = db.execute("SELECT phone, payload FROM customer").fetchone()
        (signing,) = db.execute("SELECT value FROM server_key").fetchone()
    assert keyring.open_text(phone, "customer.phone") == PHONE
    assert json.loads(keyring.open_text(payload, "customer.payload")) == body
    assert keyring.open_text(signing, "server_key.value") == "old-plain-signing-key"
    assert TAX_ID not in _rows_as_text(tmp_path / "own.db")
    # Old pages may keep the plaintext until SQLite reuses them; VACUUM (as docs/security.md says) clears them.
    with _db(tmp_path / "own.db") as db:
        db.execute("VACUUM")
    raw = _raw(tmp_path / "own.db")
    assert TAX_ID.encode() not in raw and PHONE.encode() not in raw
    with _db(tmp_path / "own.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM identifier_digest WHERE digest = ?",
            (keyring.blind_index("tax_id", TAX_ID),),
        ).fetchone()
    assert count == 1


@pytest.fixture(autouse=True)
def _no_shared_database():
    """These tests bring their own database; the shared one is left alone."""
    yield
