"""Complaint photos: checked, re-encoded without metadata, stored (decision 0056).

Every photo is decoded and written again as a new JPEG: EXIF (camera, time, GPS), XMP, ICC
and comments go, and a file that is also something else (a PNG/JPEG/HTML polyglot) keeps only
its pixels. The GPS block is kept only when the citizen chose to share the photo's location.
"""

from __future__ import annotations

import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from PIL import ExifTags, Image, ImageOps
from sqlalchemy.orm import Session

from simpul.complaints import repository
from simpul.complaints.models import Complaint, ComplaintPhoto
from simpul.complaints.rules import MAX_PHOTOS
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.storage import Storage

#: Bytes a photo may have as sent (a phone's full-size JPEG fits).
MAX_PHOTO_BYTES: Final = 8 * 1024 * 1024
#: Pixels a photo may decode to: more is a decompression bomb, not a photo.
MAX_PHOTO_PIXELS: Final = 40_000_000
#: The longer side of the stored photo.
MAX_SIDE: Final = 2048
PHOTO_FIELD: Final = "foto"

_MAGIC: Final = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
_GPS_IFD: Final = ExifTags.IFD.GPSInfo


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo re-encoded and ready to store, with its GPS point when shared."""

    data: bytes
    width: int
    height: int
    location_kept: bool
    point: tuple[float, float] | None


def _format_of(head: bytes) -> str | None:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": PHOTO_FIELD, "message": message}])


def _degrees(value: Any) -> float:
    d, m, s = (float(part) for part in value)
    return d + m / 60 + s / 3600


def _gps_point(gps: dict[int, Any]) -> tuple[float, float] | None:
    try:
        lat = _degrees(gps[2]) * (-1 if str(gps.get(1, "N")).upper().startswith("S") else 1)
        lng = _degrees(gps[4]) * (-1 if str(gps.get(3, "E")).upper().startswith("W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if -90 <= lat <= 90 and -180 <= lng <= 180:
        return lat, lng
    return None


def prepare_photo(data: bytes, *, share_location: bool) -> PreparedPhoto:
    """Check one photo and re-encode it; ``InvalidInput`` on field ``foto`` when refused."""
    if len(data) > MAX_PHOTO_BYTES:
        raise _refused(
            _("Setiap foto paling besar %(mb)d MB.") % {"mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    expected = _format_of(data[:16])
    not_a_photo = _("Foto harus berupa gambar JPEG, PNG atau WebP.")
    if expected is None:
        raise _refused(not_a_photo)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            if opened.format != expected:
                raise _refused(not_a_photo)
            width, height = opened.size
            if width * height > MAX_PHOTO_PIXELS:
                raise _refused(_("Foto ini terlalu besar untuk diproses."))
            opened.load()
            gps = dict(opened.getexif().get_ifd(_GPS_IFD)) if share_location else {}
            image: Image.Image = ImageOps.exif_transpose(opened)
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(_("Foto ini terlalu besar untuk diproses.")) from None
    except (OSError, SyntaxError, ValueError):
        raise _refused(not_a_photo) from None
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    point = _gps_point(gps) if gps else None
    out = io.BytesIO()
    if point is not None:
        exif = Image.Exif()
        exif[_GPS_IFD] = gps
        image.save(out, "JPEG", quality=85, exif=exif.tobytes())
    else:
        image.save(out, "JPEG", quality=85)
    return PreparedPhoto(out.getvalue(), image.width, image.height, point is not None, point)


def prepare_photos(uploads: Sequence[bytes], *, share_location: bool) -> list[PreparedPhoto]:
    """Check and re-encode the photos sent with a complaint (at most ``MAX_PHOTOS``)."""
    if len(uploads) > MAX_PHOTOS:
        raise _refused(_("Paling banyak %(n)d foto.") % {"n": MAX_PHOTOS})
    return [prepare_photo(data, share_location=share_location) for data in uploads]


def store_photos(
    session: Session,
    storage: Storage,
    region: Region,
    complaint: Complaint,
    prepared: Sequence[PreparedPhoto],
    *,
    added_by: str = "reporter",
) -> list[ComplaintPhoto]:
    """Store re-encoded photos under ``complaints/<region>/<complaint>/<uuid>.jpg``."""
    start = len(repository.photos_of(session, region.id, [complaint.id]))
    if start + len(prepared) > MAX_PHOTOS:
        raise _refused(_("Paling banyak %(n)d foto.") % {"n": MAX_PHOTOS})
    rows = []
    for position, photo in enumerate(prepared, start=start):
        photo_id = uuid.uuid4()
        key = f"complaints/{region.id}/{complaint.id}/{photo_id}.jpg"
        storage.put(key, photo.data, content_type="image/jpeg")
        row = ComplaintPhoto(
            id=photo_id,
            region_id=region.id,
            complaint_id=complaint.id,
            storage_key=key,
            content_type="image/jpeg",
            size=len(photo.data),
            width=photo.width,
            height=photo.height,
            location_kept=photo.location_kept,
            position=position,
            added_by=added_by,
        )
        repository.add(session, row)
        rows.append(row)
    session.flush()
    return rows


def photo_of(
    session: Session, region: Region, complaint: Complaint, photo_id: uuid.UUID
) -> ComplaintPhoto:
    """One of the complaint's photos (or its parent's); the caller checked who may read it."""
    found = repository.get_photo(session, region.id, photo_id)
    allowed = {complaint.id} | ({complaint.parent_id} if complaint.parent_id else set())
    if found is None or found.complaint_id not in allowed:
        raise NotFound(_("Foto tidak ditemukan."))
    return found


def photo_bytes(storage: Storage, photo: ComplaintPhoto) -> bytes:
    with storage.open(photo.storage_key) as stream:
        return stream.read_all()
