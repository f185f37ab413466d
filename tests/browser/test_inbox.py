"""The Disdukcapil officer's inbox in Chromium: find an application by its number and by its
applicant's name, filter by service, claim two tasks at once, and read it on a 360 px phone
without scrolling sideways (decision 0044)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import create_engine, text

from simpul.core.database import sqlalchemy_url

pytestmark = pytest.mark.browser

REGION = "/kota-bandung"
INBOX = f"{REGION}/petugas/kotak-masuk"
OFFICER_EMAIL = "petugas.disdukcapil@example.org"
OFFICER_PASSWORD = "petugas-demo"
SEARCH_LABEL = "Cari nomor permohonan atau nama pemohon"


@pytest.fixture
def desk(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page on a small laptop (the inbox's table, not its cards)."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


#: What the demo citizen sent to Disdukcapil (made below, waiting at the first step).
GENERATED = 3
MAKE = """
WITH region AS (SELECT id FROM region WHERE slug = 'kota-bandung'),
service AS (
    SELECT s.id, s.agency_id, s.workflow->'steps'->0 AS step FROM service s
    JOIN agency a ON a.id = s.agency_id JOIN region r ON r.id = s.region_id
    WHERE a.slug = 'disdukcapil' AND s.online ORDER BY s.slug LIMIT 1
),
citizen AS (
    SELECT u.id FROM user_account u JOIN region r ON r.id = u.region_id
    WHERE u.email = 'warga@example.org'
),
made AS (
    INSERT INTO application (id, region_id, service_id, applicant_id, tracking_number, status,
        current_step, data, application_name, submitted_at, due_date, paused_working_days,
        channel, created_at, updated_at)
    SELECT gen_random_uuid(), (SELECT id FROM region), s.id, (SELECT id FROM citizen), n.number,
        'submitted', s.step->>'code', '{}'::jsonb, 'Uji kotak masuk', now(),
        current_date + 5, 0, 'web', now(), now()
    FROM service s, unnest(CAST(:numbers AS text[])) AS n(number)
    RETURNING id, region_id, service_id, due_date
)
INSERT INTO task (id, region_id, application_id, agency_id, service_id, step, step_name, role,
    status, created_at, due_date, note)
SELECT gen_random_uuid(), m.region_id, m.id, s.agency_id, s.id, s.step->>'code',
    s.step->>'name', (s.step->>'role')::staff_role_name, 'open', now(), m.due_date, ''
FROM made m JOIN service s ON s.id = m.service_id
"""


@pytest.fixture(scope="module")
def numbers(browser_database_url: str) -> list[str]:
    """Applications waiting in the demo officer's inbox (the demo seed leaves it empty), as
    ``submission.submit`` leaves them: submitted, a first-step task open, nobody holding it."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    made = [
        f"{datetime.now(UTC):%y%m}-"
        + "".join(secrets.choice(alphabet) for _ in range(4))
        + "-"
        + "".join(secrets.choice(alphabet) for _ in range(4))
        for _ in range(GENERATED)
    ]
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(MAKE), {"numbers": made})
    finally:
        engine.dispose()
    return made


def _log_in(page: Page) -> None:
    page.goto(f"{REGION}/masuk")
    page.get_by_label("E-mail").fill(OFFICER_EMAIL)
    page.get_by_label("Kata sandi").fill(OFFICER_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(rf"{INBOX}$"))


def _rows(page: Page) -> Locator:
    return page.locator("table.inbox tbody tr")


def _search(page: Page, text: str) -> None:
    page.get_by_label(SEARCH_LABEL).fill(text)
    page.locator("form.inbox-filters").get_by_role("button", name="Terapkan").click()


def test_search_filter_and_bulk_claim(desk: Page, numbers: list[str], tmp_path: Path) -> None:
    page = desk
    _log_in(page)
    first = _rows(page).filter(has_text=numbers[0])
    expect(first).to_be_visible()
    number = numbers[0]
    applicant = first.locator("td.applicant").inner_text()
    service_name = first.locator("td").nth(3).inner_text()

    # By number, typed without dashes in lower case: that one application.
    _search(page, number.replace("-", "").lower())
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).first.locator(".tracking")).to_have_text(number)
    assert number not in page.url and number.replace("-", "") not in page.url.upper()

    # By a word of the applicant's name: theirs among the rows, every row theirs by that word.
    word = max(re.findall(r"[^\W\d_]{3,}", applicant), key=len)
    _search(page, word.upper())
    expect(_rows(page).filter(has_text=number)).to_have_count(1)
    for name in _rows(page).locator("td.applicant").all_inner_texts():
        assert word.lower() in name.lower().split(), name
    assert word.lower() not in page.url.lower()

    # A filter by service: the address names it, every row is of that service.
    page.goto(INBOX)
    page.get_by_label("Layanan", exact=True).select_option(label=service_name)
    page.locator("form.inbox-filters").get_by_role("button", name="Terapkan").click()
    expect(page).to_have_url(re.compile(r"layanan=[a-z0-9-]+"))
    expect(_rows(page).first).to_be_visible()
    for cell in _rows(page).all():
        expect(cell.locator("td").nth(3)).to_have_text(service_name)

    # Claim two unclaimed tasks at once.
    page.goto(INBOX)
    chosen = numbers[1:3]
    for tracking in chosen:
        expect(_rows(page).filter(has_text=tracking)).to_contain_text("Belum diambil")
    for tracking in chosen:
        page.get_by_label(f"Pilih {tracking}").check()
    page.locator("#massal").get_by_role("button", name="Ambil").click()
    expect(page.locator("#hasil-massal")).to_contain_text("2 tugas diambil.")
    page.goto(f"{INBOX}?tampil=saya")
    for tracking in chosen:
        expect(_rows(page).filter(has_text=tracking).locator("td.holder")).to_have_text("Anda")
    page.screenshot(path=tmp_path / "inbox.png", full_page=True)


def test_the_inbox_fits_a_360_px_phone(
    browser: Browser, live_server: str, numbers: list[str]
) -> None:
    context = browser.new_context(
        base_url=live_server,
        viewport={"width": 360, "height": 780},
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _log_in(page)
        expect(_rows(page).first).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow} px of horizontal scroll"
        # Each row is a card whose cells say what they are.
        expect(_rows(page).first.locator("td.applicant")).to_have_css("display", "block")
        page.screenshot(path=Path("/tmp") / "inbox-360.png", full_page=False)
    finally:
        context.close()
