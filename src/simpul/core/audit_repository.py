"""Queries of the audit trail for the region admin's audit page (``core.audit``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
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
