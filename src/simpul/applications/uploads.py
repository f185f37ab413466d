"""Where uploaded documents are stored, the rules an upload goes through, and how a request's
file gets there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import IO, Annotated

from fastapi import Depends, Request

from simpul.applications.files import StoredFile, megabytes, receive_upload
from simpul.applications.inspection import megapixels
from simpul.core.models import Region, utcnow
from simpul.core.security import client_source
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


@dataclass(frozen=True)
class UploadRules:
    """What one file may be, and how much and how often one citizen may upload."""

    max_bytes: int
    max_image_pixels: int
    pending_quota_bytes: int
    rate_per_account: int
    rate_per_address: int
    rate_window_minutes: int
    unattached_hours: float

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadRules:
        return cls(
            max_bytes=settings.upload_max_bytes,
            max_image_pixels=settings.upload_max_image_pixels,
            pending_quota_bytes=settings.upload_pending_quota_bytes,
            rate_per_account=settings.upload_rate_per_account,
            rate_per_address=settings.upload_rate_per_address,
            rate_window_minutes=settings.upload_rate_window_minutes,
            unattached_hours=settings.upload_unattached_hours,
        )

    def stated(self) -> StatedLimits:
        """The limits as a page states them, in the reader's language."""
        return StatedLimits(
            max_mb=megabytes(self.max_bytes),
            max_megapixels=megapixels(self.max_image_pixels),
            quota_mb=megabytes(self.pending_quota_bytes),
        )


@dataclass(frozen=True)
class StatedLimits:
    """``10``, ``40``, ``100``: the numbers the upload fields state before a file is chosen."""

    max_mb: str
    max_megapixels: str
    quota_mb: str


def upload_rules(request: Request) -> UploadRules:
    """The rules of the app's settings, read per request (operators and tests may change them)."""
    return UploadRules.from_settings(request.app.state.settings)


def source_address(request: Request) -> str:
    """The client's source as throttles count it (``core.security.client_source``: IPv6 per
    /64); ``simpul serve`` takes the address from trusted proxies' headers."""
    return client_source(request.client.host if request.client else None)


AppStorage = Annotated[Storage, Depends(request_storage)]
AppUploadRules = Annotated[UploadRules, Depends(upload_rules)]
SourceAddress = Annotated[str, Depends(source_address)]


def new_upload_key(region: Region) -> str:
    """A fresh storage key for an upload: ``{region}/{yyyy}/{mm}/{uuid}``."""
    now = utcnow()
    return f"{region.slug}/{now:%Y}/{now:%m}/{uuid.uuid4()}"


def store_upload(
    stream: IO[bytes],
    region: Region,
    *,
    storage: Storage,
    max_bytes: int,
    max_image_pixels: int | None = None,
) -> StoredFile:
    """Check and store a file under a fresh key (staff evidence, the demo; citizens' uploads
    go through ``upload_limits.receive_citizen_files``, which also counts and limits them)."""
    key = new_upload_key(region)
    if max_image_pixels is None:
        return receive_upload(stream, max_bytes=max_bytes, storage=storage, key=key)
    return receive_upload(
        stream, max_bytes=max_bytes, storage=storage, key=key, max_image_pixels=max_image_pixels
    )
