"""Service KPIs for a period, per service, per agency and for the region, with charts and export.

Definitions (the page repeats them in short):

- **received**: applications first submitted in the period;
- **finished**: applications that reached a final state (completed or rejected) in the period;
- **time to finish**, in working days of the region's calendar (weekends, national holidays,
  its cuti bersama): the working days after the day of submission up to and including the day
  it was finished, minus the working days it waited on the citizen after being returned (the
  ``paused_working_days`` the workflow adds to the deadline). This is the convention of
  ``simpul.applications.sla``: something finished on its deadline took exactly the SLA;
- **median and 90th percentile** of those times, by linear interpolation between the two
  nearest ranks (PostgreSQL's ``percentile_cont``, NumPy's default): with the times sorted as
  x[0..n-1], the p-th percentile is at position p·(n-1);
- **within the SLA**: finished on or before the application's deadline (its ``due_date``,
  which the workflow extends by the days spent with the citizen), over all finished;
- **backlog**: applications submitted before the end of the period and not finished by then;
  those that were not waiting on the citizen and whose deadline had passed are overdue. The
  deadline used is the one recorded now: a later return to the citizen extends it, so for a
  period in the past an application returned afterwards may be counted as not yet overdue;
- **done online**: completed applications whose result was issued as a signed electronic
  document (an ``issued_document`` row exists), over all completed applications.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy.orm import Session

from simpul.core.i18n import gettext, lazy
from simpul.core.kit.periods import Period, months_of
from simpul.core.models import Region, utcnow
from simpul.evaluation.kpis import repository
from simpul.evaluation.kpis.repository import Backlog, ServiceInfo
from simpul.evaluation.rollups import repository as rollups
from simpul.web import charts
from simpul.web.downloads import ExportColumn, Kind, Value

MEDIAN: Final = 0.5
P90: Final = 0.9


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The ``fraction`` (0..1) percentile by linear interpolation; None without values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    weight = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * weight


def percentile_of_counts(counts: Mapping[int, int], fraction: float) -> float | None:
    """``percentile`` of the values a histogram (value -> how many) holds, without expanding it."""
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)
    total = sum(n for _value, n in ordered)
    if not total:
        return None
    position = fraction * (total - 1)
    lower = math.floor(position)
    upper = min(lower + 1, total - 1)
    weight = position - lower

    def at(rank: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if rank < seen:
                return value
        raise AssertionError("rank beyond the histogram")

    low = at(lower)
    return low + (at(upper) - low) * weight


@dataclass
class _Tally:
    received: int = 0
    completed: int = 0
    rejected: int = 0
    within_sla: int = 0
    online: int = 0
    #: Working days to finish -> how many took that long.
    durations: Counter[int] = field(default_factory=Counter)
    open: int = 0
    returned: int = 0
    overdue: int = 0

    def add(self, other: _Tally) -> None:
        self.received += other.received
        self.completed += other.completed
        self.rejected += other.rejected
        self.within_sla += other.within_sla
        self.online += other.online
        self.durations.update(other.durations)
        self.open += other.open
        self.returned += other.returned
        self.overdue += other.overdue

    def is_empty(self) -> bool:
        return not (self.received or self.completed or self.rejected or self.open)

    def kpis(self) -> Kpis:
        return Kpis(
            received=self.received,
            completed=self.completed,
            rejected=self.rejected,
            median_days=percentile_of_counts(self.durations, MEDIAN),
            p90_days=percentile_of_counts(self.durations, P90),
            within_sla=self.within_sla,
            online=self.online,
            backlog=Backlog(self.open, self.returned, self.overdue),
        )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Kpis:
    """The KPIs of one group of applications (a service, an agency, the region)."""

    received: int = 0
    completed: int = 0
    rejected: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    #: Finished (completed or rejected) on or before the deadline.
    within_sla: int = 0
    #: Completed with a signed electronic document issued.
    online: int = 0
    backlog: Backlog = field(default_factory=Backlog)

    @property
    def finished(self) -> int:
        return self.completed + self.rejected

    @property
    def within_sla_share(self) -> float | None:
        return _share(self.within_sla, self.finished)

    @property
    def online_share(self) -> float | None:
        return _share(self.online, self.completed)


@dataclass(frozen=True)
class ServiceKpis:
    service_id: uuid.UUID
    name: str
    agency_name: str
    kpis: Kpis


@dataclass(frozen=True)
class AgencyKpis:
    agency_id: uuid.UUID
    name: str
    kpis: Kpis


@dataclass(frozen=True)
class MonthBar:
    month: dt.date
    received: int
    finished: int
    received_x: float
    received_y: float
    received_height: float
    finished_x: float
    finished_y: float
    finished_height: float
    centre_x: float


@dataclass(frozen=True)
class MonthChart:
    """Received and finished per month as paired bars (inline SVG, no JavaScript).

    Drawn narrow (400 units, shown at most 32rem wide) so its labels stay legible on a phone.
    """

    bars: list[MonthBar]
    ticks: list[tuple[int, float]]
    width: int = 400
    height: int = 250
    left: int = 44
    right: int = 394
    top: int = 12
    baseline: int = 200
    label_size: int = 13
    bar_width: float = 0.0
    #: With more than twelve months only every n-th month is labelled, so labels never overlap.
    label_every: int = 1


@dataclass(frozen=True)
class ShareBar:
    name: str
    share: float | None
    y: float
    width: float


@dataclass(frozen=True)
class ShareChart:
    """Horizontal bars of a share per agency: each name above its bar, so it fits a phone."""

    bars: list[ShareBar]
    width: int = 400
    left: int = 2
    right: int = 330
    row_height: int = 48
    bar_height: int = 18
    label_size: int = 14

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.row_height + 8

    def x_of(self, fraction: float) -> float:
        return round(self.left + (self.right - self.left) * fraction, 1)


def month_chart(months: list[tuple[dt.date, int, int]]) -> MonthChart:
    """Paired bars per month scaled to a nice ceiling, with four grid lines."""
    base = MonthChart(bars=[], ticks=[])
    ceiling = charts.round_ceiling(max((max(r, f) for _m, r, f in months), default=0))
    plot_height = base.baseline - base.top
    slot = (base.right - base.left) / max(len(months), 1)
    bar_width = max(slot * 0.36, 2.0)

    def y(value: int) -> float:
        return round(base.baseline - plot_height * value / ceiling, 1)

    bars = []
    for index, (month, received, finished) in enumerate(months):
        x = base.left + index * slot + (slot - 2 * bar_width) / 2
        bars.append(
            MonthBar(
                month=month,
                received=received,
                finished=finished,
                received_x=round(x, 1),
                received_y=y(received),
                received_height=round(base.baseline - y(received), 1),
                finished_x=round(x + bar_width, 1),
                finished_y=y(finished),
                finished_height=round(base.baseline - y(finished), 1),
                centre_x=round(x + bar_width, 1),
            )
        )
    ticks = [(ceiling * step // 4, y(ceiling * step // 4)) for step in range(5)]
    return MonthChart(
        bars=bars,
        ticks=ticks,
        bar_width=round(bar_width, 1),
        label_every=max(1, math.ceil(len(months) / 12)),
    )


def share_chart(rows: list[tuple[str, float | None]]) -> ShareChart:
    """One bar per row, its length the share (0..1); a row without a share has no bar."""
    base = ShareChart(bars=[])
    bars = [
        ShareBar(
            name=name,
            share=share,
            y=index * base.row_height + base.label_size + 10,
            width=round((base.right - base.left) * (share or 0.0), 1),
        )
        for index, (name, share) in enumerate(rows)
    ]
    return ShareChart(bars=bars)


@dataclass(frozen=True)
class KpiReport:
    period: Period
    total: Kpis
    agencies: list[AgencyKpis]
    services: list[ServiceKpis]
    months: list[tuple[dt.date, int, int]]
    #: When the backlog was measured: the end of the period, or now if that is earlier.
    backlog_at: dt.date
    month_chart: MonthChart
    sla_chart: ShareChart


def backlog_reference(period: Period, today: dt.date) -> dt.date:
    """The day from which an open application is overdue: after the period, or today."""
    return min(period.end + dt.timedelta(days=1), today)


def _tallies(
    session: Session,
    region: Region,
    period: Period,
    today: dt.date,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[uuid.UUID, _Tally]:
    """Per service, from the daily rollups (``simpul.evaluation.rollups``, exact)."""
    tallies: dict[uuid.UUID, _Tally] = {}

    def of(service_id: uuid.UUID) -> _Tally:
        return tallies.setdefault(service_id, _Tally())

    first, last = period.start, period.end
    for service_id, counts in rollups.counts_by_service(
        session, region.id, first, last, agency_ids
    ).items():
        tally = of(service_id)
        tally.received = counts.received
        tally.completed = counts.completed
        tally.rejected = counts.rejected
        tally.within_sla = counts.within_sla
        tally.online = counts.online
    for service_id, histogram in rollups.durations_by_service(
        session, region.id, first, last, agency_ids
    ).items():
        of(service_id).durations.update(histogram)
    for service_id, backlog in _backlog(session, region, period, today, agency_ids).items():
        tally = of(service_id)
        tally.open, tally.returned, tally.overdue = backlog.open, backlog.returned, backlog.overdue
    return tallies


def _backlog(
    session: Session,
    region: Region,
    period: Period,
    today: dt.date,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[uuid.UUID, Backlog]:
    """The backlog at the period's end: from the rollups when their rule applies (the end is
    still ahead, or the deadline day is the end itself), else counted from the applications."""
    _start, end = period.bounds(region.timezone)
    after = period.end + dt.timedelta(days=1)
    reference = backlog_reference(period, today)
    if end > utcnow():
        found = rollups.backlog_changes_by_service(session, region.id, after, reference, agency_ids)
    elif reference == after:
        found = rollups.backlog_changes_by_service(session, region.id, after, None, agency_ids)
    else:
        return repository.backlog_by_service(session, region.id, end, reference, agency_ids)
    return {service_id: Backlog(*counts) for service_id, counts in found.items() if any(counts)}


def region_kpis(session: Session, region: Region, period: Period, today: dt.date) -> Kpis:
    """The region's totals for the period (every agency)."""
    total = _Tally()
    for tally in _tallies(session, region, period, today, None).values():
        total.add(tally)
    return total.kpis()


