"""Every query about complaints, their categories, history, photos and followers.

Use-case modules with many queries of their own keep them in a ``*_repository.py`` next to
this one (listed in ``pyproject.toml``'s import-linter contracts).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRole, StaffRoleName, User
from simpul.catalogue.models import Agency
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintDeadlineRule,
    ComplaintEvent,
    ComplaintFollower,
    ComplaintPhoto,
)
from simpul.core.kit.queries import get_in_region


def add(session: Session, row: object) -> None:
    session.add(row)


# -- categories and deadlines ---------------------------------------------------------------


def list_categories(
    session: Session, region_id: uuid.UUID, *, active_only: bool
) -> Sequence[ComplaintCategory]:
    query = select(ComplaintCategory).where(ComplaintCategory.region_id == region_id)
    if active_only:
        query = query.where(ComplaintCategory.active)
    return session.scalars(query.order_by(ComplaintCategory.position, ComplaintCategory.name)).all()


def get_category(
    session: Session, region_id: uuid.UUID, category_id: uuid.UUID
) -> ComplaintCategory | None:
    return get_in_region(session, ComplaintCategory, region_id, category_id)


def get_category_by_code(
    session: Session, region_id: uuid.UUID, code: str
) -> ComplaintCategory | None:
    return session.scalars(
        select(ComplaintCategory).where(
            ComplaintCategory.region_id == region_id, ComplaintCategory.code == code
        )
    ).one_or_none()


def deadline_rules(session: Session, region_id: uuid.UUID) -> Sequence[ComplaintDeadlineRule]:
    return session.scalars(
        select(ComplaintDeadlineRule).where(ComplaintDeadlineRule.region_id == region_id)
    ).all()


# -- complaints -----------------------------------------------------------------------------


def number_exists(session: Session, region_id: uuid.UUID, number: str) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Complaint.region_id == region_id, Complaint.number == number))
        )
    )


def get_complaint(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID, *, for_update: bool = False
) -> Complaint | None:
    query = select(Complaint).where(Complaint.region_id == region_id, Complaint.id == complaint_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_complaint_by_number(
    session: Session, region_id: uuid.UUID, number: str, *, for_update: bool = False
) -> Complaint | None:
    query = select(Complaint).where(Complaint.region_id == region_id, Complaint.number == number)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def children_of(
    session: Session, region_id: uuid.UUID, parent_id: uuid.UUID
) -> Sequence[Complaint]:
    return session.scalars(
        select(Complaint)
        .where(Complaint.region_id == region_id, Complaint.parent_id == parent_id)
        .order_by(Complaint.filed_at, Complaint.number)
    ).all()


def get_agency(session: Session, region_id: uuid.UUID, agency_id: uuid.UUID) -> Agency | None:
    return get_in_region(session, Agency, region_id, agency_id)


# -- history, photos, followers -------------------------------------------------------------


def events_of(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID, *, public_only: bool
) -> Sequence[ComplaintEvent]:
    query = select(ComplaintEvent).where(
        ComplaintEvent.region_id == region_id, ComplaintEvent.complaint_id == complaint_id
    )
    if public_only:
        query = query.where(ComplaintEvent.public)
    return session.scalars(query.order_by(ComplaintEvent.at, ComplaintEvent.id)).all()


def photos_of(
    session: Session, region_id: uuid.UUID, complaint_ids: Sequence[uuid.UUID]
) -> Sequence[ComplaintPhoto]:
    return session.scalars(
        select(ComplaintPhoto)
        .where(
            ComplaintPhoto.region_id == region_id, ComplaintPhoto.complaint_id.in_(complaint_ids)
        )
        .order_by(ComplaintPhoto.created_at, ComplaintPhoto.position)
    ).all()


def get_photo(session: Session, region_id: uuid.UUID, photo_id: uuid.UUID) -> ComplaintPhoto | None:
    return get_in_region(session, ComplaintPhoto, region_id, photo_id)


def follower_ids(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(ComplaintFollower.user_id).where(
                ComplaintFollower.region_id == region_id,
                ComplaintFollower.complaint_id == complaint_id,
            )
        )
    )


def is_follower(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    ComplaintFollower.region_id == region_id,
                    ComplaintFollower.complaint_id == complaint_id,
                    ComplaintFollower.user_id == user_id,
                )
            )
        )
    )


def add_follower(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    """Add the follower unless already there; True when added (and the count raised)."""
    if is_follower(session, region_id, complaint_id, user_id):
        return False
    session.add(ComplaintFollower(region_id=region_id, complaint_id=complaint_id, user_id=user_id))
    session.execute(
        update(Complaint)
        .where(Complaint.region_id == region_id, Complaint.id == complaint_id)
        .values(follower_count=Complaint.follower_count + 1)
        .execution_options(synchronize_session="fetch")
    )
    return True


def move_followers(
    session: Session, region_id: uuid.UUID, from_id: uuid.UUID, to_id: uuid.UUID
) -> list[uuid.UUID]:
    """Make the followers of ``from_id`` follow ``to_id`` too; returns those newly added."""
    added = [
        user_id
        for user_id in follower_ids(session, region_id, from_id)
        if add_follower(session, region_id, to_id, user_id)
    ]
    session.flush()
    return added


def remove_follower(
    session: Session, region_id: uuid.UUID, complaint_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    result = session.execute(
        delete(ComplaintFollower).where(
            ComplaintFollower.region_id == region_id,
            ComplaintFollower.complaint_id == complaint_id,
            ComplaintFollower.user_id == user_id,
        )
    )
    if getattr(result, "rowcount", 0):
        session.execute(
            update(Complaint)
            .where(Complaint.region_id == region_id, Complaint.id == complaint_id)
            .values(follower_count=func.greatest(Complaint.follower_count - 1, 0))
            .execution_options(synchronize_session="fetch")
        )


# -- staff ----------------------------------------------------------------------------------


def desk_user_ids(session: Session, region_id: uuid.UUID) -> list[uuid.UUID]:
    """Active accounts of the complaint desk: staff holding ``admin_pengaduan``. (Region
    admins may act at the desk too but are not told of every complaint.)"""
    return list(
        session.scalars(
            select(User.id)
            .join(StaffRole, StaffRole.user_id == User.id)
            .where(
                User.region_id == region_id,
                User.is_active,
                User.kind == AccountKind.STAFF,
                StaffRole.role == StaffRoleName.ADMIN_PENGADUAN,
            )
            .distinct()
        )
    )


def agency_heads(session: Session, region_id: uuid.UUID, agency_id: uuid.UUID) -> list[uuid.UUID]:
    """Who leads an agency's complaint work: its admins (admin OPD) and signers (the head)."""
    return list(
        session.scalars(
            select(User.id)
            .join(StaffRole, StaffRole.user_id == User.id)
            .where(
                User.region_id == region_id,
                User.is_active,
                StaffRole.agency_id == agency_id,
                StaffRole.role.in_([StaffRoleName.ADMIN_OPD, StaffRoleName.PENANDATANGAN]),
            )
            .distinct()
        )
    )


