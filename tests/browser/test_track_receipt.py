"""Issue 16, decision 0051 on a phone: the citizen downloads the receipt (bukti pendaftaran)
of an application, someone without an account tracks it at /{region}/lacak with the number
and four NIK digits, and the citizen cancels it before any officer has taken it. The pages
pass axe-core at 390 px; screenshots 28 (the receipt's first page) and 29 (tracking) go to
docs/screenshots."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.conftest import Mailbox
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_application_flow import (
    _fact,
    _heading,
    _register,
    _send_application,
)
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
#: A valid Kota Bandung NIK (3273 01, woman born 25-05-1993), used by no other test.
NIK = "3273016505930006"
EMAIL = "sri.handayani@example.org"


def _fits_the_phone(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_receipt_tracking_and_cancel_on_a_phone(
    phone: Page, second_phone: Page, screenshots: Path, tmp_path: Path, mailbox: Mailbox
) -> None:
    citizen, stranger = phone, second_phone
    family_card = tmp_path / "kartu-keluarga.pdf"
    family_card.write_bytes(pdf_bytes("Kartu Keluarga Sri Handayani"))
    _register(citizen, mailbox, NIK, "Sri Handayani", EMAIL)
    application_path = _send_application(citizen, family_card)
    number = _fact(citizen, "Nomor permohonan").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", number)

    # The receipt: a PDF with the number, the service and the documents sent.
    with citizen.expect_download() as download_info:
        citizen.get_by_role("link", name="Unduh bukti pendaftaran (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == f"bukti-pendaftaran-{number}.pdf"
    saved = tmp_path / "bukti.pdf"
    download.save_as(saved)
    text = " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert number in text and "BUKTI PENDAFTARAN PERMOHONAN" in text
    assert "kartu-keluarga.pdf" in text
    first_page = pypdfium2.PdfDocument(saved)[0]
    first_page.render(scale=1.6).to_pil().save(screenshots / "28-bukti-pendaftaran.png")

    # Someone without an account: the receipt's QR code opens the form with the number in it.
    stranger.goto(f"{REGION}/lacak?nomor={number}")
    expect(_heading(stranger)).to_have_text("Lacak permohonan")
    expect(stranger.get_by_label("Nomor permohonan")).to_have_value(number)
    stranger.get_by_role("button", name="Lacak").click()  # no birth date, no digits
    summary = stranger.locator("#ringkasan-galat")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Isi tanggal lahir pemohon atau 4 angka terakhir NIK-nya.")
    assert serious_violations(stranger) == []
    stranger.get_by_label("atau 4 angka terakhir NIK pemohon").fill(NIK[-4:])
    stranger.get_by_role("button", name="Lacak").click()
    result = stranger.locator("#hasil")
    expect(result.locator("dl.facts")).to_contain_text("Diproses")
    expect(result).to_contain_text("Petugas sedang memproses")
    assert "Handayani" not in result.inner_text() and NIK not in stranger.content()
    assert _fits_the_phone(stranger)
    assert serious_violations(stranger) == []
    stranger.screenshot(path=screenshots / "29-lacak-permohonan.png", full_page=True)

    # The citizen cancels it (nobody has taken it yet), with a reason, after confirming.
    citizen.goto(application_path)
    citizen.get_by_role("link", name="Batalkan permohonan").click()
    expect(_heading(citizen)).to_have_text("Batalkan permohonan?")
    assert serious_violations(citizen) == []
    assert _fits_the_phone(citizen)
    citizen.get_by_label("Alasan pembatalan (boleh dikosongkan)").fill("Salah memilih layanan.")
    citizen.get_by_role("button", name="Ya, batalkan permohonan").click()
    expect(_fact(citizen, "Status")).to_have_text("Dibatalkan")
    expect(citizen.get_by_role("status").first).to_contain_text("Permohonan dibatalkan")
    expect(citizen.get_by_role("link", name="Batalkan permohonan")).to_have_count(0)

    # Tracking says so too.
    stranger.goto(f"{REGION}/lacak?nomor={number}")
    stranger.get_by_label("Tanggal lahir pemohon").fill("1993-05-25")
    stranger.get_by_role("button", name="Lacak").click()
    expect(stranger.locator("#hasil dl.facts")).to_contain_text("Dibatalkan")
