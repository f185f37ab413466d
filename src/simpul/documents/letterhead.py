"""The region's letterhead and the agencies' number formats, as the region admin sets them.

The emblem: an uploaded PNG or JPEG, kept as pixels only.

An emblem is printed on every document the region issues, so what is stored must be nothing
but an image: the upload is opened by Pillow with only the PNG and JPEG decoders allowed (an
SVG, HTML or a polyglot is not an image to them), refused from its header when it promises
more pixels than ``MAX_PIXELS`` (an image bomb is refused before it is decoded), scaled down to
``MAX_SIDE`` and written again as a fresh PNG: metadata, trailing bytes, ICC profiles and any
other chunk are dropped.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import Any, Final

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.catalogue.models import Agency
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.text import unsafe_text_error
from simpul.documents import numbering

MAX_UPLOAD_BYTES: Final = 2 * 1024 * 1024
#: Header dimensions above this are refused before decoding (an emblem is a few hundred pixels).
MAX_PIXELS: Final = 16_000_000
#: The stored emblem's longest side (printed at about 22 mm: 600 px is above 600 dpi).
MAX_SIDE: Final = 600
_FORMATS: Final = ("PNG", "JPEG")


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": "emblem", "message": message}])


def clean_emblem(data: bytes) -> bytes:
    """The emblem as a freshly encoded PNG; ``InvalidInput`` naming the field ``emblem``."""
    if not data:
        raise _refused(_("Pilih berkas lambang daerah (PNG atau JPEG)."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refused(
            _("Berkas lambang terlalu besar: maksimal %(n)d MB.")
            % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS or width < 16 or height < 16:
                    raise _refused(
                        _("Ukuran gambar lambang harus antara 16 × 16 dan 4000 × 4000 piksel.")
                    )
                image.load()
                pixels = image.convert("RGBA")
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refused(
            _("Ukuran gambar lambang harus antara 16 × 16 dan 4000 × 4000 piksel.")
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _refused(_("Berkas lambang bukan gambar PNG atau JPEG yang dapat dibaca.")) from None
    pixels.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ---- The region admin's settings: the letterhead's line, the emblem, agencies' numbers ----

LINE_MAX: Final = 200


def _audit(session: Session, region: Region, admin: User, action: str, **details: Any) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=admin.id,
        actor_label=admin.email,
        action=action,
        target_type="region",
        target_id=str(region.id),
        details=details,
    )


def set_letterhead_line(session: Session, region: Region, admin: User, line: str) -> None:
    """The letterhead's first line ("PEMERINTAH KOTA BANDUNG"); empty: "PEMERINTAH" and the
    region's name."""
    line = " ".join(line.split())
    hidden = unsafe_text_error(line, field="letterhead_line", label=_("Baris pertama kop surat"))
    if hidden:
        raise InvalidInput(hidden["message"], details=[hidden])
    if len(line) > LINE_MAX:
        message = _("Baris pertama kop surat paling panjang %(n)d karakter.") % {"n": LINE_MAX}
        raise InvalidInput(message, details=[{"field": "letterhead_line", "message": message}])
    if line != region.letterhead_line:
        before = region.letterhead_line
        region.letterhead_line = line
        _audit(session, region, admin, "region.letterhead", before=before, after=line)
        session.flush()


def set_emblem(session: Session, region: Region, admin: User, upload: bytes) -> None:
    """Keep the region's emblem (``clean_emblem``: only its pixels); audited with its hash."""
    cleaned = clean_emblem(upload)
    region.emblem_png = cleaned
    _audit(
        session,
        region,
        admin,
        "region.emblem",
        sha256=hashlib.sha256(cleaned).hexdigest(),
        bytes=len(cleaned),
    )
    session.flush()


def remove_emblem(session: Session, region: Region, admin: User) -> None:
    if region.emblem_png is not None:
        region.emblem_png = None
        _audit(session, region, admin, "region.emblem_removed")
        session.flush()


def set_number_format(
    session: Session, region: Region, admin: User, agency: Agency, number_format: str
) -> None:
    """The agency's document number format, checked (``numbering.format_problem``)."""
    number_format = number_format.strip()
    problem = numbering.format_problem(number_format) or numbering.length_problem(
        number_format, agency.short_name
    )
    if problem:
        field = f"format_{agency.slug}"
        raise InvalidInput(problem, details=[{"field": field, "message": problem}])
    if agency.region_id != region.id:
        raise InvalidInput(_("Instansi tidak ditemukan di wilayah ini."))
    if number_format != agency.document_number_format:
        before = agency.document_number_format
        agency.document_number_format = number_format
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=admin.id,
            actor_label=admin.email,
            action="agency.number_format",
            target_type="agency",
            target_id=str(agency.id),
            details={"slug": agency.slug, "before": before, "after": number_format},
        )
        session.flush()
