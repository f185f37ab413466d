"""Queries of the escalation job: the region's open complaints whose deadline has passed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from simpul.complaints.models import OPEN_STATUSES, Complaint, ComplaintStatus


def claim_overdue(
    session: Session, region_id: uuid.UUID, today: date, limit: int
) -> Sequence[Complaint]:
    """Open complaints with a deadline passed and not yet escalated, locked; rows another
    worker holds are skipped (it escalates them)."""
    first = and_(
        Complaint.first_responded_at.is_(None),
        Complaint.first_response_due < today,
        Complaint.first_response_escalated_at.is_(None),
    )
    closing = and_(
        Complaint.agency_id.is_not(None),
        Complaint.status != ComplaintStatus.WAITING_CITIZEN,
        Complaint.resolution_due < today,
        Complaint.resolution_escalated_at.is_(None),
    )
    return session.scalars(
        select(Complaint)
        .where(
            Complaint.region_id == region_id,
            Complaint.status.in_(list(OPEN_STATUSES)),
            or_(first, closing),
        )
        .order_by(Complaint.first_response_due, Complaint.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
