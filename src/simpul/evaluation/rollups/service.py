"""Keeping the daily rollups exact: each application's share, changed in its own transaction.

An application's share (``Contribution``) is a pure function of its row, its history, its
tasks and the region's working calendar. Whenever a flush writes one of those (``subscribers``),
the share is computed from the database before the flush writes (what the rollups count) and
after it, and the difference is added to the rollup rows (``INSERT ... ON CONFLICT DO UPDATE SET
n = n + excluded.n``) in that transaction, so the rollups always equal a recount. A region's
day off added or removed changes past durations: the region is rebuilt. ``rebuild_region``
recomputes every share from the source rows (``simpul rollups rebuild``; the migration's
backfill).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from simpul.applications.models import ApplicationStatus
from simpul.applications.sla import WorkingCalendar, local_date
from simpul.evaluation.online import is_completed_online
from simpul.evaluation.rollups import repository
from simpul.evaluation.rollups.models import COUNT_COLUMNS, NO_OPERATOR
from simpul.evaluation.rollups.repository import ApplicationFacts

_FINAL = (ApplicationStatus.COMPLETED.value, ApplicationStatus.REJECTED.value)
_RETURNED = ApplicationStatus.RETURNED.value
_DRAFT = ApplicationStatus.DRAFT.value
_COLUMN = {name: index for index, name in enumerate(COUNT_COLUMNS)}

DailyKey = tuple[uuid.UUID, date]
DurationKey = tuple[uuid.UUID, date, int]
DecisionKey = tuple[uuid.UUID, date, uuid.UUID, str]
_OUTCOMES = {"return": 0, "reject": 1, "approve": 2}


@dataclass
class Contribution:
    """What one application (or many, summed) adds to the rollups."""

    daily: dict[DailyKey, list[int]] = field(default_factory=dict)
    durations: Counter[DurationKey] = field(default_factory=Counter)
    #: returned, rejected, completing approvals, other approvals
    decisions: dict[DecisionKey, list[int]] = field(default_factory=dict)

    def add(self, service_id: uuid.UUID, day: date, column: str, n: int = 1) -> None:
        if n:
            row = self.daily.setdefault((service_id, day), [0] * len(COUNT_COLUMNS))
            row[_COLUMN[column]] += n

    def merge(self, other: Contribution, sign: int = 1) -> None:
        for key, counts in other.daily.items():
            row = self.daily.setdefault(key, [0] * len(COUNT_COLUMNS))
            for index, n in enumerate(counts):
                row[index] += sign * n
        for duration_key, n in other.durations.items():
            self.durations[duration_key] += sign * n
        for decision_key, counts in other.decisions.items():
            row = self.decisions.setdefault(decision_key, [0, 0, 0, 0])
            for index, n in enumerate(counts):
                row[index] += sign * n


def _backlog_at(
    facts: ApplicationFacts,
    day: date,
    submitted: date | None,
    finished: date | None,
    event_days: list[tuple[date, str]],
) -> tuple[int, int, int]:
    """Open, returned, overdue at the start of ``day``: as ``kpis.repository.backlog_by_service``
    counts them at that instant with the deadline rule of a past period (before ``day``)."""
    is_open = (
        submitted is not None
        and submitted < day
        and facts.status != _DRAFT
        and (finished is None or finished >= day)
    )
    if not is_open:
        return 0, 0, 0
    status = ""
    for event_day, to_status in event_days:
        if event_day >= day:
            break
        status = to_status
    returned = status == _RETURNED
    overdue = not returned and facts.due_date is not None and facts.due_date < day
    return 1, int(returned), int(overdue)


def contribution_of(
    facts: ApplicationFacts,
    timezone: str,
    working_days_between: Callable[[date, date], int],
) -> Contribution:
    """The application's share of the rollups (the KPI definitions of ``kpis.report``)."""
    found = Contribution()
    service = facts.service_id
    submitted = local_date(facts.submitted_at, timezone) if facts.submitted_at else None
    finished = local_date(facts.finished_at, timezone) if facts.finished_at else None
    if submitted is not None:
        found.add(service, submitted, "received")
    if finished is not None and facts.status in _FINAL:
        found.add(service, finished, "finished")
        if submitted is not None:
            completed = facts.status == ApplicationStatus.COMPLETED.value
            found.add(service, finished, "completed" if completed else "rejected")
            found.add(
                service, finished, "online", int(is_completed_online(completed, facts.issued))
            )
            within = facts.due_date is not None and finished <= facts.due_date
            found.add(service, finished, "within_sla", int(within))
            taken = working_days_between(submitted, finished)
            found.durations[(service, finished, max(0, taken - facts.paused_working_days))] += 1
    # The backlog at a day's start changes only the day after one of these days.
    event_days = [(local_date(at, timezone), to_status) for at, to_status in facts.events]
    changes = {d + timedelta(days=1) for d, _s in event_days}
    changes |= {d + timedelta(days=1) for d in (submitted, finished, facts.due_date) if d}
    state = (0, 0, 0)
    for day in sorted(changes):
        now = _backlog_at(facts, day, submitted, finished, event_days)
        for column, before, after in zip(
            ("open_change", "returned_change", "overdue_change"), state, now, strict=True
        ):
            found.add(service, day, column, after - before)
        state = now
    for completed_at, outcome, role, assignee, last in facts.decisions:
        slot = _OUTCOMES.get(outcome)
        if slot is None:
            continue
        if outcome == "approve" and not last:
            slot = 3
        key = (service, local_date(completed_at, timezone), assignee or NO_OPERATOR, role)
        found.decisions.setdefault(key, [0, 0, 0, 0])[slot] += 1
    last_status = facts.events[-1][1] if facts.events else ""
    if (
        submitted is not None
        and finished is None
        and facts.status != _DRAFT
        and last_status != _RETURNED
        and facts.due_date is not None
    ):
        found.add(service, facts.due_date, "open_due")
    return found


