"""File stores: one contract run against the local directory and against S3 (a moto server process),
then what only the local store has to guarantee."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tollgate.documents.storage import FileStore, InvalidKey, LocalFileStore, S3FileStore, make_uri

from .conftest import S3_CREDENTIALS, S3_REGION

KEY = "ZuyUaH3a_testdoc1.png"
BAD_KEYS = [
    "../x",
    "..",
    ".",
    "a/b",
    "/etc/passwd",
    "a\\b",
    "",
    ".hidden",
    "x\x00y",
    "a..b",
    "k" * 256,
]


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=S3_CREDENTIALS["aws_secret_access_key"],
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"tollgate-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FileStore]:
    if request.param == "local":
        yield LocalFileStore(tmp_path / "files")
    else:
        endpoint: str = request.getfixturevalue("s3_endpoint")
        yield S3FileStore.connect(
            request.getfixturevalue("bucket"),
            endpoint_url=endpoint,
            region_name=S3_REGION,
            access_key_id=S3_CREDENTIALS["aws_access_key_id"],
            secret_access_key=S3_CREDENTIALS["aws_secret_access_key"],
        )


# --- the contract -------------------------------------------------------------------------------------


def test_bytes_round_trip(store: FileStore) -> None:
    data = bytes(range(256)) * 1000
    store.put(KEY, data)
    assert store.get(KEY) == data


def test_a_stream_round_trips(store: FileStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    store.put(KEY, io.BytesIO(data))
    assert store.get(KEY) == data


def test_an_empty_file_round_trips(store: FileStore) -> None:
    store.put(KEY, b"")
    assert store.exists(KEY)
    assert store.get(KEY) == b""


def test_put_replaces(store: FileStore) -> None:
    store.put(KEY, b"first")
    store.put(KEY, b"second")
    assert store.get(KEY) == b"second"


def test_exists_and_delete(store: FileStore) -> None:
    assert not store.exists(KEY)
    store.put(KEY, b"data")
    assert store.exists(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)
    with pytest.raises(FileNotFoundError):
        store.get(KEY)


def test_keys_are_independent(store: FileStore) -> None:
    store.put("a_one.png", b"1")
    store.put("b_two.png", b"2")
    store.delete("a_one.png")
    assert store.get("b_two.png") == b"2"


def test_a_missing_file_raises_file_not_found(store: FileStore) -> None:
    with pytest.raises(FileNotFoundError):
        store.get("nothing_here.pdf")


def test_deleting_a_missing_file_is_a_no_op(store: FileStore) -> None:
    store.delete("nothing_here.pdf")
    assert not store.exists("nothing_here.pdf")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_is_not_a_flat_name_is_refused(store: FileStore, key: str) -> None:
    for call in (lambda: store.put(key, b"x"), lambda: store.get(key), lambda: store.exists(key)):
        with pytest.raises(InvalidKey):
            call()
    with pytest.raises(InvalidKey):
        store.delete(key)


def test_a_key_made_from_a_uri_is_accepted(store: FileStore) -> None:
    key = make_uri("../../Germany passport (1).JPG")[1:]
    store.put(key, b"data")
    assert store.get(key) == b"data"


# --- local directory ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
def test_the_local_store_writes_nothing_outside_its_root(tmp_path: Path, key: str) -> None:
    root = tmp_path / "root" / "files"
    store = LocalFileStore(root)
    with pytest.raises(InvalidKey):
        store.put(key, b"escaped")
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == []


def test_the_local_store_keeps_one_plain_file_per_key(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    store.put(KEY, b"data")
    store.put(KEY, io.BytesIO(b"data again"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY]
    assert (tmp_path / KEY).read_bytes() == b"data again"


def test_the_local_store_refuses_a_symlink_leading_out(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    root = tmp_path / "files"
    store = LocalFileStore(root)
    (root / "link_out.txt").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.get("link_out.txt")
    with pytest.raises(InvalidKey):
        store.put("link_out.txt", b"overwritten")
    assert outside.read_bytes() == b"secret"


class _FailingStream(io.RawIOBase):
    """Yields some bytes, then fails, as a dropped client connection would."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.sent:
            raise ConnectionResetError("client went away")
        self.sent = True
        buffer[:5] = b"parti"
        return 5


def test_a_failed_local_write_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    store.put(KEY, b"the complete old file")
    with pytest.raises(ConnectionResetError):
        store.put(KEY, _FailingStream())  # type: ignore[arg-type]
    assert store.get(KEY) == b"the complete old file"
    assert [p.name for p in tmp_path.iterdir()] == [KEY]  # no temporary file left behind


def test_a_failed_first_local_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    with pytest.raises(ConnectionResetError):
        store.put(KEY, _FailingStream())  # type: ignore[arg-type]
    assert not store.exists(KEY)
    assert list(tmp_path.iterdir()) == []


def test_the_local_store_creates_its_root(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    LocalFileStore(root).put(KEY, b"x")
    assert (root / KEY).read_bytes() == b"x"


# --- S3 -----------------------------------------------------------------------------------------------


def test_s3_objects_are_named_by_key_under_the_prefix(s3_endpoint: str, bucket: str) -> None:
    client = s3_client(s3_endpoint)
    store = S3FileStore(bucket, client, prefix="tollgate/files/")
    store.put(KEY, b"data")
    listed = client.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == [f"tollgate/files/{KEY}"]
    assert client.get_object(Bucket=bucket, Key=f"tollgate/files/{KEY}")["Body"].read() == b"data"


def test_s3_stores_with_different_prefixes_do_not_see_each_other(s3_endpoint: str, bucket: str) -> None:
    client = s3_client(s3_endpoint)
    one, two = S3FileStore(bucket, client, prefix="one/"), S3FileStore(bucket, client, prefix="two/")
    one.put(KEY, b"1")
    assert not two.exists(KEY)
    with pytest.raises(FileNotFoundError):
        two.get(KEY)


@pytest.mark.parametrize("prefix", ["files", "/files/", "../", "a//b/", "a b/"])
def test_an_s3_prefix_must_be_clean_segments(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        S3FileStore("bucket", client=None, prefix=prefix)  # type: ignore[arg-type]


def test_s3_errors_other_than_missing_are_not_hidden(s3_endpoint: str) -> None:
    store = S3FileStore(f"no-such-bucket-{uuid.uuid4().hex[:8]}", s3_client(s3_endpoint))
    with pytest.raises(ClientError, match="NoSuchBucket"):
        store.get(KEY)
