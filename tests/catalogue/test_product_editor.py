"""The region admin edits a service's products: fields from what the service offers, checked
before saving (errors on the field, in Indonesian), a CONTOH preview, every change audited."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue.models import Service
from simpul.core.models import AuditEvent, Region
from tests.factories import make_region, make_user, post_form, service_seed

SLUG = "izin-uji"
PAGE = f"/kota-uji/admin/layanan/{SLUG}/produk"
EFORM = {
    "schema": {
        "type": "object",
        "title": "Izin Uji",
        "properties": {
            "nama_usaha": {"type": "string", "title": "Nama usaha"},
            "tanggal_mulai": {"type": "string", "format": "date", "title": "Tanggal mulai"},
            "alamat": {
                "type": "object",
                "title": "Alamat usaha",
                "properties": {"kelurahan": {"type": "string", "title": "Kelurahan"}},
            },
        },
        "required": ["nama_usaha"],
    }
}
WORKFLOW = {
    "steps": [
        {
            "code": "verifikasi",
            "name": "Verifikasi berkas",
            "name_en": "Verification",
            "role": "verifikator",
            "actions": ["approve", "return"],
        },
        {
            "code": "entri",
            "name": "Entri data",
            "name_en": "Data entry",
            "role": "operator",
            "actions": ["approve"],
            "kind": "data_entry",
            "fields": [{"code": "nomor_izin", "label": "Nomor izin"}],
        },
        {
            "code": "persetujuan",
            "name": "Persetujuan",
            "name_en": "Approval",
            "role": "penyetuju",
            "actions": ["approve", "reject"],
        },
    ]
}


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [service_seed(SLUG, "Perizinan Uji", eform=EFORM, workflow=WORKFLOW)],
    )
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    return region


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def product_form(**changes: str) -> dict[str, str]:
    data = {
        "p0_code": "izin_usaha",
        "p0_title": "Surat Izin Usaha Uji",
        "p0_layout": "surat",
        "p0_opening": "Diberikan izin kepada:",
        "p0_closing": "Berlaku selama usaha berjalan.",
        "p0_signer_position": "Kepala Dinas Uji",
        "p0_f0_label": "Nomor izin",
        "p0_f0_source": "step:nomor_izin",
        "p0_f1_label": "Nama usaha",
        "p0_f1_source": "form:nama_usaha",
        "p0_f2_label": "Kelurahan",
        "p0_f2_source": "form:alamat.kelurahan",
        "p0_f3_label": "Keterangan",
        "p0_f3_source": "text:",
        "p0_f3_text": "Usaha mikro",
        "p0_f4_label": "",
        "p0_f4_source": "",
        "action": "simpan",
    }
    data.update(changes)
    return data


def stored(session: Session, region: Region) -> list[dict[str, Any]]:
    session.expire_all()
    service = session.scalar(
        select(Service).where(Service.region_id == region.id, Service.slug == SLUG)
    )
    assert service is not None
    return list(service.products)


def test_the_editor_offers_the_services_own_sources(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    page = client.get(PAGE)
    assert page.status_code == 200
    for source in ("form:nama_usaha", "form:alamat.kelurahan", "step:nomor_izin", "applicant:nik"):
        assert f'value="{source}"' in page.text, source
    assert "Formulir: Alamat usaha – Kelurahan" in page.text
    assert "Isian petugas: Nomor izin" in page.text
    # Linked from the service's edit page.
    assert f'href="{PAGE}"' in client.get(f"/kota-uji/admin/layanan/{SLUG}").text


def test_saving_keeps_the_products_and_audits_the_change(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    response = post_form(client, PAGE, product_form())
    assert response.status_code == 200, response.text
    assert "Produk disimpan." in response.text
    (product,) = stored(session, region)
    assert product["code"] == "izin_usaha" and product["title"] == "Surat Izin Usaha Uji"
    assert [f["source"] for f in product["fields"]] == [
        "step:nomor_izin",
        "form:nama_usaha",
        "form:alamat.kelurahan",
        "text:Usaha mikro",
    ]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "service.products.update")
    ).one()
    assert event.details["after"] == ["izin_usaha"] and event.details["before"] == []
    # Shown again as saved; a second product is added and both are kept.
    page = client.get(PAGE).text
    assert 'value="Surat Izin Usaha Uji"' in page and 'value="Usaha mikro"' in page
    second = product_form(
        p1_code="sertifikat",
        p1_title="Sertifikat Uji",
        p1_layout="sertifikat",
        p1_f0_label="Nama",
        p1_f0_source="applicant:name",
    )
    assert post_form(client, PAGE, second).status_code == 200
    assert [p["code"] for p in stored(session, region)] == ["izin_usaha", "sertifikat"]
    # A product marked for removal goes.
    post_form(client, PAGE, {**second, "p0_remove": "ya"})
    assert [p["code"] for p in stored(session, region)] == ["sertifikat"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"p0_f1_source": "form:nama_pemilik"}, "p0_f1_source", "tidak memiliki isian"),
        ({"p0_f0_source": "step:nomor_register"}, "p0_f0_source", "isian petugas"),
        ({"p0_title": "A"}, "p0_title", "paling sedikit"),
        ({"p0_code": "Izin Usaha!"}, "p0_code", "huruf kecil"),
        ({"p0_f1_label": "Nomor izin"}, "p0_fields", "berlabel berbeda"),
        ({"p0_f3_text": ""}, "p0_f3_source", "teks tetap"),
        ({"p0_layout": "poster"}, "p0_layout", "surat atau sertifikat"),
    ],
)
def test_a_bad_template_is_refused_on_its_field(
    client: TestClient,
    session: Session,
    region: Region,
    changes: dict[str, str],
    field: str,
    words: str,
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    response = post_form(client, PAGE, product_form(**changes))
    assert response.status_code == 422
    assert "Produk belum disimpan" in response.text
    assert f'id="e-{field}"' in response.text, response.text
    error = response.text.split(f'id="e-{field}">', 1)[1].split("</p>", 1)[0]
    assert words in error, error
    assert stored(session, region) == []  # nothing half-written


def test_the_preview_is_a_sample_pdf_marked_contoh_and_nothing_is_saved(
    client: TestClient, session: Session, region: Region, tmp_path: Path
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    response = post_form(client, PAGE, product_form(action="pratinjau-0"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    path = tmp_path / "contoh.pdf"
    path.write_bytes(response.content)
    text = " ".join(
        subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True)
        .stdout.decode()
        .split()
    )
    assert "CONTOH" in text and "SURAT IZIN USAHA UJI" in text
    assert "[Nomor izin]" in text and "[Nama usaha]" in text and "Usaha mikro" in text
    assert "/DINASUJI/" in text.upper() or "/DISUJI/" in text.upper()
    assert b"/Sig" not in response.content  # not signed
    assert stored(session, region) == []
    # A template that is not valid is not previewed: the page names the problem.
    bad = post_form(client, PAGE, product_form(action="pratinjau-0", p0_title=""))
    assert bad.status_code == 422 and "e-p0_title" in bad.text


def test_adding_a_product_shows_an_empty_one(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    response = post_form(client, PAGE, product_form(action="tambah"))
    assert response.status_code == 200
    assert 'name="p1_title"' in response.text and 'value="Surat Izin Usaha Uji"' in response.text
    assert stored(session, region) == []


def test_a_verifier_cannot_edit_products(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "verif@example.org", "sandi-verif-1")
    assert client.get(PAGE).status_code == 403
    assert post_form(client, PAGE, product_form(), page="/kota-uji").status_code == 403
    assert stored(session, region) == []


def test_two_products_with_one_code_are_refused_on_both(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client, "admin@example.org", "sandi-admin-1")
    data = product_form(
        p1_code="izin_usaha",
        p1_title="Salinan Izin",
        p1_layout="surat",
        p1_f0_label="Nama",
        p1_f0_source="applicant:name",
    )
    response = post_form(client, PAGE, data)
    assert response.status_code == 422
    errors = dict(re.findall(r"id=\"e-([a-z0-9_]+)\">([^<]*)", response.text))
    assert set(errors) == {"p0_code", "p1_code"}, errors
    assert 'id="e-p0_code"' in response.text and 'id="e-p1_code"' in response.text
    assert "berkode berbeda" in response.text
    assert stored(session, region) == []
