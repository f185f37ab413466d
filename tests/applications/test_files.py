"""Uploads of requirement documents: judged by content, limited in size, hashed, stored whole."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from simpul.applications.files import (
    ACCEPTED_TYPES,
    FileTooLarge,
    UnsupportedFileType,
    content_disposition,
    detect_type,
    receive_upload,
    safe_filename,
)
from simpul.core.errors import DomainError
from simpul.core.storage import LocalStorage
from tests.samples import pdf_bytes, pdf_of_size, png_bytes

KEY = "kota-bandung/2026/11/5f0e7d8e-2c1b-4c55-8d7e-0c6f1b0e9a21"
MB = 1024 * 1024


def minimal_jpeg() -> bytes:
    """SOI, a JFIF APP0 segment and EOI: what identifies a JPEG (but holds no picture)."""
    app0 = b"JFIF\x00" + bytes([1, 1, 0, 0, 1, 0, 1, 0, 0])
    return b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def small_jpeg() -> bytes:
    """A real 2 x 2 JPEG: what is stored must be a picture whose size can be read."""
    out = io.BytesIO()
    Image.new("RGB", (2, 2), (120, 80, 40)).save(out, format="JPEG")
    return out.getvalue()


def large_pdf(size: int) -> bytes:
    """A valid PDF of about ``size`` bytes: incompressible data in a stream no page uses."""
    pdf = pikepdf.Pdf.new()
    pdf.add_blank_page(page_size=(300, 100))
    pdf.Root.Padding = pdf.make_stream(bytes(range(256)) * (size // 256))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def windows_executable() -> bytes:
    """The start of a PE file: DOS header pointing at the ``PE`` signature."""
    dos = bytearray(b"MZ" + b"\x90\x00" * 29 + b"\x00" * 2)
    dos[0x3C:0x40] = struct.pack("<I", 0x80)
    dos += b"\x00" * (0x80 - len(dos))
    return bytes(dos) + b"PE\x00\x00" + b"\x4c\x01" + b"\x00" * 200


class CountingStream(io.RawIOBase):
    """An endless upload that counts how much the receiver read of it."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        start = self.head[self.read_bytes : self.read_bytes + n]
        buffer[:n] = start + b"\x00" * (n - len(start))
        self.read_bytes += n
        return n


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "uploads")


def stored_files(storage: LocalStorage) -> list[Path]:
    return [p for p in storage.root.rglob("*") if p.is_file()] if storage.root.exists() else []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), "application/pdf"),
        (png_bytes(), "image/png"),
        (minimal_jpeg(), "image/jpeg"),
        (windows_executable(), None),
        (b"<html><script>alert(1)</script></html>", None),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", None),
        (b"", None),
    ],
)
def test_type_is_decided_by_content(content: bytes, expected: str | None) -> None:
    assert detect_type(content) == expected


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (pdf_bytes(), "application/pdf"),
        (png_bytes(), "image/png"),
        (small_jpeg(), "image/jpeg"),
    ],
)
def test_accepted_file_is_stored_with_its_checksum(
    storage: LocalStorage, content: bytes, content_type: str
) -> None:
    stored = receive_upload(io.BytesIO(content), max_bytes=MB, storage=storage, key=KEY)

    assert stored.key == KEY
    assert stored.content_type == content_type
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert storage.open(KEY).read_all() == content


def test_large_accepted_file_is_hashed_across_chunks(storage: LocalStorage) -> None:
    content = large_pdf(3 * MB)  # spooled to disk

    stored = receive_upload(io.BytesIO(content), max_bytes=5 * MB, storage=storage, key=KEY)

    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert storage.open(KEY).read_all() == content


def test_executable_named_pdf_is_refused_and_not_stored(storage: LocalStorage) -> None:
    upload = io.BytesIO(windows_executable())
    upload.name = "surat-pengantar.pdf"

    with pytest.raises(UnsupportedFileType) as caught:
        receive_upload(upload, max_bytes=MB, storage=storage, key=KEY)

    assert isinstance(caught.value, DomainError)
    assert caught.value.status_code == 415
    assert caught.value.message == "Jenis berkas tidak diterima. Unggah PDF, JPG atau PNG."
    assert stored_files(storage) == []


