"""The complaint figures where leaders read them: the KPI dashboard and its export, the SPBE
indicator on complaint services, the IKM report's element U8 and the comparison between
regions. Each shows the numbers ``complaint_figures`` gives, never a complaint's title."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.complaints import service as complaints
from simpul.core.kit.periods import Period
from tests.complaints.conftest import ComplaintWorld, build_world
from tests.complaints.test_figures import answer, file, rated, routed, wib
from tests.factories import make_user, post_form

PASSWORD = "sandi-rahasia-1"
ADMIN = "admin.aduan@example.org"
SECRET_TITLE = "Pungutan liar di loket kecamatan"
NOV_DEC = "dari=2025-11-01&sampai=2025-12-31"


@dataclass
class Data:
    world: ComplaintWorld
    figures: complaints.ComplaintFigures


@pytest.fixture
def data(session: Session) -> Data:
    """Three complaints in November 2025: one kept and rated 4, one answered late, one
    confidential never answered (missed: its due days are long over)."""
    world = build_world(session)
    kept = routed(session, world, wib(11, 3))
    answer(session, world, kept, wib(11, 6), final=False)
    answer(session, world, kept, wib(11, 10), final=True)
    rated(session, world, kept, 4, wib(11, 11))
    late = routed(session, world, wib(11, 3))
    answer(session, world, late, wib(11, 12), final=True)
    secret = file(session, world, wib(11, 4), confidential=True, title=SECRET_TITLE)
    complaints.route(session, world.region, world.desk, secret, world.waste.id, now=wib(11, 4, 11))
    make_user(session, world.region, ADMIN, PASSWORD, AccountKind.REGION_ADMIN)
    session.commit()
    figures = complaints.complaint_figures(
        session, world.region, Period(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    )
    return Data(world, figures)


def log_in(client: TestClient, email: str = ADMIN) -> None:
    response = post_form(client, "/kota-aduan/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


def part(html: str, element_id: str, end: str) -> str:
    return html.split(f'id="{element_id}"')[1].split(end, maxsplit=1)[0]


def test_the_dashboard_shows_the_figures_month_by_month(client: TestClient, data: Data) -> None:
    figures = data.figures
    assert (figures.filed, figures.deadlines.kept, figures.deadlines.missed) == (3, 1, 2)
    log_in(client)

    page = client.get(f"/kota-aduan/admin/kinerja?{NOV_DEC}")

    assert page.status_code == 200, page.text
    summary = part(page.text, "ringkasan-pengaduan", "</ul>")
    assert '<span class="number">3</span> pengaduan masuk' in summary
    assert '<span class="number">33,3%</span> tepat waktu' in summary
    assert '<span class="number">4,0</span> rata-rata penilaian' in summary
    months = part(page.text, "pengaduan-per-bulan", "</table>")
    assert "Nov 2025" in months and "Des 2025" in months
    assert months.count('class="num">3</span>') == 2  # November and the total
    per_agency = part(page.text, "pengaduan-per-opd", "</table>")
    assert data.world.roads.name in per_agency and data.world.waste.name in per_agency
    assert SECRET_TITLE not in page.text  # counted, never named


def test_the_monthly_export_has_the_same_numbers(client: TestClient, data: Data) -> None:
    log_in(client)

    response = client.get(f"/kota-aduan/admin/kinerja/pengaduan.csv?{NOV_DEC}&pemisah=koma")

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert len(rows) == 2
    november = rows[0]
    assert november["Pengaduan masuk"] == "3"
    assert (november["Tepat waktu"], november["Terlambat"]) == ("1", "2")
    assert november["Penilaian"] == "1"
    assert SECRET_TITLE not in response.text


def test_the_spbe_complaint_indicator_shows_the_year_as_evidence(
    client: TestClient, data: Data
) -> None:
    log_in(client)
    started = post_form(client, "/kota-aduan/admin/spbe", {"tahun": "2025"})
    assert started.status_code == 303, started.text

    page = client.get("/kota-aduan/admin/spbe/2025/indikator/42")

    assert page.status_code == 200
    assert "Layanan Pengaduan Pelayanan Publik" in page.text
    evidence = part(page.text, "bukti-pengaduan", "</section>")
    assert "Jalan rusak, Pelayanan petugas, Sampah menumpuk (3)" in evidence
    assert 'id="bukti-pengaduan-masuk">3<' in evidence
    assert "33,3%" in evidence
    assert 'href="/kota-aduan/pengaduan"' in evidence
    assert 'href="/open311/kota-aduan/v2/discovery.json"' in evidence
    assert SECRET_TITLE not in page.text
    # Evidence only: nothing is chosen for the assessor.
    assert "checked" not in part(page.text, "f-penjelasan", "</form>")
    other = client.get("/kota-aduan/admin/spbe/2025/indikator/41")
    assert 'id="bukti-pengaduan"' not in other.text


def test_the_ikm_report_puts_complaints_beside_element_u8(client: TestClient, data: Data) -> None:
    log_in(client)

    page = client.get("/kota-aduan/admin/ikm?tahun=2025")

    assert page.status_code == 200, page.text
    section = part(page.text, "ikm-pengaduan", "</section>")
    assert '<span class="number">3</span> pengaduan masuk' in section
    assert '<span class="number">33,3%</span> pengaduan selesai tepat waktu' in section
    assert '<span class="number">4,0</span> rata-rata penilaian' in section
    # No survey answered: the element has no score yet.
    assert '<span class="number">—</span> nilai rata-rata unsur' in section
    assert SECRET_TITLE not in page.text


def test_the_comparison_ranks_complaints_only_where_they_are_run(
    client: TestClient, session: Session, data: Data
) -> None:
    build_world(session, "kota-lain")  # categories, no complaint: zero per month, no share
    log_in(client)

    page = client.get("/kota-aduan/admin/perbandingan?tahun=2025&urut=pengaduan-tepat-waktu")

    assert page.status_code == 200, page.text
    cells = page.text.split('data-kolom="pengaduan-tepat-waktu">')[1:]
    assert cells[0].startswith('<span class="num">33,3%</span>')
    assert "peringkat 1" in cells[0].split("</td>")[0]
    rating_cells = page.text.split('data-kolom="pengaduan-nilai">')[1:]
    assert rating_cells[0].startswith('<span class="num">4,00</span>')
    # Kota Lain filed nothing: its share and rating are "no data", without a rank.
    assert cells[1].startswith("—</td>")
    assert 'data-kolom="pengaduan">' in page.text
    assert SECRET_TITLE not in page.text
