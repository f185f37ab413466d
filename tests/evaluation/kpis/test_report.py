"""The KPI numbers against values computed by hand (see conftest.py for the applications)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from simpul.applications.submission import calendar_for
from simpul.core.kit.periods import Period
from simpul.evaluation.kpis import report
from simpul.evaluation.kpis.repository import Backlog
from tests.evaluation.kpis.conftest import World

FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))
TODAY = date(2026, 11, 27)


def test_percentile_interpolates_linearly_between_nearest_ranks() -> None:
    assert report.percentile([], 0.5) is None
    assert report.percentile([7], 0.9) == 7
    assert report.percentile([4, 0, 3, 3], 0.5) == 3.0
    assert report.percentile([0, 3, 3, 4], 0.9) == pytest.approx(3.7)
    assert report.percentile([1, 2], 0.5) == 1.5
    assert report.percentile([0, 3, 3, 4, 7], 0.9) == pytest.approx(5.8)


def test_the_region_calendar_skips_its_leave_day_and_the_national_holiday(
    session: Session, data: World
) -> None:
    calendar = calendar_for(session, data.region)
    # 12, 13, then 16 (cuti bersama) and 17 (Imlek) are skipped: 18, 19.
    assert calendar.working_days_between(date(2026, 2, 11), date(2026, 2, 19)) == 4


def test_kpis_per_service(session: Session, data: World) -> None:
    built = report.build_report(session, data.region, FEBRUARY, TODAY)
    by_name = {row.name: row.kpis for row in built.services}
    assert set(by_name) == {"KTP Uji", "Izin Usaha"}

    ktp = by_name["KTP Uji"]
    assert (ktp.received, ktp.finished, ktp.completed, ktp.rejected) == (5, 4, 3, 1)
    # durations 3, 4, 3 (5 minus 2 paused) and 0
    assert ktp.median_days == 3.0
    assert ktp.p90_days == pytest.approx(3.7)
    assert ktp.within_sla == 3 and ktp.within_sla_share == pytest.approx(0.75)
    assert ktp.online == 2 and ktp.online_share == pytest.approx(2 / 3)
    assert ktp.backlog == Backlog(open=2, returned=0, overdue=1)

    izin = by_name["Izin Usaha"]
    assert (izin.received, izin.finished, izin.completed, izin.rejected) == (3, 1, 1, 0)
    assert izin.median_days == 7.0 and izin.p90_days == 7.0
    assert izin.within_sla == 0 and izin.within_sla_share == 0.0
    assert izin.online_share == 1.0
    assert izin.backlog == Backlog(open=2, returned=2, overdue=0)


def test_kpis_per_agency_and_for_the_region(session: Session, data: World) -> None:
    built = report.build_report(session, data.region, FEBRUARY, TODAY)
    agencies = {row.name: row.kpis for row in built.agencies}
    assert set(agencies) == {"Dinas Uji Kota Uji", "Dinas Perizinan"}
    assert agencies["Dinas Perizinan"].received == 3
    assert agencies["Dinas Uji Kota Uji"].p90_days == pytest.approx(3.7)

    total = built.total
    assert (total.received, total.finished, total.completed, total.rejected) == (8, 5, 4, 1)
    # durations 0, 3, 3, 4, 7: median the middle one, p90 at position 3.6
    assert total.median_days == 3.0
    assert total.p90_days == pytest.approx(5.8)
    assert total.within_sla_share == pytest.approx(0.6)
    assert total.online_share == pytest.approx(0.75)
    assert total.backlog == Backlog(open=4, returned=2, overdue=1)
    assert built.backlog_at == date(2026, 3, 1)
    assert report.region_kpis(session, data.region, FEBRUARY, TODAY) == total


def test_an_agency_scope_leaves_other_agencies_out(session: Session, data: World) -> None:
    built = report.build_report(
        session, data.region, FEBRUARY, TODAY, agency_ids=[data.izin.agency_id]
    )
    assert [row.name for row in built.agencies] == ["Dinas Perizinan"]
    assert [row.name for row in built.services] == ["Izin Usaha"]
    assert built.total.received == 3 and built.total.finished == 1


def test_months_count_received_and_finished_in_the_region_calendar(
    session: Session, data: World
) -> None:
    quarter = Period(date(2026, 1, 1), date(2026, 3, 31))
    built = report.build_report(session, data.region, quarter, TODAY)
    assert built.months == [
        (date(2026, 1, 1), 1, 0),
        (date(2026, 2, 1), 8, 5),
        (date(2026, 3, 1), 0, 1),
    ]
    # At the end of March b1, b3 (returned) and b4 are open; b1 and b4 are past their deadline.
    assert built.total.backlog == Backlog(open=3, returned=1, overdue=2)
    assert [bar.received for bar in built.month_chart.bars] == [1, 8, 0]
    # The chart's ceiling is 10: eight received in February reach 80% of the plot.
    february = built.month_chart.bars[1]
    chart = built.month_chart
    assert february.received_height == pytest.approx((chart.baseline - chart.top) * 0.8, abs=0.1)


def test_the_current_period_counts_overdue_from_today(session: Session, data: World) -> None:
    """During a period that ends today, an application due today is not overdue yet."""
    built = report.build_report(
        session, data.region, Period(date(2026, 2, 1), date(2026, 3, 2)), date(2026, 3, 2)
    )
    # b1 is due 2 March (today): open, not overdue; b4 is back and due 6 March.
    assert built.backlog_at == date(2026, 3, 2)
    ktp = {row.name: row.kpis for row in built.services}["KTP Uji"]
    assert ktp.backlog == Backlog(open=2, returned=0, overdue=1)


def test_another_region_has_its_own_numbers(session: Session, data: World) -> None:
    built = report.build_report(session, data.other, FEBRUARY, TODAY)
    assert built.total.received == 1 and built.total.completed == 1
    assert built.total.median_days == 0.0 and built.total.online_share == 1.0
    assert [row.name for row in built.agencies] == ["Dinas Uji Kabupaten Lain"]


def test_export_rows_hold_the_total_agencies_and_services(session: Session, data: World) -> None:
    rows = report.export_rows(report.build_report(session, data.region, FEBRUARY, TODAY))
    levels = ["Wilayah", "Perangkat daerah", "Perangkat daerah", "Layanan", "Layanan"]
    assert [r["tingkat"] for r in rows] == levels  # the page's words, not codes
    total = rows[0]
    assert total["diterima"] == 8 and total["median_hari_kerja"] == 3.0
    assert total["p90_hari_kerja"] == pytest.approx(5.8) and total["persen_tepat_waktu"] == 0.6
    assert total["tunggakan"] == 4 and total["tunggakan_terlambat"] == 1
    assert total["persen_daring"] == 0.75
    assert total["dari"] == FEBRUARY.start
    izin = next(r for r in rows if r["layanan"] == "Izin Usaha")
    assert izin["opd"] == "Dinas Perizinan" and izin["persen_tepat_waktu"] == 0.0
