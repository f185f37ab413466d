"""Regions side by side: yearly aggregates, ranks, sorting, and nothing but aggregates shown.

The applications are those of tests/evaluation/kpis/conftest.py. For 2026, Kota Uji received
9 (b2 in January too) and finished 6: times 0, 3, 3, 4, 7 and 28 working days (b2, from 20
January to 3 March), median 3.5; 3 of 6 on time; 3 of 5 completed signed electronically.
Kabupaten Lain received and finished 1, on the day, signed. Kota Kosong has nothing.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.demo.assessments import seed_demo_assessments
from simpul.evaluation.assessments.service import smartcity_index, spbe_index_and_predicate
from simpul.evaluation.comparison import report
from simpul.evaluation.comparison.report import Better
from simpul.evaluation.surveys.models import SurveyResponse
from tests.evaluation.kpis.conftest import ADMIN, World
from tests.evaluation.kpis.test_pages import PASSWORD, log_in, section
from tests.factories import make_region, make_user

COMPARISON = "/kab-lain/admin/perbandingan"


def rate(session: Session, region: Region, answer: int) -> None:
    """One survey response with every answer ``answer`` for each completed application."""
    completed = session.scalars(
        select(Application).where(
            Application.region_id == region.id, Application.status == ApplicationStatus.COMPLETED
        )
    ).all()
    for application in completed:
        service = session.get_one(Service, application.service_id)
        session.add(
            SurveyResponse(
                id=uuid.uuid4(),
                region_id=region.id,
                application_id=application.id,
                service_id=service.id,
                agency_id=service.agency_id,
                **{f"u{n}": answer for n in range(1, 10)},
            )
        )
    session.flush()


@pytest.fixture
def regions(session: Session, data: World) -> World:
    make_region(session, "kota-kosong", "Kota Kosong")
    rate(session, data.region, 4)
    rate(session, data.other, 3)
    session.commit()
    return data


def test_competition_ranks_share_ties_and_skip_missing_values() -> None:
    assert report.competition_ranks([5, 9, 5, None, 1], Better.HIGHER) == [2, 1, 2, None, 4]
    assert report.competition_ranks([3.5, 0.0, None], Better.LOWER) == [2, 1, None]


def test_each_region_has_its_yearly_totals_and_ranks(session: Session, regions: World) -> None:
    built = report.build_comparison(session, regions.other, 2026, "nama")
    assert [row.name for row in built.rows] == ["Kabupaten Lain", "Kota Kosong", "Kota Uji"]
    uji = next(row for row in built.rows if row.slug == "kota-uji")
    lain = next(row for row in built.rows if row.slug == "kab-lain")
    kosong = next(row for row in built.rows if row.slug == "kota-kosong")
    assert (uji.kpis.received, uji.kpis.finished) == (9, 6)
    assert uji.kpis.median_days == 3.5
    assert uji.kpis.within_sla_share == pytest.approx(0.5)
    assert uji.kpis.online_share == pytest.approx(0.6)
    assert (uji.ikm, lain.ikm, kosong.ikm) == (100.0, 75.0, None)
    assert uji.ranks == {
        "diterima": 1,
        "selesai": 1,
        "median": 2,
        "tepat-waktu": 2,
        "daring": 2,
        "ikm": 1,
        "spbe": None,  # no region has made an SPBE or smart city assessment
        "smart-city": None,
        "pengaduan": None,  # nor set complaints up
        "pengaduan-tepat-waktu": None,
        "pengaduan-nilai": None,
    }
    assert uji.spbe is None and uji.smartcity is None
    assert lain.ranks["median"] == 1 and lain.ranks["diterima"] == 2
    assert kosong.ranks["diterima"] == 3 and kosong.ranks["median"] is None

    by_median = report.build_comparison(session, regions.other, 2026, "median")
    assert [row.slug for row in by_median.rows] == ["kab-lain", "kota-uji", "kota-kosong"]
    earlier = report.build_comparison(session, regions.other, 2025, "diterima")
    assert all(row.kpis.received == 0 for row in earlier.rows)


def test_the_page_shows_aggregates_only_sorted_by_a_column(
    client: TestClient, session: Session, regions: World
) -> None:
    make_user(session, regions.other, *ADMIN)
    session.commit()
    log_in(client, regions.other, ADMIN[0])
    page = client.get(f"{COMPARISON}?tahun=2026&urut=diterima")
    assert page.status_code == 200, page.text
    table = section(page.text, "peringkat")
    assert table.index("Kota Uji") < table.index("Kabupaten Lain") < table.index("Kota Kosong")
    assert 'aria-sort="ascending"><a href="?tahun=2026&amp;urut=diterima"' in table
    assert "3,5" in table and "50,0%" in table and "100,00" in table
    assert "peringkat 1" in table
    # Nothing of Kota Uji but its totals: no service, agency, applicant or tracking number.
    tracking = session.scalars(
        select(Application.tracking_number).where(Application.region_id == regions.region.id)
    ).all()
    for secret in ("KTP Uji", "Dinas Perizinan", "warga@example.org", *tracking):
        assert secret not in page.text
    assert 'id="catatan-privasi"' in page.text


def test_bad_year_or_sort_is_refused_and_only_admins_may_look(
    client: TestClient, session: Session, regions: World
) -> None:
    make_user(session, regions.other, *ADMIN)
    make_user(
        session,
        regions.other,
        "opd@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    session.commit()
    log_in(client, regions.other, ADMIN[0])
    bad_year = client.get(f"{COMPARISON}?tahun=dua-ribu")
    assert bad_year.status_code == 422 and 'id="e-tahun"' in bad_year.text
    assert client.get(f"{COMPARISON}?tahun=1999").status_code == 422
    bad_sort = client.get(f"{COMPARISON}?urut=gaji")
    assert bad_sort.status_code == 422 and 'id="e-urut"' in bad_sort.text

    client.cookies.clear()
    log_in(client, regions.other, "opd@example.org")
    assert client.get(COMPARISON).status_code == 403


def test_indices_come_from_the_final_assessments_of_that_year(
    client: TestClient, session: Session, regions: World
) -> None:
    seed_demo_assessments(session, regions.region)  # SPBE 2023-2024, smart city 2021-2022
    session.commit()
    spbe_2024 = spbe_index_and_predicate(session, regions.region.id, 2024)
    assert spbe_2024 is not None
    by_spbe = report.build_comparison(session, regions.other, 2024, "spbe")
    first, *others = by_spbe.rows
    assert (first.slug, first.spbe, first.spbe_predicate) == ("kota-uji", *spbe_2024)
    assert first.ranks["spbe"] == 1
    assert all(row.spbe is None and row.ranks["spbe"] is None for row in others)
    assert first.spbe_year == 2024
    # No smart city evaluation in 2024: the latest final one (2022) is shown, with its year.
    assert first.smartcity == smartcity_index(session, regions.region.id, 2022)
    assert first.smartcity_year == 2022
    # Evaluations older than three years before the year asked for are not shown.
    old = report.build_comparison(session, regions.other, 2026, "nama").rows
    row_2026 = next(row for row in old if row.slug == "kota-uji")
    assert (row_2026.spbe_year, row_2026.smartcity, row_2026.smartcity_year) == (2024, None, None)
    assert report.build_comparison(session, regions.other, 2020, "nama").rows[0].spbe is None

    smart_2022 = report.build_comparison(session, regions.other, 2022, "smart-city").rows[0]
    assert smart_2022.slug == "kota-uji"
    assert smart_2022.smartcity == smartcity_index(session, regions.region.id, 2022)
    assert smart_2022.smartcity is not None and smart_2022.ranks["smart-city"] == 1

    make_user(session, regions.other, *ADMIN)
    session.commit()
    log_in(client, regions.other, ADMIN[0])
    page = client.get(f"{COMPARISON}?tahun=2024&urut=spbe")
    assert page.status_code == 200
    cell = section(page.text, "peringkat").split('data-kolom="spbe">')[1].split("</td>")[0]
    assert f"{spbe_2024[0]:.2f}".replace(".", ",") in cell and spbe_2024[1] in cell
    smart_cell = section(page.text, "peringkat").split('data-kolom="smart-city">')[1]
    assert "(2022)" in smart_cell.split("</td>")[0]
