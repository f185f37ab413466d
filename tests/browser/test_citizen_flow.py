"""A citizen on a phone finds a service, reads its standard, registers with NIK and logs in;
an officer lands on their agency; the language switch. Screenshots go to docs/screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from simpul.catalogue.standard import COMPONENT_LABELS, STANDARD_COMPONENTS
from tests.browser.conftest import Mailbox

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
#: A valid Kota Bandung NIK (3273 01, man born 25-05-1995), not the demo citizen's.
NIK = "3273012505950003"
NAME = "Budi Santoso"
EMAIL = "budi.santoso@example.org"
PHONE = "081298765432"
PASSWORD = "rahasia-budi-2024"
NIK_LABEL = "NIK (Nomor Induk Kependudukan)"


def _at(path: str) -> re.Pattern[str]:
    """Matches the page URL whose path (and query, if any) is exactly ``path``."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def _menu(page: Page) -> Locator:
    return page.get_by_role("banner").get_by_role("navigation")


def _heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def _fill_registration(page: Page, nik: str) -> None:
    """Fill every field of the registration form (passwords are never sent back) and submit."""
    page.get_by_label(NIK_LABEL).fill(nik)
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Nomor HP").fill(PHONE)
    page.get_by_label("Kata sandi", exact=True).fill(PASSWORD)
    page.get_by_label("Ulangi kata sandi").fill(PASSWORD)
    page.get_by_label("Saya menyetujui").check()
    page.get_by_role("button", name="Buat akun").click()


def _log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()


def test_citizen_finds_a_service_registers_and_logs_in(
    phone: Page, screenshots: Path, mailbox: Mailbox
) -> None:
    """Catalogue → search → service standard → registration (NIK error, then "check your
    e-mail") → the e-mailed link opens the account → log out → wrong password → log in."""
    page = phone

    # The catalogue lists the region's services, grouped by agency (folded groups).
    page.goto(f"{REGION}/layanan")
    expect(_heading(page)).to_have_text("Katalog layanan")
    groups = page.locator("#hasil details.group")
    expect(groups.first).to_be_visible()
    assert groups.count() >= 10
    page.screenshot(path=screenshots / "01-katalog.png")

    # Searching the way citizens say it finds the birth certificate first.
    search = page.get_by_role("searchbox", name="Cari layanan")
    search.press_sequentially("akta lahir")
    search.press("Enter")
    expect(page).to_have_url(_at(f"{REGION}/layanan?q=akta+lahir"))
    expect(page.locator("#hasil .summary")).to_contain_text("cocok dengan “akta lahir”")
    first = page.locator("#hasil li.service-item").first.get_by_role("link")
    expect(first).to_contain_text("Akta Kelahiran")
    page.screenshot(path=screenshots / "02-cari-akta-lahir.png")

    # The service page publishes all 14 components of the service standard, in order.
    name = first.inner_text()
    first.click()
    expect(_heading(page)).to_have_text(name)
    expect(page.locator("section.standard details > summary")).to_have_text(
        [f"{n}. {COMPONENT_LABELS[key]}" for n, key in enumerate(STANDARD_COMPONENTS, start=1)]
    )
    legal_basis = page.locator("details#dasar_hukum")
    legal_basis.locator("summary").click()
    expect(legal_basis.locator(".component")).to_be_visible()
    page.screenshot(path=screenshots / "03-standar-pelayanan.png", full_page=True)

    # Registration: a 15-digit NIK is refused next to the NIK field, the rest is kept.
    _menu(page).get_by_role("link", name="Daftar", exact=True).click()
    expect(page).to_have_url(_at(f"{REGION}/daftar"))
    _fill_registration(page, NIK[:15])
    expect(page).to_have_url(_at(f"{REGION}/daftar"))
    expect(page.get_by_role("alert")).to_contain_text("Periksa kembali isian yang ditandai.")
    nik_input = page.get_by_label(NIK_LABEL)
    nik_error = page.locator(".field", has=nik_input).locator(".error")
    expect(nik_error).to_have_text("NIK harus 16 digit; yang diisi 15 digit.")
    expect(nik_input).to_have_attribute("aria-invalid", "true")
    expect(nik_input).to_have_accessible_description(re.compile("NIK harus 16 digit"))
    expect(page.locator(".field .error")).to_have_count(1)
    expect(page.get_by_label("Nama lengkap")).to_have_value(NAME)
    expect(page.get_by_label("E-mail")).to_have_value(EMAIL)
    page.screenshot(path=screenshots / "04-daftar-nik-salah.png", full_page=True)

    # With a valid NIK the citizen is asked to open the link sent to the address given ...
    _fill_registration(page, NIK)
    expect(_heading(page)).to_have_text("Periksa e-mail Anda")
    expect(page.get_by_role("status")).to_contain_text(EMAIL)
    page.screenshot(path=screenshots / "04b-periksa-email.png")
    # ... which opens the account and logs the citizen in.
    page.goto(mailbox.activation_link(EMAIL))
    expect(_heading(page)).to_have_text("Aktifkan akun Anda")
    page.get_by_role("button", name="Aktifkan akun").click()
    expect(page).to_have_url(_at(f"{REGION}/akun?pesan=baru"))
    expect(page.get_by_role("status")).to_have_text("Akun Anda sudah dibuat. Selamat datang!")
    expect(page.locator("dt:text-is('Nama') + dd")).to_have_text(NAME)
    expect(page.locator("dt:text-is('NIK') + dd")).to_have_text(
        re.compile(rf"^{NIK[:4]}[^0-9]{{8}}{NIK[-4:]}$")
    )
    expect(page.locator("body")).not_to_contain_text(NIK)
    assert NIK not in page.content()
    page.screenshot(path=screenshots / "05-akun-baru.png")

    # Log out, then back in: a wrong password first.
    _menu(page).get_by_role("button", name="Keluar").click()
    expect(page).to_have_url(_at(REGION))
    _menu(page).get_by_role("link", name="Masuk").click()
    expect(page).to_have_url(_at(f"{REGION}/masuk"))
    _log_in(page, EMAIL, "salah-sandi-123")
    expect(page.get_by_role("alert")).to_have_text("E-mail atau kata sandi salah.")
    expect(page.get_by_label("E-mail")).to_have_value(EMAIL)
    page.screenshot(path=screenshots / "06-masuk.png")

    _log_in(page, EMAIL, PASSWORD)
    expect(page).to_have_url(_at(f"{REGION}/permohonan"))
    expect(_heading(page)).to_have_text("Permohonan saya")


