"""The rendered document shows what the standard and the application say, in Indonesian."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from simpul.documents import render
from simpul.documents.codes import new_code
from simpul.documents.render import indonesian_date, render_document, verification_url
from tests.documents.conftest import CODE, Issued, content


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_document_shows_letterhead_title_number_data_and_date(issued: Issued) -> None:
    text = _text(issued.rendered)
    for expected in (
        "KOTA BANDUNG",
        "SURAT IZIN USAHA MIKRO",
        "Nomor: 503/0007/DPMPTSP/2026",
        "Siti Nurhaliza",
        "Warung Kopi Sejahtera",
        "Jl. Braga No. 7",
        "Ditetapkan pada 27 November 2026",
        "Kepala Dinas",
    ):
        assert expected in text, expected
    assert f"kota-bandung/verifikasi/{CODE}" in text.replace("\n", "")


def test_number_and_code_are_in_the_metadata(issued: Issued) -> None:
    reader = PdfReader(BytesIO(issued.rendered))
    assert reader.metadata is not None
    assert reader.metadata.title == "Surat Izin Usaha Mikro"
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data()
    assert b"<simpul:documentNumber>503/0007/DPMPTSP/2026<" in raw
    assert f"<simpul:verificationCode>{CODE}<".encode() in raw


def test_text_beyond_latin1_and_markup_survives() -> None:
    document = content()
    odd = "Ñoño “Kopi” & <Teh> — Ǆ"
    pdf = render_document(
        type(document)(**{**document.__dict__, "applicant_name": odd, "number": "1/<2>&3"})
    )
    text = _text(pdf)
    assert "Ñoño “Kopi” & <Teh>" in text
    xmp = PdfReader(BytesIO(pdf)).xmp_metadata
    assert xmp is not None
    assert b"<simpul:documentNumber>1/&lt;2&gt;&amp;3<" in xmp.stream.get_data()


def test_long_data_flows_onto_a_second_page_and_keeps_the_signature_block() -> None:
    document = content()
    rows = [(f"Baris {i}", "isi " * 30) for i in range(30)]
    pdf = render_document(type(document)(**{**document.__dict__, "rows": rows}))
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "Ditetapkan pada" in reader.pages[-1].extract_text()


def test_indonesian_date_and_verification_url() -> None:
    assert indonesian_date(date(2026, 1, 5)) == "5 Januari 2026"
    assert indonesian_date(date(2026, 8, 17)) == "17 Agustus 2026"
    assert (
        verification_url("https://portal.example/", "kota-bandung", "abc")
        == "https://portal.example/kota-bandung/verifikasi/abc"
    )


def test_without_dejavu_the_core_font_prints_latin1_and_marks_the_rest(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(render, "FONT_DIR", tmp_path)  # no fonts there
    document = content()
    pdf = render_document(
        type(document)(**{**document.__dict__, "applicant_name": "Ñoño Ǆ Sudirman"})
    )
    text = _text(pdf)
    assert "Ñoño ? Sudirman" in text
    assert "Nomor: 503/0007/DPMPTSP/2026" in text


def test_the_code_is_printed_under_the_qr_code() -> None:
    """Whoever cannot scan types the code: it is printed below the stamp's left edge, where
    the QR code goes, as the verification page says."""
    code = new_code()
    document = content(code=code)
    pdf = render_document(document)
    placed: list[tuple[str, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if text.strip():
            placed.append((text.strip(), tm[4], tm[5]))

    PdfReader(BytesIO(pdf)).pages[-1].extract_text(visitor_text=visit)
    [(x, y)] = [(x, y) for text, x, y in placed if text == code]
    left, bottom, right, _top = render.SIGNATURE_BOX  # points, from the bottom left
    assert left - 1 <= x < (left + right) / 2  # under the left half, where the QR code is
    assert bottom - 30 < y < bottom  # just below the stamp
