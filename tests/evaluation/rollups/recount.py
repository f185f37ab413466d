"""The reference the rollups are checked against: the recounts the dashboard, the statistics
and their tests made from the source rows before decision 0034, kept here (and only here) as
the test's independent oracle."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus, Task, TaskStatus
from simpul.applications.sla import WorkingCalendar, local_date
from simpul.catalogue.models import Service
from simpul.documents.models import IssuedDocument
from simpul.evaluation.kpis.repository import _scoped

_FINAL = (ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED)


@dataclass(frozen=True)
class MonthCounts:
    month: datetime  # naive: the first day of the month in the region's time zone
    received: int
    finished: int


@dataclass(frozen=True)
class DecisionCounts:
    """Decisions officers took in one period (``period`` is its local start, or None)."""

    period: datetime | None
    returned: int
    rejected: int
    #: Approvals at an application's last step, which complete it.
    completing_approvals: int


def received_by_service(
    session: Session,
    region_id: uuid.UUID,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> dict[uuid.UUID, int]:
    """Applications first submitted in [start, end), per service."""
    statement = _scoped(
        select(Application.service_id, func.count(Application.id).label("n")), region_id, agency_ids
    ).where(Application.submitted_at >= start, Application.submitted_at < end)
    rows = session.execute(statement.group_by(Application.service_id)).all()
    return {row.service_id: int(row.n) for row in rows}


@dataclass(frozen=True)
class FinishedApplication:
    """What the KPIs need of one application that reached a final state (no personal data)."""

    service_id: uuid.UUID
    status: ApplicationStatus
    submitted_at: datetime
    finished_at: datetime
    due_date: date | None
    paused_working_days: int
    issued_electronically: bool


def finished_applications(
    session: Session,
    region_id: uuid.UUID,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> list[FinishedApplication]:
    """Applications completed or rejected in [start, end): one narrow row each, for durations."""
    issued = exists().where(
        IssuedDocument.region_id == region_id, IssuedDocument.application_id == Application.id
    )
    statement = _scoped(
        select(
            Application.service_id,
            Application.status,
            Application.submitted_at,
            Application.finished_at,
            Application.due_date,
            Application.paused_working_days,
            issued.label("issued"),
        ),
        region_id,
        agency_ids,
    ).where(
        Application.status.in_(_FINAL),
        Application.finished_at >= start,
        Application.finished_at < end,
        Application.submitted_at.is_not(None),
    )
    return [
        FinishedApplication(
            service_id=row.service_id,
            status=row.status,
            submitted_at=row.submitted_at,
            finished_at=row.finished_at,
            due_date=row.due_date,
            paused_working_days=row.paused_working_days,
            issued_electronically=bool(row.issued),
        )
        for row in session.execute(statement).all()
    ]


def counts_by_month(
    session: Session,
    region_id: uuid.UUID,
    timezone: str,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> list[MonthCounts]:
    """Applications received and finished per month of the region's calendar in [start, end)."""

    def per_month(column: Any, *conditions: ColumnElement[bool]) -> dict[datetime, int]:
        month = func.date_trunc("month", func.timezone(timezone, column)).label("month")
        statement = _scoped(
            select(month, func.count(Application.id).label("n")), region_id, agency_ids
        ).where(column >= start, column < end, *conditions)
        rows = session.execute(statement.group_by(month)).all()
        return {row.month: int(row.n) for row in rows}

    received = per_month(Application.submitted_at)
    finished = per_month(Application.finished_at, Application.status.in_(_FINAL))
    return [
        MonthCounts(month, received.get(month, 0), finished.get(month, 0))
        for month in sorted(received.keys() | finished.keys())
    ]


def working_days_to_finish(
    calendar: WorkingCalendar, application: FinishedApplication, timezone: str
) -> int:
    """Working days from submission to the final decision, without the days with the citizen."""
    submitted = local_date(application.submitted_at, timezone)
    finished = local_date(application.finished_at, timezone)
    taken = calendar.working_days_between(submitted, finished)
    return max(0, taken - application.paused_working_days)


def finished_within_sla(application: FinishedApplication, timezone: str) -> bool:
    """Decided by the end of its deadline (local date); without a deadline it cannot be."""
    if application.due_date is None:
        return False
    return local_date(application.finished_at, timezone) <= application.due_date


def count_decisions(
    session: Session,
    region_id: uuid.UUID,
    *,
    since: datetime | None,
    until: datetime | None,
    timezone: str,
    unit: str | None,
    service_name: str | None,
    operator_name: str | None,
    role: str | None,
) -> list[DecisionCounts]:
    """Decisions on completed tasks per local period, filtered by the service's name, the
    deciding officer's name (both case-insensitive substrings) and the task's role.

    An approval completes its application when no task of that application was opened after
    it (an approval at an earlier step always opens the next step's task).
    """
    from sqlalchemy import null
    from sqlalchemy.orm import aliased

    from simpul.accounts.models import User
    from simpul.applications.models import TaskOutcome

    later = aliased(Task)
    last_task = ~(
        select(later.id)
        .where(later.application_id == Task.application_id, later.created_at > Task.created_at)
        .exists()
    )
    local = func.timezone(timezone, Task.completed_at)
    period = (func.date_trunc(unit, local) if unit else null()).label("period")
    query = (
        select(
            period,
            func.count().filter(Task.outcome == TaskOutcome.RETURN),
            func.count().filter(Task.outcome == TaskOutcome.REJECT),
            func.count().filter(and_(Task.outcome == TaskOutcome.APPROVE, last_task)),
        )
        .join(Application, Application.id == Task.application_id)
        .join(Service, Service.id == Application.service_id)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(Task.region_id == region_id, Task.status == TaskStatus.COMPLETED)
    )
    if since is not None:
        query = query.where(Task.completed_at >= since)
    if until is not None:
        query = query.where(Task.completed_at < until)
    if service_name:
        # strpos, not LIKE: the text needs no escaping of % and _.
        query = query.where(func.strpos(func.lower(Service.name), service_name.lower()) > 0)
    if operator_name:
        query = query.where(func.strpos(func.lower(User.full_name), operator_name.lower()) > 0)
    if role is not None:
        query = query.where(Task.role == role)
    if unit is not None:
        query = query.group_by(period).order_by(period)
    return [
        DecisionCounts(p, int(returned), int(rejected), int(approved))
        for p, returned, rejected, approved in session.execute(query)
    ]


def count_received(
    session: Session,
    region_id: uuid.UUID,
    *,
    since: datetime | None,
    until: datetime | None,
    timezone: str,
    unit: str | None,
    service_name: str | None,
) -> dict[datetime | None, int]:
    """Applications first submitted per local period, optionally of services named like
    ``service_name`` (case-insensitive substring)."""
    from sqlalchemy import null

    local = func.timezone(timezone, Application.submitted_at)
    period = (func.date_trunc(unit, local) if unit else null()).label("period")
    query = (
        select(period, func.count(Application.id))
        .join(Service, Service.id == Application.service_id)
        .where(Application.region_id == region_id, Application.submitted_at.is_not(None))
    )
    if since is not None:
        query = query.where(Application.submitted_at >= since)
    if until is not None:
        query = query.where(Application.submitted_at < until)
    if service_name:
        query = query.where(func.strpos(func.lower(Service.name), service_name.lower()) > 0)
    if unit is not None:
        query = query.group_by(period)
    return {p: int(n) for p, n in session.execute(query)}
