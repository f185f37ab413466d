"""Real, small files of the kinds citizens upload, built byte by byte for tests."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf


def pdf_bytes(text: str | None = None) -> bytes:
    """A valid one-page PDF (showing ``text`` when given) with a correct cross-reference table."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100]"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    if text is None:
        objects.append(page + b" >>")
    else:
        content = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
        objects += [
            page + b" /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_bytes(
    width: int = 1, height: int = 1, rgb: tuple[int, int, int] = (255, 255, 255)
) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly ``size`` bytes (at least about 1 KB): spaces in a stream no page
    uses, then a few ``%`` after ``%%EOF`` (fewer than the 1 KB readers look through)."""

    def build(padding: int) -> bytes:
        pdf = pikepdf.Pdf.new()
        pdf.add_blank_page(page_size=(300, 100))
        pdf.Root.Padding = pdf.make_stream(b" " * padding)
        out = io.BytesIO()
        pdf.save(out, compress_streams=False)
        return out.getvalue()

    data = build(max(size - len(build(0)) - 100, 0))
    if not len(data) <= size < len(data) + 1000:
        raise ValueError(f"no PDF of {size} bytes can be built this way")
    return data + b"%" * (size - len(data))
