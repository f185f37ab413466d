"""A region's complaint figures for a period, per month: what the KPI dashboard, the SPBE
evidence, the IKM report and the comparison between regions show.

What is counted (every date on the region's wall clock, the period's days both included):

- **handled complaints** leave out split parents (status ``split``: they live on in their parts,
  each counted) and merged duplicates (status ``merged``: counted through the complaint they
  were merged into). Confidential and anonymous complaints are counted like any other: only
  numbers leave this module, never a title or a person;
- **filed**: handled complaints filed in the period, by month filed, category, agency (None:
  not routed yet), kind and status *now*;
- **deadline kept** is counted over the handled complaints whose closing deadline
  (``resolution_due``, as recorded now: moved on while the citizen was asked for more and on
  reopening) falls in the period, by month of that deadline. Rejected complaints and those
  forwarded out of the region have no outcome (no agency of the region had to answer them).
  A complaint is

  - **kept** when its first answer came on or before ``first_response_due`` and its closing
    answer (``resolved_at``) on or before ``resolution_due`` (on the due day itself is kept);
  - **missed** when either answer came after its due day, or a due day is over (``today`` is
    later) without that answer; a complaint waiting on the citizen is not missed for its
    closing meanwhile (the clock is paused and the due day moves on when they reply);
  - **pending** otherwise: still open and not yet due. Pending is never counted as kept or
    missed; the share kept is kept / (kept + missed);
- **first answer time**: over complaints first answered in the period, the working days of the
  region's calendar after the day filed up to the day answered (``applications.sla``'s
  convention: answered the next working day = 1), averaged;
- **escalated** and **reopened**: handled complaints filed in the period that were escalated
  (overdue, told to the agency's head) or reopened by the citizen, over those filed;
- **ratings**: given in the period (by the day rated), count, average and distribution 1-5.

One query per figure group (filed, deadlines, first answers, ratings) and one for the
calendar; never one per complaint.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from simpul.applications import service as applications
from simpul.complaints import figures_repository as repository
from simpul.complaints.labels import KIND_LABELS, STATUS_LABELS
from simpul.core.i18n import gettext
from simpul.core.kit.periods import Period, months_of, today_in
from simpul.core.models import Region

RATINGS = (1, 2, 3, 4, 5)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Count:
    """One row of a breakdown: its key (an id or a code), its name, how many."""

    key: str
    name: str
    count: int


@dataclass(frozen=True)
class Deadlines:
    kept: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def decided(self) -> int:
        return self.kept + self.missed

    @property
    def kept_share(self) -> float | None:
        return _share(self.kept, self.decided)


@dataclass(frozen=True)
class Ratings:
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.distribution.values())

    @property
    def average(self) -> float | None:
        total = sum(rating * n for rating, n in self.distribution.items())
        return total / self.count if self.count else None

    def of(self, rating: int) -> int:
        return self.distribution.get(rating, 0)


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    filed: int = 0
    deadlines: Deadlines = field(default_factory=Deadlines)
    first_answered: int = 0
    first_answer_days: float | None = None
    escalated: int = 0
    reopened: int = 0
    ratings: Ratings = field(default_factory=Ratings)


@dataclass(frozen=True)
class ComplaintFigures:
    period: Period
    #: The day outcomes were judged on (a due day before it without the answer is missed).
    today: dt.date
    filed: int
    by_category: list[Count]
    by_agency: list[Count]
    by_kind: list[Count]
    by_status: list[Count]
    deadlines: Deadlines
    first_answered: int
    first_answer_days: float | None
    escalated: int
    reopened: int
    ratings: Ratings
    months: list[MonthFigures]

    @property
    def escalated_share(self) -> float | None:
        return _share(self.escalated, self.filed)

    @property
    def reopened_share(self) -> float | None:
        return _share(self.reopened, self.filed)

    @property
    def month_count(self) -> int:
        """Months of the period up to ``today`` (at least one): to say "per month"."""
        return max(1, len([m for m in months_of(self.period) if m <= self.today]))

    @property
    def filed_per_month(self) -> float:
        return self.filed / self.month_count


def _ranked(counter: Counter[str], names: dict[str, str]) -> list[Count]:
    return [
        Count(key, names[key], n)
        for key, n in sorted(counter.items(), key=lambda item: (-item[1], names[item[0]]))
    ]


def _average(total: int, n: int) -> float | None:
    return total / n if n else None


def complaint_figures(
    session: Session,
    region: Region,
    period: Period,
    *,
    agency_ids: Collection[uuid.UUID] | None = None,
    now: dt.datetime | None = None,
) -> ComplaintFigures:
    """The region's figures for ``period`` (module docstring); ``agency_ids`` limits them to
    complaints routed to those agencies."""
    today = today_in(region, now)
    tz = region.timezone
    start, end = period.bounds(tz)
    months = months_of(period)

    filed_by_month: Counter[dt.date] = Counter()
    escalated_by_month: Counter[dt.date] = Counter()
    reopened_by_month: Counter[dt.date] = Counter()
    categories: Counter[str] = Counter()
    agencies: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    names: dict[str, str] = {}
    unrouted = gettext("Belum didisposisi")
    for row in repository.filed_counts(session, region.id, tz, start, end, agency_ids):
        filed_by_month[row.month] += row.n
        escalated_by_month[row.month] += row.escalated
        reopened_by_month[row.month] += row.reopened
        category_key, agency_key = str(row.category_id), str(row.agency_id or "")
        names[category_key] = row.category_name
        names[agency_key] = row.agency_name or unrouted
        names[row.kind.value] = gettext(KIND_LABELS[row.kind.value])
        names[row.status.value] = gettext(STATUS_LABELS[row.status.value])
        categories[category_key] += row.n
        agencies[agency_key] += row.n
        kinds[row.kind.value] += row.n
        statuses[row.status.value] += row.n

    outcomes: dict[dt.date, Counter[str]] = defaultdict(Counter)
    for outcome in repository.deadline_outcomes(
        session, region.id, tz, period.start, period.end, today, agency_ids
    ):
        outcomes[outcome.month][outcome.outcome] += outcome.n

    answer_days: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])  # month: [n, days]
    answers = repository.first_answers(session, region.id, tz, start, end, agency_ids)
    if answers:
        calendar = applications.calendar_for(session, region)
        for answer in answers:
            tally = answer_days[answer.answered_on.replace(day=1)]
            tally[0] += answer.n
            days = calendar.working_days_between(answer.filed_on, answer.answered_on)
            tally[1] += days * answer.n

    ratings: dict[dt.date, Counter[int]] = defaultdict(Counter)
    for rating in repository.rating_counts(session, region.id, tz, start, end, agency_ids):
        ratings[rating.month][rating.rating] += rating.n

    month_rows = [
        MonthFigures(
            month=month,
            filed=filed_by_month[month],
            deadlines=_deadlines([outcomes[month]]),
            first_answered=answer_days[month][0],
            first_answer_days=_average(answer_days[month][1], answer_days[month][0]),
            escalated=escalated_by_month[month],
            reopened=reopened_by_month[month],
            ratings=Ratings(dict(ratings[month])),
        )
        for month in months
    ]
    answered = sum(tally[0] for tally in answer_days.values())
    all_ratings: Counter[int] = Counter()
    for counter in ratings.values():
        all_ratings.update(counter)
    return ComplaintFigures(
        period=period,
        today=today,
        filed=sum(filed_by_month.values()),
        by_category=_ranked(categories, names),
        by_agency=_ranked(agencies, names),
        by_kind=_ranked(kinds, names),
        by_status=_ranked(statuses, names),
        deadlines=_deadlines(outcomes.values()),
        first_answered=answered,
        first_answer_days=_average(sum(t[1] for t in answer_days.values()), answered),
        escalated=sum(escalated_by_month.values()),
        reopened=sum(reopened_by_month.values()),
        ratings=Ratings(dict(all_ratings)),
        months=month_rows,
    )


def _deadlines(counters: Iterable[Counter[str]]) -> Deadlines:
    total: Counter[str] = Counter()
    for counter in counters:
        total.update(counter)
    return Deadlines(kept=total["kept"], missed=total["missed"], pending=total["pending"])
