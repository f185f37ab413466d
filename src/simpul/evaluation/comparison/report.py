"""The regions of this installation side by side for a year: KPI totals and indices, ranked.

Only each region's aggregates are read (totals from ``simpul.evaluation.kpis``, the IKM from
``surveys.service.region_ikm``, the SPBE index and predicate and the smart city index from
``assessments.service``, the complaint figures from ``complaints.service``); no application,
complaint, person or agency of another region is shown.

Complaints are compared per month (filed in the year over its months up to today): regions do
not record their population, so "per 10 000 residents" cannot be computed. A region that has
no complaint category has not set complaints up: "no data", no rank.

Ranking is standard competition ranking ("1, 2, 2, 4"): equal values share a rank and the
next rank skips. A region without a value for a column has no rank there and sorts last.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.core.i18n import _, lazy
from simpul.core.kit.periods import Period, today_in
from simpul.core.models import Region
from simpul.core.regions import list_active_regions
from simpul.evaluation.assessments.service import smartcity_index, spbe_index_and_predicate
from simpul.evaluation.kpis.report import Kpis, region_kpis
from simpul.evaluation.surveys.service import region_ikm

T = TypeVar("T")

#: The oldest year one can ask for.
FIRST_YEAR: Final = 2000


class Better(enum.Enum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Column:
    key: str  # the value of ``urut`` in the URL
    label: Any  # a lazy translation
    better: Better
    kind: str  # how the page formats it: "count", "days", "share", "index"


COLUMNS: Final = (
    Column("diterima", lazy("Diterima"), Better.HIGHER, "count"),
    Column("selesai", lazy("Selesai"), Better.HIGHER, "count"),
    Column("median", lazy("Median hari kerja"), Better.LOWER, "days"),
    Column("tepat-waktu", lazy("Tepat waktu"), Better.HIGHER, "share"),
    Column("daring", lazy("Daring"), Better.HIGHER, "share"),
    Column("ikm", lazy("IKM"), Better.HIGHER, "index"),
    Column("spbe", lazy("Indeks SPBE"), Better.HIGHER, "index"),
    Column("smart-city", lazy("Indeks smart city"), Better.HIGHER, "index"),
    Column("pengaduan", lazy("Pengaduan per bulan"), Better.HIGHER, "days"),
    Column("pengaduan-tepat-waktu", lazy("Pengaduan tepat waktu"), Better.HIGHER, "share"),
    Column("pengaduan-nilai", lazy("Penilaian pengaduan"), Better.HIGHER, "index"),
)
SORT_KEYS: Final = ("nama", *(column.key for column in COLUMNS))


@dataclass(frozen=True)
class RegionRow:
    region_id: Any
    slug: str
    name: str
    kpis: Kpis
    ikm: float | None
    ikm_grade: str | None
    spbe: float | None
    spbe_predicate: str | None
    smartcity: float | None
    #: The year of the SPBE and smart city results shown (the latest final one up to the year
    #: asked for: evaluations are published a year or two late).
    spbe_year: int | None = None
    smartcity_year: int | None = None
    #: Complaints filed per month, the share whose deadlines were kept, the average rating.
    complaints_per_month: float | None = None
    complaints_kept: float | None = None
    complaints_rating: float | None = None
    ranks: dict[str, int | None] = field(default_factory=dict)

    def value(self, key: str) -> float | None:
        values: dict[str, float | None] = {
            "diterima": self.kpis.received,
            "selesai": self.kpis.finished,
            "median": self.kpis.median_days,
            "tepat-waktu": self.kpis.within_sla_share,
            "daring": self.kpis.online_share,
            "ikm": self.ikm,
            "spbe": self.spbe,
            "smart-city": self.smartcity,
            "pengaduan": self.complaints_per_month,
            "pengaduan-tepat-waktu": self.complaints_kept,
            "pengaduan-nilai": self.complaints_rating,
        }
        return values[key]


def competition_ranks(values: Sequence[float | None], better: Better) -> list[int | None]:
    """Rank 1 for the best value; ties share a rank, the next one skips; None gets no rank."""
    present = [v for v in values if v is not None]
    ranks: list[int | None] = []
    for value in values:
        if value is None:
            ranks.append(None)
            continue
        if better is Better.HIGHER:
            ahead = sum(1 for other in present if other > value)
        else:
            ahead = sum(1 for other in present if other < value)
        ranks.append(ahead + 1)
    return ranks


@dataclass(frozen=True)
class Comparison:
    year: int
    rows: list[RegionRow]
    sort: str
    current_region_id: Any


def parse_year(raw: str | None, today: dt.date) -> tuple[int, dict[str, str]]:
    """The year asked for, or this year with what was wrong."""
    if not raw:
        return today.year, {}
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= today.year + 1:
        message = _("Tahun harus berupa empat angka antara %(first)d dan %(last)d.") % {
            "first": FIRST_YEAR,
            "last": today.year + 1,
        }
        return today.year, {"tahun": message}
    return int(raw), {}


#: A ranking reads best first: by default the rank on time (SLA), the leaders' first measure.
DEFAULT_SORT: Final = "tepat-waktu"


def parse_sort(raw: str | None) -> tuple[str, dict[str, str]]:
    """The column to sort by (its rank; ``DEFAULT_SORT`` by default), or the default with
    what was wrong."""
    if not raw:
        return DEFAULT_SORT, {}
    if raw not in SORT_KEYS:
        message = _("Urutan tidak dikenali: pilih salah satu kolom tabel.")
        return DEFAULT_SORT, {"urut": message}
    return raw, {}


#: How many years back the comparison looks for a region's latest SPBE or smart city result.
LOOK_BACK_YEARS = 3


def _latest(find: Callable[[int], T | None], year: int) -> tuple[T | None, int | None]:
    """The value for ``year``, else for the latest earlier year within ``LOOK_BACK_YEARS``."""
    for candidate in range(year, year - LOOK_BACK_YEARS - 1, -1):
        found = find(candidate)
        if found is not None:
            return found, candidate
    return None, None


def _row(session: Session, region: Region, year: int) -> RegionRow:
    period = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    ikm = region_ikm(session, region.id, year)
    spbe, spbe_year = _latest(lambda y: spbe_index_and_predicate(session, region.id, y), year)
    smartcity, smartcity_year = _latest(lambda y: smartcity_index(session, region.id, y), year)
    runs_complaints = bool(complaints.categories(session, region, active_only=False))
    figures = complaints.complaint_figures(session, region, period) if runs_complaints else None
    return RegionRow(
        region_id=region.id,
        slug=region.slug,
        name=region.name,
        kpis=region_kpis(session, region, period, today_in(region)),
        ikm=ikm.ikm if ikm else None,
        ikm_grade=ikm.grade if ikm else None,
        spbe=spbe[0] if spbe else None,
        spbe_predicate=spbe[1] if spbe else None,
        smartcity=smartcity,
        spbe_year=spbe_year,
        smartcity_year=smartcity_year,
        complaints_per_month=figures.filed_per_month if figures else None,
        complaints_kept=figures.deadlines.kept_share if figures else None,
        complaints_rating=figures.ratings.average if figures else None,
    )


def build_comparison(session: Session, current: Region, year: int, sort: str) -> Comparison:
    """Every active region's aggregates for ``year`` with its rank per column, sorted by
    ``sort``. Regions marked test or inactive (``simpul region status``) are left out: a
    training copy or a region that left would distort every rank."""
    rows = [_row(session, region, year) for region in list_active_regions(session)]
    for column in COLUMNS:
        ranks = competition_ranks([row.value(column.key) for row in rows], column.better)
        for row, rank in zip(rows, ranks, strict=True):
            row.ranks[column.key] = rank
    if sort == "nama":
        rows.sort(key=lambda row: row.name)
    else:
        rows.sort(
            key=lambda row: (
                row.ranks[sort] is None,
                row.ranks[sort] or 0,
                row.name,
            )
        )
    return Comparison(year=year, rows=rows, sort=sort, current_region_id=current.id)
