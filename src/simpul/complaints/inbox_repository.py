"""The queries of the back office's complaint inbox: one region's complaints under the desk's
or an agency's filters, a keyset page at a time (decision 0035)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from simpul.complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
)

#: The deadline that comes next: the first answer until it is given, then the closing one.
NEXT_DUE = case(
    (Complaint.first_responded_at.is_(None), Complaint.first_response_due),
    else_=Complaint.resolution_due,
)

#: Sort key of a row: (next deadline, filed at, id).
InboxKey = tuple[date, datetime, uuid.UUID]


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox lists; ``agency_ids`` None means every agency (the desk)."""

    region_id: uuid.UUID
    agency_ids: frozenset[uuid.UUID] | None
    statuses: frozenset[ComplaintStatus] | None = None
    category_id: uuid.UUID | None = None
    agency_id: uuid.UUID | None = None
    kind: ComplaintKind | None = None
    overdue_on: date | None = None
    number_prefix: str = ""
    title_word: str = ""


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(query: InboxQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Complaint.region_id == query.region_id]
    if query.agency_ids is not None:
        conditions.append(Complaint.agency_id.in_(query.agency_ids or [uuid.UUID(int=0)]))
    if query.statuses is not None:
        conditions.append(Complaint.status.in_(query.statuses))
    if query.category_id is not None:
        conditions.append(Complaint.category_id == query.category_id)
    if query.agency_id is not None:
        conditions.append(Complaint.agency_id == query.agency_id)
    if query.kind is not None:
        conditions.append(Complaint.kind == query.kind)
    if query.overdue_on is not None:
        # The same rule as ``rules.overdue``: a first answer not given in time, or a closing
        # deadline passed while the agency was not waiting on the citizen.
        today = query.overdue_on
        conditions.append(Complaint.status.in_(OPEN_STATUSES))
        conditions.append(
            or_(
                and_(Complaint.first_responded_at.is_(None), Complaint.first_response_due < today),
                and_(
                    Complaint.status != ComplaintStatus.WAITING_CITIZEN,
                    Complaint.resolution_due < today,
                ),
            )
        )
    if query.number_prefix:
        conditions.append(
            Complaint.number.like(_escape_like(query.number_prefix) + "%", escape="\\")
        )
    if query.title_word:
        conditions.append(
            Complaint.title.ilike("%" + _escape_like(query.title_word) + "%", escape="\\")
        )
    return conditions


def list_inbox(
    session: Session,
    query: InboxQuery,
    *,
    after: InboxKey | None,
    descending: bool,
    limit: int,
) -> tuple[list[Complaint], InboxKey | None]:
    """A page of complaints, next deadline first (``descending``: latest first), and the sort
    key of its last row when more follow."""
    key = tuple_(NEXT_DUE, Complaint.filed_at, Complaint.id)
    statement = select(Complaint).where(*_conditions(query))
    if after is not None:
        statement = statement.where(key < tuple_(*after) if descending else key > tuple_(*after))
    order: list[Any] = [NEXT_DUE, Complaint.filed_at, Complaint.id]
    statement = statement.order_by(*(c.desc() if descending else c.asc() for c in order))
    found = list(session.scalars(statement.limit(limit + 1)))
    if len(found) <= limit:
        return found, None
    last = found[limit - 1]
    due = last.first_response_due if last.first_responded_at is None else last.resolution_due
    return found[:limit], (due, last.filed_at, last.id)


def count_inbox(session: Session, query: InboxQuery) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Complaint).where(*_conditions(query))) or 0
    )


def count_events(session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID) -> int:
    """How many steps a complaint's history holds (the version a form was shown at)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ComplaintEvent)
            .where(
                ComplaintEvent.region_id == region_id, ComplaintEvent.complaint_id == complaint_id
            )
        )
        or 0
    )


def numbers_of(
    session: Session, region_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Tracking numbers by complaint id (the parent a split part came from)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Complaint.id, Complaint.number).where(
            Complaint.region_id == region_id, Complaint.id.in_(ids)
        )
    )
    return {row.id: row.number for row in rows}
