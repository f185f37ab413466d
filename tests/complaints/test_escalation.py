"""Overdue complaints escalate to the agency's heads and the complaint desk, each deadline
once, with a public step in the history (LAPOR!'s escalation)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from simpul.applications.models import Notification
from simpul.complaints import service as complaints
from simpul.complaints.escalation import escalate_all_regions, escalation_step
from simpul.complaints.models import Complaint, ComplaintEvent
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing
from tests.conftest import _server_url
from tests.support.devserver import recreate_database

# Monday 23 November 2026, 09.00 WIB: the first answer is due Thursday 26 November.
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


def _notices(session: Session, user_id: uuid.UUID) -> list[str]:
    rows = session.scalars(select(Notification).where(Notification.user_id == user_id))
    return [n.kind for n in rows]


def _escalations(
    session: Session, world: ComplaintWorld, complaint: Complaint
) -> list[ComplaintEvent]:
    steps = complaints.history(session, world.region, complaint, public_only=True)
    return [e for e in steps if e.action == "escalated"]


def _rude(world: ComplaintWorld, session: Session) -> Complaint:
    """A complaint about an officer's conduct (simple: closing due in 5 working days)."""
    filing = pothole_filing(category="pelayanan-petugas", latitude=None, longitude=None)
    return complaints.file_complaint(
        session, world.region, filing, reporter=world.citizen, now=MONDAY
    ).complaint


def test_a_complaint_left_at_the_desk_escalates_to_the_desk_once(
    session: Session, world: ComplaintWorld
) -> None:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    # Thursday is the last day for the first answer: not late yet.
    assert complaints.escalate_overdue(session, world.region, FRIDAY - timedelta(days=1)) == 0

    assert complaints.escalate_overdue(session, world.region, FRIDAY) == 1
    assert complaint.first_response_escalated_at == FRIDAY
    assert "complaint_escalated" in _notices(session, world.desk.id)
    # Nobody at an agency yet: its head is not told.
    assert "complaint_escalated" not in _notices(session, world.roads_head.id)
    steps = _escalations(session, world, complaint)
    assert len(steps) == 1 and steps[0].public
    assert "tanggapan pertama" in steps[0].message

    assert complaints.escalate_overdue(session, world.region, FRIDAY + timedelta(days=3)) == 0
    assert len(_escalations(session, world, complaint)) == 1
    assert _notices(session, world.desk.id).count("complaint_escalated") == 1


def test_a_routed_complaint_without_a_first_answer_escalates_to_the_agency_head_and_desk(
    session: Session, world: ComplaintWorld
) -> None:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    complaints.route(
        session,
        world.region,
        world.desk,
        complaint,
        world.roads.id,
        now=MONDAY + timedelta(hours=1),
    )
    assert complaints.escalate_overdue(session, world.region, FRIDAY) == 1
    assert "complaint_escalated" in _notices(session, world.roads_head.id)
    assert "complaint_escalated" in _notices(session, world.desk.id)
    # An officer who is not the head, and the other agency, are not told.
    assert "complaint_escalated" not in _notices(session, world.roads_officer.id)
    assert "complaint_escalated" not in _notices(session, world.waste_officer.id)
    # The citizen is not told (it is the agency's business), but sees the step publicly.
    assert "complaint_escalated" not in _notices(session, world.citizen.id)
    assert _escalations(session, world, complaint)[0].agency_id == world.roads.id


def test_waiting_on_the_citizen_does_not_escalate_the_closing_deadline(
    session: Session, world: ComplaintWorld
) -> None:
    complaint = _rude(world, session)
    complaints.route(
        session,
        world.region,
        world.desk,
        complaint,
        world.roads.id,
        now=MONDAY + timedelta(hours=1),
    )
    complaints.request_info(
        session,
        world.region,
        world.roads_officer,
        complaint,
        "Mohon sebutkan nama loket dan jam kejadian.",
        now=MONDAY + timedelta(days=1),
    )
    later = MONDAY + timedelta(days=30)
    assert later.date() > complaint.resolution_due
    assert complaints.escalate_overdue(session, world.region, later) == 0
    assert complaint.resolution_escalated_at is None


