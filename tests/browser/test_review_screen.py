"""The task page as one screen to decide, on a 360 px phone: the officer previews the family
card inline, marks it tidak sesuai with a note and returns the application without writing
the note twice; the citizen sees the note next to that document and on the form to revise.
Screenshots go to docs/screenshots (24, 25)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Mailbox
from tests.browser.test_application_flow import (
    DECIDED,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    PHONE,
    REGION,
    SERVICE,
    _decide,
    _fact,
    _log_in,
    _register,
    _upload,
)
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

#: A valid Kota Bandung NIK (3273 01, woman born 12-05-1995), used by no other test.
NIK = "3273015205950006"
NAME = "Sri Rahayu"
EMAIL = "sri.rahayu@example.org"
DOCUMENT_NOTE = "KK lama: unggah KK terbaru yang sudah memuat pasangan."


def _no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_officer_marks_a_document_tidak_sesuai_and_the_citizen_sees_the_note_beside_it(
    phone: Page, second_phone: Page, tmp_path: Path, mailbox: Mailbox, screenshots: Path
) -> None:
    citizen, officer = phone, second_phone
    family_card = tmp_path / "kk-lama.pdf"
    family_card.write_bytes(pdf_bytes("Kartu Keluarga"))
    _register(citizen, mailbox, NIK, NAME, EMAIL)
    citizen.goto(SERVICE)
    citizen.get_by_role("button", name="Ajukan permohonan").click()
    _upload(citizen, "Kartu Keluarga", family_card, "Unggah")
    eform = citizen.get_by_role("region", name="2. Isi formulir")
    eform.get_by_label("NIK pemohon").fill(NIK)
    eform.get_by_label("Perubahan data").check()
    eform.get_by_label("Data yang berubah").fill("Status perkawinan: belum kawin menjadi kawin.")
    eform.get_by_label("Lokasi pengambilan").select_option(value="disdukcapil")
    eform.get_by_label("Nomor telepon/WhatsApp").fill(PHONE)
    eform.get_by_role("button", name="Kirim permohonan").click()
    expect(_fact(citizen, "Status")).to_have_text("Diproses")
    application = citizen.url.split("?")[0]

    # The officer, on a 360 px phone, reads the applicant, then the family card inline.
    officer.set_viewport_size({"width": 360, "height": 780})
    _log_in(officer, OFFICER_EMAIL, OFFICER_PASSWORD)
    officer.goto(application.replace("/permohonan/", "/petugas/permohonan/"))
    applicant = officer.locator("section.applicant")
    expect(applicant.locator("dt:text-is('Nama') + dd")).to_have_text(NAME)
    expect(applicant.locator("dt:text-is('NIK') + dd")).to_have_text("3273••••••••0006")
    card = officer.locator(
        "li.requirement", has=officer.get_by_role("heading", name="Kartu Keluarga")
    )
    preview = card.get_by_role("img", name="Pratinjau Kartu Keluarga")
    preview.scroll_into_view_if_needed()
    expect(preview).to_be_visible()
    officer.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    _no_horizontal_scroll(officer)

    check = card.locator("#cek-document-kartu_keluarga")
    check.locator("summary").click()
    check.get_by_label("Tidak sesuai", exact=True).check()
    check.get_by_label("Catatan pemeriksaan Kartu Keluarga").fill(DOCUMENT_NOTE)
    check.get_by_role("button", name="Simpan pemeriksaan").click()
    verdict = officer.locator("#cek-document-kartu_keluarga .verdict")
    expect(verdict).to_have_text(f"Tidak sesuai · {DOCUMENT_NOTE}")
    listed = officer.locator("#keputusan-panel .to-return")
    expect(listed).to_contain_text(f"Kartu Keluarga: {DOCUMENT_NOTE}")
    _no_horizontal_scroll(officer)
    shown = officer.locator("#cek-document-kartu_keluarga").locator("xpath=..")
    shown.get_by_role("img", name="Pratinjau Kartu Keluarga").scroll_into_view_if_needed()
    officer.wait_for_function(
        "img => img.complete && img.naturalWidth > 0",
        arg=shown.get_by_role("img", name="Pratinjau Kartu Keluarga").element_handle(),
    )
    shown.get_by_role("heading", name="Kartu Keluarga").scroll_into_view_if_needed()
    officer.evaluate("window.scrollBy(0, -40)")
    officer.screenshot(path=screenshots / "24-layar-keputusan.png")

    # Returned with no note of its own: the marked document is the reason.
    _decide(officer, "Verifikasi berkas", "Kembalikan untuk perbaikan")
    expect(officer.get_by_role("status")).to_have_text(DECIDED)
    expect(_fact(officer, "Status")).to_have_text("Perlu perbaikan")

    # The citizen sees the note next to the family card, and again on the form to revise.
    citizen.goto(application.removeprefix(citizen.url.split(REGION)[0]))
    expect(_fact(citizen, "Status")).to_have_text("Perlu perbaikan")
    expect(citizen.get_by_role("alert")).to_contain_text(
        f"Tidak sesuai: Dokumen Kartu Keluarga: {DOCUMENT_NOTE}"
    )
    beside = citizen.locator("li.to-fix", has_text="kk-lama.pdf")
    expect(beside.locator("#catatan-dok-kartu_keluarga")).to_have_text(
        f"Perlu perbaikan: {DOCUMENT_NOTE}"
    )
    _no_horizontal_scroll(citizen)
    beside.scroll_into_view_if_needed()
    citizen.screenshot(path=screenshots / "25-catatan-per-dokumen.png")
    citizen.get_by_role("link", name="Perbaiki permohonan").click()
    upload_form = citizen.locator(".upload.to-fix")
    expect(upload_form).to_have_count(1)
    expect(upload_form.locator("#catatan-dok-kartu_keluarga")).to_have_text(
        f"Perlu perbaikan: {DOCUMENT_NOTE}"
    )
