"""The region admin's and the agency admin's pages in a phone-sized Chromium (decision 0049):
an officer invited by e-mail (the link read from a real SMTP server on loopback) sets their
password and logs in, is deactivated and loses their session; the region's days off added and
removed; the audit log filtered and exported. axe-core checks each page."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Mailbox
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
AGENCY_PAGE = f"{REGION}/petugas/instansi/disdukcapil/petugas"
AGENCY_ADMIN = ("petugas.disdukcapil@example.org", "petugas-demo")
REGION_ADMIN = ("admin@example.org", "admin-demo")
NEW_OFFICER = "nanda.petugas@example.org"
NEW_PASSWORD = "sandi-nanda-2026"


def _log_in(page: Page, email: str, password: str, then: str) -> None:
    page.goto(f"{REGION}/masuk?next={then}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{re.escape(then)}$"))


def _no_axe_problems(page: Page, where: str) -> None:
    problems = serious_violations(page)
    assert not problems, (where, problems)


def _invitation_link(mailbox: Mailbox, email: str) -> str:
    """The invitation link of the e-mail sent to ``email`` (through a real SMTP server)."""
    return mailbox.link(email, "/petugas/undangan/")


def _status_of(page: Page, name: str) -> Locator:
    """The officer's line in the status list (every line also names the others as stand-ins)."""
    return page.locator(".staff-status li").filter(
        has=page.locator("strong", has_text=re.compile(rf"^{name}$"))
    )


def test_invite_activate_and_deactivate_an_officer(
    phone: Page, second_phone: Page, mailbox: Mailbox
) -> None:
    admin = phone
    _log_in(admin, *AGENCY_ADMIN, AGENCY_PAGE)
    _no_axe_problems(admin, AGENCY_PAGE)
    invite = admin.locator("section[aria-labelledby='undang-petugas']")
    # No role chosen: the summary names the field and takes the focus.
    invite.locator("#f-full_name").fill("Nanda Pratama")
    invite.locator("#f-invite_email").fill(NEW_OFFICER)
    invite.get_by_role("button", name="Kirim undangan").click()
    expect(admin.locator("[data-error-summary]")).to_be_focused()
    expect(admin.locator("[data-error-summary] a[href='#f-roles']")).to_be_visible()
    _no_axe_problems(admin, "invite errors")
    invite = admin.locator("section[aria-labelledby='undang-petugas']")
    expect(invite.locator("#f-invite_email")).to_have_value(NEW_OFFICER)
    invite.get_by_label("Verifikator").check()
    invite.get_by_role("button", name="Kirim undangan").click()
    expect(admin.get_by_role("status")).to_contain_text("Undangan sudah dikirim")
    expect(admin.locator(".staff-status")).to_contain_text("undangan belum diterima")

    officer = second_phone
    officer.goto(_invitation_link(mailbox, NEW_OFFICER))
    expect(officer.get_by_role("heading", level=1)).to_have_text("Pasang kata sandi Anda")
    _no_axe_problems(officer, "invitation")
    officer.get_by_label("Kata sandi baru").fill(NEW_PASSWORD)
    officer.get_by_label("Ulangi kata sandi").fill(NEW_PASSWORD)
    officer.get_by_role("button", name="Pasang kata sandi").click()
    _log_in(officer, NEW_OFFICER, NEW_PASSWORD, f"{REGION}/petugas")

    admin.reload()
    status = _status_of(admin, "Nanda Pratama")
    expect(status).not_to_contain_text("undangan belum diterima")
    status.get_by_role("button", name="Nonaktifkan Nanda Pratama").click()
    expect(admin.get_by_role("status")).to_contain_text("Petugas dinonaktifkan")
    expect(_status_of(admin, "Nanda Pratama")).to_contain_text("nonaktif")
    # Their session ended with it.
    officer.goto(f"{REGION}/petugas")
    expect(officer).to_have_url(re.compile(r"/masuk"))


def test_days_off_and_the_audit_log(phone: Page) -> None:
    page = phone
    _log_in(page, *REGION_ADMIN, f"{REGION}/admin")
    for name in (
        "Log audit",
        "Hari libur wilayah",
        "Kop surat dan lambang",
        "Petugas per instansi",
    ):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    page.get_by_role("link", name="Hari libur wilayah").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hari libur wilayah")
    expect(
        page.get_by_text("Batas waktu yang dihitung setelah ini melewati tanggal ini")
    ).to_be_visible()
    _no_axe_problems(page, "hari-libur")
    page.get_by_label("Tanggal", exact=True).fill("2031-12-24")
    page.get_by_label("Keterangan").fill("Cuti bersama Natal uji")
    page.get_by_role("button", name="Tambahkan").click()
    expect(page.get_by_role("status")).to_have_text("Hari libur ditambahkan.")
    day = page.locator(".leave-days li", has_text="24 Desember 2031")
    expect(day).to_contain_text("Cuti bersama Natal uji")
    # The same day twice: the error summary names the date field.
    page.get_by_label("Tanggal", exact=True).fill("2031-12-24")
    page.get_by_label("Keterangan").fill("Lagi")
    page.get_by_role("button", name="Tambahkan").click()
    expect(page.locator("[data-error-summary] a[href='#f-tanggal']")).to_be_visible()
    _no_axe_problems(page, "hari-libur errors")
    page.get_by_role("button", name="Hapus hari libur 24 Desember 2031").click()
    expect(page.get_by_role("status")).to_have_text("Hari libur dihapus.")
    expect(page.locator(".leave-days li", has_text="24 Desember 2031")).to_have_count(0)

    page.goto(f"{REGION}/admin/audit")
    _no_axe_problems(page, "audit")
    page.get_by_label("Tindakan").select_option(label="Hari libur wilayah dihapus")
    page.get_by_role("button", name="Tampilkan").click()
    rows = page.locator("table.audit-log tbody tr")
    expect(rows.first).to_contain_text("Hari libur wilayah dihapus")
    expect(rows.first).to_contain_text("admin@example.org")
    _no_axe_problems(page, "audit filtered")
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header = text.splitlines()[0]
    table = list(csv.reader(io.StringIO(text), delimiter=header[len("Waktu")]))
    assert table[0][:3] == ["Waktu", "Pelaku", "Tindakan"]
    assert {row[2] for row in table[1:]} == {"Hari libur wilayah dihapus"}
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
