"""Durability: a real server process SIGKILLed at random moments under a writer loop; every customer whose
create was acknowledged is readable, unchanged, after the restart (both backends)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.factories import individual_body

TRIALS = 5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        TOLLGATE_DATABASE_URL=settings.database_url,
        TOLLGATE_KEYS=settings.keys,
        TOLLGATE_STORAGE_DIR=settings.storage_dir,
        TOLLGATE_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
    )
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tollgate.cli.main", "serve", "--no-worker", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/countries", timeout=1)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"server did not come up:\n{log.read_text()}")


def _writer(base: str, token: str, acknowledged: dict[str, str], stop: threading.Event, n: int) -> None:
    with httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
        i = 0
        while not stop.is_set():
            i += 1
            phone = f"+1415555{1000 + (n * 300 + i) % 1000}"
            body = individual_body()
            body["basic_info"]["phone"] = phone
            try:
                r = client.post("/v2/customers/individual", json=body)
            except httpx.TransportError:
                return  # the server is gone: what was not answered was not acknowledged
            assert r.status_code == 200, r.text
            acknowledged[r.json()["data"]["customer_id"]] = phone


def test_every_acknowledged_customer_survives_a_sigkill(settings, make_client, tmp_path):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    creds = make_client("crash")
    proc = _start(settings, port, log)
    try:
        token = httpx.post(f"{base}/v1/oauth/token", json=creds.__dict__, timeout=10).json()["access_token"]
        acknowledged: dict[str, str] = {}
        for _trial in range(TRIALS):
            stop = threading.Event()
            writers = [
                threading.Thread(target=_writer, args=(base, token, acknowledged, stop, n)) for n in range(3)
            ]
            before = len(acknowledged)
            for w in writers:
                w.start()
            # Kill at a random moment once writes are flowing (a cold server answers its first slowly).
            deadline = time.monotonic() + 60
            while len(acknowledged) == before and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.5))
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
            stop.set()
            for w in writers:
                w.join(30)
            assert len(acknowledged) > before, "no create was acknowledged before the kill"
            proc = _start(settings, port, log)
            with httpx.Client(base_url=base, timeout=10, headers={"Authorization": f"Bearer {token}"}) as c:
                for cid, phone in acknowledged.items():
                    r = c.get(f"/v2/customers/{cid}")
                    assert r.status_code == 200, (cid, r.text)
                    assert r.json()["data"]["phone"] == phone
    finally:
        proc.kill()
        proc.wait(10)
