"""IKM on phones: a citizen rates a completed application with the respondent profile (a
missing answer first: the error summary takes the focus), and anyone reads the public IKM
page of the service with the agency's published answer. Screenshot 32."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import AccountKind
from simpul.accounts.service import create_user
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue import repository as catalogue_repository
from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.evaluation.surveys import suggestions
from simpul.evaluation.surveys.models import SurveyResponse
from tests.browser.test_accessibility import CHART_LABEL_SIZES, serious_violations

pytestmark = pytest.mark.browser


REGION = "/kota-bandung"
#: A service no other browser test rates, so its figures are this module's alone.
SLUG = "legalisir-ijazah"
EMAIL = "rina.ikm@example.org"
PASSWORD = "rahasia-rina-2026"
#: A Kota Bandung NIK (3273 01, woman born 15-03-1991) used by no other test.
NIK = "3273015503910007"
SUGGESTION = "Mohon jam layanan diperpanjang. Hubungi saya di 0812-3456-7890."
REPLY = "Mulai Januari loket buka sampai pukul 16.00."


@dataclass(frozen=True)
class Prepared:
    survey: str
    period: str


def _finished(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID, user_id: uuid.UUID
) -> Application:
    moment = datetime.now(UTC) - timedelta(hours=2)
    item = Application(
        region_id=region_id,
        service_id=service_id,
        applicant_id=user_id,
        tracking_number=uuid.uuid4().hex[:12].upper(),
        status=ApplicationStatus.COMPLETED,
        submitted_at=moment,
        finished_at=moment,
        data={},
    )
    session.add(item)
    session.flush()
    return item


@pytest.fixture(scope="module")
def prepared(browser_database_url: str) -> Prepared:
    """Six completed applications of the citizen; five rated already (one with a suggestion
    the agency answered and published), the sixth for the citizen to rate in the browser."""
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = get_region_by_slug(session, "kota-bandung")
            assert region is not None
            citizen = create_user(
                session,
                region,
                email=EMAIL,
                full_name="Rina Kartika",
                password=PASSWORD,
                kind=AccountKind.CITIZEN,
                nik=NIK,
                actor_label="test",
            )
            service = catalogue_repository.get_service_by_slug(session, region.id, SLUG)
            assert service is not None
            published = None
            for number in range(5):
                item = _finished(session, region.id, service.id, citizen.id)
                response = SurveyResponse(
                    region_id=region.id,
                    application_id=item.id,
                    service_id=service.id,
                    agency_id=service.agency_id,
                    gender="perempuan",
                    education="d4_s1",
                    suggestion=SUGGESTION if number == 0 else "",
                    **{f"u{n}": 3 if n % 2 else 4 for n in range(1, 10)},
                )
                session.add(response)
                session.flush()
                published = published or response
            assert published is not None
            admin = accounts_repository.get_user_by_email(session, region.id, "admin@example.org")
            assert admin is not None
            suggestions.review_suggestion(
                session,
                region,
                admin,
                None,
                published.id,
                suggestions.ReviewForm(reply=REPLY, publish=True),
            )
            last = _finished(session, region.id, service.id, citizen.id)
            today = datetime.now(ZoneInfo(region.timezone)).date()
            found = Prepared(
                f"{REGION}/permohonan/{last.id}/survei",
                f"{today.year}-s{1 if today.month <= 6 else 2}",
            )
    finally:
        engine.dispose()
    return found


def test_citizen_rates_with_a_profile_and_anyone_reads_the_public_ikm(
    phone: Page, second_phone: Page, prepared: Prepared, screenshots: Path
) -> None:
    citizen, visitor = phone, second_phone
    citizen.goto(f"{REGION}/masuk")
    citizen.get_by_label("E-mail").fill(EMAIL)
    citizen.get_by_label("Kata sandi").fill(PASSWORD)
    citizen.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(citizen).not_to_have_url(re.compile(r"/masuk"))

    # 1. The survey with the profile questions; U3 left out and a profile chosen.
    citizen.goto(prepared.survey)
    profile = citizen.get_by_role("group", name=re.compile("Tentang Anda"))
    expect(profile.get_by_role("combobox")).to_have_count(4)
    for element in range(1, 10):
        if element != 3:
            citizen.locator(f"#f-u{element}-3").check()
    citizen.get_by_label("Jenis kelamin").select_option("perempuan")
    citizen.get_by_label("Kelompok usia").select_option("30_39")
    citizen.get_by_label("Pendidikan terakhir").select_option("d4_s1")
    citizen.get_by_label("Pekerjaan utama").select_option("wirausaha")
    citizen.get_by_role("button", name="Kirim penilaian").click()

    # 2. The error summary takes the focus and links to the first answer of U3.
    summary = citizen.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link")
    expect(link).to_have_text(["Pilih salah satu jawaban untuk unsur Waktu penyelesaian."])
    expect(link).to_have_attribute("href", "#f-u3")
    expect(citizen.get_by_label("Pekerjaan utama")).to_have_value("wirausaha")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= 390
    assert not serious_violations(citizen)
    link.click()
    expect(citizen.locator("#f-u3")).to_be_focused()
    citizen.locator("#f-u3-4").check()
    citizen.get_by_role("button", name="Kirim penilaian").click()
    expect(citizen).to_have_url(re.compile(r"\?pesan=dinilai#penilaian$"))

    # 3. The public page of the service, without logging in.
    visitor.goto(f"{REGION}/ikm?periode={prepared.period}")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Indeks Kepuasan Masyarakat")
    visitor.locator("#ikm-layanan").get_by_role(
        "link", name=re.compile("Legalisasi Fotokopi Ijazah")
    ).click()
    expect(visitor).to_have_url(re.compile(rf"/layanan/{SLUG}/ikm\?periode={prepared.period}$"))
    expect(visitor.locator("#per-unsur tbody tr")).to_have_count(9)
    cards = visitor.locator("#ringkasan")
    expect(cards).to_contain_text("6 responden")
    expect(cards).to_contain_text("mutu pelayanan")
    expect(visitor.locator("#periode-ikm")).to_contain_text("Semester")
    published = visitor.locator("ul.suggestions li")
    expect(published).to_have_count(1)
    expect(published).to_contain_text(REPLY)
    expect(published).to_contain_text("Mohon jam layanan diperpanjang.")
    expect(published).not_to_contain_text("3456-7890")
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    assert not serious_violations(visitor)
    # The chart's labels keep a readable size on the phone (drawn at its natural size; a
    # chart wider than the screen scrolls inside its frame).
    sizes: list[float] = visitor.evaluate(CHART_LABEL_SIZES)
    assert sizes and all(12 <= size <= 20 for size in sizes), sorted(set(sizes))
    visitor.screenshot(path=screenshots / "32-ikm-publik.png", full_page=True)

    # 4. The region admin: the reviewed suggestion in the back office, the profile groups.
    visitor.goto(f"{REGION}/masuk")
    visitor.get_by_label("E-mail").fill("admin@example.org")
    visitor.get_by_label("Kata sandi").fill("admin-demo")
    visitor.get_by_role("main").get_by_role("button", name="Masuk").click()
    expect(visitor).not_to_have_url(re.compile(r"/masuk"))
    visitor.goto(f"{REGION}/admin/ikm/saran?status=ditinjau")
    reviewed = visitor.locator("ol.suggestions li", has_text="Mohon jam layanan diperpanjang.")
    expect(reviewed).to_contain_text("Diterbitkan")
    expect(reviewed.get_by_label("Jawaban perangkat daerah")).to_have_value(REPLY)
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
    assert not serious_violations(visitor)
    visitor.goto(f"{REGION}/admin/ikm")
    sexes = visitor.locator("table.ikm-profile", has_text="Jenis kelamin")
    women = sexes.locator("tr", has_text="Perempuan")
    expect(women.locator("td").first).to_have_text("6")
    expect(sexes.locator("tr", has_text="Laki-laki").locator("td").nth(1)).to_have_text("—")
    for width in (390, 1280):
        visitor.set_viewport_size({"width": width, "height": 900})
        sizes = visitor.evaluate(CHART_LABEL_SIZES)
        assert sizes and all(12 <= size <= 20 for size in sizes), (width, sorted(set(sizes)))
