"""Queries of the citizens' pages: the public list and map, a citizen's own complaints."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, load_only

from simpul.catalogue.models import Agency
from simpul.complaints.models import Complaint, ComplaintFollower, ComplaintStatus


def _public(
    region_id: uuid.UUID,
    *,
    category_id: uuid.UUID | None,
    statuses: Sequence[ComplaintStatus] | None,
    kind: str | None,
) -> Select[Any]:
    # Never a confidential complaint, whatever the filter (ix_complaint_public).
    query = select(Complaint).where(Complaint.region_id == region_id, ~Complaint.confidential)
    if category_id is not None:
        query = query.where(Complaint.category_id == category_id)
    if statuses is not None:
        query = query.where(Complaint.status.in_(statuses))
    if kind is not None:
        query = query.where(Complaint.kind == kind)
    return query


def public_page(
    session: Session,
    region_id: uuid.UUID,
    *,
    category_id: uuid.UUID | None,
    statuses: Sequence[ComplaintStatus] | None,
    kind: str | None,
    offset: int,
    limit: int,
) -> Sequence[Complaint]:
    """Public complaints, newest first; one more than ``limit`` tells a next page exists."""
    query = _public(region_id, category_id=category_id, statuses=statuses, kind=kind)
    return session.scalars(
        query.order_by(Complaint.filed_at.desc(), Complaint.id.desc()).offset(offset).limit(limit)
    ).all()


def public_points(
    session: Session,
    region_id: uuid.UUID,
    *,
    category_id: uuid.UUID | None,
    statuses: Sequence[ComplaintStatus] | None,
    kind: str | None,
    limit: int,
) -> Sequence[Complaint]:
    """The newest public complaints with a point, for the map: only the columns a point
    shows are loaded (the texts and attributes of up to 1000 complaints were most of the
    map's cost, bench/complaints.py)."""
    query = _public(region_id, category_id=category_id, statuses=statuses, kind=kind)
    return session.scalars(
        query.options(
            load_only(
                Complaint.number,
                Complaint.title,
                Complaint.status,
                Complaint.category_id,
                Complaint.latitude,
                Complaint.longitude,
                raiseload=True,
            )
        )
        .where(Complaint.latitude.is_not(None))
        .order_by(Complaint.filed_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).all()


def own_complaints(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
) -> Sequence[Complaint]:
    return session.scalars(
        select(Complaint)
        .where(Complaint.region_id == region_id, Complaint.reporter_id == user_id)
        .order_by(Complaint.filed_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).all()


def agency_names(session: Session, region_id: uuid.UUID) -> dict[uuid.UUID, Agency]:
    return {
        agency.id: agency
        for agency in session.scalars(select(Agency).where(Agency.region_id == region_id))
    }


def get_complaint_by_id(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID
) -> Complaint | None:
    return session.scalars(
        select(Complaint).where(Complaint.region_id == region_id, Complaint.id == complaint_id)
    ).one_or_none()


def all_complaints_of_reporter(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[Complaint]:
    """Every complaint the user filed, oldest first (the data export: no limit)."""
    return session.scalars(
        select(Complaint)
        .where(Complaint.region_id == region_id, Complaint.reporter_id == user_id)
        .order_by(Complaint.filed_at, Complaint.id)
    ).all()


def followed_complaints(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[tuple[Complaint, datetime]]:
    """The complaints the user follows, with when they began to, oldest first."""
    rows = session.execute(
        select(Complaint, ComplaintFollower.created_at)
        .join(
            ComplaintFollower,
            (ComplaintFollower.region_id == Complaint.region_id)
            & (ComplaintFollower.complaint_id == Complaint.id),
        )
        .where(ComplaintFollower.region_id == region_id, ComplaintFollower.user_id == user_id)
        .order_by(ComplaintFollower.created_at, Complaint.id)
    ).all()
    return [(complaint, since) for complaint, since in rows]
