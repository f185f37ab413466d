"""The demo region's complaints: categories, people and a year of past complaints in Kota
Bandung, with histories a reader can follow (decision 0056)."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.complaints import service as complaints
from simpul.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintFollower,
    ComplaintStatus,
    DeadlineClass,
)
from simpul.core.models import Region
from simpul.demo.complaints import seed_demo_complaints
from simpul.demo.history import seed_demo_history
from simpul.demo.seed import seed_demo

#: Kota Bandung's box (the brief: lat -6.97...-6.84, lng 107.55...107.73).
LAT = (-6.975, -6.835)
LNG = (107.545, 107.735)


@dataclass
class Seeded:
    region: Region
    complaints: list[Complaint]
    events: dict[object, list[ComplaintEvent]]


@pytest.fixture
def seeded(session: Session) -> Seeded:
    region = seed_demo(session).region
    seed_demo_history(session, region)
    added = seed_demo_complaints(session, region)
    assert added > 0
    rows = list(session.scalars(select(Complaint).where(Complaint.region_id == region.id)))
    events: dict[object, list[ComplaintEvent]] = {}
    for event in session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.region_id == region.id)
        .order_by(ComplaintEvent.at, ComplaintEvent.id)
    ):
        events.setdefault(event.complaint_id, []).append(event)
    return Seeded(region, rows, events)


def test_categories_and_complaint_people_come_with_every_seed(session: Session) -> None:
    region = seed_demo(session).region
    codes = {c.code: c for c in complaints.categories(session, region)}
    assert 12 <= len(codes) <= 16
    road = codes["jalan-rusak"]
    assert road.name == "Jalan rusak / berlubang"
    assert road.deadline_class is DeadlineClass.FIELD_CHECK and road.needs_location
    assert {a["code"] for a in road.attributes} == {"ukuran", "sejak"}
    assert not codes["pelayanan-petugas"].needs_location
    assert codes["pelayanan-petugas"].deadline_class is DeadlineClass.SIMPLE
    desk = accounts_repository.get_user_by_email(session, region.id, "pengaduan@example.org")
    assert desk is not None and complaints.is_desk(desk)
    officer = accounts_repository.get_user_by_email(
        session, region.id, "petugas.dsdabm@example.org"
    )
    assert officer is not None and road.default_agency_id in complaints.agency_ids_of(officer)
    dlh = accounts_repository.get_user_by_email(session, region.id, "petugas.dlh@example.org")
    assert dlh is not None and codes["sampah"].default_agency_id in complaints.agency_ids_of(dlh)
    # A second seed adds no category and no account.
    again = seed_demo(session)
    assert again.complaint_categories == 0 and again.accounts == 0
    assert len(complaints.categories(session, region)) == len(codes)


def test_a_year_of_complaints_in_kota_bandung(seeded: Seeded) -> None:
    rows = seeded.complaints
    assert 350 <= len(rows) <= 450
    now = datetime.now(UTC)
    ages = [(now - c.filed_at).days for c in rows]
    assert max(ages) <= 366 and min(ages) >= 0
    months = Counter(age // 30 for age in ages)
    assert len(months) >= 12
    # Recent months are busier than the year's first.
    assert months[0] + months[1] + months[2] > months[9] + months[10] + months[11]
    placed = [c for c in rows if c.latitude is not None]
    assert len(placed) > len(rows) / 2
    for c in placed:
        assert LAT[0] <= c.latitude <= LAT[1] and LNG[0] <= (c.longitude or 0) <= LNG[1]
        assert "Kec. " in c.address


def test_outcomes_and_privacy_in_the_planned_shares(seeded: Seeded) -> None:
    rows = seeded.complaints
    total = len(rows)
    status = Counter(c.status for c in rows)
    assert status[ComplaintStatus.RESOLVED] > total / 2
    for some in (
        ComplaintStatus.NEW,
        ComplaintStatus.ROUTED,
        ComplaintStatus.IN_PROGRESS,
        ComplaintStatus.WAITING_CITIZEN,
        ComplaintStatus.REJECTED,
        ComplaintStatus.MERGED,
        ComplaintStatus.SPLIT,
    ):
        assert status[some] >= 1, some
    assert 1 <= status[ComplaintStatus.SPLIT] <= 2
    assert 0.06 <= sum(c.anonymous for c in rows) / total <= 0.15
    assert 0.04 <= sum(c.confidential for c in rows) / total <= 0.12
    ratings = Counter(c.rating for c in rows if c.rating is not None)
    assert sum(ratings.values()) > total / 4
    assert ratings[4] + ratings[5] > ratings[1] + ratings[2]
    assert any(c.reopen_count == 1 for c in rows)
    assert any(c.first_response_escalated_at is not None for c in rows)
    assert all(c.suggested_agency_id is None for c in rows)
    # Most go to the category's own agency; the desk sometimes picks another.
    by_category = {c.id: c.default_agency_id for c in _categories(seeded)}
    routed = [c for c in rows if c.agency_id is not None and by_category[c.category_id]]
    same = sum(c.agency_id == by_category[c.category_id] for c in routed)
    assert same > 0.85 * len(routed)


def _categories(seeded: Seeded) -> list[ComplaintCategory]:
    session = Session.object_session(seeded.complaints[0])
    assert session is not None
    return list(complaints.categories(session, seeded.region, active_only=False))


def test_every_history_starts_filed_and_its_statuses_follow_each_other(seeded: Seeded) -> None:
    for complaint in seeded.complaints:
        steps = seeded.events[complaint.id]
        first = steps[0]
        expected = "split_from" if complaint.parent_id else "filed"
        assert first.action == expected and first.from_status is None, complaint.number
        assert first.to_status == "new"
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status, (complaint.number, after.action)
            assert after.at >= before.at
        assert steps[-1].to_status == complaint.status.value, complaint.number
        assert complaint.filed_at <= steps[-1].at
        if complaint.status is ComplaintStatus.RESOLVED:
            assert complaint.resolved_at is not None and complaint.agency_id is not None
            assert any(s.action == "resolved" and s.message for s in steps)
        if complaint.rating is not None:
            assert steps[-1].action == "rated"


def test_deadlines_follow_the_region_s_calendar(session: Session, seeded: Seeded) -> None:
    table = complaints.deadline_table(session, seeded.region)
    from simpul.applications import service as applications
    from simpul.core.kit.periods import today_in

    calendar = applications.calendar_for(session, seeded.region)
    categories = {c.id: c for c in _categories(seeded)}
    for complaint in seeded.complaints:
        filed = today_in(seeded.region, complaint.filed_at)
        deadline_class = complaints.deadline_class_of(
            complaint.kind, categories[complaint.category_id]
        )
        first, closing = table[deadline_class]
        assert complaint.first_response_due == calendar.add_working_days(filed, first)
        if (
            not complaint.reopen_count
            and complaint.waiting_since is None
            and not any(s.action == "citizen_replied" for s in seeded.events[complaint.id])
        ):
            assert complaint.resolution_due == calendar.add_working_days(filed, closing)


def test_merged_and_split_complaints_point_where_they_went(seeded: Seeded) -> None:
    by_id = {c.id: c for c in seeded.complaints}
    merged = [c for c in seeded.complaints if c.status is ComplaintStatus.MERGED]
    for duplicate in merged:
        into = by_id[duplicate.merged_into_id]
        assert into.category_id == duplicate.category_id
        assert any(
            s.action == "merged_here" and s.message == duplicate.number
            for s in seeded.events[into.id]
        )
    for parent in (c for c in seeded.complaints if c.status is ComplaintStatus.SPLIT):
        parts = [c for c in seeded.complaints if c.parent_id == parent.id]
        assert len(parts) == 2 and len({p.category_id for p in parts}) == 2


def test_the_demo_citizen_has_complaints_of_their_own(session: Session, seeded: Seeded) -> None:
    citizen = accounts_repository.get_user_by_email(session, seeded.region.id, "warga@example.org")
    assert citizen is not None
    own = [c for c in seeded.complaints if c.reporter_id == citizen.id]
    statuses = {c.status for c in own}
    assert ComplaintStatus.RESOLVED in statuses and ComplaintStatus.IN_PROGRESS in statuses
    resolved = next(c for c in own if c.status is ComplaintStatus.RESOLVED)
    # Still within the time the citizen may reopen it, and not yet rated.
    assert complaints.reopen_deadline(resolved) is not None and resolved.rating is None
    followed = session.scalars(
        select(ComplaintFollower.complaint_id).where(ComplaintFollower.user_id == citizen.id)
    ).all()
    assert {c.id for c in own} <= set(followed)


def test_anonymous_complaints_name_no_reporter_in_their_history(seeded: Seeded) -> None:
    for complaint in (c for c in seeded.complaints if c.anonymous):
        for step in seeded.events[complaint.id]:
            assert "(pelapor)" not in step.actor_label


def test_the_year_is_added_once(session: Session, seeded: Seeded) -> None:
    assert seed_demo_complaints(session, seeded.region) == 0
    count = len(
        session.scalars(select(Complaint.id).where(Complaint.region_id == seeded.region.id)).all()
    )
    assert count == len(seeded.complaints)
