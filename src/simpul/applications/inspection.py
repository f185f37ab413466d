"""What is inside an accepted upload: PDFs without active content, images within a pixel limit.

Officers open citizens' files in their browsers and desktop readers, so a file must not act
when opened. Nothing here renders or decodes: qpdf (through pikepdf) parses a PDF's objects,
Pillow reads an image's header. Decision 0023 says why PDFs are refused rather than cleaned.

PDFs. Every object qpdf finds is looked at, including those compressed in object streams and
those reached only through indirect references (a byte search sees neither, and misses names
spelt with #-escapes, which qpdf decodes). Refused: JavaScript (actions, ``/JS``, the
``/Names /JavaScript`` tree), launch and remote actions (``/Launch``, ``/GoToR``, ``/GoToE``),
actions that send or fetch form data, embedded files (``/EmbeddedFiles``, ``/EF``,
``/FileAttachment``), rich media and 3D, XFA forms, every ``/AA`` (actions run by events),
and an ``/OpenAction`` that is more than a destination (a ``/GoTo`` chain). Also refused: a
file that needs a password to open, one qpdf cannot read, one of more than 250,000 objects. A
readable file whose cross-reference table qpdf had to rebuild is stored as qpdf rewrote it, so
every reader sees the objects that were checked (readers repair broken files in their own ways).

Images. The header gives the size; above the limit the image is refused before any pixel is
decoded. Pillow's own guards (``DecompressionBombWarning`` above 89 MP, an error when
warnings are errors; ``DecompressionBombError`` above 179 MP) are caught and give the same
refusal, never a 500.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterator, Mapping
from tempfile import SpooledTemporaryFile
from typing import IO, Any, BinaryIO, Final, cast

import pikepdf
from babel.numbers import format_decimal
from pikepdf import Array, Dictionary, Name, Stream
from PIL import Image, UnidentifiedImageError

from simpul.core.errors import DomainError
from simpul.core.i18n import _, current_locale, lazy

log = logging.getLogger(__name__)

#: Pillow's name of each accepted image type (only that decoder may read the header).
IMAGE_FORMATS: Final[Mapping[str, str]] = {"image/png": "PNG", "image/jpeg": "JPEG"}
_SPOOL_MEMORY: Final = 1024 * 1024
#: More objects than this is no citizen's document (a 300-page scan has a few thousand) and
#: costs seconds of CPU to check (bench/upload_checks.py): refused before they are read.
MAX_PDF_OBJECTS: Final = 250_000
#: /OpenAction /Next chains longer than this are not an honest "open at page 1".
_MAX_CHAIN: Final = 16
#: The names worth a closer look, as qpdf writes them (unescaped) in an object's text.
_SUSPECT = re.compile(
    rb"/(?:JS|JavaScript|AA|OpenAction|Launch|GoToR|GoToE|SubmitForm|ImportData|"
    rb"EmbeddedFiles?|EF|FileAttachment|RichMedia\w*|XFA|Rendition|Movie|Sound|3D)"
    rb"(?=[\s/<>\[\]()%{}]|$)"
)


class ActiveContent(enum.Enum):
    """Kinds of active content, in the order a refusal names them."""

    JAVASCRIPT = "javascript"
    LAUNCH = "launch"
    EMBEDDED_FILE = "embedded_file"
    FORM_SUBMISSION = "form_submission"
    RICH_MEDIA = "rich_media"
    XFA = "xfa"
    AUTOMATIC_ACTION = "automatic_action"


_WHAT: Final = {
    ActiveContent.JAVASCRIPT: lazy("JavaScript"),
    ActiveContent.LAUNCH: lazy(
        "perintah untuk menjalankan program atau membuka berkas di komputer lain"
    ),
    ActiveContent.EMBEDDED_FILE: lazy("berkas lain yang disisipkan di dalamnya"),
    ActiveContent.FORM_SUBMISSION: lazy("formulir yang mengirim atau mengambil data sendiri"),
    ActiveContent.RICH_MEDIA: lazy("konten multimedia atau 3D interaktif"),
    ActiveContent.XFA: lazy("formulir XFA"),
    ActiveContent.AUTOMATIC_ACTION: lazy("tindakan yang berjalan otomatis saat berkas dibuka"),
}
_ACTION_KINDS: Final = {
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/Launch": ActiveContent.LAUNCH,
    "/GoToR": ActiveContent.LAUNCH,
    "/GoToE": ActiveContent.LAUNCH,
    "/SubmitForm": ActiveContent.FORM_SUBMISSION,
    "/ImportData": ActiveContent.FORM_SUBMISSION,
    "/Rendition": ActiveContent.RICH_MEDIA,
    "/RichMediaExecute": ActiveContent.RICH_MEDIA,
    "/Movie": ActiveContent.RICH_MEDIA,
    "/Sound": ActiveContent.RICH_MEDIA,
    "/GoTo3DView": ActiveContent.RICH_MEDIA,
}
_SUBTYPE_KINDS: Final = {
    "/FileAttachment": ActiveContent.EMBEDDED_FILE,
    "/RichMedia": ActiveContent.RICH_MEDIA,
    "/Movie": ActiveContent.RICH_MEDIA,
    "/Sound": ActiveContent.RICH_MEDIA,
    "/Screen": ActiveContent.RICH_MEDIA,
    "/3D": ActiveContent.RICH_MEDIA,
}
_KEY_KINDS: Final = {
    "/JS": ActiveContent.JAVASCRIPT,
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/AA": ActiveContent.AUTOMATIC_ACTION,
    "/EmbeddedFiles": ActiveContent.EMBEDDED_FILE,
    "/EF": ActiveContent.EMBEDDED_FILE,
    "/XFA": ActiveContent.XFA,
}


class UploadRefused(DomainError):
    """A file refused for what it contains; nothing was stored. Names the upload field."""

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message, details=[{"field": "file", "message": message}])


class PdfActiveContent(UploadRefused):
    code = "pdf_active_content"

    def __init__(self, kind: ActiveContent) -> None:
        super().__init__(
            _(
                "PDF ditolak karena memuat %(what)s. Demi keamanan petugas yang membukanya, "
                "unggah PDF tanpa isi aktif: buka berkas itu, pilih Cetak lalu Simpan sebagai "
                "PDF, kemudian unggah hasilnya."
            )
            % {"what": _WHAT[kind]}
        )
        self.kind = kind


class PdfEncrypted(UploadRefused):
    code = "pdf_encrypted"

    def __init__(self) -> None:
        super().__init__(
            _(
                "PDF ini dilindungi kata sandi, sehingga tidak dapat diperiksa dan dibuka "
                "petugas. Unggah PDF yang dapat dibuka tanpa kata sandi."
            )
        )


class PdfTooComplex(UploadRefused):
    code = "pdf_too_complex"

    def __init__(self) -> None:
        super().__init__(
            _(
                "PDF ini terlalu rumit untuk diperiksa (lebih dari %(max)s objek). Buka berkas "
                "itu, pilih Cetak lalu Simpan sebagai PDF, kemudian unggah hasilnya."
            )
            % {"max": _number(MAX_PDF_OBJECTS)}
        )


class PdfUnreadable(UploadRefused):
    code = "pdf_unreadable"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Berkas PDF ini rusak atau tidak lengkap, sehingga tidak dapat dibaca. Buka "
                "berkas itu lalu simpan ulang sebagai PDF, kemudian unggah lagi."
            )
        )


class ImageTooLarge(UploadRefused):
    code = "image_too_large"

    def __init__(self, max_pixels: int, size: tuple[int, int] | None = None) -> None:
        limit = megapixels(max_pixels)
        if size is None:
            message = _(
                "Gambar terlalu besar: batasnya %(max)s megapiksel. Perkecil resolusi foto "
                "atau pindai dengan resolusi lebih rendah, lalu unggah lagi."
            ) % {"max": limit}
        else:
            width, height = size
            message = _(
                "Gambar terlalu besar: %(width)s × %(height)s piksel (%(mp)s megapiksel), "
                "batasnya %(max)s megapiksel. Perkecil resolusi foto atau pindai dengan "
                "resolusi lebih rendah, lalu unggah lagi."
            ) % {
                "width": _number(width),
                "height": _number(height),
                "mp": megapixels(width * height),
                "max": limit,
            }
        super().__init__(message)
        self.size = size


class ImageUnreadable(UploadRefused):
    code = "image_unreadable"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Gambar ini rusak atau tidak dapat dibaca. Buka lalu simpan ulang sebagai JPG "
                "atau PNG, kemudian unggah lagi."
            )
        )


def megapixels(pixels: int) -> str:
    """``40`` or ``12,5``: pixels as megapixels in the reader's language."""
    return format_decimal(pixels / 1_000_000, format="#,##0.#", locale=current_locale.get())


