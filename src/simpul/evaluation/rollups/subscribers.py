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
#: Each region's working calendar, read once per transaction (a day off changed clears it).
_CALENDAR_CACHE: Final = "simpul.rollups.calendar_cache"
#: Each region's time zone, read once per transaction.
_TIMEZONE_CACHE: Final = "simpul.rollups.timezone_cache"
#: Each application's share as the last flush of this transaction left it: the next flush
#: starts from it instead of reading it again.
_KNOWN: Final = "simpul.rollups.known_shares"
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


def _touched(session: Session) -> tuple[set[tuple[uuid.UUID, uuid.UUID]], set[uuid.UUID]]:
    """The applications (region, id) and calendars (region) the pending flush writes."""
    applications: set[tuple[uuid.UUID, uuid.UUID]] = set()
    calendars: set[uuid.UUID] = set()
    for row in chain(session.new, session.deleted):
        if isinstance(row, Application) and row.id is not None:
            applications.add((row.region_id, row.id))
        elif isinstance(row, ApplicationEvent | IssuedDocument | Task) and row.application_id:
            applications.add((row.region_id, row.application_id))
        elif isinstance(row, CollectiveLeaveDay):
            calendars.add(row.region_id)
    for row in session.dirty:
        if isinstance(row, Application) and _changed(row, _COUNTED):
            applications.add((row.region_id, row.id))
        elif isinstance(row, Task) and _changed(row, _DECIDED):
            applications.add((row.region_id, row.application_id))
        elif isinstance(row, CollectiveLeaveDay):
            calendars.add(row.region_id)
    return applications, calendars


def _before(session: Session, _context: Any, _instances: Any) -> None:
    """Before the flush writes: the shares the rollups count now, of what it will change."""
    applications, calendars = _touched(session)
    cache = session.info.setdefault(_CALENDAR_CACHE, {})
    timezones = session.info.setdefault(_TIMEZONE_CACHE, {})
    known: dict[tuple[uuid.UUID, uuid.UUID], service.Contribution] = session.info.setdefault(
        _KNOWN, {}
    )
    inserted = {
        (row.region_id, row.id)
        for row in session.new
        if isinstance(row, Application) and row.id is not None
    }
    pending: dict[tuple[uuid.UUID, uuid.UUID], service.Contribution] = {}
    for key in sorted(applications):
        if key[0] in calendars:
            continue
        if key in known:  # an earlier flush of this transaction computed it
            pending[key] = known[key]
        elif key in inserted:  # not in the database yet: it counts nowhere
            pending[key] = service.Contribution()
        else:
            pending[key] = service.current_share(
                session, *key, calendars=cache, timezones=timezones
            )
    session.info[_PENDING] = pending


def _collect(session: Session, _context: Any) -> None:
    """After the flush wrote (its changes still listed): add what has an id only now."""
    applications, calendars = _touched(session)
    pending: dict[tuple[uuid.UUID, uuid.UUID], service.Contribution] = session.info.setdefault(
        _PENDING, {}
    )
    for key in applications:
        pending.setdefault(key, service.Contribution())
    session.info[_CALENDARS] = calendars


def _follow(session: Session, _context: Any) -> None:
    """Still inside the flush: replace each old share by the new one in the rollups."""
    pending: dict[tuple[uuid.UUID, uuid.UUID], service.Contribution] = session.info.pop(
        _PENDING, {}
    )
    calendars: set[uuid.UUID] = session.info.pop(_CALENDARS, set())
    cache = session.info.setdefault(_CALENDAR_CACHE, {})
    timezones = session.info.setdefault(_TIMEZONE_CACHE, {})
    known: dict[tuple[uuid.UUID, uuid.UUID], service.Contribution] = session.info.setdefault(
        _KNOWN, {}
    )
    for region_id in calendars:
        cache.pop(region_id, None)
        for key in [key for key in known if key[0] == region_id]:
            del known[key]  # the rebuild counted every share anew
        service.rebuild_region(session, region_id)
    for key, old in sorted(pending.items(), key=lambda item: item[0]):
        if key[0] not in calendars:
            new = service.current_share(session, *key, calendars=cache, timezones=timezones)
            service.apply_difference(session, key[0], old, new)
            known[key] = new


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CALENDARS, None)
    session.info.pop(_CALENDAR_CACHE, None)
    session.info.pop(_TIMEZONE_CACHE, None)
    session.info.pop(_KNOWN, None)


def subscribe(_registry: events.Registry) -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "before_flush", _before)
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_flush_postexec", _follow)
        event.listen(Session, "after_soft_rollback", _forget)
        event.listen(Session, "after_commit", _forget)
