"""The queries behind the complaint figures (``complaints.figures``): one aggregate per group.

Every query is scoped to one region, leaves out split parents and merged duplicates, and turns
timestamps into dates on the region's wall clock in SQL (``timezone(tz, at)``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Date, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
)

#: Closed into other complaints: counted through their parts or the complaint kept.
NOT_HANDLED = (ComplaintStatus.SPLIT, ComplaintStatus.MERGED)
#: Not the region's agencies' to answer: no deadline outcome.
NO_DEADLINE = (*NOT_HANDLED, ComplaintStatus.REJECTED, ComplaintStatus.FORWARDED)


class FiledRow(NamedTuple):
    month: dt.date
    category_id: uuid.UUID
    category_name: str
    agency_id: uuid.UUID | None
    agency_name: str | None
    kind: ComplaintKind
    status: ComplaintStatus
    n: int
    escalated: int
    reopened: int


class OutcomeRow(NamedTuple):
    month: dt.date
    outcome: str  # "kept", "missed", "pending"
    n: int


class AnswerRow(NamedTuple):
    filed_on: dt.date
    answered_on: dt.date
    n: int


class RatingRow(NamedTuple):
    month: dt.date
    rating: int
    n: int


def _local_day(column: Any, timezone: str) -> Any:
    return cast(func.timezone(timezone, column), Date)


def _month_of(day: Any) -> Any:
    return cast(func.date_trunc("month", day), Date)


def _scope(
    region_id: uuid.UUID, agency_ids: Collection[uuid.UUID] | None, leave_out: Sequence[Any]
) -> list[Any]:
    conditions = [Complaint.region_id == region_id, Complaint.status.not_in(leave_out)]
    if agency_ids is not None:
        conditions.append(Complaint.agency_id.in_(list(agency_ids)))
    return conditions


def filed_counts(
    session: Session,
    region_id: uuid.UUID,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    agency_ids: Collection[uuid.UUID] | None,
) -> list[FiledRow]:
    """Complaints filed in [start, end) per month, category, agency, kind and status now,
    with how many of them were escalated and reopened."""
    month = _month_of(_local_day(Complaint.filed_at, timezone)).label("month")
    was_escalated = or_(
        Complaint.first_response_escalated_at.is_not(None),
        Complaint.resolution_escalated_at.is_not(None),
        # A reopened complaint's resolution flag is cleared: the history still says so.
        exists().where(
            ComplaintEvent.region_id == Complaint.region_id,
            ComplaintEvent.complaint_id == Complaint.id,
            ComplaintEvent.action == "escalated",
        ),
    )
    query = (
        select(
            month,
            Complaint.category_id,
            ComplaintCategory.name,
            Complaint.agency_id,
            Agency.name,
            Complaint.kind,
            Complaint.status,
            func.count(),
            func.count().filter(was_escalated),
            func.count().filter(Complaint.reopen_count > 0),
        )
        .join(
            ComplaintCategory,
            and_(
                ComplaintCategory.region_id == Complaint.region_id,
                ComplaintCategory.id == Complaint.category_id,
            ),
        )
        .outerjoin(
            Agency, and_(Agency.region_id == Complaint.region_id, Agency.id == Complaint.agency_id)
        )
        .where(*_scope(region_id, agency_ids, NOT_HANDLED))
        .where(Complaint.filed_at >= start, Complaint.filed_at < end)
        .group_by(
            month,
            Complaint.category_id,
            ComplaintCategory.name,
            Complaint.agency_id,
            Agency.name,
            Complaint.kind,
            Complaint.status,
        )
    )
    return [FiledRow(*row) for row in session.execute(query).all()]


def deadline_outcomes(
    session: Session,
    region_id: uuid.UUID,
    timezone: str,
    first_day: dt.date,
    last_day: dt.date,
    today: dt.date,
    agency_ids: Collection[uuid.UUID] | None,
) -> list[OutcomeRow]:
    """Complaints whose closing deadline falls in [first_day, last_day], per month of that
    deadline and outcome (``complaints.figures`` defines kept, missed and pending)."""
    answered_on = _local_day(Complaint.first_responded_at, timezone)
    resolved_on = _local_day(Complaint.resolved_at, timezone)
    missed = or_(
        and_(Complaint.first_responded_at.is_not(None), answered_on > Complaint.first_response_due),
        and_(Complaint.first_responded_at.is_(None), Complaint.first_response_due < today),
        and_(Complaint.resolved_at.is_not(None), resolved_on > Complaint.resolution_due),
        and_(
            Complaint.resolved_at.is_(None),
            Complaint.status != ComplaintStatus.WAITING_CITIZEN,
            Complaint.resolution_due < today,
        ),
    )
    kept = and_(Complaint.first_responded_at.is_not(None), Complaint.resolved_at.is_not(None))
    outcome = case((missed, "missed"), (kept, "kept"), else_="pending").label("outcome")
    month = _month_of(Complaint.resolution_due).label("month")
    query = (
        select(month, outcome, func.count())
        .where(*_scope(region_id, agency_ids, NO_DEADLINE))
        .where(Complaint.resolution_due >= first_day, Complaint.resolution_due <= last_day)
        .group_by(month, outcome)
    )
    return [OutcomeRow(*row) for row in session.execute(query).all()]


def first_answers(
    session: Session,
    region_id: uuid.UUID,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    agency_ids: Collection[uuid.UUID] | None,
) -> list[AnswerRow]:
    """Complaints first answered in [start, end), per day filed and day answered."""
    filed_on = _local_day(Complaint.filed_at, timezone).label("filed_on")
    answered_on = _local_day(Complaint.first_responded_at, timezone).label("answered_on")
    query = (
        select(filed_on, answered_on, func.count())
        .where(*_scope(region_id, agency_ids, NOT_HANDLED))
        .where(Complaint.first_responded_at >= start, Complaint.first_responded_at < end)
        .group_by(filed_on, answered_on)
    )
    return [AnswerRow(*row) for row in session.execute(query).all()]


def rating_counts(
    session: Session,
    region_id: uuid.UUID,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    agency_ids: Collection[uuid.UUID] | None,
) -> list[RatingRow]:
    """Ratings given in [start, end), per month and rating."""
    month = _month_of(_local_day(Complaint.rated_at, timezone)).label("month")
    query = (
        select(month, Complaint.rating, func.count())
        .where(*_scope(region_id, agency_ids, NOT_HANDLED))
        .where(Complaint.rating.is_not(None), Complaint.rated_at >= start, Complaint.rated_at < end)
        .group_by(month, Complaint.rating)
    )
    return [RatingRow(*row) for row in session.execute(query).all()]
