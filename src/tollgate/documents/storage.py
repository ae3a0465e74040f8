"""Where uploaded bytes live: a local directory or an S3 bucket, behind one small Protocol.

A file is named on the wire by a URI in Fin's shape, ``/ZuyUaH3a_testdoc1.png``: ``/``, 8 random
alphanumerics, ``_``, the uploaded file name made safe. Its store key is the URI without the slash. Keys
are flat names (``KEY_PATTERN``), so no key can reach outside the directory or prefix of its store.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import string
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

import boto3
from botocore.exceptions import ClientError

KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
MAX_FILENAME_LENGTH = 100
URI_RANDOM_LENGTH = 8

_ALPHANUMERICS = string.ascii_letters + string.digits
_CHUNK = 1024 * 1024


class InvalidKey(ValueError):
    pass


def check_key(key: str) -> str:
    """``key`` itself if it is a flat store key; raise InvalidKey otherwise."""
    if not KEY_PATTERN.fullmatch(key) or ".." in key:
        raise InvalidKey(f"invalid file key: {key!r}")
    return key


class FileStore(Protocol):
    """Bytes by key. ``get`` raises FileNotFoundError for a missing key; ``delete`` of one is a no-op;
    ``put`` replaces atomically. Every method raises InvalidKey for a key outside KEY_PATTERN."""

    def put(self, key: str, data: bytes | IO[bytes]) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


# --- names --------------------------------------------------------------------------------------------


def safe_filename(name: str, max_length: int = MAX_FILENAME_LENGTH) -> str:
    """An uploaded file name reduced to ``[A-Za-z0-9._-]``, without directories, keeping its extension.

    Accents are dropped (``é`` becomes ``e``), other characters become ``_`` (runs collapse to one),
    runs of dots collapse, and leading dots and dashes go (no hidden files, nothing that reads as an
    option). The result is at most ``max_length`` characters and never empty: ``file`` stands in for a
    lost stem.
    """
    if max_length < 16:  # room for a stem beside the longest extension kept (10 characters)
        raise ValueError("max_length must be at least 16")
    # Reducing can expose a new run or edge (e.g. a character that decomposes into a dot), so reduce
    # until nothing changes: a safe name stays as it is.
    current = _reduce(name, max_length)
    for _ in range(4):
        again = _reduce(current, max_length)
        if again == current:
            break
        current = again
    return current


def _reduce(name: str, max_length: int) -> str:
    base = re.split(r"[/\\]", name)[-1]
    base = "".join(c for c in unicodedata.normalize("NFKD", base) if not unicodedata.combining(c))
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    base = re.sub(r"\.{2,}", ".", base)
    stem, dot, ext = base.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = base, ""
    stem = stem.lstrip(".-_").rstrip("._-")
    stem = re.sub(r"_{2,}", "_", stem) or "file"
    suffix = f".{ext}" if ext else ""
    stem = stem[: max_length - len(suffix)].rstrip("._-") or "file"
    return stem + suffix


def make_uri(name: str) -> str:
    """A fresh URI for an uploaded file: ``/`` + 8 random alphanumerics + ``_`` + ``safe_filename(name)``."""
    prefix = "".join(secrets.choice(_ALPHANUMERICS) for _ in range(URI_RANDOM_LENGTH))
    return f"/{prefix}_{safe_filename(name)}"


def key_for_uri(uri: str) -> str:
    """The store key of a URI made by ``make_uri``; raise InvalidKey for anything else."""
    if not uri.startswith("/"):
        raise InvalidKey(f"invalid file URI: {uri!r}")
    return check_key(uri[1:])


# --- local directory ----------------------------------------------------------------------------------


class LocalFileStore:
    """Files in one directory, one file per key. Writes go to a temporary file in the same directory,
    are synced, then renamed over the target, so a crash leaves the old file or the new one."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        # A symlink planted in the directory must not lead elsewhere either.
        if path.parent != self.root:
            raise InvalidKey(f"invalid file key: {key!r}")
        return path

    def put(self, key: str, data: bytes | IO[bytes]) -> None:
        path = self._path(key)
        # The temporary name starts with a dot, which no key does, so it never shadows a file.
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._sync_directory()

    def _sync_directory(self) -> None:
        # Makes the rename itself durable; not every platform can open a directory.
        try:
            fd = os.open(self.root, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


# --- S3 and compatible servers ------------------------------------------------------------------------


class S3Client(Protocol):
    """The part of a boto3 S3 client the store uses."""

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> Mapping[str, Any]: ...

    def upload_fileobj(self, Fileobj: IO[bytes], Bucket: str, Key: str) -> None: ...

    def get_object(self, *, Bucket: str, Key: str) -> Mapping[str, Any]: ...

    def head_object(self, *, Bucket: str, Key: str) -> Mapping[str, Any]: ...

    def delete_object(self, *, Bucket: str, Key: str) -> Mapping[str, Any]: ...


# Folders made of key-like segments, each ending in "/".
_PREFIX_PATTERN = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]*/)+")
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def _is_missing(exc: Any) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _MISSING_CODES


class S3FileStore:
    """Objects in one bucket, under an optional key prefix (``"tollgate/"``) so a bucket can be shared.

    S3 replaces an object atomically on PUT, so no temporary object is needed."""

    def __init__(self, bucket: str, client: S3Client, prefix: str = "") -> None:
        if prefix and (not _PREFIX_PATTERN.fullmatch(prefix) or ".." in prefix):
            raise ValueError("prefix must be path segments ending in '/'")
        self.bucket = bucket
        self.client = client
        self.prefix = prefix

    @classmethod
    def connect(
        cls,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ) -> S3FileStore:
        """A store on a new boto3 client. ``endpoint_url`` points it at an S3-compatible server (MinIO,
        Ceph, ...); credentials left out come from boto3's usual chain (environment, profile, role)."""
        client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region_name,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )
        return cls(bucket, client, prefix)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes | IO[bytes]) -> None:
        name = self._key(key)
        if isinstance(data, bytes):
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        else:
            # Streams in parts, so a large upload is never held in memory whole.
            self.client.upload_fileobj(data, self.bucket, name)

    def get(self, key: str) -> bytes:
        name = self._key(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        body = response["Body"]
        try:
            data = body.read()
        finally:
            body.close()
        if not isinstance(data, bytes):
            raise TypeError("S3 returned a body that is not bytes")
        return data

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
