"""The document's title and rows come from the service standard and the application."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from simpul.applications.models import Application
from simpul.catalogue.models import Agency, Service
from simpul.core.models import Region
from simpul.documents.content import application_rows, document_content, product_title

DEMO = Path(__file__).parents[2] / "src" / "simpul" / "demo" / "data" / "kota-bandung"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "Kutipan Akta Kelahiran elektronik bertanda tangan elektronik (TTE)",
            "Kutipan Akta Kelahiran",
        ),
        ("- Kartu Keluarga elektronik ber-TTE dengan kode QR\n- KTP-el", "Kartu Keluarga"),
        ("Surat Izin Praktik (SIP) elektronik ber-TTE", "Surat Izin Praktik (SIP)"),
        (
            "\n\n* Nomor Induk Berusaha (NIB) elektronik dari sistem OSS RBA",
            "Nomor Induk Berusaha (NIB)",
        ),
        ("Perjanjian Bersama", "Perjanjian Bersama"),
        ("-", "Layanan Uji"),
        ("", "Layanan Uji"),
    ],
)
def test_product_title(text: str, title: str) -> None:
    assert product_title(text, "Layanan Uji") == title


def test_every_demo_service_gets_a_short_title() -> None:
    titles = []
    for path in sorted(DEMO.glob("*.json")):
        for service in json.loads(path.read_text()).get("services", []):
            title = product_title(service["standard"]["produk_pelayanan"], service["name"])
            assert 3 <= len(title) <= 120, (service["slug"], title)
            assert "ber-TTE" not in title and not title.endswith(("elektronik", ",")), title
            titles.append(title)
    assert len(titles) > 20


SCHEMA = {
    "type": "object",
    "properties": {
        "nama_usaha": {"type": "string", "title": "Nama usaha"},
        "jenis": {
            "type": "string",
            "title": "Jenis usaha",
            "oneOf": [{"const": "kuliner", "title": "Kuliner"}],
        },
        "alamat": {
            "type": "object",
            "title": "Alamat usaha",
            "properties": {
                "jalan": {"type": "string", "title": "Jalan"},
                "kelurahan": {"type": "string", "title": "Kelurahan"},
            },
        },
        "punya_npwp": {"type": "boolean", "title": "Punya NPWP"},
    },
}
DATA = {
    "nama_usaha": "Warung Kopi Sejahtera",
    "jenis": "kuliner",
    "alamat": {"jalan": "Jl. Braga No. 7", "kelurahan": "Braga"},
    "punya_npwp": True,
}


def test_application_rows_label_choices_and_groups() -> None:
    assert application_rows(SCHEMA, DATA) == [
        ("Nama usaha", "Warung Kopi Sejahtera"),
        ("Jenis usaha", "Kuliner"),
        ("Alamat usaha – Jalan", "Jl. Braga No. 7"),
        ("Alamat usaha – Kelurahan", "Braga"),
        ("Punya NPWP", "Ya"),
    ]


def test_document_content_from_the_rows() -> None:
    region = Region(slug="kota-bandung", name="Kota Bandung", kind="kota")
    agency = Agency(name="Dinas Penanaman Modal dan PTSP")
    service = Service(
        name="Izin Usaha Mikro",
        standard={"produk_pelayanan": "Surat Izin Usaha Mikro elektronik ber-TTE"},
        eform={"schema": SCHEMA},
    )
    application = Application(tracking_number="PRM-2026-000123", data=DATA)
    content = document_content(
        region=region,
        agency=agency,
        service=service,
        application=application,
        applicant_name="Siti Nurhaliza",
        number="503/0001/DPMPTSP/2026",
        code="abc",
        base_url="https://portal.example/",
        issued_on=date(2026, 11, 27),
        signer_position="Kepala Dinas",
    )
    assert content.title == "Surat Izin Usaha Mikro"
    assert content.verification_url == "https://portal.example/kota-bandung/verifikasi/abc"
    assert content.rows[0] == ("Nomor permohonan", "PRM-2026-000123")
    assert ("Alamat usaha – Kelurahan", "Braga") in content.rows
    assert content.region_name == "Kota Bandung" and content.service_name == "Izin Usaha Mikro"
