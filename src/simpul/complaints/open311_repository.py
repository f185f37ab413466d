"""The queries of Open311 GeoReport v2 and its API keys (decision 0056)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    Open311Key,
)

#: History steps whose message is the agency's answer (Open311 ``status_notes``).
_ANSWER_ACTIONS = ("answered", "resolved", "rejected")


def key_by_hash(session: Session, key_hash: bytes) -> Open311Key | None:
    return session.scalars(select(Open311Key).where(Open311Key.key_hash == key_hash)).first()


def key_hash_exists(session: Session, key_hash: bytes) -> bool:
    return key_by_hash(session, key_hash) is not None


def list_keys(session: Session, region_id: uuid.UUID) -> Sequence[Open311Key]:
    return session.scalars(
        select(Open311Key)
        .where(Open311Key.region_id == region_id)
        .order_by(Open311Key.created_at.desc(), Open311Key.id)
    ).all()


def get_key(session: Session, region_id: uuid.UUID, key_id: uuid.UUID) -> Open311Key | None:
    return session.scalars(
        select(Open311Key).where(Open311Key.region_id == region_id, Open311Key.id == key_id)
    ).first()


def public_requests(
    session: Session,
    region_id: uuid.UUID,
    *,
    numbers: Collection[str] | None = None,
    category_ids: Collection[uuid.UUID] | None = None,
    statuses: Collection[ComplaintStatus] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    token: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> Sequence[Complaint]:
    """Complaints the public may see (never a confidential one), newest first."""
    query = select(Complaint).where(
        Complaint.region_id == region_id, Complaint.confidential.is_(False)
    )
    if numbers is not None:
        query = query.where(Complaint.number.in_(list(numbers)))
    if category_ids is not None:
        query = query.where(Complaint.category_id.in_(list(category_ids)))
    if statuses is not None:
        query = query.where(Complaint.status.in_(list(statuses)))
    if since is not None:
        query = query.where(Complaint.filed_at >= since)
    if until is not None:
        query = query.where(Complaint.filed_at <= until)
    if token is not None:
        query = query.where(Complaint.open311_token == token)
    return session.scalars(
        query.order_by(Complaint.filed_at.desc(), Complaint.id).limit(limit).offset(offset)
    ).all()


def categories_by_id(session: Session, region_id: uuid.UUID) -> dict[uuid.UUID, ComplaintCategory]:
    rows = session.scalars(
        select(ComplaintCategory).where(ComplaintCategory.region_id == region_id)
    ).all()
    return {row.id: row for row in rows}


def agency_names(session: Session, region_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(Agency.id, Agency.name).where(Agency.region_id == region_id)
    ).all()
    return {row.id: row.name for row in rows}


def latest_answers(
    session: Session, region_id: uuid.UUID, complaint_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The latest public answer of each complaint that has one."""
    if not complaint_ids:
        return {}
    rows = session.execute(
        select(ComplaintEvent.complaint_id, ComplaintEvent.message)
        .where(
            ComplaintEvent.region_id == region_id,
            ComplaintEvent.complaint_id.in_(list(complaint_ids)),
            ComplaintEvent.public.is_(True),
            ComplaintEvent.action.in_(_ANSWER_ACTIONS),
            ComplaintEvent.message != "",
        )
        .ext(distinct_on(ComplaintEvent.complaint_id))
        .order_by(ComplaintEvent.complaint_id, ComplaintEvent.at.desc(), ComplaintEvent.id.desc())
    ).all()
    return {row.complaint_id: row.message for row in rows}
