"""Every query on the rollup tables, and the reads of applications that fill them."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    CollectiveLeaveDay,
    Task,
    TaskStatus,
)
from simpul.catalogue.models import Service
from simpul.core.models import Region
from simpul.evaluation.online import issued_electronically
from simpul.evaluation.rollups.models import (
    COUNT_COLUMNS,
    NO_OPERATOR,
    DailyDecision,
    DailyRollup,
    DurationRollup,
)

_Row = TypeVarTuple("_Row")


@dataclass(frozen=True)
class ApplicationFacts:
    """What the rollups need of one application (no personal data)."""

    id: uuid.UUID
    service_id: uuid.UUID
    status: str
    submitted_at: datetime | None
    finished_at: datetime | None
    due_date: date | None
    paused_working_days: int
    issued: bool
    #: Its history's (moment, status after) in order.
    events: tuple[tuple[datetime, str], ...]
    #: Its decided tasks: (completed at, outcome, role, assignee, the last task opened).
    decisions: tuple[tuple[datetime, str, str, uuid.UUID | None, bool], ...] = ()


def region_timezone(session: Session, region_id: uuid.UUID) -> str | None:
    """The region's time zone (a column read: the migration's backfill runs this too, before
    later migrations add columns to ``region``)."""
    return session.scalar(select(Region.timezone).where(Region.id == region_id))


def leave_days(session: Session, region_id: uuid.UUID) -> list[date]:
    """The region's own days off (cuti bersama), as ``applications`` reads them."""
    return list(
        session.scalars(
            select(CollectiveLeaveDay.day).where(CollectiveLeaveDay.region_id == region_id)
        )
    )


def list_regions(session: Session) -> list[tuple[uuid.UUID, str]]:
    return [
        (row.id, row.slug)
        for row in session.execute(select(Region.id, Region.slug).order_by(Region.slug))
    ]


def application_facts(
    session: Session,
    region_id: uuid.UUID,
    *,
    ids: Collection[uuid.UUID] | None = None,
    after: uuid.UUID | None = None,
    limit: int | None = None,
) -> list[ApplicationFacts]:
    """The region's applications (given ids, or the next ``limit`` after ``after`` by id)."""
    issued = issued_electronically(region_id, Application.id)
    statement = (
        select(
            Application.id,
            Application.service_id,
            Application.status,
            Application.submitted_at,
            Application.finished_at,
            Application.due_date,
            Application.paused_working_days,
            issued.label("issued"),
        )
        .where(Application.region_id == region_id)
        .order_by(Application.id)
    )
    if ids is not None:
        statement = statement.where(Application.id.in_(list(ids)))
    if after is not None:
        statement = statement.where(Application.id > after)
    if limit is not None:
        statement = statement.limit(limit)
    rows = session.execute(statement).all()
    if not rows:
        return []
    history: dict[uuid.UUID, list[tuple[datetime, str]]] = {row.id: [] for row in rows}
    # A batch is a range of ids: its history and tasks are read by range (an index range scan),
    # not by a list of thousands of ids.
    if ids is None:
        event_ids = ApplicationEvent.application_id.between(rows[0].id, rows[-1].id)
        task_ids = Task.application_id.between(rows[0].id, rows[-1].id)
    else:
        event_ids = ApplicationEvent.application_id.in_(list(history))
        task_ids = Task.application_id.in_(list(history))
    events = session.execute(
        select(ApplicationEvent.application_id, ApplicationEvent.at, ApplicationEvent.to_status)
        .where(ApplicationEvent.region_id == region_id, event_ids)
        .order_by(ApplicationEvent.application_id, ApplicationEvent.at, ApplicationEvent.id)
    ).all()
    for event in events:
        if event.application_id in history:
            history[event.application_id].append((event.at, event.to_status))
    tasks: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    for task in session.execute(
        select(
            Task.application_id,
            Task.created_at,
            Task.completed_at,
            Task.status,
            Task.outcome,
            Task.role,
            Task.assignee_id,
        ).where(Task.region_id == region_id, task_ids)
    ).all():
        if task.application_id in tasks:
            tasks[task.application_id].append(task)
    decisions: dict[uuid.UUID, list[tuple[datetime, str, str, uuid.UUID | None, bool]]] = {}
    for application_id, found in tasks.items():
        latest = max((t.created_at for t in found), default=None)
        decisions[application_id] = [
            (t.completed_at, t.outcome.value, t.role.value, t.assignee_id, t.created_at == latest)
            for t in found
            if t.status is TaskStatus.COMPLETED and t.completed_at and t.outcome is not None
        ]
    return [
        ApplicationFacts(
            id=row.id,
            service_id=row.service_id,
            status=str(row.status.value),
            submitted_at=row.submitted_at,
            finished_at=row.finished_at,
            due_date=row.due_date,
            paused_working_days=row.paused_working_days,
            issued=bool(row.issued),
            events=tuple(history[row.id]),
            decisions=tuple(decisions[row.id]),
        )
        for row in rows
    ]


