"""Requirement documents citizens upload: checked by content, size-limited, hashed, stored.

The type of a file is decided by its first bytes (``filetype``), never by its name or the
Content-Type the browser sent; what is inside is checked by ``inspection`` (PDFs without
active content, images within a pixel limit). Only complete, accepted files reach the storage.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO, Final
from urllib.parse import quote

import filetype  # type: ignore[import-untyped]
from babel.numbers import format_decimal

from simpul.applications.inspection import inspect_image, inspect_pdf
from simpul.core.errors import DomainError
from simpul.core.i18n import _, current_locale
from simpul.core.storage import Storage

#: What citizens may upload, with the extension a download of that type gets.
ACCEPTED_TYPES: Final[Mapping[str, str]] = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
#: The default of ``SIMPUL_UPLOAD_MAX_IMAGE_PIXELS`` (for callers without settings at hand).
DEFAULT_MAX_IMAGE_PIXELS: Final = 40_000_000
#: How much of the start of a file ``filetype`` looks at.
HEAD_BYTES: Final = 8192
_READ_CHUNK: Final = 64 * 1024
#: Staged uploads up to this size stay in memory; larger ones go to a temporary file.
_SPOOL_MEMORY: Final = 1024 * 1024
_MEBIBYTE: Final = 1024 * 1024
_MAX_FILENAME_BYTES: Final = 150
_FALLBACK_NAME: Final = "dokumen"
# Characters Windows refuses in names, and quotes/backslashes that would break the header.
_UNSAFE_CHARACTERS = re.compile(r'[<>:"/\\|?*;]')
_SPACES = re.compile(r"\s+")
_EXTENSION = re.compile(r"(.*?)(\.[A-Za-z0-9]{1,8})")


class FileTooLarge(DomainError):
    """The upload passed ``max_bytes``; nothing was stored."""

    status_code = 413
    code = "file_too_large"

    def __init__(self, max_bytes: int) -> None:
        message = _("Ukuran berkas melebihi batas %(mb)s MB.") % {"mb": megabytes(max_bytes)}
        super().__init__(message, details=[{"field": "file", "message": message}])
        self.max_bytes = max_bytes


class UnsupportedFileType(DomainError):
    """The content is not a PDF, JPEG or PNG (whatever its name says); nothing was stored."""

    status_code = 415
    code = "unsupported_file_type"

    def __init__(self) -> None:
        message = _("Jenis berkas tidak diterima. Unggah PDF, JPG atau PNG.")
        super().__init__(message, details=[{"field": "file", "message": message}])


def megabytes(size: int) -> str:
    """``10`` or ``2,5``: a size in MB (MiB) in the reader's language."""
    return format_decimal(size / _MEBIBYTE, format="#,##0.#", locale=current_locale.get())


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file that reached the storage: where, what it is (by content), how big, its SHA-256."""

    key: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class StagedFile:
    """An upload that passed every check and waits, in a temporary file, to be stored."""

    content_type: str
    size: int
    sha256: str
    file: IO[bytes]


def detect_type(head: bytes) -> str | None:
    """Return the accepted MIME type the file's first bytes show, or None (e.g. an .exe)."""
    kind = filetype.guess(head[:HEAD_BYTES]) if head else None
    mime = str(kind.mime) if kind is not None else None
    return mime if mime in ACCEPTED_TYPES else None


