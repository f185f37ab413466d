"""The rollups follow every write of the rows they count, in the writer's transaction.

Not through ``simpul.core.events``: a flush of an ``Application``, an ``ApplicationEvent``, an
``IssuedDocument``, a ``Task`` or a ``CollectiveLeaveDay`` is what changes a KPI, whichever
code path wrote it (the services, the Registration API, the demo seed, a test's fixture), so
the rollups listen to the session's flushes (decision 0034). Rows written by raw SQL
(``bench/scale.py``) need ``simpul rollups rebuild``.
"""

from __future__ import annotations

import uuid
from itertools import chain
from typing import Any, Final

from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState, Session

from simpul.applications.models import (
    Application,
    ApplicationEvent,
    CollectiveLeaveDay,
    Task,
)
from simpul.core import events
from simpul.documents.models import IssuedDocument
from simpul.evaluation.rollups import service

_PENDING: Final = "simpul.rollups.applications"
_CALENDARS: Final = "simpul.rollups.calendars"
#: The columns of an application the rollups read.
_COUNTED: Final = (
    "service_id",
    "status",
    "submitted_at",
    "finished_at",
    "due_date",
    "paused_working_days",
)


#: The columns of a task the statistics read.
_DECIDED: Final = ("status", "completed_at", "outcome", "role", "assignee_id", "created_at")


def _changed(row: Application | Task, names: tuple[str, ...]) -> bool:
    state: InstanceState[Any] = inspect(row)
    return any(state.attrs[name].history.has_changes() for name in names)


def _collect(session: Session, _context: Any) -> None:
    """After a flush (its changes still listed): the applications and regions it touched."""
    pending: set[tuple[uuid.UUID, uuid.UUID]] = session.info.setdefault(_PENDING, set())
    calendars: set[uuid.UUID] = session.info.setdefault(_CALENDARS, set())
    for row in chain(session.new, session.deleted):
        if isinstance(row, Application):
            pending.add((row.region_id, row.id))
        elif isinstance(row, ApplicationEvent | IssuedDocument | Task) and row.application_id:
            pending.add((row.region_id, row.application_id))
        elif isinstance(row, CollectiveLeaveDay):
            calendars.add(row.region_id)
    for row in session.dirty:
        if isinstance(row, Application) and _changed(row, _COUNTED):
            pending.add((row.region_id, row.id))
        elif isinstance(row, Task) and _changed(row, _DECIDED):
            pending.add((row.region_id, row.application_id))
        elif isinstance(row, CollectiveLeaveDay):
            calendars.add(row.region_id)


def _follow(session: Session, _context: Any) -> None:
    """Still inside the flush: bring the rollups in line with what it wrote."""
    pending: set[tuple[uuid.UUID, uuid.UUID]] = session.info.pop(_PENDING, set())
    calendars: set[uuid.UUID] = session.info.pop(_CALENDARS, set())
    for region_id in calendars:
        service.rebuild_region(session, region_id)
    for region_id, application_id in sorted(pending):
        if region_id not in calendars:
            service.refresh_application(session, region_id, application_id)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CALENDARS, None)


def subscribe(_registry: events.Registry) -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_flush_postexec", _follow)
        event.listen(Session, "after_soft_rollback", _forget)