def _apply(session: Session, region_id: uuid.UUID, change: Contribution) -> None:
    repository.add_to_daily(
        session, region_id, [(s, d, n) for (s, d), n in change.daily.items() if any(n)]
    )
    repository.add_to_durations(
        session, region_id, [(s, d, w, n) for (s, d, w), n in change.durations.items() if n]
    )
    repository.add_to_decisions(
        session,
        region_id,
        [(s, d, o, r, n) for (s, d, o, r), n in change.decisions.items() if any(n)],
    )


def working_calendar(session: Session, region_id: uuid.UUID) -> WorkingCalendar:
    """The region's calendar as ``applications.submission.calendar_for`` makes it (the exactness
    test compares the two), from columns only so that the migration's backfill can run it."""
    return WorkingCalendar(repository.leave_days(session, region_id))


def current_share(
    session: Session,
    region_id: uuid.UUID,
    application_id: uuid.UUID,
    calendars: dict[uuid.UUID, WorkingCalendar] | None = None,
    timezones: dict[uuid.UUID, str | None] | None = None,
) -> Contribution:
    """The application's share as the database holds it now (empty if it does not exist).

    Before a flush this is the share the rollups already count; after it, the new one.
    ``calendars`` and ``timezones`` cache each region's working calendar and time zone (for
    one transaction).
    """
    if timezones is None:
        timezone = repository.region_timezone(session, region_id)
    elif region_id in timezones:
        timezone = timezones[region_id]
    else:
        timezone = timezones[region_id] = repository.region_timezone(session, region_id)
    facts = repository.application_facts(session, region_id, ids=[application_id])
    if timezone is None or not facts:
        return Contribution()
    cache = {} if calendars is None else calendars
    calendar = cache.get(region_id)
    if calendar is None:
        calendar = cache[region_id] = working_calendar(session, region_id)
    return contribution_of(facts[0], timezone, calendar.working_days_between)


def apply_difference(
    session: Session, region_id: uuid.UUID, old: Contribution, new: Contribution
) -> None:
    """Replace an application's old share in the rollups by its new one (upserts)."""
    change = Contribution()
    change.merge(new)
    change.merge(old, sign=-1)
    _apply(session, region_id, change)


class _WorkingDayIndex:
    """``WorkingCalendar.working_days_between`` in constant time: working days up to a day."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar
        self._origin: date | None = None
        self._cumulative: list[int] = []

    def _index(self, day: date) -> int:
        if self._origin is None or day < self._origin:
            # Rarely moved: applications come in no order of date.
            self._origin = date(day.year - 10, 1, 1)
            self._cumulative = []
        offset = (day - self._origin).days
        while len(self._cumulative) <= offset:
            current = self._origin + timedelta(days=len(self._cumulative))
            previous = self._cumulative[-1] if self._cumulative else 0
            self._cumulative.append(previous + self._calendar.is_working_day(current))
        return self._cumulative[offset]

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        first = self._index(start)  # may move the origin back, before ``end`` is read
        return self._index(end) - first


def rebuild_region(session: Session, region_id: uuid.UUID, batch: int = 5000) -> int:
    """Recompute the region's rollups from its applications; returns how many were counted."""
    timezone = repository.region_timezone(session, region_id)
    if timezone is None:
        return 0
    repository.clear_region(session, region_id)
    index = _WorkingDayIndex(working_calendar(session, region_id))
    total = Contribution()
    counted = 0
    after: uuid.UUID | None = None
    while True:
        chunk = repository.application_facts(session, region_id, after=after, limit=batch)
        if not chunk:
            break
        for facts in chunk:
            total.merge(contribution_of(facts, timezone, index.between))
        counted += len(chunk)
        after = chunk[-1].id
    _apply(session, region_id, total)
    return counted


def list_regions(session: Session) -> list[tuple[uuid.UUID, str]]:
    """Every region's id and slug, by slug (the rebuild's order)."""
    return repository.list_regions(session)


def count_decisions(
    session: Session,
    region_id: uuid.UUID,
    *,
    first: date | None,
    last: date | None,
    unit: str | None,
    service_name: str | None,
    operator_name: str | None,
    role: str | None,
) -> list[repository.DecisionCounts]:
    """Officers' decisions per local period (day, week, month, year or all), from the rollups."""
    return repository.count_decisions(
        session,
        region_id,
        first=first,
        last=last,
        unit=unit,
        service_name=service_name,
        operator_name=operator_name,
        role=role,
    )


def count_received(
    session: Session,
    region_id: uuid.UUID,
    *,
    first: date | None,
    last: date | None,
    unit: str | None,
    service_name: str | None,
) -> dict[datetime | None, int]:
    """Applications first submitted per local period, from the rollups."""
    return repository.count_received(
        session, region_id, first=first, last=last, unit=unit, service_name=service_name
    )
