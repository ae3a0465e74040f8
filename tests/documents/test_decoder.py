"""Files are decoded on a few threads of their own at a lower CPU priority than the request threads
(documents/decoder.py), at upload and in the checks alike."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL
from tests.documents import samples
from tests.journeys import upload
from tollgate.app import create_app
from tollgate.documents import findings
from tollgate.documents.decoder import Decoder, lower_priority
from tollgate.documents.inspection import DocumentKind, Limits
from tollgate.runtime import build_runtime

linux_only = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="thread priorities need setpriority")


def _priority(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


@linux_only
def test_lower_priority_lowers_only_the_calling_thread():
    seen: dict[str, int] = {}

    def lowered() -> None:
        assert lower_priority(4)
        seen["thread"] = _priority(threading.get_native_id())

    before = _priority(threading.get_native_id())
    t = threading.Thread(target=lowered)
    t.start()
    t.join()
    assert seen["thread"] == min(before + 4, 19)
    assert _priority(threading.get_native_id()) == before  # the caller's own priority is untouched
    assert not lower_priority(0)


@linux_only
def test_decodes_at_once_share_the_decoders_few_low_priority_threads():
    decoder = Decoder(threads=1, nice=5)
    data = samples.jpeg_bytes(1200, 900)
    try:
        assert decoder.native_thread_ids() == []  # no thread before the first decode
        with ThreadPoolExecutor(4) as callers:
            records = list(
                callers.map(lambda _: decoder.inspect(data, DocumentKind.JPEG, Limits()), range(4))
            )
        assert records == [findings.inspect(data, DocumentKind.JPEG, Limits())] * 4
        assert records[0]["width"] == 1200 and records[0]["height"] == 900
        tids = decoder.native_thread_ids()
        assert len(tids) == 1
        base = _priority(threading.get_native_id())
        assert _priority(tids[0]) == min(base + 5, 19)
    finally:
        decoder.close()


@linux_only
def test_an_upload_is_decoded_by_the_servers_decoder(settings, clock, runtime, make_client, login):
    own = build_runtime(settings.model_copy(update={"decode_nice": 3}), clock, engine=runtime.engine)
    try:
        with TestClient(create_app(own.settings, runtime=own), base_url=BASE_URL) as api:
            headers = login(make_client())
            uris = upload(api, headers, {"passport": ("p.jpg", samples.jpeg_bytes(900, 1200))})
        assert uris["passport"]
        tids = own.decoder.native_thread_ids()
        assert len(tids) == 1
        assert _priority(tids[0]) == min(_priority(threading.get_native_id()) + 3, 19)
    finally:
        own.decoder.close()
