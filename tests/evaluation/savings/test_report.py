"""Totals per month (region time zone), agency and service are exact on known entries."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from simpul.core.kit import periods
from simpul.evaluation.savings import report
from simpul.evaluation.savings.repository import Totals
from tests.evaluation.savings.conftest import World, add_entry, agency_name

PERIOD = periods.Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
KTP_JAN = Totals(1, 2, 1, 1, 2, 300, 500, 25_000, 250_000, 275_800)
KTP_FEB = Totals(1, 3, 0, 0, 1, 450, 0, 0, 125_000, 125_450)
IZIN_FEB = Totals(1, 6, 1, 1, 2, 900, 500, 25_000, 250_000, 276_400)


@pytest.fixture
def known(session: Session, world: World) -> World:
    add_entry(
        session,
        world.ktp,
        world.citizen,
        datetime(2026, 1, 15, 3, 0, tzinfo=UTC),
        sheets=2,
        printed_copies=1,
        courier_trips=1,
        citizen_trips=2,
        rupiah=(300, 500, 25_000, 250_000),
    )
    # 31 January 18:00 UTC is 1 February 01:00 in Bandung (WIB): a February saving.
    add_entry(
        session,
        world.ktp,
        world.citizen,
        datetime(2026, 1, 31, 18, 0, tzinfo=UTC),
        sheets=3,
        citizen_trips=1,
        rupiah=(450, 0, 0, 125_000),
    )
    add_entry(
        session,
        world.izin,
        world.citizen,
        datetime(2026, 2, 10, 3, 0, tzinfo=UTC),
        sheets=6,
        printed_copies=1,
        courier_trips=1,
        citizen_trips=2,
        rupiah=(900, 500, 25_000, 250_000),
    )
    # Another region's saving, in the period: never counted here.
    add_entry(
        session,
        world.foreign,
        world.foreign_citizen,
        datetime(2026, 2, 10, 3, 0, tzinfo=UTC),
        sheets=1000,
        rupiah=(9_000_000, 0, 0, 0),
    )
    # 1 April 00:00 UTC is 1 April 07:00 WIB: after the period's last day.
    add_entry(
        session,
        world.ktp,
        world.citizen,
        datetime(2026, 4, 1, 0, 0, tzinfo=UTC),
        sheets=50,
        rupiah=(7_500, 0, 0, 0),
    )
    return world


def test_totals_per_month_agency_and_service(session: Session, known: World) -> None:
    built = report.build_report(session, known.region, PERIOD)
    assert built.totals == Totals(3, 11, 2, 2, 5, 1_650, 1_000, 50_000, 625_000, 677_650)
    assert built.months == [
        (dt.date(2026, 1, 1), KTP_JAN),
        (dt.date(2026, 2, 1), Totals(2, 9, 1, 1, 3, 1_350, 500, 25_000, 375_000, 401_850)),
        (dt.date(2026, 3, 1), Totals()),
    ]
    ktp_both = Totals(2, 5, 1, 1, 3, 750, 500, 25_000, 375_000, 401_250)
    assert [(a.name, a.totals) for a in built.agencies] == [
        (agency_name(session, known.ktp), ktp_both),
        ("Dinas Perizinan", IZIN_FEB),
    ]
    assert [(s.name, s.agency_name, s.totals) for s in built.services] == [
        ("KTP Uji", agency_name(session, known.ktp), ktp_both),
        ("Izin Usaha", "Dinas Perizinan", IZIN_FEB),
    ]
    # The chart has a bar per month, the biggest month reaching highest.
    assert [bar.month for bar in built.chart.bars] == [m for m, _t in built.months]
    jan, feb, mar = built.chart.bars
    assert feb.height > jan.height > mar.height == 0


JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


def test_export_rows_per_month_agency_and_service(session: Session, known: World) -> None:
    rows = report.export_rows(session, known.region, PERIOD)
    assert [(r["bulan"], r["opd"], r["layanan"], r["rupiah_total"]) for r in rows] == [
        (JAN, agency_name(session, known.ktp), "KTP Uji", 275800),
        (FEB, "Dinas Perizinan", "Izin Usaha", 276400),
        (FEB, agency_name(session, known.ktp), "KTP Uji", 125450),
    ]
    assert rows[1] == {
        "bulan": FEB,
        "opd": "Dinas Perizinan",
        "layanan": "Izin Usaha",
        "permohonan": 1,
        "lembar_kertas": 6,
        "salinan_cetak": 1,
        "perjalanan_kurir": 1,
        "perjalanan_warga": 2,
        "rupiah_kertas": 900,
        "rupiah_cetak": 500,
        "rupiah_kurir": 25000,
        "rupiah_perjalanan_warga": 250000,
        "rupiah_total": 276400,
    }
    assert list(rows[0]) == [column.key for column in report.EXPORT_COLUMNS]


def test_a_period_with_nothing_is_all_zero(session: Session, known: World) -> None:
    empty = report.build_report(
        session, known.region, periods.Period(dt.date(2025, 6, 1), dt.date(2025, 7, 15))
    )
    assert empty.totals == Totals()
    assert [m for m, _t in empty.months] == [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    assert empty.agencies == [] and empty.services == []


TODAY = dt.date(2026, 5, 20)


@pytest.mark.parametrize(
    ("dari", "sampai", "expected", "error_field"),
    [
        (None, None, periods.Period(dt.date(2025, 6, 1), TODAY), None),
        ("2026-01-01", "2026-03-31", PERIOD, None),
        ("2026-13-01", None, periods.Period(dt.date(2025, 6, 1), TODAY), "dari"),
        ("2026-03-01", "2026-02-01", periods.Period(dt.date(2025, 6, 1), TODAY), "sampai"),
        ("2010-01-01", "2026-03-01", periods.Period(dt.date(2025, 6, 1), TODAY), "dari"),
    ],
)
def test_parse_period(
    dari: str | None, sampai: str | None, expected: periods.Period, error_field: str | None
) -> None:
    period, errors = periods.parse_period(dari, sampai, TODAY)
    assert period == expected
    assert list(errors) == ([error_field] if error_field else [])


def test_a_long_period_labels_fewer_months() -> None:
    months = [(m, Totals()) for m in periods.months_of(periods.Period(dt.date(2024, 1, 1), TODAY))]
    assert len(months) == 29
    chart = report.chart_of(months)
    assert chart.label_every == 3 and len(chart.bars) == 29
    assert all(bar.height == 0 for bar in chart.bars)


def test_a_completion_without_an_electronic_document_saves_nothing(
    session: Session, known: World
) -> None:
    """The one definition of completed online (``simpul.evaluation.online``): a result
    collected on paper still cost the trips, so the ledger's entry is not counted."""
    before = report.build_report(session, known.region, PERIOD)
    add_entry(
        session,
        known.ktp,
        known.citizen,
        datetime(2026, 2, 12, 3, 0, tzinfo=UTC),
        sheets=4,
        citizen_trips=2,
        rupiah=(600, 0, 0, 250_000),
        issued=False,
    )
    after = report.build_report(session, known.region, PERIOD)
    assert after.totals == before.totals
    assert len(report.export_rows(session, known.region, PERIOD)) == 3
