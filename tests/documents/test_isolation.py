"""PDFs are parsed in bounded child processes (documents/isolation.py): a parse past its CPU time, memory or
wall time is stopped and the file refused with the bounds named; the child runs at a lower priority."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL
from tollgate.app import create_app
from tollgate.documents import inspection, isolation
from tollgate.documents.decoder import Decoder
from tollgate.runtime import Runtime, build_runtime

from . import samples

PDF = inspection.DocumentKind.PDF


def probe() -> tuple[int, int, tuple[int, int], tuple[int, int]]:
    return (
        os.getpid(),
        os.nice(0),
        resource.getrlimit(resource.RLIMIT_CPU),
        resource.getrlimit(resource.RLIMIT_AS),
    )


def burn() -> None:
    while True:
        pass


def nap() -> None:
    time.sleep(60)


def hog() -> int:
    return len(bytearray(2 * 1024 * 1024 * 1024))


def test_the_child_runs_apart_with_its_bounds_and_a_lower_priority() -> None:
    bounds = isolation.Bounds(cpu_seconds=3, memory_bytes=512 * 1024 * 1024, wall_seconds=20, nice=7)
    pid, nice, cpu, memory = isolation.run(probe, (), bounds)
    assert pid != os.getpid()
    assert nice >= os.nice(0) + 7 or nice == 19
    assert cpu == (3, 4)
    assert memory == (512 * 1024 * 1024, 512 * 1024 * 1024)


@pytest.mark.parametrize(
    ("fn", "bounds", "reason"),
    [
        (burn, isolation.Bounds(cpu_seconds=1, wall_seconds=30), "stopped by a limit"),
        (nap, isolation.Bounds(wall_seconds=1), "took more than 1 s"),
        (hog, isolation.Bounds(memory_bytes=256 * 1024 * 1024), "ran out of memory"),
    ],
)
def test_a_child_past_a_bound_is_stopped(fn, bounds: isolation.Bounds, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(isolation.ParseExceeded, match=reason):
        isolation.run(fn, (), bounds)
    assert time.monotonic() - started < 25


def test_a_pdf_whose_page_tree_explodes_is_refused_by_a_child() -> None:
    data = samples.deep_page_tree_pdf(7)
    assert len(data) < 1500
    decoder = Decoder(1, 10, isolation.Bounds(cpu_seconds=5))
    try:
        [refusal] = decoder.check(data, PDF, inspection.Limits())
        assert refusal.code is inspection.RefusalCode.UNREADABLE
        # Given less time than its page tree costs (about half a second of CPU), the same file is refused
        # with the bounds named, and its inspection records why.
        tight = Decoder(1, 10, isolation.Bounds(wall_seconds=0.2))
        [refusal] = tight.check(data, PDF, inspection.Limits())
        assert refusal.message == (
            "PDF could not be read within the limits (5 s of CPU, 1024 MiB of memory and 0.2 s)."
        )
        record = tight.inspect(data, PDF, inspection.Limits())
        assert "could not be read within the limits: it took more than 0.2 s" in str(record)
        tight.close()
        # A good PDF passes through the child and keeps its findings.
        assert decoder.check(samples.pdf_bytes(), PDF, inspection.Limits()) == []
        assert decoder.inspect(samples.pdf_bytes(), PDF, inspection.Limits())["page_count"] == 1
    finally:
        decoder.close()


@pytest.fixture
def tight_api(runtime: Runtime) -> Iterator[TestClient]:
    settings = runtime.settings.model_copy(update={"upload_parse_seconds": 0.2})
    tight = build_runtime(settings, runtime.clock, engine=runtime.engine)
    with TestClient(create_app(settings, runtime=tight), base_url=BASE_URL) as client:
        yield client
    tight.decoder.close()


def test_an_upload_reads_its_pdfs_in_bounded_children(tight_api: TestClient, make_client, login) -> None:
    headers = login(make_client())
    r = tight_api.post(
        "/v1/customers/upload",
        headers=headers,
        files={"incorporation": ("inc.pdf", samples.deep_page_tree_pdf(7), "application/pdf")},
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["incorporation"].startswith("PDF could not be read within the limits")
    # Images are not parsed in children: the same server takes them.
    r = tight_api.post(
        "/v1/customers/upload",
        headers=headers,
        files={"passport": ("p.png", samples.png_bytes(), "image/png")},
    )
    assert r.status_code == 200, r.text
