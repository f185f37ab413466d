"""Delegation: while an officer is away (cuti, sakit, dinas luar), a named colleague holds
their tasks (decision 0047).

Recording an absence that has started moves the officer's open tasks in that agency to the
delegate, each move in its application's history with the reason. While the absence runs, a
resubmitted application that would come back to the officer who returned it goes to the
delegate instead (``holder_for``, called from ``submission._holder_for_resubmission``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.accounts import staff
from simpul.accounts.models import ABSENCE_REASONS, OfficerAbsence, User
from simpul.applications import access, delegation_repository, repository
from simpul.applications.models import Task
from simpul.applications.submission import record_event
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow


@dataclass(frozen=True)
class AbsenceRecorded:
    absence: OfficerAbsence
    #: Tasks handed to the delegate now (the absence has started).
    moved: int
    #: Tasks put back in the agency's pool (the delegate lacks the step's role).
    pooled: int


def record_absence(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    *,
    officer_id: uuid.UUID,
    delegate_id: uuid.UUID,
    starts_on: str,
    ends_on: str,
    reason: str,
    note: str = "",
) -> AbsenceRecorded:
    """Record the absence (``accounts.staff.record_absence``: validated, audited) and, when it
    has started, move the officer's open tasks of that agency to the delegate."""
    absence, officer, delegate = staff.record_absence(
        session,
        region,
        actor,
        agency_slug,
        officer_id=officer_id,
        delegate_id=delegate_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        note=note,
    )
    moved = pooled = 0
    if absence.starts_on <= today_in(region):
        why = str(ABSENCE_REASONS[absence.reason])
        for task in delegation_repository.open_tasks_held_by(
            session, region.id, absence.agency_id, officer.id
        ):
            if _move(session, region, actor, task, officer, delegate, why):
                moved += 1
            else:
                pooled += 1
    return AbsenceRecorded(absence, moved, pooled)


def _move(
    session: Session,
    region: Region,
    actor: User,
    task: Task,
    officer: User,
    delegate: User,
    why: str,
) -> bool:
    """Hand one task to the delegate, or to the pool when the delegate cannot work on it;
    True when the delegate has it. Written in the application's history either way."""
    application = repository.get_application(session, region.id, task.application_id)
    assert application is not None
    if access.can_work_on(delegate, task):
        task.assignee_id = delegate.id
        task.claimed_at = utcnow()
        note = _("Dialihkan dari %(before)s kepada %(after)s (%(reason)s).") % {
            "before": officer.full_name,
            "after": delegate.full_name,
            "reason": why,
        }
    else:
        task.assignee_id = None
        task.claimed_at = None
        note = _(
            "Dilepas dari %(before)s ke antrean instansi (%(reason)s; %(after)s tidak memegang "
            "peran tahap ini)."
        ) % {"before": officer.full_name, "after": delegate.full_name, "reason": why}
    record_event(
        session,
        application,
        actor=actor,
        action="assign",
        from_status=application.status,
        note=note,
        step=task.step,
    )
    return task.assignee_id is not None


def end_absence(
    session: Session, region: Region, actor: User, agency_slug: str, absence_id: uuid.UUID
) -> OfficerAbsence:
    """End an absence early (``accounts.staff.end_absence``)."""
    return staff.end_absence(session, region, actor, agency_slug, absence_id)


def holder_for(session: Session, region: Region, officer: User, task: Task) -> User | None:
    """Who should hold ``task`` that would go to ``officer``: the officer when present, their
    delegate while they are away (if the delegate holds the step's role), else None (the
    agency's pool)."""
    stand_in = staff.stand_in_for(session, region, officer.id, task.agency_id, today_in(region))
    if stand_in is None:
        return officer if officer.is_active and access.can_work_on(officer, task) else None
    return stand_in if access.can_work_on(stand_in, task) else None
