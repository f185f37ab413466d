"""Queries of the audit trail for the region admin's audit page (``core.audit``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent


def _conditions(
    region_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    since: datetime | None,
    until: datetime | None,
) -> list[ColumnElement[bool]]:
    """The region's events matching every filter given (an empty filter matches all)."""
    where: list[ColumnElement[bool]] = [AuditEvent.region_id == region_id]
    if actor:
        # A part of the e-mail is enough; LIKE's own wildcards in what was typed are literal.
        pattern = actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(AuditEvent.actor_label.ilike(f"%{pattern}%", escape="\\"))
    if action:
        where.append(AuditEvent.action == action)
    if target_type:
        where.append(AuditEvent.target_type == target_type)
    if target_id:
        where.append(AuditEvent.target_id == target_id)
    if since is not None:
        where.append(AuditEvent.at >= since)
    if until is not None:
        where.append(AuditEvent.at < until)
    return where


def search_audit_events(
    session: Session,
    region_id: uuid.UUID,
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """The matching events, newest first."""
    where = _conditions(
        region_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    return session.scalars(
        select(AuditEvent)
        .where(*where)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()


def count_audit_events(
    session: Session,
    region_id: uuid.UUID,
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    cap: int,
) -> int:
    """How many events match, counted up to ``cap`` (a big trail is not counted in full)."""
    where = _conditions(
        region_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    inner = select(AuditEvent.id).where(*where).limit(cap).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)
