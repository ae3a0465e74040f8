"""The request guard (guard.py) over real sockets: a body is limited and an anonymous caller refused before
the body is read, each answer in the endpoint's dialect; the upload's own limits name the limit that
applies; crafted inputs that once gave 500s get the endpoint's client error; every answer, a 500
included, carries ``X-Request-Id``."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import BASE_URL
from tests.documents import samples
from tests.factories import business_body, individual_body
from tests.live import live_server
from tollgate.app import create_app
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.runtime import Runtime
from tollgate.verification import operators

LIMIT = 64 * 1024
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(runtime: Runtime) -> Iterator[str]:
    with live_server(runtime, request_max_body_bytes=LIMIT, upload_max_file_bytes=LIMIT) as (base, _):
        yield base


@pytest.fixture
def token(server: str, make_client) -> str:
    creds = make_client()
    r = httpx.post(
        f"{server}/v1/oauth/token", json={"client_id": creds.client_id, "client_secret": creds.client_secret}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _answer_without_body(base: str, path: str, headers: dict[str, str], length: int) -> tuple[int, bytes]:
    """Send only the headers of a POST that declares ``length`` body bytes and read the answer: a server
    that waited for the body would never answer (the socket times out)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, "connection closed without an answer"
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        length_line = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
        body_length = int(length_line[0].split(b":")[1]) if length_line else 0
        while len(rest) < body_length:
            chunk = sock.recv(65536)
            assert chunk
            rest += chunk
        return status, rest


def _customers(runtime: Runtime) -> int:
    with runtime.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Customer)) or 0)


@pytest.mark.parametrize(
    "path", ["/v2/customers/individual", "/v2/customers/business", "/v1/customers/upload"]
)
def test_a_caller_without_a_token_is_refused_before_its_body_is_read(server: str, path: str) -> None:
    started = time.monotonic()
    status, body = _answer_without_body(server, path, {"Content-Type": "application/json"}, 300_000_000)
    assert status == 401
    assert json.loads(body) == {"message": "Authentication failed"}
    assert time.monotonic() - started < 5


def test_a_forged_token_is_refused_before_the_body_is_read(server: str, token: str) -> None:
    header, payload, _ = token.split(".")
    forged = f"{header}.{payload}.{base64.urlsafe_b64encode(b'x' * 32).decode().rstrip('=')}"
    status, _ = _answer_without_body(
        server, "/v2/customers/individual", {"Authorization": f"Bearer {forged}"}, 300_000_000
    )
    assert status == 401


@pytest.mark.parametrize(
    ("path", "authenticated", "expected"),
    [
        # The token endpoint needs no token: its body is limited all the same (its dialect: {message}).
        ("/v1/oauth/token", False, {"message": f"Request body is larger than the limit of {LIMIT} bytes"}),
        (
            "/v2/customers/individual",
            True,
            {"message": f"Request body is larger than the limit of {LIMIT} bytes"},
        ),
        # The field-map endpoints answer {status, message}.
        (
            "/v2/customers/business",
            True,
            {"status": 413, "message": f"Request body is larger than the limit of {LIMIT} bytes"},
        ),
    ],
)
def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(
    server: str, token: str, path: str, authenticated: bool, expected: dict[str, object]
) -> None:
    headers = {"Content-Type": "application/json"}
    if authenticated:
        headers["Authorization"] = f"Bearer {token}"
    status, body = _answer_without_body(server, path, headers, 300_000_000)
    assert status == 413
    assert json.loads(body) == expected


def test_a_streamed_body_is_cut_off_at_the_limit_and_nothing_is_written(
    server: str, token: str, runtime: Runtime
) -> None:
    body = individual_body()
    body["padding"] = "x" * (LIMIT * 4)
    raw = json.dumps(body).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for i in range(0, len(raw), 8192):
            yield raw[i : i + 8192]

    r = httpx.post(
        f"{server}/v2/customers/individual",
        content=chunks(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json() == {"message": f"Request body is larger than the limit of {LIMIT} bytes"}
    assert r.headers["x-request-id"]
    assert _customers(runtime) == 0


def test_a_body_within_the_limit_is_served(server: str, token: str, runtime: Runtime) -> None:
    r = httpx.post(
        f"{server}/v2/customers/business", json=business_body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 201, r.text
    assert _customers(runtime) >= 1


def _upload(server: str, token: str, content_type: str | None = None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    return httpx.post(f"{server}/v1/customers/upload", headers=headers, **kwargs)  # type: ignore[arg-type]


def test_the_upload_counts_files_apart_from_text_fields(server: str, token: str, runtime: Runtime) -> None:
    png = samples.png_bytes(8, 8)
    twenty = [(f"f{i}", (f"f{i}.png", png, "image/png")) for i in range(20)]
    r = _upload(server, token, files=[*twenty, ("extra", ("x.png", png, "image/png"))])
    assert r.status_code == 422
    assert r.json() == {"message": "Validation failed", "errors": [{"body": "At most 20 files per request"}]}


def test_an_upload_text_field_over_its_limit_names_its_own_limit(server: str, token: str) -> None:
    r = _upload(
        server,
        token,
        data={"customer_id": "1" * 5000},
        files={"file": ("a.png", samples.png_bytes(8, 8), "image/png")},
    )
    assert r.status_code == 413
    assert r.json() == {"message": "Field customer_id is larger than the limit of 4096 bytes"}


def test_an_upload_file_over_its_limit_names_the_file_limit(server: str, token: str) -> None:
    r = _upload(
        server, token, files={"passport": ("p.pdf", b"%PDF-1.4\n" + b"0" * (LIMIT + 1), "application/pdf")}
    )
    assert r.status_code == 413
    assert r.json() == {"message": f"File passport is larger than the limit of {LIMIT} bytes"}


def test_a_multipart_boundary_too_long_is_a_client_error(server: str, token: str) -> None:
    boundary = "b" * 300
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--{boundary}--\r\n'
    r = _upload(
        server,
        token,
        content=body.encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"body": "The multipart boundary is longer than 70 characters"}]


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00"]
)
def test_an_events_cursor_at_the_edge_of_the_calendar_is_a_client_error(
    server: str, token: str, when: str
) -> None:
    raw = json.dumps([when, "00000000-0000-0000-0000-000000000000"]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    r = httpx.get(
        f"{server}/v2/events", params={"cursor": cursor}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["errors"] == [{"cursor": "Invalid cursor"}]


@pytest.mark.parametrize("status", ["REVIEWING\x00", "NO_SUCH_STATUS"])
def test_an_unknown_review_queue_status_is_a_client_error(
    api: TestClient, runtime: Runtime, status: str
) -> None:
    with unit_of_work(runtime.write_sessions) as session:
        operators.create_operator(session, runtime.now(), username="alice", password=PASSWORD)
    token = api.post("/ops/v1/token", json={"username": "alice", "password": PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/ops/v1/customers", params={"status": "APPROVED"}, headers=headers).status_code == 200
    r = api.get("/ops/v1/customers", params={"status": status}, headers=headers)
    assert r.status_code == 422
    assert list(r.json()["errors"][0]) == ["status"]


def test_a_500_carries_a_request_id(runtime: Runtime) -> None:
    app = create_app(runtime.settings, runtime=runtime)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        r = client.get("/boom", headers={"X-Request-Id": "trace-500"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "trace-500"
