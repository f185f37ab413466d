"""Periods of whole days in a region's calendar, short month names, and today's date there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final
from zoneinfo import ZoneInfo

from simpul.core.i18n import _, lazy
from simpul.core.inputs import date_in_range, date_range_message
from simpul.core.models import Region, utcnow

#: A period longer than this is refused: charts and exports stay readable.
MAX_MONTHS: Final = 60


#: Short month names for charts and tables, translated at render time.
MONTH_NAMES: Final = (
    lazy("Jan"),
    lazy("Feb"),
    lazy("Mar"),
    lazy("Apr"),
    lazy("Mei"),
    lazy("Jun"),
    lazy("Jul"),
    lazy("Agu"),
    lazy("Sep"),
    lazy("Okt"),
    lazy("Nov"),
    lazy("Des"),
)


def today_in(region: Region, now: dt.datetime | None = None) -> dt.date:
    """The date on the region's wall clock now, or at ``now`` (which must be timezone-aware)."""
    moment = now or utcnow()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(ZoneInfo(region.timezone)).date()


@dataclass(frozen=True)
class Period:
    """Whole days in the region's calendar, both ends included."""

    start: dt.date
    end: dt.date

    def bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """The period as UTC-aware instants [start, end)."""
        zone = ZoneInfo(timezone)
        start = dt.datetime.combine(self.start, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start, end


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def default_period(today: dt.date) -> Period:
    """The last twelve months, this one included."""
    return Period(_months_back(today, 11), today)


def parse_period(
    dari: str | None, sampai: str | None, today: dt.date
) -> tuple[Period, dict[str, str]]:
    """The period asked for in the query (YYYY-MM-DD), or the default with what was wrong."""
    fallback = default_period(today)
    errors: dict[str, str] = {}
    days: dict[str, dt.date] = {}
    for name, raw, default in (("dari", dari, fallback.start), ("sampai", sampai, fallback.end)):
        if not raw:
            days[name] = default
            continue
        try:
            days[name] = dt.date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Tanggal tidak dikenali: tulis sebagai TTTT-BB-HH.")
            days[name] = default
            continue
        if not date_in_range(days[name]):
            errors[name] = date_range_message()
            days[name] = default
    if errors:
        return fallback, errors
    period = Period(days["dari"], days["sampai"])
    if period.end < period.start:
        return fallback, {"sampai": _("Tanggal akhir tidak boleh sebelum tanggal awal.")}
    if _months_back(period.end, MAX_MONTHS) > period.start:
        return fallback, {"dari": _("Periode paling panjang %(n)d bulan.") % {"n": MAX_MONTHS}}
    return period, {}


def months_of(period: Period) -> list[dt.date]:
    """The first day of every month the period touches."""
    months: list[dt.date] = []
    month = period.start.replace(day=1)
    while month <= period.end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months
