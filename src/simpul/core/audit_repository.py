"""Queries of the audit trail for the region admin's audit page (``core.audit``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent


@dataclass(frozen=True)
class EventQuery:
    """Which of a region's events to read: each filter given must match (empty matches all);
    ``since``/``until`` bound the instant, ``until`` excluded."""

    region_id: uuid.UUID
    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def _conditions(query: EventQuery) -> list[ColumnElement[bool]]:
    """The region's events matching every filter given (an empty filter matches all)."""
    where: list[ColumnElement[bool]] = [AuditEvent.region_id == query.region_id]
    if query.actor:
        # A part of the e-mail is enough; LIKE's own wildcards in what was typed are literal.
        pattern = query.actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(AuditEvent.actor_label.ilike(f"%{pattern}%", escape="\\"))
    if query.action:
        where.append(AuditEvent.action == query.action)
    if query.target_type:
        where.append(AuditEvent.target_type == query.target_type)
    if query.target_id:
        where.append(AuditEvent.target_id == query.target_id)
    if query.since is not None:
        where.append(AuditEvent.at >= query.since)
    if query.until is not None:
        where.append(AuditEvent.at < query.until)
    return where


def search_audit_events(
    session: Session, query: EventQuery, *, limit: int, offset: int = 0
) -> Sequence[AuditEvent]:
    """The matching events, newest first."""
    return session.scalars(
        select(AuditEvent)
        .where(*_conditions(query))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count_audit_events(session: Session, query: EventQuery, *, cap: int) -> int:
    """How many events match, counted up to ``cap`` (a big trail is not counted in full)."""
    inner = select(AuditEvent.id).where(*_conditions(query)).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def _about(
    region_id: uuid.UUID,
    targets: Mapping[str, Collection[str]],
    actions: Collection[str],
    exclude_actor: uuid.UUID | None,
) -> list[ColumnElement[bool]]:
    matches = [
        and_(AuditEvent.target_type == kind, AuditEvent.target_id.in_(sorted(ids)))
        for kind, ids in targets.items()
        if ids
    ]
    where: list[ColumnElement[bool]] = [
        AuditEvent.region_id == region_id,
        AuditEvent.action.in_(sorted(actions)),
        or_(*matches) if matches else false(),
    ]
    if exclude_actor is not None:
        where.append(AuditEvent.actor_id.is_distinct_from(exclude_actor))
    return where


def events_about(
    session: Session,
    region_id: uuid.UUID,
    targets: Mapping[str, Collection[str]],
    actions: Collection[str],
    *,
    exclude_actor: uuid.UUID | None,
    limit: int | None,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """The region's events of these actions on these targets (``target_type`` -> ids),
    newest first; served by ``ix_audit_event_target`` in every month's partition."""
    query = (
        select(AuditEvent)
        .where(*_about(region_id, targets, actions, exclude_actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def count_events_about(
    session: Session,
    region_id: uuid.UUID,
    targets: Mapping[str, Collection[str]],
    actions: Collection[str],
    *,
    exclude_actor: uuid.UUID | None,
) -> int:
    inner = (
        select(AuditEvent.id).where(*_about(region_id, targets, actions, exclude_actor)).subquery()
    )
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)
