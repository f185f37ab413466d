"""Queries of delegation (``applications.delegation``): an officer's open tasks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications.models import Task, TaskStatus


def open_tasks_held_by(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID, officer_id: uuid.UUID
) -> Sequence[Task]:
    """The agency's open tasks the officer holds, locked (they are about to move)."""
    return session.scalars(
        select(Task)
        .where(
            Task.region_id == region_id,
            Task.agency_id == agency_id,
            Task.assignee_id == officer_id,
            Task.status == TaskStatus.OPEN,
        )
        .order_by(Task.due_date, Task.id)
        .with_for_update()
    ).all()
