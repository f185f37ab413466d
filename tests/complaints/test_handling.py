"""A complaint's way through the desk, the agency and back to the citizen (LAPOR!'s flow)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from simpul.applications.models import Notification
from simpul.complaints import service as complaints
from simpul.complaints.models import ComplaintStatus
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.complaints.conftest import ComplaintWorld, pothole_filing

# Monday 23 November 2026, 09.00 WIB (in the past: later steps take the clock's time).
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _notices(session: Session, user_id: object) -> list[str]:
    rows = session.query(Notification).filter(Notification.user_id == user_id).all()
    return [n.kind for n in rows]


def test_a_complaint_goes_from_filing_to_rating_with_every_step_in_its_history(
    session: Session, world: ComplaintWorld
) -> None:
    region = world.region
    filed = complaints.file_complaint(
        session, region, pothole_filing(), reporter=world.citizen, now=MONDAY
    )
    complaint = filed.complaint
    assert filed.access_code is None  # an account follows up without a code
    assert complaint.number.startswith("ADU-2611-")
    assert complaint.status is ComplaintStatus.NEW
    # LAPOR!: first answer within 3 working days, field checks closed within 60.
    assert complaint.first_response_due == date(2026, 11, 26)
    assert complaint.resolution_due > date(2027, 2, 10)
    assert "complaint_filed" in _notices(session, world.citizen.id)

    with pytest.raises(Forbidden):
        complaints.route(session, region, world.roads_officer, complaint, world.roads.id)
    complaints.route(
        session,
        region,
        world.desk,
        complaint,
        world.roads.id,
        note="Cek lokasi",
        now=MONDAY + timedelta(hours=1),
    )
    assert complaint.status is ComplaintStatus.ROUTED
    assert "complaint_assigned" in _notices(session, world.roads_officer.id)
    assert "complaint_routed" in _notices(session, world.citizen.id)

    with pytest.raises(Forbidden):  # another agency's officer
        complaints.answer(
            session, region, world.waste_officer, complaint, "Bukan kami", final=False
        )
    complaints.request_info(
        session,
        region,
        world.roads_officer,
        complaint,
        "Di sisi jalan yang mana?",
        now=MONDAY + timedelta(days=1),
    )
    assert complaint.status is ComplaintStatus.WAITING_CITIZEN
    due_before = complaint.resolution_due
    # The citizen answers a week later: those working days do not count against the agency.
    complaints.reply(
        session,
        region,
        complaint,
        "Sisi timur, dekat halte.",
        world.citizen,
        now=MONDAY + timedelta(days=8),
    )
    assert complaint.status is ComplaintStatus.IN_PROGRESS
    assert complaint.resolution_due > due_before
    complaints.answer(
        session, region, world.roads_officer, complaint, "Sudah ditambal.", final=True
    )
    assert complaint.status is ComplaintStatus.RESOLVED
    complaints.rate(session, region, complaint, 4, "Cepat", world.citizen)
    with pytest.raises(Conflict):
        complaints.rate(session, region, complaint, 5, "", world.citizen)

    actions = [e.action for e in complaints.history(session, region, complaint, public_only=False)]
    assert actions == ["filed", "routed", "info_requested", "citizen_replied", "resolved", "rated"]
    events = complaints.history(session, region, complaint, public_only=True)
    # Who did it: the officer by name for the back office, the agency for the public.
    answered = next(e for e in events if e.action == "resolved")
    assert world.roads_officer.full_name in answered.actor_label
    assert answered.public_actor == world.roads.name


def test_reopen_once_within_the_window_with_a_new_deadline(
    session: Session, world: ComplaintWorld
) -> None:
    region = world.region
    complaint = complaints.file_complaint(
        session, region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    complaints.route(session, region, world.desk, complaint, world.roads.id)
    complaints.answer(session, region, world.roads_officer, complaint, "Selesai.", final=True)
    complaints.reopen(session, region, complaint, "Masih berlubang.", world.citizen)
    assert complaint.status is ComplaintStatus.IN_PROGRESS
    complaints.answer(session, region, world.roads_officer, complaint, "Ditambal lagi.", final=True)
    with pytest.raises(Conflict):  # only once
        complaints.reopen(session, region, complaint, "Lagi.", world.citizen)


def test_reopening_after_the_window_is_refused(session: Session, world: ComplaintWorld) -> None:
    region = world.region
    complaint = complaints.file_complaint(
        session, region, pothole_filing(), reporter=world.citizen
    ).complaint
    complaints.route(session, region, world.desk, complaint, world.roads.id)
    complaints.answer(session, region, world.roads_officer, complaint, "Selesai.", final=True)
    late = complaint.resolved_at + timedelta(days=complaints.REOPEN_DAYS, minutes=1)
    with pytest.raises(Conflict):
        complaints.reopen(session, region, complaint, "Terlambat", world.citizen, now=late)


def test_bad_filings_name_each_field_and_write_nothing(
    session: Session, world: ComplaintWorld
) -> None:
    with pytest.raises(InvalidInput) as caught:
        complaints.file_complaint(
            session,
            world.region,
            pothole_filing(
                kind="gossip", title="", description="pendek", latitude=91.0, address=""
            ),
            reporter=world.citizen,
        )
    assert {"jenis", "judul", "isi", "lokasi"} <= set(caught.value.field_errors())
    count = session.execute(
        text("SELECT count(*) FROM complaint WHERE region_id = :r"), {"r": world.region.id}
    ).scalar_one()
    assert count == 0


def test_without_an_account_the_access_code_opens_a_confidential_complaint(
    session: Session, world: ComplaintWorld
) -> None:
    region = world.region
    filed = complaints.file_complaint(
        session, region, pothole_filing(confidential=True), reporter=None
    )
    number = filed.complaint.number
    assert filed.access_code
    with pytest.raises(NotFound):
        complaints.public_complaint(session, region, number)
    with pytest.raises(NotFound):
        complaints.readable_complaint(session, region, number, world.other_citizen)
    with pytest.raises(NotFound):
        complaints.owned_complaint(session, region, number, None, "WRONGCODE1")
    assert complaints.owned_complaint(session, region, number, None, filed.access_code.lower())
    assert complaints.readable_complaint(session, region, number, world.desk)
    # Before routing, the agency's officer cannot read it; after, they can.
    with pytest.raises(NotFound):
        complaints.readable_complaint(session, region, number, world.roads_officer)
    complaints.route(session, region, world.desk, filed.complaint, world.roads.id)
    assert complaints.readable_complaint(session, region, number, world.roads_officer)


def test_anonymous_hides_the_reporter_from_staff_not_from_themselves(
    session: Session, world: ComplaintWorld
) -> None:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(anonymous=True), reporter=world.citizen
    ).complaint
    assert not complaints.reporter_visible_to(complaint, world.desk)
    assert complaints.reporter_visible_to(complaint, world.citizen)
    filed = complaints.history(session, world.region, complaint, public_only=False)[0]
    assert world.citizen.full_name not in filed.actor_label


def test_split_merge_and_followers_are_told(session: Session, world: ComplaintWorld) -> None:
    region = world.region
    original = complaints.file_complaint(
        session, region, pothole_filing(), reporter=world.citizen
    ).complaint
    parts = complaints.split(
        session,
        region,
        world.desk,
        original,
        [
            complaints.SplitPart(world.roads.id, None, "Jalannya"),
            complaints.SplitPart(world.waste.id, world.garbage.id, "Sampahnya"),
        ],
    )
    assert original.status is ComplaintStatus.SPLIT
    assert [p.status for p in parts] == [ComplaintStatus.ROUTED, ComplaintStatus.ROUTED]
    assert parts[1].agency_id == world.waste.id
    assert all(world.citizen.id in complaints.followers(session, region, p) for p in parts)
    assert "complaint_split" in _notices(session, world.citizen.id)

    duplicate = complaints.file_complaint(
        session, region, pothole_filing(), reporter=world.other_citizen
    ).complaint
    complaints.merge(session, region, world.desk, duplicate, parts[0])
    assert duplicate.status is ComplaintStatus.MERGED
    assert duplicate.merged_into_id == parts[0].id
    assert world.other_citizen.id in complaints.followers(session, region, parts[0])
    assert "complaint_merged" in _notices(session, world.other_citizen.id)


def test_history_cannot_be_rewritten(session: Session, world: ComplaintWorld) -> None:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen
    ).complaint
    session.flush()
    with pytest.raises(DBAPIError), session.begin_nested():
        session.execute(
            text("UPDATE complaint_event SET message = 'x' WHERE complaint_id = :c"),
            {"c": complaint.id},
        )


def test_the_inbox_flags_what_is_overdue(session: Session, world: ComplaintWorld) -> None:
    complaint = complaints.file_complaint(
        session, world.region, pothole_filing(), reporter=world.citizen, now=MONDAY
    ).complaint
    assert not complaints.overdue(complaint, date(2026, 11, 26)).any
    late = complaints.overdue(complaint, date(2026, 11, 27))
    assert late.first_response and not late.resolution
