"""The bell in Chromium on a 390 px phone: its accessible name says how many are unread, it
leads to the list where unread ones stand out, and marking one and then all read empties it.
Takes docs/screenshots/27-lonceng-pemberitahuan.png; the pages pass axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import create_engine, text

from simpul.core.database import sqlalchemy_url
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"

#: Three unread notices for the demo citizen, the newest first, as the workflow writes them;
#: newer than any notice earlier browser tests gave her (the complaints flow answers one of
#: her complaints, perhaps less than a minute before this test runs).
MAKE = """
INSERT INTO notification (id, region_id, user_id, application_id, kind, params, created_at)
SELECT gen_random_uuid(), u.region_id, u.id, a.id, k.kind,
    jsonb_build_object('number', coalesce(a.tracking_number, 'BDG-DEMO'),
        'step', 'Verifikasi berkas', 'document', '474.1/0001/DISDUKCAPIL/2026'),
    greatest(now(), (SELECT max(n.created_at) FROM notification n WHERE n.user_id = u.id))
        + (10 - k.age) * interval '1 second'
FROM user_account u
JOIN region r ON r.id = u.region_id AND r.slug = 'kota-bandung'
LEFT JOIN LATERAL (
    SELECT id, tracking_number FROM application
    WHERE applicant_id = u.id AND tracking_number IS NOT NULL
    ORDER BY created_at DESC LIMIT 1
) a ON true
CROSS JOIN (VALUES ('document_issued', 1), ('completed', 3), ('advanced', 9)) AS k(kind, age)
WHERE u.email = 'warga@example.org'
"""
UNREAD = """
SELECT count(*) FROM notification n JOIN user_account u ON u.id = n.user_id
WHERE u.email = 'warga@example.org' AND n.read_at IS NULL
"""


@pytest.fixture
def unread(browser_database_url: str) -> int:
    """How many notifications the demo citizen has unread once three new ones arrived."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(MAKE))
            count = connection.execute(text(UNREAD)).scalar_one()
    finally:
        engine.dispose()
    return int(count)


def _bell(page: Page) -> Locator:
    return page.get_by_role("banner").locator("a[data-bell]")


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"


def test_the_bell_counts_unread_and_the_list_marks_them_read(
    phone: Page, screenshots: Path, unread: int
) -> None:
    page = phone
    assert unread >= 3
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill("warga@example.org")
    page.get_by_label("Kata sandi").fill("warga-demo")
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"{REGION}/permohonan$"))

    # The bell is a link named for screen readers with the count, and shows the number.
    bell = page.get_by_role("link", name=f"Pemberitahuan, {unread} belum dibaca")
    expect(bell).to_be_visible()
    expect(_bell(page).locator("[data-bell-count]")).to_have_text(str(min(unread, 99)))
    box = bell.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390 and box["height"] >= 44
    _no_sideways_scroll(page)

    # It leads to the list; the unread ones stand out, each with its own button.
    bell.click()
    expect(page).to_have_url(re.compile(rf"{REGION}/notifikasi$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pemberitahuan")
    items = page.locator("li[data-notification]")
    fresh = page.locator("li[data-notification][data-unread]")
    expect(fresh).to_have_count(unread)
    expect(fresh.first).to_contain_text("Belum dibaca")
    expect(fresh.first).to_contain_text("Dokumen hasil permohonan")
    expect(fresh.first.get_by_role("button", name="Tandai sudah dibaca")).to_be_visible()
    assert fresh.first.evaluate("e => getComputedStyle(e).borderLeftWidth") == "6px"
    _no_sideways_scroll(page)
    page.screenshot(path=screenshots / "27-lonceng-pemberitahuan.png")
    assert serious_violations(page) == []

    # Reading the list marked nothing; "tandai sudah dibaca" marks one.
    fresh.first.get_by_role("button", name="Tandai sudah dibaca").click()
    expect(page.get_by_role("status")).to_have_text("Pemberitahuan ditandai sudah dibaca.")
    expect(fresh).to_have_count(unread - 1)
    expect(_bell(page)).to_have_attribute("aria-label", f"Pemberitahuan, {unread - 1} belum dibaca")

    # "Tandai semua" empties the bell; the list keeps them, read.
    page.get_by_role("button", name="Tandai semua sudah dibaca").click()
    expect(page.get_by_role("status")).to_have_text("Semua pemberitahuan ditandai sudah dibaca.")
    expect(fresh).to_have_count(0)
    assert items.count() >= 3
    expect(_bell(page)).to_have_attribute("aria-label", "Pemberitahuan")
    expect(_bell(page).locator("[data-bell-count]")).to_have_count(0)
    assert serious_violations(page) == []

    # The channels page (WhatsApp is offered when the deployment has an account).
    page.get_by_role("link", name="Atur saluran pemberitahuan (e-mail, WhatsApp)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saluran pemberitahuan")
    assert serious_violations(page) == []