def _number(value: int) -> str:
    return format_decimal(value, format="#,##0", locale=current_locale.get())


def inspect_image(file: IO[bytes], content_type: str, *, max_pixels: int) -> None:
    """Refuse an image whose header is unreadable or promises more than ``max_pixels``."""
    file.seek(0)
    try:
        with Image.open(file, formats=[IMAGE_FORMATS[content_type]]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise ImageUnreadable() from None
    if width * height > max_pixels:
        raise ImageTooLarge(max_pixels, (width, height))


def inspect_pdf(file: IO[bytes]) -> IO[bytes] | None:
    """Refuse a PDF with active content, a password, or that qpdf cannot read.

    Returns None to store the file as it is, or a new temporary file (the caller closes it)
    holding qpdf's rewrite of a file whose cross-reference table it had to rebuild.
    """
    file.seek(0)
    try:
        pdf = pikepdf.open(cast("BinaryIO", file))
    except pikepdf.PasswordError:
        raise PdfEncrypted() from None
    except Exception as exc:  # noqa: BLE001 - whatever qpdf cannot parse is not accepted
        log.info("refused an unreadable PDF (%s)", type(exc).__name__)
        raise PdfUnreadable() from None
    with pdf:
        if _declared_objects(pdf) > MAX_PDF_OBJECTS:
            raise PdfTooComplex()
        try:
            count = len(pdf.objects)
            found = active_content(pdf) if count <= MAX_PDF_OBJECTS else set()
            repaired = _was_rebuilt(pdf)
        except Exception as exc:  # noqa: BLE001 - objects qpdf cannot resolve
            log.info("refused a PDF whose objects cannot be read (%s)", type(exc).__name__)
            raise PdfUnreadable() from None
        if count > MAX_PDF_OBJECTS:
            raise PdfTooComplex()
        if found:
            raise PdfActiveContent(min(found, key=list(ActiveContent).index))
        return _rewritten(pdf) if repaired else None


def _declared_objects(pdf: pikepdf.Pdf) -> int:
    """The trailer's /Size (one more than the highest object number), read without reading
    the objects; a file that lies about it is caught by counting them afterwards."""
    size = pdf.trailer.get("/Size")
    return int(size) if isinstance(size, int) else 0


def active_content(pdf: pikepdf.Pdf) -> set[ActiveContent]:
    """The kinds of active content in any object of ``pdf`` (empty: none)."""
    found: set[ActiveContent] = set()
    for obj in _all_objects(pdf):
        own = obj.stream_dict if isinstance(obj, Stream) else obj
        if _SUSPECT.search(own.unparse(resolved=True)):
            found |= _kinds_in(obj)
    return found


def _all_objects(pdf: pikepdf.Pdf) -> Iterator[Any]:
    yield pdf.trailer  # a catalog written directly into the trailer is no indirect object
    for obj in pdf.objects:
        if isinstance(obj, Dictionary | Array | Stream):
            yield obj


def _kinds_in(obj: Any) -> set[ActiveContent]:
    """Look at ``obj`` and its direct parts (indirect ones are looked at on their own)."""
    found: set[ActiveContent] = set()
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, Array):
            pending.extend(v for v in item if _is_direct_container(v))
            continue
        for key in item.keys():  # noqa: SIM118 - a pikepdf dictionary, not a dict
            value = item.get(key)
            found |= _kinds_of_entry(key, value)
            if key == "/OpenAction" and not _only_goes_to_a_page(value):
                found.add(ActiveContent.AUTOMATIC_ACTION)
            if _is_direct_container(value):
                pending.append(value)
    return found


