"""Uploads under load, against a real ``tollgate serve`` process on 127.0.0.1 with its default four
request threads: many at once all answer, and slow clients hold nothing another tenant needs.

An upload authenticates in a short read, reads its body with no transaction open, inspects and stores
its files outside any transaction and records them in one short write transaction: so neither the number
of request threads nor the database's writer lock can be held by a client that is still sending.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from tests.documents import samples
from tests.documents.conftest import _free_port
from tests.factories import individual_body
from tests.live import stop_process
from tollgate.auth import service as auth
from tollgate.config import Settings
from tollgate.db import unit_of_work
from tollgate.documents.models import StoredFile
from tollgate.runtime import Runtime

CLIENT_TIMEOUT = 30.0
PARALLEL_UPLOADS = 100
DRIPS = 25
DRIP_SECONDS = 0.5


@dataclass(frozen=True)
class Server:
    url: str
    host: str
    port: int
    log: Path


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``tollgate serve --no-worker`` on the test database, with the default request threads."""
    work = tmp_path_factory.mktemp("upload-load")
    log = work / "server.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOLLGATE_") or k == "TOLLGATE_HOME"}
    env.update(
        {
            "TOLLGATE_DATABASE_URL": settings.database_url,
            "TOLLGATE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TOLLGATE_STORAGE_DIR": str(work / "files"),
            "TOLLGATE_MODE": settings.mode.value,
            # The test database's data keys: the server opens what the tests sealed, and they what it seals.
            "TOLLGATE_KEYS": settings.keys or "",
        }
    )
    command = [sys.executable, "-m", "tollgate.cli.main", "serve", "--no-worker", "--host", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
            try:
                httpx.get(f"{url}/__ready", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not answer:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield Server(url, "127.0.0.1", port, log)
    finally:
        stop_process(process)


def _token(server: Server, creds: auth.IssuedCredentials) -> str:
    r = httpx.post(
        f"{server.url}/v1/oauth/token",
        json={"client_id": creds.client_id, "client_secret": creds.client_secret},
        timeout=CLIENT_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


@pytest.fixture
def tenant(server: Server, make_client: Callable[..., auth.IssuedCredentials]) -> Callable[[str], Tenant]:
    def make(name: str) -> Tenant:
        creds = make_client(name)
        return Tenant(creds, {"Authorization": f"Bearer {_token(server, creds)}"})

    return make


@dataclass(frozen=True)
class Tenant:
    creds: auth.IssuedCredentials
    headers: dict[str, str]


def _create(server: Server, tenant: Tenant) -> str:
    r = httpx.post(
        f"{server.url}/v2/customers/individual",
        json=individual_body(),
        headers=tenant.headers,
        timeout=CLIENT_TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["customer_id"])


def _stored(runtime: Runtime, client_pk: uuid.UUID) -> list[StoredFile]:
    with unit_of_work(runtime.read_sessions) as session:
        return list(session.scalars(select(StoredFile).where(StoredFile.client_pk == client_pk)))


def _client_pk(runtime: Runtime, creds: auth.IssuedCredentials) -> uuid.UUID:
    from tollgate.auth.models import ApiClient

    with unit_of_work(runtime.read_sessions) as session:
        pk = session.scalar(select(ApiClient.id).where(ApiClient.client_id == creds.client_id))
    assert pk is not None
    return pk


# --- many uploads at once ---------------------------------------------------------------------------


def test_a_hundred_parallel_uploads_all_answer_and_a_token_follows_at_once(server, tenant, runtime):
    owner = tenant("uploader")
    customer_id = _create(server, owner)
    png = samples.png_bytes(640, 800, noisy=False)

    async def upload(client: httpx.AsyncClient, i: int) -> httpx.Response | Exception:
        try:
            return await client.post(
                "/v1/customers/upload",
                headers=owner.headers,
                data={"customer_id": customer_id},
                files={"passport": (f"p{i}.png", png, "image/png")},
            )
        except httpx.HTTPError as exc:  # a timeout is an answer that never came
            return exc

    async def all_at_once() -> list[httpx.Response | Exception]:
        limits = httpx.Limits(max_connections=PARALLEL_UPLOADS, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT, limits=limits) as client:
            return await asyncio.gather(*(upload(client, i) for i in range(PARALLEL_UPLOADS)))

    started = time.monotonic()
    answers = asyncio.run(all_at_once())
    uploads_seconds = time.monotonic() - started
    statuses = [a.status_code if isinstance(a, httpx.Response) else type(a).__name__ for a in answers]
    assert statuses == [200] * PARALLEL_UPLOADS, Counter(map(str, statuses))

    before = time.monotonic()
    token = _token(server, owner.creds)
    token_seconds = time.monotonic() - before
    print(
        f"\n{PARALLEL_UPLOADS} uploads in {uploads_seconds:.2f} s; token right after: {token_seconds:.3f} s"
    )
    assert token
    assert token_seconds < 5.0  # a generous bound for shared CI machines; typically well under 0.1 s

    uris = {
        next(iter(a.json()["data"]["files"][0].values())) for a in answers if isinstance(a, httpx.Response)
    }
    rows = _stored(runtime, _client_pk(runtime, owner.creds))
    assert len(uris) == len(rows) == PARALLEL_UPLOADS
    assert {r.uri for r in rows} == uris
    assert all(r.customer_id == uuid.UUID(customer_id) for r in rows)
    assert all(r.findings is not None and r.findings["problems"] == [] for r in rows)


# --- slow clients ------------------------------------------------------------------------------------


def _multipart(boundary: str, png: bytes) -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="passport"; filename="slow.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + png
        + f"\r\n--{boundary}--\r\n".encode()
    )


async def _drip_upload(server: Server, token: str, png: bytes, tail: int, done: list[int]) -> int:
    """Send the headers and most of the body at once, then the last ``tail`` bytes one every half
    second; return the status the server answers."""
    boundary = uuid.uuid4().hex
    body = _multipart(boundary, png)
    head = (
        "POST /v1/customers/upload HTTP/1.1\r\n"
        f"Host: {server.host}:{server.port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(head + body[:-tail])
        await writer.drain()
        for i in range(len(body) - tail, len(body)):
            await asyncio.sleep(DRIP_SECONDS)
            writer.write(body[i : i + 1])
            await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), CLIENT_TIMEOUT)
        done.append(1)
        return int(status_line.split()[1])
    finally:
        writer.close()


def test_slow_drip_uploads_do_not_stop_another_tenants_creates_and_reads(server, tenant):
    dripper = tenant("dripper")
    other = tenant("other")
    png = samples.png_bytes(640, 800, noisy=False)
    tail = 12  # six seconds of dripping per upload

    async def scenario() -> tuple[list[int], list[tuple[str, int, float]], int]:
        done: list[int] = []
        drips = [
            asyncio.create_task(_drip_upload(server, dripper.headers["Authorization"][7:], png, tail, done))
            for _ in range(DRIPS)
        ]
        await asyncio.sleep(1.0)  # every drip has sent its headers and most of its body
        timings: list[tuple[str, int, float]] = []
        async with httpx.AsyncClient(base_url=server.url, timeout=CLIENT_TIMEOUT) as client:
            for _ in range(3):
                t0 = time.monotonic()
                r = await client.post(
                    "/v2/customers/individual", json=individual_body(), headers=other.headers
                )
                timings.append(("create", r.status_code, time.monotonic() - t0))
                customer_id = r.json()["data"]["customer_id"] if r.status_code == 200 else "none"
                t0 = time.monotonic()
                r = await client.get(f"/v2/customers/{customer_id}", headers=other.headers)
                timings.append(("detail", r.status_code, time.monotonic() - t0))
                t0 = time.monotonic()
                r = await client.get("/v2/customers?type=INDIVIDUAL", headers=other.headers)
                timings.append(("list", r.status_code, time.monotonic() - t0))
            t0 = time.monotonic()
            r = await client.post(
                "/v1/oauth/token",
                json={"client_id": other.creds.client_id, "client_secret": other.creds.client_secret},
            )
            timings.append(("token", r.status_code, time.monotonic() - t0))
        finished_while_dripping = len(done)
        statuses = await asyncio.gather(*drips)
        return statuses, timings, finished_while_dripping

    statuses, timings, finished_early = asyncio.run(scenario())
    print(
        "\n" + ", ".join(f"{what} {status} in {seconds * 1000:.0f} ms" for what, status, seconds in timings)
    )
    expected = {"create": 200, "detail": 200, "list": 200, "token": 200}
    assert [(what, status) for what, status, _ in timings] == [(w, expected[w]) for w, _, _ in timings]
    # the other tenant's work was done while every drip was still sending its body
    assert finished_early == 0
    # and the slow uploads themselves are kept
    assert statuses == [200] * DRIPS
