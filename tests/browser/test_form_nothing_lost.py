"""Nothing typed is lost on the application form, on a phone with JavaScript: a citizen types,
uploads the family card (the page does not reload and the answers stay), uploads two birth
certificates for one requirement that takes several and removes one, sees "Tersimpan HH.MM"
as answers are saved, reloads and finds the draft, and a refused file's error summary takes the
focus (as does the page's summary when sending with a field missing). Screenshots:
docs/screenshots/33-formulir-tetap-terisi.png, 34-unggah-gagal-fokus.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.models import Region
from tests.browser.test_accessibility import serious_violations
from tests.factories import make_user
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
SERVICE = f"{REGION}/layanan/kartu-identitas-anak"
CITIZEN = ("ibu.kia@example.org", "sandi-kia-2026")
#: A valid Kota Bandung NIK (3273 01, man born 12-08-1985), used by no other test.
CITIZEN_NIK = "3273011208850009"
KK = "3273012001150004"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def kia_citizen(browser_database_url: str) -> None:
    """A parent with an account (committed: the live server reads the same database)."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = session.scalars(select(Region).where(Region.slug == "kota-bandung")).one()
            make_user(session, region, CITIZEN[0], CITIZEN[1], nik=CITIZEN_NIK)
    finally:
        engine.dispose()


def _item(page: Page, requirement: str) -> object:
    return page.locator("[data-upload-item]").filter(has=page.get_by_label(requirement))


def test_typed_answers_survive_uploads_reloads_and_errors(
    phone: Page, kia_citizen: None, tmp_path: Path, screenshots: Path
) -> None:
    page = phone
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(CITIZEN[0])
    page.get_by_label("Kata sandi").fill(CITIZEN[1])
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).not_to_have_url(re.compile(r"/masuk$"))
    page.goto(SERVICE)
    page.get_by_role("button", name="Ajukan permohonan").click()
    expect(page).to_have_url(re.compile(rf"{REGION}/permohonan/{UUID}/isi$"))
    form_url = page.url

    eform = page.get_by_role("region", name="2. Isi formulir")
    eform.get_by_label("NIK orang tua/wali pemohon").fill(CITIZEN_NIK)
    eform.get_by_label("Ibu", exact=True).check()
    eform.get_by_label("Nomor Kartu Keluarga").fill(KK)
    # A mark on the window: it is gone if the page is loaded again.
    page.evaluate("window.__sameDocument = true")

    # The limits are stated before a file is chosen.
    akta = _item(page, "Kutipan Akta Kelahiran anak")
    expect(akta.locator(".upload-limits")).to_contain_text("paling besar 10 MB per berkas")
    expect(akta.locator(".upload-limits")).to_contain_text("paling banyak 10")

    kk_file = tmp_path / "kk-keluarga.pdf"
    kk_file.write_bytes(pdf_bytes("KK"))
    kk = _item(page, "Kartu Keluarga")
    kk.locator("input[type=file]").set_input_files(kk_file)
    kk.get_by_role("button", name="Unggah").click()
    expect(_item(page, "Kartu Keluarga").locator(".ok-line")).to_have_text(
        "✓ Terunggah: kk-keluarga.pdf"
    )
    assert page.evaluate("window.__sameDocument") is True  # no reload
    expect(eform.get_by_label("NIK orang tua/wali pemohon")).to_have_value(CITIZEN_NIK)
    expect(eform.get_by_label("Nomor Kartu Keluarga")).to_have_value(KK)
    expect(page.locator("#draf-status")).to_have_text(re.compile(r"^Tersimpan \d{2}\.\d{2}$"))

    # Several files for one requirement: each is added, each can be removed.
    for child in ("akta-anak-pertama.pdf", "akta-anak-kedua.pdf"):
        path = tmp_path / child
        path.write_bytes(pdf_bytes(child))
        item = _item(page, "Kutipan Akta Kelahiran anak")
        item.locator("input[type=file]").set_input_files(path)
        item.locator("button[name=requirement]").click()
        expect(_item(page, "Kutipan Akta Kelahiran anak").locator(".ok-line").last).to_contain_text(
            child
        )
    akta = _item(page, "Kutipan Akta Kelahiran anak")
    expect(akta.locator(".ok-line")).to_have_count(2)
    page.screenshot(path=screenshots / "33-formulir-tetap-terisi.png", full_page=True)
    akta.get_by_role("button", name="Hapus akta-anak-pertama.pdf").click()
    akta = _item(page, "Kutipan Akta Kelahiran anak")
    expect(akta.locator(".ok-line")).to_have_count(1)
    expect(akta.locator(".ok-line")).to_contain_text("akta-anak-kedua.pdf")
    assert page.evaluate("window.__sameDocument") is True

    # A draft saved as answers change comes back after a reload.
    def phone_saved(response: Response) -> bool:
        """The draft save that carries the number (not one still in flight from before)."""
        body = response.request.post_data or ""
        return response.url.endswith("/draf") and "081234567890" in body

    with page.expect_response(phone_saved) as saved:
        eform.get_by_label("Nomor telepon/WhatsApp").fill("081234567890")
        eform.get_by_label("Nomor telepon/WhatsApp").blur()
    assert saved.value.status == 200
    expect(page.locator("#draf-status")).to_have_text(re.compile(r"^Tersimpan \d{2}\.\d{2}$"))
    page.reload()
    expect(eform.get_by_label("Nomor telepon/WhatsApp")).to_have_value("081234567890")
    expect(eform.get_by_label("NIK orang tua/wali pemohon")).to_have_value(CITIZEN_NIK)
    expect(eform.get_by_label("Ibu", exact=True)).to_be_checked()

    # A refused file: its error summary takes the focus, the answers stay.
    bad = tmp_path / "bukan-dokumen.pdf"
    bad.write_bytes(b"MZ\x90\x00" + b"\x00" * 300)
    pas_foto = _item(page, "Pas foto berwarna anak (usia 5 tahun ke atas)")
    pas_foto.locator("input[type=file]").set_input_files(bad)
    pas_foto.get_by_role("button", name="Unggah").click()
    summary = page.locator("#ringkasan-dok-pas_foto_anak")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Jenis berkas tidak diterima")
    expect(eform.get_by_label("Nomor Kartu Keluarga")).to_have_value(KK)
    page.screenshot(path=screenshots / "34-unggah-gagal-fokus.png", full_page=False)
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Sending with the children's rows empty: the page's summary takes the focus.
    eform.get_by_role("button", name="Kirim permohonan").click()
    expect(page).to_have_url(form_url)
    expect(page.locator("#ringkasan-galat")).to_be_focused()
    expect(eform.get_by_label("Nomor Kartu Keluarga")).to_have_value(KK)
    assert serious_violations(page) == []
