"""Uploads through the API land in S3-compatible storage (a real moto server) and the checks read them back."""

from __future__ import annotations

import dataclasses

import boto3
import pytest
from fastapi.testclient import TestClient

from tests.conftest import BASE_URL
from tests.documents import samples
from tests.documents.conftest import S3_CREDENTIALS, S3_REGION
from tests.verification.test_lifecycle import create_individual, detail, individual_attach_body, upload
from tollgate.app import create_app
from tollgate.documents.storage import S3FileStore
from tollgate.jobs.worker import drain


@pytest.fixture
def s3_runtime(runtime, s3_endpoint):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=S3_REGION, **S3_CREDENTIALS)
    client.create_bucket(Bucket="tollgate-api-test")
    store = S3FileStore("tollgate-api-test", client, prefix="files/")
    return dataclasses.replace(runtime, files=store), client


def test_upload_attach_and_checks_through_s3(s3_runtime, login, make_client):
    runtime, client = s3_runtime
    app = create_app(runtime.settings, runtime=runtime)
    with TestClient(app, base_url=BASE_URL) as api:
        headers = login(make_client("s3"))
        cid, tos = create_individual(api, headers)
        uris = upload(
            api,
            headers,
            {"passport": ("p.png", samples.png_bytes()), "poa": ("b.pdf", samples.pdf_bytes())},
            cid,
        )
        keys = [o["Key"] for o in client.list_objects_v2(Bucket="tollgate-api-test").get("Contents", [])]
        assert len(keys) == 2 and all(k.startswith("files/") for k in keys)
        assert any(k.endswith(uris["passport"][1:]) for k in keys)
        assert (
            api.post(
                f"/v2/customers/{cid}/individual/attach",
                json=individual_attach_body(uris, tos),
                headers=headers,
            ).status_code
            == 200
        )
        drain(runtime)
        assert detail(api, headers, cid)["customer_status"] == "APPROVED"