def build_report(
    session: Session,
    region: Region,
    period: Period,
    today: dt.date,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> KpiReport:
    """Everything the dashboard shows; ``agency_ids`` limits it to those agencies."""
    tallies = _tallies(session, region, period, today, agency_ids)
    services: list[ServiceKpis] = []
    agencies: dict[uuid.UUID, tuple[ServiceInfo, _Tally]] = {}
    total = _Tally()
    for info in repository.list_services(session, region.id, agency_ids):
        tally = tallies.get(info.service_id)
        if tally is None or tally.is_empty():
            continue
        services.append(
            ServiceKpis(info.service_id, info.service_name, info.agency_name, tally.kpis())
        )
        agencies.setdefault(info.agency_id, (info, _Tally()))[1].add(tally)
        total.add(tally)
    agency_rows = [
        AgencyKpis(agency_id, info.agency_name, tally.kpis())
        for agency_id, (info, tally) in agencies.items()
    ]
    found = rollups.counts_by_month(session, region.id, period.start, period.end, agency_ids)
    months = [(month, *found.get(month, (0, 0))) for month in months_of(period)]
    return KpiReport(
        period=period,
        total=total.kpis(),
        agencies=agency_rows,
        services=services,
        months=months,
        backlog_at=backlog_reference(period, today),
        month_chart=month_chart(months),
        sla_chart=share_chart([(row.name, row.kpis.within_sla_share) for row in agency_rows]),
    )


#: Each level's name in the export, as the page says it.
LEVELS: Final = {
    "wilayah": lazy("Wilayah"),
    "opd": lazy("Perangkat daerah"),
    "layanan": lazy("Layanan"),
}

EXPORT_COLUMNS: Final = (
    ExportColumn("tingkat", lazy("Tingkat")),
    ExportColumn("opd", lazy("Perangkat daerah")),
    ExportColumn("layanan", lazy("Layanan")),
    ExportColumn("dari", lazy("Dari tanggal"), Kind.DATE),
    ExportColumn("sampai", lazy("Sampai tanggal"), Kind.DATE),
    ExportColumn("diterima", lazy("Diterima"), Kind.INTEGER),
    ExportColumn("selesai", lazy("Selesai"), Kind.INTEGER),
    ExportColumn("dikabulkan", lazy("Dikabulkan"), Kind.INTEGER),
    ExportColumn("ditolak", lazy("Ditolak"), Kind.INTEGER),
    ExportColumn("median_hari_kerja", lazy("Median (hari kerja)"), Kind.DECIMAL),
    ExportColumn("p90_hari_kerja", lazy("Persentil ke-90 (hari kerja)"), Kind.DECIMAL),
    ExportColumn("selesai_tepat_waktu", lazy("Selesai tepat waktu"), Kind.INTEGER),
    ExportColumn("persen_tepat_waktu", lazy("Persen tepat waktu"), Kind.PERCENT),
    ExportColumn("tunggakan", lazy("Tunggakan"), Kind.INTEGER),
    ExportColumn("tunggakan_terlambat", lazy("Tunggakan terlambat"), Kind.INTEGER),
    ExportColumn("selesai_daring", lazy("Selesai daring"), Kind.INTEGER),
    ExportColumn("persen_daring", lazy("Persen daring"), Kind.PERCENT),
)


def _export_row(level: str, agency: str, service: str, period: Period, k: Kpis) -> dict[str, Value]:
    return {
        "tingkat": gettext(LEVELS[level]),
        "opd": agency,
        "layanan": service,
        "dari": period.start,
        "sampai": period.end,
        "diterima": k.received,
        "selesai": k.finished,
        "dikabulkan": k.completed,
        "ditolak": k.rejected,
        "median_hari_kerja": k.median_days,
        "p90_hari_kerja": k.p90_days,
        "selesai_tepat_waktu": k.within_sla,
        "persen_tepat_waktu": k.within_sla_share,
        "tunggakan": k.backlog.open,
        "tunggakan_terlambat": k.backlog.overdue,
        "selesai_daring": k.online,
        "persen_daring": k.online_share,
    }


def export_rows(report: KpiReport) -> list[dict[str, Value]]:
    """The total, then every agency, then every service, in EXPORT_COLUMNS: figures as
    numbers (shares 0..1), dates as dates, the level as the page names it."""
    period = report.period
    rows = [_export_row("wilayah", "", "", period, report.total)]
    rows += [_export_row("opd", a.name, "", period, a.kpis) for a in report.agencies]
    rows += [_export_row("layanan", s.agency_name, s.name, period, s.kpis) for s in report.services]
    return rows
