"""Queries of the routing suggestion and the duplicate finder (decision 0056)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.complaints.models import OPEN_STATUSES, Complaint, ComplaintStatus

#: Complaints whose routing is a lesson: the desk sent them to an agency and they stayed
#: there (not split, merged, forwarded out or rejected).
_LEARNED_STATUSES = (*OPEN_STATUSES - {ComplaintStatus.NEW}, ComplaintStatus.RESOLVED)


@dataclass(frozen=True)
class RoutedCase:
    """One routed complaint, as the classifier learns from it."""

    title: str
    description: str
    agency_id: uuid.UUID
    category_id: uuid.UUID
    filed_at: datetime


def _learned(region_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        Complaint.region_id == region_id,
        Complaint.status.in_(_LEARNED_STATUSES),
        Complaint.routed_at.is_not(None),
        Complaint.agency_id.is_not(None),
    ]


def history_fingerprint(session: Session, region_id: uuid.UUID) -> tuple[int, datetime | None]:
    """How many routed complaints there are and the latest routing: a new routing changes it."""
    row = session.execute(
        select(func.count(), func.max(Complaint.routed_at)).where(*_learned(region_id))
    ).one()
    return int(row[0]), row[1]


def routed_cases(session: Session, region_id: uuid.UUID, limit: int) -> list[RoutedCase]:
    """The newest ``limit`` routed complaints of the region, oldest first."""
    rows = session.execute(
        select(
            Complaint.title,
            Complaint.description,
            Complaint.agency_id,
            Complaint.category_id,
            Complaint.filed_at,
        )
        .where(*_learned(region_id))
        .order_by(Complaint.filed_at.desc(), Complaint.id)
        .limit(limit)
    ).all()
    cases = [
        RoutedCase(r.title, r.description, r.agency_id, r.category_id, r.filed_at)
        for r in rows
        if r.agency_id is not None
    ]
    cases.reverse()
    return cases


def agency_names(session: Session, region_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(Agency.id, Agency.name).where(Agency.region_id == region_id)
    ).all()
    return {r.id: r.name for r in rows}


def duplicate_pool(
    session: Session,
    region_id: uuid.UUID,
    complaint_id: uuid.UUID,
    category_ids: Sequence[uuid.UUID],
    since: datetime,
    box: tuple[float, float, float, float] | None,
) -> Sequence[Complaint]:
    """Complaints that may repeat one: same region and category, filed since ``since``, still
    handled or resolved since then; within ``box`` (south, west, north, east) when they have
    a point. The caller ranks them."""
    query = select(Complaint).where(
        Complaint.region_id == region_id,
        Complaint.id != complaint_id,
        Complaint.category_id.in_(list(category_ids)),
        Complaint.filed_at >= since,
        or_(
            Complaint.status.in_(list(OPEN_STATUSES)),
            and_(Complaint.status == ComplaintStatus.RESOLVED, Complaint.resolved_at >= since),
        ),
    )
    if box is not None:
        south, west, north, east = box
        query = query.where(
            or_(
                Complaint.latitude.is_(None),
                and_(
                    Complaint.latitude.between(south, north),
                    Complaint.longitude.between(west, east),
                ),
            )
        )
    # Bounded: a category's month in one city is at most a few hundred complaints.
    return session.scalars(query.order_by(Complaint.filed_at.desc()).limit(500)).all()
