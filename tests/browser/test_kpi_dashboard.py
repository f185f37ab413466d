"""The service KPI dashboard and the comparison between regions on a phone.

A year of finished and open applications is added to the demo region (four services of three
agencies) and a second region, Kabupaten Semarang, gets a few, all committed to the browser
database. The region admin opens the KPI dashboard, reads the summary, the charts and their
tables, tries a wrong date, downloads the CSV, then opens the comparison and sorts it by a
column. Screenshots go to docs/screenshots (30, 31); axe-core checks both pages.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.sla import WorkingCalendar, local_date
from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue.models import Service
from simpul.core.database import sqlalchemy_url
from simpul.core.models import utcnow
from simpul.core.regions import get_region_by_slug
from tests.browser.test_accessibility import AXE, serious_violations
from tests.evaluation.kpis.conftest import make_application
from tests.factories import make_region, make_user, service_seed

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
DASHBOARD = f"{REGION}/admin/kinerja"
COMPARISON = f"{REGION}/admin/perbandingan"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "admin-demo"


SERVICES = ("akta-kelahiran", "kartu-keluarga", "izin-reklame", "nib-usaha-mikro-kecil")


def _add_history(
    session: Session, services: list[Service], citizen: User, count: int, seed: int
) -> None:
    """``count`` applications over the last eleven months: mostly completed (most of them
    signed electronically), some rejected, some late, a few still open."""
    rng = random.Random(seed)
    calendar = WorkingCalendar()
    today = local_date(utcnow())
    for index in range(count):
        service = services[index % len(services)]
        submitted = calendar.next_working_day(today - timedelta(days=rng.randint(3, 330)))
        due = calendar.add_working_days(submitted, service.sla_working_days)
        taken = rng.choice([0, 1, 1, 2, 3, 3, 5, 8, 13]) + service.sla_working_days // 2
        finished = calendar.add_working_days(submitted, taken)
        outcome = rng.random()
        if finished >= today or outcome < 0.08:
            history: list[tuple[date, str, str]] = []
        elif outcome < 0.18:
            history = [(finished, "reject", "rejected")]
        else:
            history = [(finished, "complete", "completed")]
        make_application(
            session,
            service,
            citizen,
            submitted=submitted,
            due=due,
            history=history,
            issued=bool(history) and history[0][2] == "completed" and rng.random() < 0.75,
        )


@pytest.fixture(scope="module")
def history(browser_database_url: str) -> None:
    """Applications in Kota Bandung and in a second region (committed for the live server)."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            bandung = get_region_by_slug(session, "kota-bandung")
            assert bandung is not None
            services = [
                catalogue_repository.get_service_by_slug(session, bandung.id, slug)
                for slug in SERVICES
            ]
            citizen = make_user(
                session,
                bandung,
                "warga.kinerja@example.org",
                "sandi-rahasia-1",
                nik="3273015708900077",
            )
            _add_history(session, [s for s in services if s is not None], citizen, 90, seed=30)
            semarang = make_region(
                session,
                "kab-semarang",
                "Kabupaten Semarang",
                services=[service_seed("akta-kelahiran", "Akta Kelahiran", sla_working_days=3)],
            )
            resident = make_user(
                session, semarang, "warga@example.org", "sandi-rahasia-1", nik="3322015708900001"
            )
            akta = catalogue_repository.get_service_by_slug(session, semarang.id, "akta-kelahiran")
            assert akta is not None
            _add_history(session, [akta], resident, 25, seed=31)
    finally:
        engine.dispose()


def _log_in_as_admin(page: Page) -> None:
    page.goto(f"{REGION}/masuk?next={DASHBOARD}")
    page.get_by_label("E-mail").fill(ADMIN_EMAIL)
    page.get_by_label("Kata sandi").fill(ADMIN_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{DASHBOARD}$"))


def _fits_the_phone(page: Page) -> bool:
    """Nothing makes the page itself scroll sideways (wide tables scroll inside themselves)."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"] if page.viewport_size else False


@pytest.mark.usefixtures("history")
def test_admin_reads_kpis_and_compares_regions_on_a_phone(phone: Page, screenshots: Path) -> None:
    assert AXE.exists(), "run `make install` (npm ci) to install axe-core"
    page = phone
    _log_in_as_admin(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kinerja layanan")
    summary = page.locator("#ringkasan")
    expect(summary).to_contain_text("permohonan diterima")
    received = int(summary.locator(".number").first.inner_text().replace(".", ""))
    assert received >= 80  # ninety over the last eleven months, a few before the period
    expect(
        page.get_by_role("img", name="Permohonan diterima dan selesai per bulan")
    ).to_be_visible()
    expect(page.locator("#per-layanan tbody tr").first).to_be_visible()
    assert page.locator("#per-opd tbody tr").count() >= 1
    assert _fits_the_phone(page)
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "30-kinerja-layanan.png", full_page=True)

    page.get_by_label("Dari tanggal").fill("2026-12-31")
    page.get_by_label("Sampai tanggal").fill("2026-01-01")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page.locator("#e-sampai")).to_contain_text("tidak boleh sebelum")
    expect(page.get_by_label("Sampai tanggal")).to_have_attribute("aria-invalid", "true")

    page.goto(DASHBOARD)
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh CSV").click()
    path = download.value.path()
    # Indonesian Excel's form: semicolons, and the words the page uses as headers.
    header = "Tingkat;Perangkat daerah;Layanan;Dari tanggal;Sampai tanggal"
    assert path.read_text(encoding="utf-8-sig").startswith(header)

    page.get_by_role("link", name="Perbandingan antarwilayah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Perbandingan antarwilayah")
    table = page.locator("#peringkat")
    expect(table.get_by_role("row", name=re.compile("Kota Bandung"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Kabupaten Semarang"))).to_be_visible()
    assert "Akta Kelahiran" not in table.inner_text()  # regions' totals, never their services
    table.get_by_role("link", name="Median hari kerja").click()
    expect(page).to_have_url(re.compile(r"urut=median"))
    expect(table.locator("th[aria-sort]")).to_have_text("Median hari kerja")
    expect(page.locator("#catatan-privasi")).to_be_visible()
    assert _fits_the_phone(page)
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "31-perbandingan-wilayah.png", full_page=True)