def test_a_reopened_complaint_may_escalate_its_new_closing_deadline(
    session: Session, world: ComplaintWorld
) -> None:
    region = world.region
    complaint = _rude(world, session)
    complaints.route(
        session, region, world.desk, complaint, world.roads.id, now=MONDAY + timedelta(hours=1)
    )
    complaints.answer(
        session,
        region,
        world.roads_officer,
        complaint,
        "Sedang kami periksa.",
        final=False,
        now=MONDAY + timedelta(days=1),
    )
    # Closing was due Monday 30 November.
    tuesday = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    assert complaints.escalate_overdue(session, region, tuesday) == 1
    assert complaint.resolution_escalated_at == tuesday
    assert complaints.escalate_overdue(session, region, tuesday + timedelta(days=1)) == 0

    complaints.answer(
        session,
        region,
        world.roads_officer,
        complaint,
        "Petugas sudah ditegur.",
        final=True,
        now=tuesday + timedelta(days=1),
    )
    complaints.reopen(
        session,
        region,
        complaint,
        "Petugasnya masih kasar kemarin.",
        world.citizen,
        now=tuesday + timedelta(days=2),
    )
    assert complaint.resolution_escalated_at is None
    new_due = complaint.resolution_due
    just_after = datetime.combine(new_due + timedelta(days=1), datetime.min.time(), UTC) + (
        timedelta(hours=3)
    )
    assert complaints.escalate_overdue(session, region, just_after) == 1
    assert [e.details["deadline"] for e in _escalations(session, world, complaint)] == [
        "resolution",
        "resolution",
    ]


# -- the worker step and two workers at once (committed rows: a database of their own) ------


@pytest.fixture(scope="module")
def committed_engine() -> Iterator[Engine]:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_escalation"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    engine = create_engine(sqlalchemy_url(url), pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def late_complaint(committed_engine: Engine) -> tuple[sessionmaker[Session], str, uuid.UUID]:
    """A committed region with a complaint whose first answer is long overdue."""
    sessions = sessionmaker(bind=committed_engine, expire_on_commit=False)
    slug = f"esk-{uuid.uuid4().hex[:8]}"
    with sessions() as session, session.begin():
        world = build_world(session, slug)
        complaint = complaints.file_complaint(
            session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
        ).complaint
    return sessions, slug, complaint.id


def _escalated_steps(sessions: sessionmaker[Session], complaint_id: uuid.UUID) -> int:
    with sessions() as session:
        return len(
            session.scalars(
                select(ComplaintEvent).where(
                    ComplaintEvent.complaint_id == complaint_id,
                    ComplaintEvent.action == "escalated",
                )
            ).all()
        )


def test_the_worker_step_escalates_and_the_cli_run_does_not_repeat_it(
    committed_engine: Engine, late_complaint: tuple[sessionmaker[Session], str, uuid.UUID]
) -> None:
    sessions, slug, complaint_id = late_complaint
    step = escalation_step(committed_engine, minutes=15)
    assert step() >= 1
    assert _escalated_steps(sessions, complaint_id) == 1
    # The step waits its interval; a cron run meanwhile finds nothing left to escalate.
    assert step() == 0
    assert escalate_all_regions(sessions, slug=slug) == 0
    assert _escalated_steps(sessions, complaint_id) == 1


def test_two_workers_at_once_escalate_a_deadline_once(
    late_complaint: tuple[sessionmaker[Session], str, uuid.UUID],
) -> None:
    sessions, slug, complaint_id = late_complaint
    from simpul.core.regions import get_region_by_slug

    first = sessions()
    second = sessions()
    try:
        region_a = get_region_by_slug(first, slug)
        region_b = get_region_by_slug(second, slug)
        assert region_a is not None and region_b is not None
        assert complaints.escalate_overdue(first, region_a) == 1  # holds the row's lock
        assert complaints.escalate_overdue(second, region_b) == 0  # skips the locked row
        first.commit()
        second.rollback()
        assert complaints.escalate_overdue(second, region_b) == 0  # already escalated
        second.commit()
    finally:
        first.close()
        second.close()
    assert _escalated_steps(sessions, complaint_id) == 1


def test_the_cron_command_escalates_one_region(
    monkeypatch: pytest.MonkeyPatch,
    committed_engine: Engine,
    late_complaint: tuple[sessionmaker[Session], str, uuid.UUID],
) -> None:
    from typer.testing import CliRunner

    from simpul.cli import app
    from simpul.core import database

    sessions, slug, complaint_id = late_complaint
    monkeypatch.setattr(database, "get_engine", lambda: committed_engine)
    result = CliRunner().invoke(app, ["complaints", "escalate", "--region", slug])
    assert result.exit_code == 0, result.output
    assert "1 batas waktu pengaduan dieskalasi." in result.output
    assert _escalated_steps(sessions, complaint_id) == 1
    again = CliRunner().invoke(app, ["complaints", "escalate", "--region", slug])
    assert "0 batas waktu pengaduan dieskalasi." in again.output
    unknown = CliRunner().invoke(app, ["complaints", "escalate", "--region", "tidak-ada"])
    assert unknown.exit_code == 1
