"""The region admin fills in the SPBE self-assessment and the smart city evaluation on a phone.

The admin starts a year's SPBE assessment, answers one indicator with a PDF as evidence (and
sees a renamed program refused), then scores a smart city year and reads the index, the
component chart and its table. axe-core checks each page; nothing is wider than the phone.
Screenshots go to docs/screenshots (40-42).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from simpul.evaluation import smartcity
from tests.browser.test_accessibility import AXE, serious_violations
from tests.samples import pdf_bytes

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
SPBE = f"{REGION}/admin/spbe"
SMART = f"{REGION}/admin/smartcity"
#: Years the demo data never uses, so the test starts from empty pages.
SPBE_YEAR = 2031
SMART_YEAR = 2031
PDF = pdf_bytes("Perwal Arsitektur SPBE")


def _log_in(page: Page, target: str) -> None:
    page.goto(f"{REGION}/masuk?next={target}")
    page.get_by_label("E-mail").fill("admin@example.org")
    page.get_by_label("Kata sandi").fill("admin-demo")
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{target}$"))


def _fits_the_phone(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def _accessible(page: Page, found: dict[str, object]) -> None:
    problems = serious_violations(page)
    if problems:
        found[page.url] = problems


def test_admin_answers_an_spbe_indicator_and_scores_a_smart_city_year(
    phone: Page, screenshots: Path, tmp_path: Path
) -> None:
    assert AXE.exists(), "run `make install` (npm ci) to install axe-core"
    page = phone
    found: dict[str, object] = {}
    _log_in(page, SPBE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Penilaian mandiri SPBE")

    # Start a year without copying anything.
    page.get_by_label("Tahun penilaian").fill(str(SPBE_YEAR))
    page.get_by_role("checkbox", name=re.compile("Salin tingkat dan penjelasan")).set_checked(False)
    page.get_by_role("button", name="Mulai penilaian").click()
    expect(page).to_have_url(re.compile(rf"{SPBE}/{SPBE_YEAR}$"))
    expect(page.locator("#ringkasan")).to_contain_text("0 dari 47 indikator terisi")
    _accessible(page, found)
    _fits_the_phone(page)

    # Indicator 1: a level, a justification and a PDF; a renamed program is refused first.
    page.locator("#indikator-1 a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1. Tingkat Kematangan")
    page.get_by_role("radio", name=re.compile(r"3 · Terstandardisasi")).check()
    page.get_by_label("Penjelasan").fill("Perwal Arsitektur SPBE ditetapkan dan dipakai.")
    program = tmp_path / "perwal.pdf"
    program.write_bytes(b"MZ\x90\x00" + b"\x00" * 500)
    page.get_by_label("Tambah bukti dukung (opsional)").set_input_files(program)
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator("#e-bukti")).to_contain_text("Jenis berkas tidak diterima")
    expect(page.get_by_label("Penjelasan")).to_have_value(
        "Perwal Arsitektur SPBE ditetapkan dan dipakai."
    )
    _accessible(page, found)
    evidence = tmp_path / "perwal-arsitektur-spbe.pdf"
    evidence.write_bytes(PDF)
    page.get_by_role("radio", name=re.compile(r"3 · Terstandardisasi")).check()
    page.get_by_label("Tambah bukti dukung (opsional)").set_input_files(evidence)
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    expect(page.locator("ul.docs")).to_contain_text("perwal-arsitektur-spbe.pdf")
    page.screenshot(path=screenshots / "42-spbe-indikator.png", full_page=True)
    _accessible(page, found)
    _fits_the_phone(page)

    page.get_by_role("link", name="Semua indikator").click()
    expect(page.locator("#ringkasan")).to_contain_text("1 dari 47 indikator terisi")
    expect(page.locator("#indikator-1")).to_contain_text("Tingkat 3 · Terstandardisasi")
    expect(page.locator("#indikator-1")).to_contain_text("1 bukti dukung")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / "40-spbe-penilaian.png")

    # Finalising now lists the 46 indicators still open.
    page.get_by_role("button", name="Finalkan penilaian").click()
    expect(page.locator("#belum-lengkap")).to_contain_text("46 indikator belum lengkap")
    expect(page.locator("#belum-lengkap li")).to_have_count(46)

    # Smart city: open a year, score every dimension, read the index.
    page.goto(SMART)
    page.get_by_label("Tahun evaluasi").fill(str(SMART_YEAR))
    page.get_by_role("button", name="Buka").click()
    expect(page).to_have_url(re.compile(rf"{SMART}/{SMART_YEAR}$"))
    for position, dimension in enumerate(smartcity.DIMENSIONS):
        for component in smartcity.COMPONENTS:
            score = "3,5" if position % 2 else "4"
            page.locator(f"#f-nilai-{dimension.code}-{component}").fill(score)
    _accessible(page, found)
    _fits_the_phone(page)
    page.get_by_role("button", name="Simpan evaluasi").click()
    expect(page.get_by_role("status")).to_have_text("Tersimpan.")
    expect(page.locator("#ringkasan")).to_contain_text("3,75")  # every component 3.75
    expect(page.locator(".bar-component")).to_have_count(5)
    expect(page.locator("#per-komponen")).to_contain_text("Kondisi awal (baseline)")
    page.evaluate("document.getElementById('hasil').scrollIntoView()")
    page.screenshot(path=screenshots / "41-smart-city.png")
    _accessible(page, found)
    _fits_the_phone(page)

    # Weights that do not add up to 100 are named with their sum.
    page.locator("#f-bobot-outcome").fill("25")
    page.get_by_role("button", name="Simpan evaluasi").click()
    expect(page.locator("#e-bobot")).to_have_text(
        "Bobot komponen berjumlah 95 persen, seharusnya 100."
    )
    assert not found, found