def agency_staff_ids(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(User.id)
            .join(StaffRole, StaffRole.user_id == User.id)
            .where(User.region_id == region_id, User.is_active, StaffRole.agency_id == agency_id)
            .distinct()
        )
    )


# -- erasure of a closed account (identity.closure) ----------------------------------------


def unlink_reporter(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Unlink the reporter from their complaints (the texts stay: a public record), drop
    their contact and follows (the history is append-only and stays). Returns how many
    complaints."""
    result = session.execute(
        update(Complaint)
        .where(Complaint.region_id == region_id, Complaint.reporter_id == user_id)
        .values(reporter_id=None, contact_encrypted=None)
    )
    session.execute(
        delete(ComplaintFollower).where(
            ComplaintFollower.region_id == region_id, ComplaintFollower.user_id == user_id
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def reporters_in_scope(
    session: Session,
    region_id: uuid.UUID,
    *,
    agency_ids: Sequence[uuid.UUID] | None,
    since: datetime | None,
    until: datetime | None,
) -> Sequence[uuid.UUID]:
    """The accounts that filed complaints in scope (a breach's)."""
    query = select(Complaint.reporter_id).where(
        Complaint.region_id == region_id, Complaint.reporter_id.is_not(None)
    )
    if agency_ids is not None:
        query = query.where(Complaint.agency_id.in_(agency_ids))
    if since is not None:
        query = query.where(Complaint.updated_at >= since)
    if until is not None:
        query = query.where(Complaint.filed_at < until)
    return [r for r in session.scalars(query.distinct()).all() if r is not None]