def _kinds_of_entry(key: str, value: Any) -> set[ActiveContent]:
    kinds = {_KEY_KINDS[key]} if key in _KEY_KINDS else set()
    if key.startswith("/RichMedia"):
        kinds.add(ActiveContent.RICH_MEDIA)
    if isinstance(value, Name):
        name = str(value)
        if key == "/S" and name in _ACTION_KINDS:
            kinds.add(_ACTION_KINDS[name])
        elif key == "/Subtype" and name in _SUBTYPE_KINDS:
            kinds.add(_SUBTYPE_KINDS[name])
        elif key == "/Type" and name == "/EmbeddedFile":
            kinds.add(ActiveContent.EMBEDDED_FILE)
    return kinds


def _is_direct_container(value: Any) -> bool:
    return isinstance(value, Dictionary | Array | Stream) and not value.is_indirect


def _only_goes_to_a_page(action: Any) -> bool:
    """True for a destination, or /GoTo actions whose /Next chain only goes to pages."""
    pending = [action]
    for _step in range(_MAX_CHAIN):
        if not pending:
            return True
        item = pending.pop()
        if isinstance(item, Array | pikepdf.String | Name):
            continue  # an explicit or named destination
        if not isinstance(item, Dictionary) or item.get("/S") != Name.GoTo:
            return False
        following = item.get("/Next")
        if isinstance(following, Array):
            if not all(isinstance(a, Dictionary) for a in following):
                return False
            pending.extend(following)
        elif following is not None:
            pending.append(following)
    return not pending


def _was_rebuilt(pdf: pikepdf.Pdf) -> bool:
    """Whether qpdf had to reconstruct the cross-reference table (it only says so in warnings)."""
    return any("reconstruct" in w or "file is damaged" in w for w in pdf.get_warnings())


def _rewritten(pdf: pikepdf.Pdf) -> IO[bytes]:
    out: IO[bytes] = SpooledTemporaryFile(max_size=_SPOOL_MEMORY)  # noqa: SIM115 - caller closes
    try:
        pdf.save(cast("BinaryIO", out))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
