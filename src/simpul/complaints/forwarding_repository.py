"""Queries of forwarding: the region's targets, a complaint's deliveries, inbound deliveries
already received."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from simpul.complaints.models import (
    Complaint,
    ComplaintForward,
    ComplaintForwardTarget,
    ComplaintSource,
)
from simpul.core.kit.queries import get_in_region


def list_targets(
    session: Session, region_id: uuid.UUID, *, active_only: bool
) -> Sequence[ComplaintForwardTarget]:
    query = select(ComplaintForwardTarget).where(ComplaintForwardTarget.region_id == region_id)
    if active_only:
        query = query.where(ComplaintForwardTarget.active)
    return session.scalars(query.order_by(ComplaintForwardTarget.name)).all()


def get_target(
    session: Session, region_id: uuid.UUID, target_id: uuid.UUID
) -> ComplaintForwardTarget | None:
    return get_in_region(session, ComplaintForwardTarget, region_id, target_id)


def get_target_by_code(
    session: Session, region_id: uuid.UUID, code: str
) -> ComplaintForwardTarget | None:
    return session.scalars(
        select(ComplaintForwardTarget).where(
            ComplaintForwardTarget.region_id == region_id, ComplaintForwardTarget.code == code
        )
    ).one_or_none()


def forwards_of(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID
) -> Sequence[ComplaintForward]:
    return session.scalars(
        select(ComplaintForward)
        .where(
            ComplaintForward.region_id == region_id,
            ComplaintForward.complaint_id == complaint_id,
        )
        .order_by(ComplaintForward.created_at)
    ).all()


def lock_delivery(session: Session, region_id: uuid.UUID, delivery_id: str) -> None:
    """Serialise two receipts of the same delivery until the transaction ends (the second
    then sees the first's complaint)."""
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{region_id}:{delivery_id}", 0)))
    )


def delivery_received(session: Session, region_id: uuid.UUID, delivery_id: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Complaint.region_id == region_id,
                    Complaint.source == ComplaintSource.FORWARDED_IN,
                    Complaint.attributes["simpul_delivery"].astext == delivery_id,
                )
            )
        )
    )
