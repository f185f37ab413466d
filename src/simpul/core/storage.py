"""File storage: one interface, a local backend (files on disk) and an S3 backend.

Keys are relative, ``/``-separated paths such as ``kota-bandung/2026/11/<uuid>``. Both backends
accept exactly the same keys (segments of letters, digits, ``.``, ``_`` and ``-``, never starting
with a dot), so a key that works on a laptop works in production and can never leave the root.

Downloads are streamed: ``open()`` returns a ``ChunkStream`` that a FastAPI
``StreamingResponse`` iterates, so a file is never held in memory whole. ``open()`` raises
``StorageNotFound`` before the first byte, while the handler can still answer 404.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Final, Protocol, Self

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

CHUNK_SIZE: Final = 64 * 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_MAX_KEY_LENGTH: Final = 512
_S3_MISSING: Final = frozenset({"404", "NoSuchKey", "NotFound"})


class StorageError(Exception):
    """Base of the storage errors (programming or infrastructure faults, not user input)."""


class StorageNotFound(StorageError):
    """No object is stored under ``key``."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under key {key!r}")
        self.key = key


class InvalidStorageKey(StorageError, ValueError):
    """The key is not a plain relative path (``..``, absolute, odd characters, hidden name)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"invalid storage key {key!r}")
        self.key = key


def check_key(key: str) -> str:
    """Return ``key`` if both backends accept it, else raise ``InvalidStorageKey``."""
    segments = key.split("/")
    if (
        not key
        or len(key) > _MAX_KEY_LENGTH
        or not all(_SEGMENT.fullmatch(segment) for segment in segments)
    ):
        raise InvalidStorageKey(key)
    return key


class ChunkStream:
    """The chunks of one stored object, read lazily; closes its source when exhausted or closed.

    Iterate it (or hand it to ``StreamingResponse``); if you stop early, call ``close()`` or use
    it as a context manager. It is also closed when garbage-collected.
    """

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close: Callable[[], None] | None = close

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> bytes:
        if self._close is None:
            raise StopIteration
        try:
            return next(self._chunks)
        except BaseException:  # StopIteration included: the end of the object closes it too
            self.close()
            raise

    def read_all(self) -> bytes:
        """Return the whole object. For small objects and tests only: it defeats streaming."""
        with self:
            return b"".join(self)

    def close(self) -> None:
        """Release the file or connection behind the stream; safe to call more than once."""
        close, self._close = self._close, None
        if close is not None:
            close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


class Storage(Protocol):
    """Where uploaded files live. Every method validates the key first (``check_key``)."""

    def put(self, key: str, data: IO[bytes] | bytes, *, content_type: str) -> None:
        """Store ``data`` (bytes, or a stream read from its current position) under ``key``.

        Replaces any object with that key; a failed put leaves the previous object intact.
        """
        ...

    def open(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> ChunkStream:
        """Start streaming the object; raise ``StorageNotFound`` at once if there is none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under ``key``."""
        ...


class LocalStorage:
    """Files under ``root``, written atomically, readable only by the server's user (0600)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (which need not exist)."""
        return self.root.joinpath(*check_key(key).split("/"))

    def put(self, key: str, data: IO[bytes] | bytes, *, content_type: str) -> None:
        """Write to a temporary file beside the target, fsync, then rename over the target."""
        del content_type  # the database keeps the type; a file on disk has nowhere to put it
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file with mode 0600; the leading dot keeps it out of key space.
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(data, bytes):
                    handle.write(data)
                else:
                    shutil.copyfileobj(data, handle, CHUNK_SIZE)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        _fsync_directory(path.parent)

    def open(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> ChunkStream:
        """Open the file now (so a missing one fails here) and read it chunk by chunk."""
        try:
            handle = self.path_for(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise StorageNotFound(key) from None
        return ChunkStream(iter(partial(handle.read, chunk_size), b""), handle.close)

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self.path_for(key).unlink()

    def exists(self, key: str) -> bool:
        """Tell whether the file is there."""
        return self.path_for(key).is_file()


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry itself reaches the disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    """Objects in a bucket of any S3-compatible service (AWS, MinIO, Wasabi, ...).

    Without ``access_key``/``secret_key`` boto3's usual chain applies (environment, instance
    role). With an ``endpoint_url`` path-style addressing is used, which every S3-compatible
    server understands.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        config = Config(
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            # Checksums only when the API requires them: several S3-compatible servers reject
            # the CRC headers boto3 sends by default since 1.36.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=10,
            read_timeout=60,
            retries={"mode": "standard", "max_attempts": 3},
        )
        self._client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def object_name(self, key: str) -> str:
        """The S3 object key that holds ``key`` (the prefix plus the key)."""
        return self.prefix + check_key(key)

    def put(self, key: str, data: IO[bytes] | bytes, *, content_type: str) -> None:
        """Upload (multipart for large streams); S3 makes the new object visible atomically."""
        name = self.object_name(key)
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        self._client.upload_fileobj(
            stream, self.bucket, name, ExtraArgs={"ContentType": content_type}
        )

    def open(self, key: str, *, chunk_size: int = CHUNK_SIZE) -> ChunkStream:
        """Send the GET now (so a missing object fails here) and stream the body in chunks."""
        name = self.object_name(key)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _error_code(error) in _S3_MISSING:
                raise StorageNotFound(key) from None
            raise
        body = response["Body"]
        return ChunkStream(body.iter_chunks(chunk_size), body.close)

    def delete(self, key: str) -> None:
        """Remove the object (S3 answers the same whether it existed or not)."""
        self._client.delete_object(Bucket=self.bucket, Key=self.object_name(key))

    def exists(self, key: str) -> bool:
        """Ask for the object's metadata (HEAD)."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.object_name(key))
        except ClientError as error:
            if _error_code(error) in _S3_MISSING:
                return False
            raise
        return True


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_storage(
    backend: str,
    *,
    local_root: Path | None = None,
    s3_bucket: str | None = None,
    s3_endpoint_url: str | None = None,
    s3_region: str | None = None,
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
    s3_prefix: str = "",
) -> Storage:
    """Build the backend the settings name: ``"local"`` (needs ``local_root``) or ``"s3"``."""
    if backend == "local":
        if local_root is None:
            raise ValueError("the local storage backend needs local_root")
        return LocalStorage(local_root)
    if backend == "s3":
        if not s3_bucket:
            raise ValueError("the s3 storage backend needs s3_bucket")
        return S3Storage(
            s3_bucket,
            endpoint_url=s3_endpoint_url or None,
            region=s3_region or None,
            access_key=s3_access_key or None,
            secret_key=s3_secret_key or None,
            prefix=s3_prefix,
        )
    raise ValueError(f"unknown storage backend {backend!r} (expected 'local' or 's3')")