def test_unsupported_type_is_refused_without_reading_the_rest(storage: LocalStorage) -> None:
    upload = CountingStream(windows_executable())

    with pytest.raises(UnsupportedFileType):
        receive_upload(io.BufferedReader(upload), max_bytes=100 * MB, storage=storage, key=KEY)

    assert upload.read_bytes <= 128 * 1024
    assert stored_files(storage) == []


def test_oversized_file_is_refused_early_and_not_stored(storage: LocalStorage) -> None:
    upload = CountingStream(pdf_bytes())

    with pytest.raises(FileTooLarge) as caught:
        receive_upload(io.BufferedReader(upload), max_bytes=MB, storage=storage, key=KEY)

    assert caught.value.status_code == 413
    assert caught.value.max_bytes == MB
    assert caught.value.message == "Ukuran berkas melebihi batas 1 MB."
    assert upload.read_bytes <= MB + 64 * 1024
    assert stored_files(storage) == []


def test_limit_is_inclusive(storage: LocalStorage) -> None:
    exactly = pdf_of_size(MB)

    stored = receive_upload(io.BytesIO(exactly), max_bytes=MB, storage=storage, key=KEY)
    with pytest.raises(FileTooLarge):
        receive_upload(io.BytesIO(exactly + b"\n"), max_bytes=MB, storage=storage, key=KEY + "b")

    assert stored.size == MB
    assert stored_files(storage) == [storage.path_for(KEY)]


def test_limit_message_shows_fractional_megabytes() -> None:
    assert FileTooLarge(int(2.5 * MB)).message == "Ukuran berkas melebihi batas 2,5 MB."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Akta Kelahiran Budi.pdf", "Akta Kelahiran Budi.pdf"),
        ("C:\\Users\\budi\\Desktop\\KTP.pdf", "KTP.pdf"),
        ("../../etc/passwd", "passwd"),
        ("foto\u202egpj.exe", "fotogpj.exe"),  # a right-to-left override would show "exe.jpg"
        ("kk\r\nSet-Cookie: x.pdf", "kk Set-Cookie_ x.pdf"),
        ('surat "asli";.pdf', "surat _asli__.pdf"),
        ("  Surat \t  Kuasa  .pdf  ", "Surat Kuasa.pdf"),
        ("", "dokumen"),
        ("...", "dokumen"),
        ("/", "dokumen"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_limits_length_and_keeps_the_extension() -> None:
    name = safe_filename("Surat Keterangan Domisili " * 20 + ".pdf")

    assert len(name.encode()) <= 150
    assert name.startswith("Surat Keterangan Domisili")
    assert name.endswith(".pdf")
    assert len(safe_filename("é" * 200 + ".png").encode()) <= 150


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("ktp.exe", "image/png", "ktp.exe.png"),
        ("foto.JPEG", "image/jpeg", "foto.JPEG"),
        ("scan", "application/pdf", "scan.pdf"),
        ("", "image/jpeg", "dokumen.jpg"),
    ],
)
def test_safe_filename_ends_in_the_detected_type(
    name: str, content_type: str, expected: str
) -> None:
    assert content_type in ACCEPTED_TYPES
    assert safe_filename(name, content_type=content_type) == expected


def test_content_disposition_carries_an_ascii_and_a_utf8_name() -> None:
    assert content_disposition("Surat – Budi Śantoso.pdf") == (
        'attachment; filename="Surat Budi Santoso.pdf"; '
        "filename*=UTF-8''Surat%20%E2%80%93%20Budi%20%C5%9Aantoso.pdf"
    )
    assert content_disposition("日本.pdf", inline=True).startswith('inline; filename="dokumen.pdf"')
