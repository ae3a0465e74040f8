"""The attack corpus: every hostile upload and body found so far, generated here, with the refusal each must
get. Each answer is a client error in the endpoint's dialect; none is a 5xx, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.documents import samples
from tests.factories import individual_body
from tollgate.customers.models import Customer
from tollgate.documents.models import StoredFile
from tollgate.runtime import Runtime


@dataclass(frozen=True)
class Attack:
    name: str
    send: Callable[[TestClient, dict[str, str]], object]
    status: int
    says: str


def _upload(files: list[tuple[str, tuple[str, bytes, str]]], data: dict[str, str] | None = None):
    def send(api: TestClient, headers: dict[str, str]):
        return api.post("/v1/customers/upload", headers=headers, files=files, data=data)

    return send


def _raw_upload(body: bytes, content_type: str):
    def send(api: TestClient, headers: dict[str, str]):
        return api.post(
            "/v1/customers/upload", headers={**headers, "Content-Type": content_type}, content=body
        )

    return send


def _create(body: object, content_type: str = "application/json"):
    def send(api: TestClient, headers: dict[str, str]):
        content = body if isinstance(body, bytes) else __import__("json").dumps(body).encode()
        return api.post(
            "/v2/customers/individual", headers={**headers, "Content-Type": content_type}, content=content
        )

    return send


def _file(name: str, data: bytes, kind: str = "application/octet-stream"):
    return [("file", (name, data, kind))]


PNG = samples.png_bytes(8, 8)
LONG_BOUNDARY = "b" * 300
NUL_NAME = {**individual_body(), "basic_info": {**individual_body()["basic_info"], "first_name": "Jo\x00hn"}}

ATTACKS = [
    Attack(
        "png-decompression-bomb", _upload(_file("b.png", samples.png_header(50_000, 50_000))), 422, "pixels"
    ),
    Attack(
        "jpeg-decompression-bomb", _upload(_file("b.jpg", samples.jpeg_header(60_000, 60_000))), 422, "pixels"
    ),
    Attack(
        "jpeg-two-frame-headers",
        _upload(
            _file(
                "two.jpg", samples.jpeg_with_second_frame_header(samples.jpeg_bytes(800, 800), 10_000, 10_000)
            )
        ),
        422,
        "10000x10000",
    ),
    Attack("pdf-exploding-page-tree", _upload(_file("deep.pdf", samples.deep_page_tree_pdf(7))), 422, "PDF"),
    Attack("pdf-encrypted", _upload(_file("locked.pdf", samples.encrypted_pdf())), 422, "password"),
    Attack("pdf-truncated", _upload(_file("cut.pdf", samples.corrupted(samples.pdf_bytes()))), 422, "PDF"),
    Attack("zip-renamed-pdf", _upload(_file("x.pdf", samples.zip_bytes())), 422, "PDF, JPEG or PNG"),
    Attack("gif", _upload(_file("x.gif", samples.gif_bytes())), 422, "PDF, JPEG or PNG"),
    Attack(
        "twenty-one-files",
        _upload([(f"f{i}", (f"{i}.png", PNG, "image/png")) for i in range(21)]),
        422,
        "At most 20 files",
    ),
    Attack(
        "six-text-fields",
        _upload(_file("a.png", PNG), {f"x{i}": "1" for i in range(6)}),
        422,
        "At most 5 text",
    ),
    Attack(
        "long-text-field", _upload(_file("a.png", PNG), {"customer_id": "1" * 5000}), 413, "limit of 4096"
    ),
    Attack(
        "long-boundary",
        _raw_upload(
            f"--{LONG_BOUNDARY}\r\n\r\n--{LONG_BOUNDARY}--\r\n".encode(),
            f"multipart/form-data; boundary={LONG_BOUNDARY}",
        ),
        422,
        "boundary",
    ),
    Attack("not-multipart", _raw_upload(b"{}", "application/json"), 422, "multipart/form-data"),
    Attack(
        "unterminated-multipart",
        _raw_upload(b"--x\r\nContent-Disposition: form-da", "multipart/form-data; boundary=x"),
        422,
        "",
    ),
    Attack("oversized-json", _create(b"[" + b"1," * 600_000 + b"1]"), 413, "limit of 1048576"),
    Attack("deeply-nested-json", _create(b"[" * 100_000 + b"]" * 100_000), 422, "Malformed JSON"),
    Attack("nul-in-a-name", _create(NUL_NAME), 422, "control characters"),
    Attack("json-array-body", _create([individual_body()]), 422, ""),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_each_attack_gets_its_refusal_and_stores_nothing(
    api: TestClient, auth_headers, runtime: Runtime, attack: Attack
) -> None:
    r = attack.send(api, auth_headers)
    assert r.status_code == attack.status, r.text
    assert attack.says in r.text
    assert r.headers["x-request-id"]
    with runtime.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Customer)) == 0
        assert conn.scalar(select(func.count()).select_from(StoredFile)) == 0