def add_to_daily(
    session: Session,
    region_id: uuid.UUID,
    changes: Iterable[tuple[uuid.UUID, date, Sequence[int]]],
) -> None:
    """Add the counts (in COUNT_COLUMNS order) to each (service, day) row, creating it."""
    values = [
        {
            "region_id": region_id,
            "service_id": s,
            "day": d,
            **dict(zip(COUNT_COLUMNS, n, strict=True)),
        }
        for s, d, n in changes
    ]
    if not values:
        return
    statement = insert(DailyRollup)
    table = DailyRollup.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "day", "service_id"],
            set_={c: table[c] + statement.excluded[c] for c in COUNT_COLUMNS},
        ),
        values,
    )


def add_to_durations(
    session: Session,
    region_id: uuid.UUID,
    changes: Iterable[tuple[uuid.UUID, date, int, int]],
) -> None:
    values = [
        {"region_id": region_id, "service_id": s, "day": d, "working_days": w, "n": n}
        for s, d, w, n in changes
    ]
    if not values:
        return
    statement = insert(DurationRollup)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "day", "service_id", "working_days"],
            set_={"n": DurationRollup.__table__.c.n + statement.excluded.n},
        ),
        values,
    )


def add_to_decisions(
    session: Session,
    region_id: uuid.UUID,
    changes: Iterable[tuple[uuid.UUID, date, uuid.UUID, str, Sequence[int]]],
) -> None:
    values = [
        {
            "region_id": region_id,
            "service_id": s,
            "day": d,
            "operator_id": o,
            "role": r,
            "returned": n[0],
            "rejected": n[1],
            "approved": n[2],
            "passed": n[3],
        }
        for s, d, o, r, n in changes
    ]
    if not values:
        return
    statement = insert(DailyDecision)
    table = DailyDecision.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "day", "service_id", "operator_id", "role"],
            set_={
                c: table[c] + statement.excluded[c]
                for c in ("returned", "rejected", "approved", "passed")
            },
        ),
        values,
    )


def clear_region(session: Session, region_id: uuid.UUID) -> None:
    """Remove the region's rollups (a rebuild refills them)."""
    for model in (DailyRollup, DurationRollup, DailyDecision):
        session.execute(delete(model).where(model.region_id == region_id))


# ---- The reads behind the reports. ----


def _scoped(
    statement: Select[*_Row],
    model: type[DailyRollup] | type[DurationRollup],
    region_id: uuid.UUID,
    agency_ids: Collection[uuid.UUID] | None,
) -> Select[*_Row]:
    statement = statement.where(model.region_id == region_id)
    if agency_ids is not None:
        statement = statement.join(
            Service, (Service.id == model.service_id) & (Service.region_id == model.region_id)
        ).where(Service.agency_id.in_(list(agency_ids)))
    return statement


@dataclass(frozen=True)
class PeriodCounts:
    received: int
    completed: int
    rejected: int
    within_sla: int
    online: int


