"""Totals per month, agency and service for a period, the monthly chart and the export."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from simpul.core.i18n import lazy
from simpul.core.kit.periods import Period, months_of
from simpul.core.models import Region
from simpul.evaluation.savings import repository
from simpul.evaluation.savings.ledger import Rates, rates_for
from simpul.evaluation.savings.repository import MonthTotals, NamedTotals, Totals
from simpul.web import charts
from simpul.web.downloads import ExportColumn, Kind, Value


@dataclass(frozen=True)
class ChartBar:
    month: dt.date
    totals: Totals
    x: float
    y: float
    height: float
    centre_x: float


@dataclass(frozen=True)
class Chart:
    """A server-drawn bar chart of rupiah saved per month (inline SVG, no JavaScript)."""

    bars: list[ChartBar]
    ticks: list[tuple[int, float]]
    width: int = 720
    height: int = 260
    left: int = 96
    right: int = 708
    top: int = 16
    baseline: int = 220
    label_size: int = 12
    bar_width: float = 0.0
    #: With more than twelve months only every n-th month is labelled, so labels never overlap.
    label_every: int = 1


def chart_of(months: list[tuple[dt.date, Totals]]) -> Chart:
    """Bars scaled to a nice ceiling of the biggest month, with four grid lines."""
    base = Chart(bars=[], ticks=[])
    ceiling = charts.round_ceiling(max((t.total_rupiah for _m, t in months), default=0))
    plot_height = base.baseline - base.top
    slot = (base.right - base.left) / max(len(months), 1)
    bar_width = max(slot * 0.7, 2.0)

    def y(value: int) -> float:
        return round(base.baseline - plot_height * value / ceiling, 1)

    bars = []
    for index, (month, totals) in enumerate(months):
        x = base.left + index * slot + (slot - bar_width) / 2
        top = y(totals.total_rupiah)
        bars.append(
            ChartBar(
                month=month,
                totals=totals,
                x=round(x, 1),
                y=top,
                height=round(base.baseline - top, 1),
                centre_x=round(x + bar_width / 2, 1),
            )
        )
    ticks = [(ceiling * step // 4, y(ceiling * step // 4)) for step in range(5)]
    return Chart(
        bars=bars,
        ticks=ticks,
        bar_width=round(bar_width, 1),
        label_every=max(1, math.ceil(len(months) / 12)),
    )


@dataclass(frozen=True)
class SavingsReport:
    period: Period
    totals: Totals
    months: list[tuple[dt.date, Totals]]
    agencies: list[NamedTotals]
    services: list[NamedTotals]
    rates: Rates
    chart: Chart = field(default_factory=lambda: Chart(bars=[], ticks=[]))


def _fill_months(period: Period, found: list[MonthTotals]) -> list[tuple[dt.date, Totals]]:
    by_month = {row.month.date(): row.totals for row in found}
    return [(month, by_month.get(month, Totals())) for month in months_of(period)]


def build_report(session: Session, region: Region, period: Period) -> SavingsReport:
    """Everything the dashboard shows for the period."""
    start, end = period.bounds(region.timezone)
    months = _fill_months(
        period, repository.totals_by_month(session, region.id, region.timezone, start, end)
    )
    return SavingsReport(
        period=period,
        totals=repository.totals(session, region.id, start, end),
        months=months,
        agencies=repository.totals_by_agency(session, region.id, start, end),
        services=repository.totals_by_service(session, region.id, start, end),
        rates=rates_for(session, region.id),
        chart=chart_of(months),
    )


EXPORT_COLUMNS: Final = (
    ExportColumn("bulan", lazy("Bulan"), Kind.MONTH),
    ExportColumn("opd", lazy("Perangkat daerah")),
    ExportColumn("layanan", lazy("Layanan")),
    ExportColumn("permohonan", lazy("Permohonan selesai daring"), Kind.INTEGER),
    ExportColumn("lembar_kertas", lazy("Lembar kertas"), Kind.INTEGER),
    ExportColumn("salinan_cetak", lazy("Salinan cetak"), Kind.INTEGER),
    ExportColumn("perjalanan_kurir", lazy("Perjalanan kurir"), Kind.INTEGER),
    ExportColumn("perjalanan_warga", lazy("Perjalanan warga"), Kind.INTEGER),
    ExportColumn("rupiah_kertas", lazy("Rupiah kertas"), Kind.RUPIAH),
    ExportColumn("rupiah_cetak", lazy("Rupiah cetak"), Kind.RUPIAH),
    ExportColumn("rupiah_kurir", lazy("Rupiah kurir"), Kind.RUPIAH),
    ExportColumn("rupiah_perjalanan_warga", lazy("Rupiah perjalanan warga"), Kind.RUPIAH),
    ExportColumn("rupiah_total", lazy("Rupiah total"), Kind.RUPIAH),
)


def export_rows(session: Session, region: Region, period: Period) -> list[dict[str, Value]]:
    """One row per month, agency and service, in EXPORT_COLUMNS: counts and rupiah as
    numbers, the month as its first day (a date)."""
    start, end = period.bounds(region.timezone)
    rows = repository.totals_by_month_agency_service(
        session, region.id, region.timezone, start, end
    )
    return [
        {
            "bulan": row.month.date(),
            "opd": row.agency_name,
            "layanan": row.service_name,
            "permohonan": row.totals.applications,
            "lembar_kertas": row.totals.sheets,
            "salinan_cetak": row.totals.printed_copies,
            "perjalanan_kurir": row.totals.courier_trips,
            "perjalanan_warga": row.totals.citizen_trips,
            "rupiah_kertas": row.totals.sheet_rupiah,
            "rupiah_cetak": row.totals.printed_copy_rupiah,
            "rupiah_kurir": row.totals.courier_rupiah,
            "rupiah_perjalanan_warga": row.totals.citizen_trip_rupiah,
            "rupiah_total": row.totals.total_rupiah,
        }
        for row in rows
    ]
