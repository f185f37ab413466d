"""The IKM report of a period: per service (grouped by agency) and for the whole scope, with
the sample check, the element means as a chart, and the export."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.evaluation.ikm import ELEMENTS, Element, IkmResult, ikm_from_totals, krejcie_morgan
from simpul.evaluation.rollups import repository as rollups
from simpul.evaluation.surveys import repository
from simpul.evaluation.surveys.profile import MIN_GROUP, QUESTIONS
from simpul.web.downloads import ExportColumn, Kind, Value

#: The years the filter accepts start here (no online service is older).
FIRST_YEAR: Final = 2000

#: The parts of a year the report can show: key -> (first month, months, label).
PARTS: Final[dict[str, tuple[int, int, str]]] = {
    "": (1, 12, lazy("Setahun penuh")),
    "s1": (1, 6, lazy("Semester I (Januari-Juni)")),
    "s2": (7, 6, lazy("Semester II (Juli-Desember)")),
    "t1": (1, 3, lazy("Triwulan I (Januari-Maret)")),
    "t2": (4, 3, lazy("Triwulan II (April-Juni)")),
    "t3": (7, 3, lazy("Triwulan III (Juli-September)")),
    "t4": (10, 3, lazy("Triwulan IV (Oktober-Desember)")),
}


@dataclass(frozen=True)
class Period:
    """A year, or one semester or quarter of it, in the region's calendar."""

    year: int
    part: str = ""

    @property
    def first_month(self) -> int:
        return PARTS[self.part][0]

    @property
    def label(self) -> str:
        return PARTS[self.part][2]

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.first_month, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        index = self.year * 12 + self.first_month - 1 + PARTS[self.part][1]
        return dt.date(index // 12, index % 12 + 1, 1)

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware instants [start, end) on the region's wall clock."""
        zone = ZoneInfo(timezone)
        return (
            dt.datetime.combine(self.start, dt.time(), tzinfo=zone),
            dt.datetime.combine(self.end, dt.time(), tzinfo=zone),
        )

    @property
    def slug(self) -> str:
        return f"{self.year}-{self.part}" if self.part else str(self.year)


def parse_period(
    tahun: str | None, periode: str | None, today: dt.date
) -> tuple[Period, dict[str, str]]:
    """The period asked for in the query, or this year with what was wrong, per field."""
    errors: dict[str, str] = {}
    year = today.year
    raw_year = (tahun or "").strip()
    if raw_year:
        if raw_year.isascii() and raw_year.isdigit() and FIRST_YEAR <= int(raw_year) <= today.year:
            year = int(raw_year)
        else:
            errors["tahun"] = _("Tahun harus angka empat digit dari %(first)d sampai %(last)d.") % {
                "first": FIRST_YEAR,
                "last": today.year,
            }
    part = (periode or "").strip()
    if part not in PARTS:
        errors["periode"] = _(
            "Periode tidak dikenali: pilih setahun penuh, semester, atau triwulan."
        )
        part = ""
    if errors:
        return Period(today.year), errors
    return Period(year, part), {}


@dataclass(frozen=True)
class ElementScore:
    element: Element
    mean: float


@dataclass(frozen=True)
class Row:
    """One line of the report: a service, or the total of an agency or of the scope."""

    name: str
    respondents: int
    population: int
    result: IkmResult | None

    @property
    def minimum(self) -> int:
        """The Krejcie-Morgan minimum sample for the population."""
        return krejcie_morgan(self.population)

    @property
    def sufficient(self) -> bool:
        return self.population > 0 and self.respondents >= self.minimum

    @property
    def scores(self) -> list[ElementScore]:
        if self.result is None:
            return []
        return [ElementScore(e, m) for e, m in zip(ELEMENTS, self.result.elements, strict=True)]

    @property
    def lowest(self) -> ElementScore | None:
        """The element with the lowest mean (the first of equals): what to improve first."""
        return min(self.scores, key=lambda s: s.mean, default=None)


@dataclass(frozen=True)
class AgencyGroup:
    name: str
    services: list[Row]
    total: Row


@dataclass(frozen=True)
class ChartBar:
    code: str
    label: str
    mean: float
    y: float
    width: float
    lowest: bool


@dataclass(frozen=True)
class Chart:
    """Horizontal bars of the nine element means on the 0-4 scale (inline SVG)."""

    bars: list[ChartBar]
    ticks: list[tuple[int, float]]
    width: int = 360
    left: int = 40
    right: int = 320
    top: int = 8
    row_height: int = 28
    bar_height: int = 18

    @property
    def height(self) -> int:
        return self.top + self.row_height * len(self.bars) + 24

    @property
    def baseline(self) -> int:
        return self.top + self.row_height * len(self.bars)


def chart_of(row: Row) -> Chart:
    base = Chart(bars=[], ticks=[])
    scale = (base.right - base.left) / 4
    lowest = row.lowest
    bars = [
        ChartBar(
            code=score.element.code.upper(),
            label=score.element.label,
            mean=score.mean,
            y=base.top + index * base.row_height + (base.row_height - base.bar_height) / 2,
            width=round(score.mean * scale, 1),
            lowest=lowest is not None and score.element.code == lowest.element.code,
        )
        for index, score in enumerate(row.scores)
    ]
    ticks = [(value, round(base.left + value * scale, 1)) for value in range(5)]
    return Chart(bars=bars, ticks=ticks)


@dataclass(frozen=True)
class IkmReport:
    period: Period
    agencies: list[AgencyGroup]
    total: Row
    chart: Chart


@dataclass
class _Sums:
    """Respondents and each element's sum of answers (what the IKM is computed from)."""

    respondents: int = 0
    totals: list[int] = field(default_factory=lambda: [0] * len(ELEMENTS))

    def add(self, respondents: int, totals: Iterable[int]) -> None:
        self.respondents += respondents
        self.totals = [mine + theirs for mine, theirs in zip(self.totals, totals, strict=True)]


def _row(name: str, sums: _Sums, population: int) -> Row:
    result = ikm_from_totals(sums.totals, sums.respondents) if sums.respondents else None
    return Row(name=name, respondents=sums.respondents, population=population, result=result)


def build_report(
    session: Session,
    region: Region,
    period: Period,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> IkmReport:
    """Everything the report shows; ``agency_ids`` limits it to some agencies (admin OPD)."""
    start, end = period.bounds(region.timezone)
    # Answers summed per service in the database: exact, and no row per respondent.
    answers = repository.answer_totals_in_period(session, region.id, start, end, agency_ids)
    # The population from the daily rollups (decision 0034): completed per service and day.
    population = {
        service_id: counts.completed
        for service_id, counts in rollups.counts_by_service(
            session, region.id, period.start, period.end, agency_ids
        ).items()
        if counts.completed
    }
    by_service: dict[uuid.UUID, _Sums] = defaultdict(_Sums)
    agency_of: dict[uuid.UUID, uuid.UUID] = {}
    region_sums = _Sums()
    for answer in answers:
        by_service[answer.service_id].add(answer.respondents, answer.totals)
        region_sums.add(answer.respondents, answer.totals)
        agency_of.setdefault(answer.service_id, answer.agency_id)
    names = repository.service_names(session, region.id, set(population) | set(by_service))
    for service_id, name in names.items():
        agency_of.setdefault(service_id, name.agency_id)
    agency_names = repository.agency_names(session, region.id, set(agency_of.values()))

    services_of: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for service_id in set(population) | set(by_service):
        services_of[agency_of[service_id]].append(service_id)
    groups: list[AgencyGroup] = []
    for agency_id, service_ids in services_of.items():
        rows = sorted(
            (
                _row(
                    names[s].name if s in names else "—",
                    by_service.get(s, _Sums()),
                    population.get(s, 0),
                )
                for s in service_ids
            ),
            key=lambda r: r.name,
        )
        agency_sums = _Sums()
        for s in service_ids:
            if s in by_service:
                agency_sums.add(by_service[s].respondents, by_service[s].totals)
        total = _row(
            agency_names.get(agency_id, "—"),
            agency_sums,
            sum(population.get(s, 0) for s in service_ids),
        )
        groups.append(AgencyGroup(total.name, rows, total))
    groups.sort(key=lambda g: g.name)
    total = _row(region.name, region_sums, sum(population.values()))
    return IkmReport(period=period, agencies=groups, total=total, chart=chart_of(total))


#: The export's columns: counts as numbers, the IKM and each element's NRR as numbers with two
#: decimals, words as the page shows them (``web.downloads``: XLSX cells, Indonesian CSV).
EXPORT_COLUMNS: Final = (
    ExportColumn("periode", lazy("Periode")),
    ExportColumn("opd", lazy("Perangkat daerah")),
    ExportColumn("layanan", lazy("Layanan")),
    ExportColumn("responden", lazy("Responden"), Kind.INTEGER),
    ExportColumn("populasi", lazy("Populasi"), Kind.INTEGER),
    ExportColumn("sampel_minimum", lazy("Sampel minimum"), Kind.INTEGER),
    ExportColumn("sampel_terpenuhi", lazy("Sampel terpenuhi")),
    ExportColumn("ikm", lazy("IKM"), Kind.INDEX),
    ExportColumn("mutu", lazy("Mutu pelayanan")),
    ExportColumn("kinerja", lazy("Kinerja unit pelayanan")),
    *(ExportColumn(f"nrr_{e.code}", f"NRR {e.code.upper()}", Kind.INDEX) for e in ELEMENTS),
    ExportColumn("unsur_terendah", lazy("Unsur terendah")),
)


def _export_row(period: Period, agency: str, service: str, row: Row) -> dict[str, Value]:
    result = row.result
    lowest = row.lowest
    return {
        "periode": period.slug,
        "opd": agency,
        "layanan": service,
        "responden": row.respondents,
        "populasi": row.population,
        "sampel_minimum": row.minimum,
        "sampel_terpenuhi": _("ya") if row.sufficient else _("tidak"),
        "ikm": round(result.ikm, 2) if result else None,
        "mutu": result.grade if result else "",
        "kinerja": _(result.label) if result else "",
        **{f"nrr_{score.element.code}": round(score.mean, 2) for score in row.scores},
        "unsur_terendah": _(lowest.element.label) if lowest else "",
    }


def export_rows(report: IkmReport) -> list[dict[str, Value]]:
    """One row per service, then one per agency (all its services), then the scope's total."""
    rows: list[dict[str, Value]] = []
    for group in report.agencies:
        rows.extend(_export_row(report.period, group.name, s.name, s) for s in group.services)
    every_service = _("Semua layanan")
    rows.extend(
        _export_row(report.period, group.name, every_service, group.total)
        for group in report.agencies
    )
    rows.append(
        _export_row(report.period, _("Semua perangkat daerah"), every_service, report.total)
    )
    return [{c.key: row.get(c.key) for c in EXPORT_COLUMNS} for row in rows]


@dataclass(frozen=True)
class ProfileGroup:
    """One answer to a profile question: how many respondents gave it, and their IKM when
    there are enough of them (``MIN_GROUP``) for nobody to be recognised."""

    label: str
    respondents: int
    result: IkmResult | None

    @property
    def too_few(self) -> bool:
        return 0 < self.respondents < MIN_GROUP


@dataclass(frozen=True)
class ProfileTable:
    label: str
    groups: list[ProfileGroup]


def profile_tables(
    session: Session,
    region: Region,
    period: Period,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> list[ProfileTable]:
    """The respondents of the period per answer of each profile question (every answer of
    the list, then those who left it empty), with the IKM of groups of ``MIN_GROUP`` or more."""
    start, end = period.bounds(region.timezone)
    tables: list[ProfileTable] = []
    for question in QUESTIONS:
        found = {
            row.key: row
            for row in repository.answer_totals_per_profile(
                session, region.id, question.column, start, end, agency_ids
            )
        }
        groups: list[ProfileGroup] = []
        for key, label in (*question.options, (None, lazy("Tidak diisi"))):
            row = found.get(key)
            respondents = row.respondents if row else 0
            result = (
                ikm_from_totals(row.totals, respondents)
                if row and respondents >= MIN_GROUP
                else None
            )
            groups.append(ProfileGroup(label, respondents, result))
        tables.append(ProfileTable(question.label, groups))
    return tables