def counts_by_service(
    session: Session,
    region_id: uuid.UUID,
    first: date,
    last: date,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[uuid.UUID, PeriodCounts]:
    """Per service: received, completed, rejected, within SLA, online on days [first, last]."""
    r = DailyRollup
    statement = _scoped(
        select(
            r.service_id,
            func.sum(r.received).label("received"),
            func.sum(r.completed).label("completed"),
            func.sum(r.rejected).label("rejected"),
            func.sum(r.within_sla).label("within_sla"),
            func.sum(r.online).label("online"),
        ),
        r,
        region_id,
        agency_ids,
    ).where(r.day >= first, r.day <= last)
    return {
        row.service_id: PeriodCounts(
            int(row.received),
            int(row.completed),
            int(row.rejected),
            int(row.within_sla),
            int(row.online),
        )
        for row in session.execute(statement.group_by(r.service_id)).all()
    }


def durations_by_service(
    session: Session,
    region_id: uuid.UUID,
    first: date,
    last: date,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[uuid.UUID, dict[int, int]]:
    """Per service: how many finished on days [first, last] took each number of working days."""
    r = DurationRollup
    statement = _scoped(
        select(r.service_id, r.working_days, func.sum(r.n).label("n")),
        r,
        region_id,
        agency_ids,
    ).where(r.day >= first, r.day <= last)
    found: dict[uuid.UUID, dict[int, int]] = {}
    for row in session.execute(statement.group_by(r.service_id, r.working_days)).all():
        if row.n:
            found.setdefault(row.service_id, {})[int(row.working_days)] = int(row.n)
    return found


def backlog_changes_by_service(
    session: Session,
    region_id: uuid.UUID,
    day: date,
    due_before: date | None,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[uuid.UUID, tuple[int, int, int]]:
    """Per service: open, returned and overdue at the start of ``day``.

    Overdue is the running sum of its changes (deadline before ``day``) or, with
    ``due_before``, the open applications now whose deadline is before that day.
    """
    r = DailyRollup
    overdue = (
        func.sum(r.overdue_change)
        if due_before is None
        else func.coalesce(func.sum(r.open_due).filter(r.day < due_before), 0)
    )
    statement = _scoped(
        select(
            r.service_id,
            func.sum(r.open_change).filter(r.day <= day).label("open"),
            func.sum(r.returned_change).filter(r.day <= day).label("returned"),
            overdue.label("overdue"),
        ),
        r,
        region_id,
        agency_ids,
    )
    if due_before is None:
        statement = statement.where(r.day <= day)
    return {
        row.service_id: (int(row.open or 0), int(row.returned or 0), int(row.overdue or 0))
        for row in session.execute(statement.group_by(r.service_id)).all()
    }


def counts_by_month(
    session: Session,
    region_id: uuid.UUID,
    first: date,
    last: date,
    agency_ids: Collection[uuid.UUID] | None,
) -> dict[date, tuple[int, int]]:
    """Received and finished per month (its first day) on days [first, last]."""
    r = DailyRollup
    month = func.date_trunc("month", r.day).label("month")
    statement = _scoped(
        select(month, func.sum(r.received).label("received"), func.sum(r.finished).label("fin")),
        r,
        region_id,
        agency_ids,
    ).where(r.day >= first, r.day <= last)
    return {
        row.month.date(): (int(row.received), int(row.fin))
        for row in session.execute(statement.group_by(month)).all()
    }


# ---- The Registration API's statistics (``simpul.applications.statistics``). ----


@dataclass(frozen=True)
class DecisionCounts:
    period: datetime | None
    returned: int
    rejected: int
    completing_approvals: int


def _period(unit: str | None, day: Any) -> Any:
    from sqlalchemy import cast, null
    from sqlalchemy.types import DateTime

    return (func.date_trunc(unit, cast(day, DateTime)) if unit else null()).label("period")


def _named(service_name: str | None) -> Any:
    return func.strpos(func.lower(Service.name), (service_name or "").lower()) > 0


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
) -> list[DecisionCounts]:
    """Decisions per local period on days [first, last], as
    ``applications.repository.count_decisions`` counts them from the tasks."""
    r = DailyDecision
    period = _period(unit, r.day)
    query = select(
        period,
        func.coalesce(func.sum(r.returned), 0),
        func.coalesce(func.sum(r.rejected), 0),
        func.coalesce(func.sum(r.approved), 0),
        func.coalesce(func.sum(r.passed), 0),
    ).where(r.region_id == region_id)
    if first is not None:
        query = query.where(r.day >= first)
    if last is not None:
        query = query.where(r.day <= last)
    if service_name:
        query = query.join(
            Service, (Service.id == r.service_id) & (Service.region_id == r.region_id)
        ).where(_named(service_name))
    if operator_name:
        query = query.join(User, (User.id == r.operator_id) & (r.operator_id != NO_OPERATOR)).where(
            func.strpos(func.lower(User.full_name), operator_name.lower()) > 0
        )
    if role is not None:
        query = query.where(r.role == role)
    if unit is not None:
        query = query.group_by(period).order_by(period)
    return [
        DecisionCounts(p, int(returned), int(rejected), int(approved))
        for p, returned, rejected, approved, passed in session.execute(query)
        if unit is None or returned or rejected or approved or passed
    ]


def count_received(
    session: Session,
    region_id: uuid.UUID,
    *,
    first: date | None,
    last: date | None,
    unit: str | None,
    service_name: str | None,
) -> dict[datetime | None, int]:
    """Applications first submitted per local period on days [first, last]."""
    r = DailyRollup
    period = _period(unit, r.day)
    query = select(period, func.coalesce(func.sum(r.received), 0)).where(r.region_id == region_id)
    if first is not None:
        query = query.where(r.day >= first)
    if last is not None:
        query = query.where(r.day <= last)
    if service_name:
        query = query.join(
            Service, (Service.id == r.service_id) & (Service.region_id == r.region_id)
        ).where(_named(service_name))
    if unit is not None:
        query = query.group_by(period)
    return {p: int(n) for p, n in session.execute(query) if unit is None or n}
