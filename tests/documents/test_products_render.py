"""A service's product printed from its template: the akta kelahiran as a certificate carries
the service's own fields, the signer's position and NIP and dates in Indonesian; long text
wraps without overlapping the stamp; a preview is marked CONTOH; the letterhead prints the
emblem and the region's line."""

from __future__ import annotations

import io
import subprocess
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from simpul.applications.models import Application
from simpul.catalogue.models import Agency, Service
from simpul.catalogue.products import ProductTemplate, validate_products
from simpul.core.models import Region
from simpul.demo.letterhead import placeholder_emblem
from simpul.documents import render
from simpul.documents.content import (
    Applicant,
    SignerLines,
    printed_date,
    product_content,
    sample_content,
)
from simpul.documents.render import DocumentContent, render_document
from simpul.documents.signing import sign_pdf
from tests.documents.conftest import Issued

ROOT = Path(__file__).resolve().parents[2]

AKTA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "nama_anak": {"type": "string", "title": "Nama lengkap anak"},
        "jenis_kelamin": {
            "type": "string",
            "title": "Jenis kelamin",
            "oneOf": [{"const": "L", "title": "Laki-laki"}, {"const": "P", "title": "Perempuan"}],
        },
        "tanggal_lahir": {"type": "string", "format": "date", "title": "Tanggal lahir"},
        "kota_kelahiran": {"type": "string", "title": "Kota/kabupaten tempat lahir"},
        "anak_ke": {"type": "integer", "title": "Anak ke-"},
        "nik_ayah": {"type": "string", "title": "NIK ayah", "x-simpul-personal": "nik"},
    },
}
AKTA_DATA = {
    "nama_anak": "Raden Ajeng Kartika Sari",
    "jenis_kelamin": "P",
    "tanggal_lahir": "2026-11-20",
    "kota_kelahiran": "Kota Bandung",
    "anak_ke": 2,
    "nik_ayah": "3273011505900002",
}
AKTA_PRODUCTS = [
    {
        "code": "akta_kelahiran",
        "title": "Kutipan Akta Kelahiran",
        "layout": "sertifikat",
        "opening": "Berdasarkan pencatatan kelahiran, Pejabat Pencatatan Sipil menerangkan bahwa",
        "fields": [
            {"label": "Nomor register akta", "source": "step:nomor_register"},
            {"label": "Nama", "source": "form:nama_anak"},
            {"label": "Jenis kelamin", "source": "form:jenis_kelamin"},
            {"label": "Tempat lahir", "source": "form:kota_kelahiran"},
            {"label": "Tanggal lahir", "source": "form:tanggal_lahir"},
            {"label": "Anak ke", "source": "form:anak_ke"},
            {"label": "NIK ayah", "source": "form:nik_ayah"},
            {"label": "Dicatat pada", "source": "application:finished_on"},
        ],
        "closing": "Kutipan ini dikeluarkan sesuai dengan data pada register akta kelahiran.",
        "signer_position": "Kepala Dinas Kependudukan dan Pencatatan Sipil",
    }
]
POSITION = "Kepala Dinas Kependudukan dan Pencatatan Sipil Kota Bandung"
NIP = "197003121995031002"


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    """Poppler's text of the PDF in reading order, wrapped lines joined by single spaces."""
    path = tmp_path / "dokumen.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    return " ".join(text.split())


def emblem() -> bytes:
    return placeholder_emblem()


def world() -> tuple[Region, Agency, Service, Application]:
    region = Region(
        slug="kota-bandung",
        name="Kota Bandung",
        kind="kota",
        timezone="Asia/Jakarta",
        letterhead_line="PEMERINTAH KOTA BANDUNG",
        emblem_png=emblem(),
    )
    agency = Agency(
        name="Dinas Kependudukan dan Pencatatan Sipil",
        short_name="Disdukcapil",
        address="Jl. Ambon No. 1B, Citarum, Kec. Bandung Wetan, Kota Bandung 40115",
        phone="(022) 4209384",
        email="disdukcapil@bandung.go.id",
        website="disdukcapil.bandung.go.id",
    )
    service = Service(
        name="Akta Kelahiran",
        standard={"produk_pelayanan": "Kutipan Akta Kelahiran"},
        eform={"schema": AKTA_SCHEMA},
        products=AKTA_PRODUCTS,
    )
    application = Application(
        tracking_number="PRM-2026-000777",
        data=AKTA_DATA,
        officer_data={"nomor_register": "3273-LU-20112026-0012"},
        submitted_at=datetime(2026, 11, 21, 2, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 24, 20, 30, tzinfo=UTC),  # 25 November in Bandung
    )
    return region, agency, service, application


def akta(**signer: str) -> DocumentContent:
    region, agency, service, application = world()
    (product,) = validate_products(service.products)
    return product_content(
        region=region,
        agency=agency,
        service=service,
        product=product,
        application=application,
        applicant=Applicant("Siti Nurhaliza", "3273015203900001"),
        signer=SignerLines(
            signer.get("name", "Dr. Hj. Ratna Dewi, M.Si."),
            signer.get("position", POSITION),
            signer.get("nip", NIP),
        ),
        number="474.1/00012/DISDUKCAPIL/XI/2026",
        code="K7QM-3XH2-9TFA-WP4D",
        base_url="https://layanan.bandung.go.id",
        issued_on=date(2026, 11, 25),
    )


