"""The same behaviour from both storage backends: files on disk, and S3 over real HTTP.

The S3 backend talks to moto's S3 server listening on loopback, through boto3 and a real
socket, exactly as it would talk to MinIO or AWS.
"""

from __future__ import annotations

import io
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from simpul.core.storage import (
    CHUNK_SIZE,
    InvalidStorageKey,
    LocalStorage,
    S3Storage,
    Storage,
    StorageNotFound,
    create_storage,
)

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}
KEY = "kota-bandung/2026/11/0b5c4a52-3f1e-4a4e-9a4b-6f1f9d3c1a10"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server on 127.0.0.1, on a port the OS picks."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _client(endpoint: str) -> S3Client:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"simpul-{uuid.uuid4().hex[:12]}"
    _client(s3_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "uploads")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = request.getfixturevalue("bucket")
    return S3Storage(bucket, endpoint_url=endpoint, **CREDENTIALS)


class FailingStream(io.RawIOBase):
    """A stream that breaks after ``ok_bytes``, like a client that disconnects mid-upload."""

    def __init__(self, ok_bytes: int) -> None:
        self.remaining = ok_bytes

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.remaining <= 0:
            raise ConnectionResetError("client went away")
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"x" * n
        self.remaining -= n
        return n


def test_put_open_exists_delete(storage: Storage) -> None:
    assert not storage.exists(KEY)

    storage.put(KEY, b"%PDF-1.4 surat pengantar", content_type="application/pdf")

    assert storage.exists(KEY)
    assert storage.open(KEY).read_all() == b"%PDF-1.4 surat pengantar"
    storage.delete(KEY)
    assert not storage.exists(KEY)
    storage.delete(KEY)  # deleting again is harmless


def test_put_reads_a_stream_and_replaces_the_previous_object(storage: Storage) -> None:
    storage.put(KEY, b"versi lama", content_type="text/plain")

    storage.put(KEY, io.BytesIO(b"versi baru"), content_type="text/plain")

    assert storage.open(KEY).read_all() == b"versi baru"


def test_large_file_is_streamed_in_chunks(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    storage.put(KEY, io.BytesIO(data), content_type="application/octet-stream")

    with storage.open(KEY) as stream:
        chunks = list(stream)

    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= CHUNK_SIZE
    assert b"".join(chunks) == data


def test_stopping_early_releases_the_stream(storage: Storage) -> None:
    storage.put(KEY, os.urandom(512 * 1024), content_type="application/octet-stream")

    stream = storage.open(KEY, chunk_size=1024)
    first = next(stream)
    stream.close()

    assert len(first) == 1024
    assert list(stream) == []


def test_missing_key_fails_before_streaming(storage: Storage) -> None:
    with pytest.raises(StorageNotFound) as caught:
        storage.open("kota-bandung/2026/11/tidak-ada")
    assert caught.value.key == "kota-bandung/2026/11/tidak-ada"


def test_failed_put_leaves_the_previous_object(storage: Storage) -> None:
    storage.put(KEY, b"dokumen utuh", content_type="application/pdf")

    with pytest.raises(ConnectionResetError):
        storage.put(KEY, io.BufferedReader(FailingStream(200_000)), content_type="application/pdf")

    assert storage.open(KEY).read_all() == b"dokumen utuh"


def test_failed_put_stores_nothing(storage: Storage) -> None:
    with pytest.raises(ConnectionResetError):
        storage.put(KEY, io.BufferedReader(FailingStream(200_000)), content_type="application/pdf")

    assert not storage.exists(KEY)


@pytest.mark.parametrize(
    "key",
    [
        "../rahasia",
        "kota-bandung/../../etc/passwd",
        "/etc/passwd",
        "",
        "kota-bandung//x",
        "kota-bandung/./x",
        "kota-bandung/",
        ".tersembunyi",
        "kota-bandung\\..\\x",
        "kota-bandung/nama berkas",
        "kota-bandung/a\x00b",
    ],
)
def test_keys_that_could_escape_are_rejected(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidStorageKey):
        storage.put(key, b"x", content_type="text/plain")
    with pytest.raises(InvalidStorageKey):
        storage.open(key)
    with pytest.raises(InvalidStorageKey):
        storage.exists(key)
    with pytest.raises(InvalidStorageKey):
        storage.delete(key)


def test_local_files_are_private_and_leave_no_temporary_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")

    storage.put(KEY, b"data pribadi", content_type="application/pdf")
    with pytest.raises(ConnectionResetError):
        storage.put(KEY, io.BufferedReader(FailingStream(10)), content_type="application/pdf")

    path = tmp_path / "uploads" / "kota-bandung" / "2026" / "11" / KEY.rsplit("/", 1)[1]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_s3_keeps_the_content_type_under_the_prefix(s3_endpoint: str, bucket: str) -> None:
    storage = S3Storage(bucket, endpoint_url=s3_endpoint, prefix="/simpul/", **CREDENTIALS)

    storage.put(KEY, b"\x89PNG\r\n\x1a\n", content_type="image/png")

    head = _client(s3_endpoint).head_object(Bucket=bucket, Key=f"simpul/{KEY}")
    assert head["ContentType"] == "image/png"
    assert storage.exists(KEY)


def test_factory_builds_the_named_backend(tmp_path: Path, s3_endpoint: str, bucket: str) -> None:
    local = create_storage("local", local_root=tmp_path)
    s3 = create_storage(
        "s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key="testing",
        s3_secret_key="testing",
    )
    local.put(KEY, b"lokal", content_type="text/plain")
    s3.put(KEY, b"awan", content_type="text/plain")

    assert isinstance(local, LocalStorage)
    assert isinstance(s3, S3Storage)
    assert local.open(KEY).read_all() == b"lokal"
    assert s3.open(KEY).read_all() == b"awan"


@pytest.mark.parametrize(
    ("backend", "arguments"),
    [("local", {}), ("s3", {}), ("ftp", {"local_root": Path("var")})],
)
def test_factory_refuses_incomplete_settings(backend: str, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=backend if backend == "ftp" else "needs"):
        create_storage(backend, **arguments)


def test_a_streaming_response_serves_the_object(storage: Storage) -> None:
    data = os.urandom(1024 * 1024 + 3)
    storage.put(KEY, data, content_type="application/pdf")
    app = FastAPI()

    @app.get("/berkas")
    def download() -> StreamingResponse:
        return StreamingResponse(storage.open(KEY), media_type="application/pdf")

    with TestClient(app) as client:
        response = client.get("/berkas")

    assert response.status_code == 200
    assert response.content == data
