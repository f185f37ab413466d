"""Service-level deadlines in Indonesian working days.

A day off is a weekend day (Saturday and Sunday), a national holiday from the maintained
``holidays`` library, or a day the region closes (its cuti bersama) passed in.

The convention, the same everywhere in Simpul: **the day of submission never counts**. An
application submitted on day D with an SLA of n working days is due on the n-th working day
after D, and is on time if decided by the end of that day (local time). Submitted Friday with
n=1, it is due Monday (unless Monday is a day off); submitted Saturday, also Monday.
Dates are local calendar dates: turn a timestamp into one with ``local_date`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays

DEFAULT_TIMEZONE: Final = "Asia/Jakarta"
_ONE_DAY: Final = timedelta(days=1)


@lru_cache(maxsize=64)
def _national_holidays(country: str, year: int, categories: tuple[str, ...]) -> Mapping[date, str]:
    """A year's national holidays, computed once per process (a calendar is made per request)."""
    found = holidays.country_holidays(country, years=year, categories=categories, language="id")
    return MappingProxyType(dict(found.items()))


@lru_cache(maxsize=8)
def _weekend_of(country: str) -> frozenset[int]:
    return frozenset(holidays.country_holidays(country, years=()).weekend)


class WorkingCalendar:
    """Which days a region's offices work. Safe to share between threads.

    ``extra_days_off`` are the region's own closures (cuti bersama, local holidays). With
    ``national_collective_leave`` the national cuti bersama the ``holidays`` library knows
    (its ``government`` category) are days off too. It is off by default: units that serve
    the public are generally told to keep serving on those days, so a region that does close
    says so (here, or through ``extra_days_off``).
    """

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        *,
        country: str = "ID",
        national_collective_leave: bool = False,
    ) -> None:
        self.country = country
        self.extra_days_off = frozenset(extra_days_off)
        self._categories = ("public", "government") if national_collective_leave else ("public",)
        self._weekend = _weekend_of(country)

    def holidays_in(self, year: int) -> Mapping[date, str]:
        """The national days off of ``year`` with their Indonesian names, loaded once."""
        return _national_holidays(self.country, year, self._categories)

    def holiday_name(self, day: date) -> str | None:
        """The name of the national holiday on ``day`` (in Indonesian), if there is one."""
        return self.holidays_in(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        """Tell whether offices work on ``day``: not a weekend, a holiday or a regional closure."""
        return (
            day.weekday() not in self._weekend
            and day not in self.extra_days_off
            and day not in self.holidays_in(day.year)
        )

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def add_working_days(self, start: date, n: int) -> date:
        """The deadline of an SLA of ``n`` working days for something submitted on ``start``.

        ``start`` itself never counts; ``n == 0`` gives ``start`` if it is a working day, else
        the next working day.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day if n else self.next_working_day(start)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after ``start`` up to and including ``end`` (0 if none).

        To extend a deadline by the time an application waited on the citizen:
        ``add_working_days(deadline, working_days_between(paused_on, resumed_on))``.
        """
        span = (end - start).days
        return sum(self.is_working_day(start + timedelta(days=k)) for k in range(1, span + 1))


def local_date(moment: datetime, tz: str = DEFAULT_TIMEZONE) -> date:
    """The calendar date of ``moment`` in ``tz`` (WIB by default): 23:30 WIB is still that day.

    ``moment`` must be timezone-aware; a naive datetime is refused rather than guessed.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(ZoneInfo(tz)).date()