def test_officer_home_and_english_switch(phone: Page, screenshots: Path) -> None:
    """The demo officer lands on the inbox and has their agency; "English" switches the pages."""
    page = phone
    page.goto(f"{REGION}/masuk")
    _log_in(page, "petugas.disdukcapil@example.org", "petugas-demo")
    expect(page).to_have_url(_at(f"{REGION}/petugas/kotak-masuk"))
    expect(_heading(page)).to_have_text("Kotak masuk")
    page.goto(f"{REGION}/petugas")
    expect(_heading(page)).to_have_text("Beranda petugas")
    roles = page.locator("li.card")
    # Every desk role of the same agency: verifikator, operator, penyetuju, penandatangan and
    # admin OPD (who manages the agency's officers from here).
    expect(roles).to_have_count(5)
    expect(roles.get_by_role("link", name="Kelola petugas")).to_have_count(1)
    for card in roles.all():
        expect(card).to_contain_text("Disdukcapil")

    page.goto(f"{REGION}/layanan")
    _menu(page).get_by_role("link", name="English").click()
    expect(page).to_have_url(_at(f"{REGION}/layanan"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert {c["name"]: c["value"] for c in page.context.cookies()}.get("simpul_lang") == "en"
    expect(_heading(page)).to_have_text("Service catalogue")
    page.screenshot(path=screenshots / "07-katalog-english.png")

    _menu(page).get_by_role("link", name="Bahasa Indonesia").click()
    expect(page).to_have_url(_at(f"{REGION}/layanan"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(_heading(page)).to_have_text("Katalog layanan")