@contextmanager
def staged_upload(
    stream: IO[bytes], *, max_bytes: int, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
) -> Iterator[StagedFile]:
    """Read ``stream`` into a temporary file and check it; the file is gone after the block.

    Raises ``FileTooLarge`` as soon as more than ``max_bytes`` arrive and
    ``UnsupportedFileType`` as soon as the first bytes show the content is not accepted; then
    what is inside is checked (``inspection``: PDFs without active content, images within
    ``max_image_pixels``). A PDF qpdf had to repair is staged as qpdf rewrote it.
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    content_type: str | None = None
    with SpooledTemporaryFile(max_size=_SPOOL_MEMORY) as staged:
        while chunk := stream.read(_READ_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FileTooLarge(max_bytes)
            if content_type is None and len(head) < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - len(head)]
                if len(head) == HEAD_BYTES:
                    content_type = _accepted_type(head)
            digest.update(chunk)
            staged.write(chunk)
        if content_type is None:
            content_type = _accepted_type(head)
        if content_type == "application/pdf":
            repaired = inspect_pdf(staged)
        else:
            inspect_image(staged, content_type, max_pixels=max_image_pixels)
            repaired = None
        try:
            final = repaired or staged
            size, sha256 = _measure(final) if repaired else (size, digest.hexdigest())
            final.seek(0)
            yield StagedFile(content_type=content_type, size=size, sha256=sha256, file=final)
        finally:
            if repaired is not None:
                repaired.close()


def store_staged(staged: StagedFile, storage: Storage, key: str) -> StoredFile:
    """Put a staged file into the storage under ``key``."""
    staged.file.seek(0)
    storage.put(key, staged.file, content_type=staged.content_type)
    return StoredFile(
        key=key, content_type=staged.content_type, size=staged.size, sha256=staged.sha256
    )


def receive_upload(
    stream: IO[bytes],
    *,
    max_bytes: int,
    storage: Storage,
    key: str,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> StoredFile:
    """Check, hash and store an upload read from ``stream``; raise before storing anything."""
    with staged_upload(stream, max_bytes=max_bytes, max_image_pixels=max_image_pixels) as staged:
        return store_staged(staged, storage, key)


def _measure(file: IO[bytes]) -> tuple[int, str]:
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(_READ_CHUNK):
        size += len(chunk)
        digest.update(chunk)
    return size, digest.hexdigest()


def _accepted_type(head: bytes) -> str:
    content_type = detect_type(head)
    if content_type is None:
        raise UnsupportedFileType()
    return content_type


def safe_filename(name: str, *, content_type: str | None = None) -> str:
    """Turn a citizen's file name into one safe to offer in a download, or ``dokumen``.

    Drops folders, control and invisible characters (such as right-to-left overrides), keeps
    the name readable and at most 150 UTF-8 bytes. With ``content_type`` the name is made to
    end in that type's extension, so a PNG called ``ktp.exe`` downloads as ``ktp.exe.png``.
    """
    base = re.split(r"[/\\]", name)[-1]
    base = unicodedata.normalize("NFC", base)
    # Tabs and line breaks become spaces; other control and format characters go.
    base = "".join(c for c in base if c.isspace() or not unicodedata.category(c).startswith("C"))
    base = _UNSAFE_CHARACTERS.sub("_", base)
    base = _SPACES.sub(" ", base).strip(" .")
    match = _EXTENSION.fullmatch(base)
    stem, suffix = (match[1], match[2]) if match else (base, "")
    wanted = ACCEPTED_TYPES.get(content_type or "")
    if wanted is not None and suffix.lower() not in _extensions_of(wanted):
        stem, suffix = base, wanted
    stem = _truncate_utf8(stem, _MAX_FILENAME_BYTES - len(suffix.encode())).rstrip(" .")
    return f"{stem}{suffix}" if stem else f"{_FALLBACK_NAME}{wanted or suffix}"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """The Content-Disposition value for a download named ``filename`` (RFC 6266/5987).

    Gives an ASCII ``filename`` for old clients and the exact UTF-8 name in ``filename*``.
    """
    name = safe_filename(filename)
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = _SPACES.sub(" ", ascii_only).strip()
    if not ascii_name or ascii_name.startswith("."):  # nothing but the extension was ASCII
        ascii_name = _FALLBACK_NAME + ascii_name
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _extensions_of(extension: str) -> frozenset[str]:
    return frozenset({".jpg", ".jpeg"}) if extension == ".jpg" else frozenset({extension})


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode()
    if len(encoded) <= max_bytes:
        return text
    return encoded[: max(max_bytes, 0)].decode("utf-8", "ignore")
