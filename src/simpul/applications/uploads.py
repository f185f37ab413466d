"""Where uploaded documents are stored and how a request's file gets there."""

from __future__ import annotations

import uuid
from typing import IO, Annotated

from fastapi import Depends, Request

from simpul.applications.files import StoredFile, receive_upload
from simpul.core.models import Region, utcnow
from simpul.core.settings import Settings
from simpul.core.storage import Storage, create_storage


def storage_from_settings(settings: Settings) -> Storage:
    """The backend the settings name (local files under ``var/uploads`` by default, or S3)."""
    return create_storage(
        settings.storage_backend,
        local_root=settings.uploads_dir(),
        s3_bucket=settings.s3_bucket,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
        s3_prefix=settings.s3_prefix,
    )


def request_storage(request: Request) -> Storage:
    """The app's storage (made once when the app is created)."""
    storage: Storage = request.app.state.storage
    return storage


def upload_limit(request: Request) -> int:
    limit: int = request.app.state.settings.upload_max_bytes
    return limit


AppStorage = Annotated[Storage, Depends(request_storage)]
UploadLimit = Annotated[int, Depends(upload_limit)]


def store_upload(
    stream: IO[bytes], region: Region, *, storage: Storage, max_bytes: int
) -> StoredFile:
    """Check and store a citizen's file under a fresh key: ``{region}/{yyyy}/{mm}/{uuid}``."""
    now = utcnow()
    key = f"{region.slug}/{now:%Y}/{now:%m}/{uuid.uuid4()}"
    return receive_upload(stream, max_bytes=max_bytes, storage=storage, key=key)
