"""An officer who is switched off leaves no task stranded (decision 0049): their open tasks
go to a stand-in the admin names, or back to their agency's pool, each move written in the
application's history. The account side (no login, sessions and tokens ended, audited) is
``accounts.staff_invitations.deactivate_officer``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.accounts import staff, staff_invitations
from simpul.accounts.models import User
from simpul.applications import access, delegation_repository, repository
from simpul.applications.submission import record_event
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow


@dataclass(frozen=True)
class OfficerReleased:
    officer: User
    #: Tasks handed to the stand-in.
    moved: int
    #: Tasks put back in their agency's pool.
    pooled: int


def deactivate_officer(
    session: Session,
    region: Region,
    actor: User,
    agency_slug: str,
    user_id: uuid.UUID,
    *,
    stand_in_id: uuid.UUID | None = None,
) -> OfficerReleased:
    """Deactivate the officer and hand their open tasks, in every agency, to ``stand_in_id``
    (an active officer of this agency) where the stand-in holds the step's role, else to the
    pool."""
    stand_in: User | None = None
    if stand_in_id is not None:
        agency = staff.managed_agency(session, region, actor, agency_slug)
        try:
            stand_in = staff._member(session, region, agency, stand_in_id)
        except NotFound:
            stand_in = None
        if stand_in is None or not stand_in.is_active or stand_in.id == user_id:
            raise InvalidInput(
                _("Petugas belum dinonaktifkan."),
                details=[
                    {
                        "field": "stand_in_id",
                        "message": _("Pilih pengganti: petugas aktif lain di instansi ini."),
                    }
                ],
            )
    officer = staff_invitations.deactivate_officer(session, region, actor, agency_slug, user_id)
    moved = pooled = 0
    for agency_id in dict.fromkeys(r.agency_id for r in officer.roles):
        for task in delegation_repository.open_tasks_held_by(
            session, region.id, agency_id, officer.id
        ):
            application = repository.get_application(session, region.id, task.application_id)
            assert application is not None
            if stand_in is not None and access.can_work_on(stand_in, task):
                task.assignee_id = stand_in.id
                task.claimed_at = utcnow()
                moved += 1
                note = _("Dialihkan dari %(before)s kepada %(after)s (petugas dinonaktifkan).") % {
                    "before": officer.full_name,
                    "after": stand_in.full_name,
                }
            else:
                task.assignee_id = None
                task.claimed_at = None
                pooled += 1
                note = _("Dilepas dari %(before)s ke antrean instansi (petugas dinonaktifkan).") % {
                    "before": officer.full_name
                }
            record_event(
                session,
                application,
                actor=actor,
                action="assign",
                from_status=application.status,
                note=note,
                step=task.step,
            )
    return OfficerReleased(officer, moved, pooled)