def test_the_akta_carries_its_own_fields_the_signer_and_indonesian_dates(
    issued: Issued, tmp_path: Path
) -> None:
    content = akta()
    pdf = sign_pdf(
        render_document(content),
        issued.signer,
        reason="Penerbitan Kutipan Akta Kelahiran",
        location="Kota Bandung",
        qr_url=content.verification_url,
    )
    text = pdftotext(pdf, tmp_path)
    for expected in (
        "PEMERINTAH KOTA BANDUNG",
        "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL",
        "Jl. Ambon No. 1B",
        "KUTIPAN AKTA KELAHIRAN",
        "Nomor: 474.1/00012/DISDUKCAPIL/XI/2026",
        "3273-LU-20112026-0012",  # the operator's register number (step:)
        "Raden Ajeng Kartika Sari",
        "Perempuan",  # a choice by its label
        "20 November 2026",  # the form's date answer, in words
        "25 November 2026",  # finished on, in the region's day
        "3273011505900002",  # the citizen's own document: the NIK in full
        "Ditetapkan pada 25 November 2026",
        POSITION,
        "Dr. Hj. Ratna Dewi, M.Si.",
        f"NIP. {NIP}",
        "Kutipan ini dikeluarkan sesuai dengan data pada register akta kelahiran.",
    ):
        assert expected in text, expected
    assert "2026-11-20" not in text
    # Only the template's fields: no generic "Nama pemohon" row, no form label list.
    assert "Nama pemohon" not in text and "Siti Nurhaliza" not in text
    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1
    # One A4 page (the README's picture is the signed akta of the browser test).
    pdf_path = tmp_path / "akta.pdf"
    pdf_path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf_path), str(tmp_path / "akta")],
        check=True,
    )
    with Image.open(tmp_path / "akta.png") as shot:
        assert shot.size == (497, 702)  # A4 at 60 dpi


def test_the_template_position_prints_when_the_account_names_none(tmp_path: Path) -> None:
    text = pdftotext(render_document(akta(position="", nip="")), tmp_path)
    assert "Kepala Dinas Kependudukan dan Pencatatan Sipil" in text
    assert "NIP." not in text


def _words(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each printed word with its position (x, y from the bottom, in points)."""
    placed: list[tuple[str, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if text.strip():
            placed.append((text.strip(), tm[4], tm[5]))

    PdfReader(BytesIO(pdf)).pages[-1].extract_text(visitor_text=visit)
    return placed


def test_long_names_wrap_inside_the_page_and_clear_the_stamp(tmp_path: Path) -> None:
    long_name = "Pangeran " + " ".join(["Adiwijaya Kusumanegara"] * 9)  # about 200 characters
    assert len(long_name) > 190
    content = akta(name=long_name, position=POSITION + " " + "Bidang Pencatatan Sipil " * 3)
    content = DocumentContent(
        **{
            **content.__dict__,
            "agency_name": "Dinas Kependudukan dan Pencatatan Sipil " * 4,
            "rows": [*content.rows, ("Nama", "Raden " + "Ajeng " * 33)],
        }
    )
    pdf = render_document(content)
    text = pdftotext(pdf, tmp_path)
    assert "NIP. " + NIP in text
    assert "Adiwijaya" in text and "Kusumanegara" in text
    page_width = 595.28
    left, bottom, right, top = render.SIGNATURE_BOX
    for word, x, y in _words(pdf):
        assert 0 <= x < page_width and 0 < y < 842, word  # nothing runs off the page
        # Nothing is printed inside the stamp's box (the signature draws there).
        assert not (left < x < right and bottom < y < top), word


def test_a_date_answer_prints_in_words_anywhere() -> None:
    assert printed_date("2026-11-20") == "20 November 2026"
    assert printed_date("2026-02-30") == "2026-02-30"  # not a date: unchanged
    assert printed_date("Jl. Braga 2026-11") == "Jl. Braga 2026-11"


def test_a_preview_is_marked_contoh_and_carries_no_verification_link() -> None:
    region, agency, service, _application = world()
    product = ProductTemplate.model_validate(AKTA_PRODUCTS[0])
    content = sample_content(
        region=region,
        agency=agency,
        service=service,
        product=product,
        officer_labels={"nomor_register": "Nomor register akta"},
        number="474.1/00012/DISDUKCAPIL/XI/2026",
        base_url="https://simpul.invalid",
        issued_on=date(2026, 11, 25),
    )
    text = _text(render_document(content))
    assert "CONTOH" in text
    assert "[Nama lengkap anak]" in text and "[Nomor register akta]" in text
    assert "verifikasi" not in text.replace("Kode verifikasi", "")
    assert "simpul.invalid" not in text


def test_the_letterhead_prints_the_emblem_left_of_the_text() -> None:
    pdf = render_document(akta())
    page = PdfReader(BytesIO(pdf)).pages[0]
    images = list(page.images)
    assert len(images) == 1
    with Image.open(io.BytesIO(images[0].data)) as image:
        assert image.size == (240, 280)
    # The region's line is centred right of the emblem (24 mm + 4 mm from the margin).
    [(x, _y)] = [(x, y) for word, x, y in _words_first(pdf) if word == "PEMERINTAH KOTA BANDUNG"]
    assert x > (20 + 24) * render.MM


def _words_first(pdf: bytes) -> list[tuple[str, float, float]]:
    placed: list[tuple[str, float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if text.strip():
            placed.append((text.strip(), tm[4], tm[5]))

    PdfReader(BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return placed


@pytest.mark.parametrize("layout", ["surat", "sertifikat"])
def test_both_layouts_print_every_field(layout: str, tmp_path: Path) -> None:
    content = DocumentContent(**{**akta().__dict__, "layout": layout})
    text = pdftotext(render_document(content), tmp_path)
    for label, value in content.rows:
        assert label in text and value in text, (label, value)
