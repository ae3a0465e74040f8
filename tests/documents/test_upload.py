"""An upload is inspected and stored before its one short transaction, and keeps its findings on its
row; the checks job reads those findings instead of the bytes, and a file stored without them is
inspected before the checks' transaction opens."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import IO

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, null, select, update

from tests.conftest import BASE_URL
from tests.documents import samples
from tests.verification.test_lifecycle import create_individual, detail, individual_attach_body, upload
from tollgate.app import create_app
from tollgate.customers.models import Customer
from tollgate.db import unit_of_work
from tollgate.documents.models import StoredFile
from tollgate.documents.storage import FileStore
from tollgate.jobs.worker import drain
from tollgate.runtime import Runtime


class WatchedStore:
    """The runtime's file store, with a record of each call: for ``get``, how many database
    connections were checked out at that moment (0: no transaction open anywhere in the process)."""

    def __init__(self, inner: FileStore, runtime: Runtime) -> None:
        self.inner = inner
        self.runtime = runtime
        self.puts: list[str] = []
        self.gets: list[tuple[str, int]] = []
        self.deletes: list[str] = []
        self.before_put: Callable[[int], None] = lambda n: None

    def put(self, key: str, data: bytes | IO[bytes]) -> None:
        self.before_put(len(self.puts))
        self.puts.append(key)
        self.inner.put(key, data)

    def get(self, key: str) -> bytes:
        self.gets.append((key, self.runtime.engine.pool.checkedout()))
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def delete(self, key: str) -> None:
        self.deletes.append(key)
        self.inner.delete(key)


@pytest.fixture
def watched(runtime: Runtime) -> Iterator[tuple[TestClient, Runtime, WatchedStore]]:
    store = WatchedStore(runtime.files, runtime)
    rt = dataclasses.replace(runtime, files=store)
    store.runtime = rt
    with TestClient(create_app(rt.settings, runtime=rt), base_url=BASE_URL) as api:
        yield api, rt, store


def _rows(rt: Runtime) -> list[StoredFile]:
    with unit_of_work(rt.read_sessions) as session:
        return list(session.scalars(select(StoredFile).order_by(StoredFile.created_at, StoredFile.uri)))


def test_an_upload_keeps_what_inspecting_each_file_found(watched, login, make_client):
    api, rt, _ = watched
    headers = login(make_client())
    uris = upload(
        api,
        headers,
        {
            "good": ("good.png", samples.png_bytes(800, 1000, dpi=(300, 300))),
            "blank": ("blank.jpg", samples.blank_jpeg()),
            "small": ("small.png", samples.png_bytes(400, 500)),
            "pdf": ("bill.pdf", samples.pdf_bytes(2)),
            "empty": ("empty.pdf", samples.blank_pdf()),
        },
    )
    found = {row.uri: row.findings for row in _rows(rt)}
    assert found[uris["good"]] == {
        "version": 1,
        "kind": "PNG",
        "width": 800,
        "height": 1000,
        "page_count": None,
        "dpi": [300.0, 300.0],
        "problems": [],
    }
    assert [p["code"] for p in found[uris["blank"]]["problems"]] == ["NOT_DOCUMENT"]
    small = found[uris["small"]]
    assert (small["width"], small["height"]) == (400, 500)
    assert [p["code"] for p in small["problems"]] == ["LOW_QUALITY"]
    assert "400x500" in small["problems"][0]["detail"]
    assert found[uris["pdf"]]["page_count"] == 2 and found[uris["pdf"]]["problems"] == []
    assert [p["code"] for p in found[uris["empty"]]["problems"]] == ["NOT_DOCUMENT"]


def test_the_checks_read_the_findings_not_the_files(watched, login, make_client):
    api, rt, store = watched
    headers = login(make_client())
    cid, tos = create_individual(api, headers)
    uris = upload(
        api, headers, {"passport": ("p.png", samples.blank_png()), "poa": ("b.pdf", samples.pdf_bytes())}, cid
    )
    r = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=headers
    )
    assert r.status_code == 200, r.text
    drain(rt)
    assert store.gets == []
    customer = detail(api, headers, cid)
    assert customer["customer_status"] == "ACTION_REQUIRED"
    assert customer["rejection_reason"]["documents"][0]["reject_labels"] == ["NOT_DOCUMENT"]
    files_field = customer["request_for_information"][0]["categories"][0]["fields"][-1]
    assert files_field["reason"] == "Unacceptable document."


def test_files_stored_without_findings_are_inspected_before_the_checks_transaction(
    watched, login, make_client
):
    api, rt, store = watched
    headers = login(make_client())
    cid, tos = create_individual(api, headers)
    uris = upload(
        api, headers, {"passport": ("p.png", samples.blank_png()), "poa": ("b.pdf", samples.pdf_bytes())}, cid
    )
    # As rows stored before findings were kept (migration 0007) look.
    with unit_of_work(rt.write_sessions) as session:
        session.execute(update(StoredFile).values(findings=null()))
    r = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=headers
    )
    assert r.status_code == 200, r.text
    drain(rt)
    # each file read once, while no connection was checked out: no transaction was open
    assert sorted(key for key, _ in store.gets) == sorted(row.storage_key for row in _rows(rt))
    assert [open_connections for _, open_connections in store.gets] == [0, 0]
    customer = detail(api, headers, cid)
    assert customer["customer_status"] == "ACTION_REQUIRED"
    assert customer["rejection_reason"]["documents"][0]["reject_labels"] == ["NOT_DOCUMENT"]
    files_field = customer["request_for_information"][0]["categories"][0]["fields"][-1]
    assert files_field["reason"] == "Unacceptable document."
    found = {row.uri: row.findings for row in _rows(rt)}
    assert [p["code"] for p in found[uris["passport"]]["problems"]] == ["NOT_DOCUMENT"]
    assert found[uris["poa"]]["problems"] == []


def test_a_file_whose_bytes_are_gone_and_were_never_inspected_is_corrupted(watched, login, make_client):
    api, rt, store = watched
    headers = login(make_client())
    cid, tos = create_individual(api, headers)
    uris = upload(
        api, headers, {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())}, cid
    )
    with unit_of_work(rt.write_sessions) as session:
        session.execute(update(StoredFile).values(findings=null()))
    passport = next(row for row in _rows(rt) if row.uri == uris["passport"])
    store.inner.delete(passport.storage_key)
    r = api.post(
        f"/v2/customers/{cid}/individual/attach", json=individual_attach_body(uris, tos), headers=headers
    )
    assert r.status_code == 200, r.text
    drain(rt)
    customer = detail(api, headers, cid)
    assert customer["customer_status"] == "ACTION_REQUIRED"
    assert customer["rejection_reason"]["documents"][0]["reject_labels"] == ["LOW_QUALITY"]
    files_field = customer["request_for_information"][0]["categories"][0]["fields"][-1]
    assert files_field["reason"] == "Document appears to be corrupted"


def test_when_the_upload_transaction_fails_the_stored_objects_are_removed(watched, login, make_client):
    api, rt, store = watched
    headers = login(make_client())
    cid, _ = create_individual(api, headers)

    def customer_goes_away(n: int) -> None:
        # between the first look at the customer and the transaction that records the files
        if n == 0:
            with unit_of_work(rt.write_sessions) as session:
                session.execute(delete(Customer))

    store.before_put = customer_goes_away
    r = api.post(
        "/v1/customers/upload",
        headers=headers,
        data={"customer_id": cid},
        files={
            "passport": ("p.png", samples.png_bytes(), "image/png"),
            "poa": ("b.pdf", samples.pdf_bytes(), "application/pdf"),
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"customer_id": "Unknown customer"}]
    assert len(store.puts) == 2 and sorted(store.deletes) == sorted(store.puts)
    assert not any(store.inner.exists(key) for key in store.puts)
    assert _rows(rt) == []


def test_a_file_store_failure_keeps_nothing(watched, login, make_client):
    api, rt, store = watched
    headers = login(make_client())

    def second_put_fails(n: int) -> None:
        if n == 1:
            raise OSError("disk full")

    store.before_put = second_put_fails
    api_500 = TestClient(api.app, base_url=BASE_URL, raise_server_exceptions=False)
    r = api_500.post(
        "/v1/customers/upload",
        headers=headers,
        files={
            "passport": ("p.png", samples.png_bytes(), "image/png"),
            "poa": ("b.pdf", samples.pdf_bytes(), "application/pdf"),
        },
    )
    assert r.status_code == 500
    assert len(store.puts) == 1 and store.deletes == store.puts
    assert not store.inner.exists(store.puts[0])
    assert _rows(rt) == []


def test_an_unknown_customer_is_refused_before_anything_is_stored(watched, login, make_client):
    api, rt, store = watched
    owner = login(make_client())
    cid, _ = create_individual(api, owner)
    stranger = login(make_client())
    r = api.post(
        "/v1/customers/upload",
        headers=stranger,
        data={"customer_id": cid},
        files={"passport": ("p.png", samples.png_bytes(), "image/png")},
    )
    assert r.status_code == 422 and "customer_id" in r.json()["errors"][0]
    assert store.puts == [] and _rows(rt) == []
