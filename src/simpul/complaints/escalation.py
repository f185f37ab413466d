"""Escalating overdue complaints (LAPOR!): a passed deadline is told to the agency's heads and
the complaint desk once, flagged in the inbox and shown in the public history.

Runs as a step of ``simpul worker`` (at most once per ``complaint_escalation_minutes``) and as
``simpul complaints escalate`` for cron.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from simpul.complaints import escalation_repository, repository
from simpul.complaints.models import Complaint, ComplaintStatus
from simpul.complaints.notices import tell_users
from simpul.complaints.rules import Actor, record_step
from simpul.core import regions
from simpul.core.i18n import _, format_date
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow

log = logging.getLogger(__name__)

#: Complaints escalated per transaction (a backlog after an outage is worked in batches).
BATCH: Final = 200


def _first_overdue(complaint: Complaint, today: date) -> bool:
    return (
        complaint.first_responded_at is None
        and today > complaint.first_response_due
        and complaint.first_response_escalated_at is None
    )


def _closing_overdue(complaint: Complaint, today: date) -> bool:
    # A complaint still at the desk has no agency to close it yet: only its first answer counts.
    return (
        complaint.agency_id is not None
        and complaint.status is not ComplaintStatus.WAITING_CITIZEN
        and today > complaint.resolution_due
        and complaint.resolution_escalated_at is None
    )


def _escalate(
    session: Session,
    region: Region,
    complaint: Complaint,
    which: str,
    due: date,
    now: datetime,
) -> None:
    deadline = _("tanggapan pertama") if which == "first_response" else _("penyelesaian")
    agency = (
        repository.get_agency(session, region.id, complaint.agency_id)
        if complaint.agency_id
        else None
    )
    agency_name = agency.name if agency else _("admin pengaduan")
    record_step(
        session,
        complaint,
        "escalated",
        complaint.status,
        complaint.status,
        Actor.system(),
        message=_("Batas %(deadline)s (%(due)s) terlewati; diteruskan ke pimpinan.")
        % {"deadline": deadline, "due": format_date(due)},
        agency_id=complaint.agency_id,
        details={"deadline": which, "due": due.isoformat()},
        now=now,
    )
    recipients: list[uuid.UUID] = []
    if complaint.agency_id is not None:
        recipients += repository.agency_heads(session, region.id, complaint.agency_id)
    recipients += repository.desk_user_ids(session, region.id)
    tell_users(
        session,
        complaint,
        recipients,
        "complaint_escalated",
        agency=agency_name,
        deadline=deadline,
        due=format_date(due),
    )


def escalate_overdue(
    session: Session, region: Region, now: datetime | None = None, *, batch: int = BATCH
) -> int:
    """Escalate each passed deadline of the region's open complaints once; returns how many
    deadlines were escalated. Flushes; the caller commits."""
    moment = now or utcnow()
    today = today_in(region, moment)
    count = 0
    for complaint in escalation_repository.claim_overdue(session, region.id, today, batch):
        if _first_overdue(complaint, today):
            complaint.first_response_escalated_at = moment
            _escalate(
                session, region, complaint, "first_response", complaint.first_response_due, moment
            )
            count += 1
        if _closing_overdue(complaint, today):
            complaint.resolution_escalated_at = moment
            _escalate(session, region, complaint, "resolution", complaint.resolution_due, moment)
            count += 1
    session.flush()
    return count


def escalate_all_regions(
    sessions: sessionmaker[Session], now: datetime | None = None, *, slug: str | None = None
) -> int:
    """Escalate in every region that has not left (or in ``slug`` alone), one committed
    transaction per region; returns how many deadlines were escalated."""
    with sessions() as session:
        # Test copies handle complaints too; only a region that left is skipped.
        targets = [
            r.slug
            for r in regions.list_regions(session)
            if r.status != "inactive" and (slug is None or r.slug == slug)
        ]
    total = 0
    for target in targets:
        with sessions() as session, session.begin():
            region = regions.get_region_by_slug(session, target)
            if region is None:
                continue
            total += escalate_overdue(session, region, now)
    if total:
        log.info("escalated %d overdue complaint deadlines", total)
    return total


def escalation_step(engine: Engine, *, minutes: float) -> Callable[[], int]:
    """Escalation as a step of the worker loop (``simpul.core.jobs``): it runs at most once
    per ``minutes`` (deadlines pass by the day; nothing wakes it)."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    next_run = 0.0

    def step() -> int:
        nonlocal next_run
        if time.monotonic() < next_run:
            return 0
        next_run = time.monotonic() + minutes * 60
        return escalate_all_regions(sessions)

    return step
