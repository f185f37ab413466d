"""Writing complaints that happened before Simpul recorded them (the demo's year of history,
an import from another system): rows as they are, in bulk, with no notices and no checks of
the steps (the caller plans a consistent history). Decision 0056."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from simpul.complaints.labels import PUBLIC_ACTORS
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintFollower,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
)
from simpul.core.models import Region


@dataclass
class PastStep:
    """One step of a past complaint's history."""

    at: datetime
    action: str
    from_status: ComplaintStatus | None
    to_status: ComplaintStatus
    actor_id: uuid.UUID | None
    actor_label: str
    public_actor: str
    agency_id: uuid.UUID | None = None
    message: str = ""
    public: bool = True
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class PastComplaint:
    """A complaint with its whole history; its status is the last step's."""

    id: uuid.UUID
    number: str
    kind: ComplaintKind
    category_id: uuid.UUID
    title: str
    description: str
    filed_at: datetime
    first_response_due: date
    resolution_due: date
    steps: list[PastStep]
    agency_id: uuid.UUID | None = None
    reporter_id: uuid.UUID | None = None
    access_code_hash: bytes | None = None
    anonymous: bool = False
    confidential: bool = False
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    source: ComplaintSource = ComplaintSource.WEB
    routed_at: datetime | None = None
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    waiting_since: datetime | None = None
    first_response_escalated_at: datetime | None = None
    resolution_escalated_at: datetime | None = None
    rating: int | None = None
    rating_comment: str = ""
    rated_at: datetime | None = None
    reopen_count: int = 0
    parent_id: uuid.UUID | None = None
    merged_into_id: uuid.UUID | None = None
    followers: list[uuid.UUID] = field(default_factory=list)


def reporter_label() -> str:
    """What the public page says of the citizen who filed (in the region's language)."""
    return str(PUBLIC_ACTORS["reporter"])


def desk_label() -> str:
    return str(PUBLIC_ACTORS["desk"])


def system_label() -> str:
    return str(PUBLIC_ACTORS["system"])


def has_complaints(session: Session, region: Region) -> bool:
    """Whether the region has any complaint (the demo adds its history only to none)."""
    found = session.scalar(select(Complaint.id).where(Complaint.region_id == region.id).limit(1))
    return found is not None


def category_ids_by_code(session: Session, region: Region) -> dict[str, uuid.UUID]:
    rows = session.execute(
        select(ComplaintCategory.code, ComplaintCategory.id).where(
            ComplaintCategory.region_id == region.id
        )
    )
    return {row.code: row.id for row in rows}


def add_past_complaints(session: Session, region: Region, past: Sequence[PastComplaint]) -> int:
    """Insert the complaints, their histories and followers in a few statements."""
    if not past:
        return 0
    rows = []
    for item in past:
        last = item.steps[-1]
        rows.append(
            {
                "id": item.id,
                "region_id": region.id,
                "number": item.number,
                "kind": item.kind,
                "status": last.to_status,
                "source": item.source,
                "category_id": item.category_id,
                "agency_id": item.agency_id,
                "service_id": None,
                "application_id": None,
                "reporter_id": item.reporter_id,
                "contact_encrypted": None,
                "title": item.title,
                "description": item.description,
                "anonymous": item.anonymous,
                "confidential": item.confidential,
                "latitude": item.latitude,
                "longitude": item.longitude,
                "address": item.address,
                "attributes": item.attributes,
                "access_code_hash": item.access_code_hash,
                "open311_token": None,
                "filed_at": item.filed_at,
                "routed_at": item.routed_at,
                "first_response_due": item.first_response_due,
                "first_responded_at": item.first_responded_at,
                "resolution_due": item.resolution_due,
                "resolved_at": item.resolved_at,
                "waiting_since": item.waiting_since,
                "first_response_escalated_at": item.first_response_escalated_at,
                "resolution_escalated_at": item.resolution_escalated_at,
                "suggested_agency_id": None,
                "suggested_category_id": None,
                "suggestion_confidence": None,
                "rating": item.rating,
                "rating_comment": item.rating_comment,
                "rated_at": item.rated_at,
                "reopen_count": item.reopen_count,
                "parent_id": item.parent_id,
                "merged_into_id": item.merged_into_id,
                "follower_count": len(item.followers),
                "created_at": item.filed_at,
                "updated_at": last.at,
            }
        )
    # render_nulls: without it the ORM leaves out None values and splits the rows into one
    # statement per pattern of empty columns (hundreds of round trips instead of a few).
    # Complaints pointing at another (split from, merged into) after the ones they point at.
    plain = [r for r in rows if r["parent_id"] is None and r["merged_into_id"] is None]
    linked = [r for r in rows if r["parent_id"] is not None or r["merged_into_id"] is not None]
    session.execute(insert(Complaint).execution_options(render_nulls=True), plain)
    if linked:
        session.execute(insert(Complaint).execution_options(render_nulls=True), linked)
    events = [
        {
            "id": uuid.uuid4(),
            "region_id": region.id,
            "complaint_id": item.id,
            "at": step.at,
            "actor_id": step.actor_id,
            "actor_label": step.actor_label,
            "public_actor": step.public_actor,
            "action": step.action,
            "from_status": step.from_status.value if step.from_status else None,
            "to_status": step.to_status.value,
            "agency_id": step.agency_id,
            "message": step.message,
            "public": step.public,
            "details": step.details,
        }
        for item in past
        for step in item.steps
    ]
    session.execute(insert(ComplaintEvent).execution_options(render_nulls=True), events)
    followers = [
        {"region_id": region.id, "complaint_id": item.id, "user_id": user_id, "created_at": at}
        for item in past
        for user_id, at in zip(item.followers, [item.filed_at] * len(item.followers), strict=True)
    ]
    if followers:
        session.execute(insert(ComplaintFollower), followers)
    session.flush()
    return len(past)
