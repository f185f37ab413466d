"""The complaint figures on a hand-made set of complaints whose outcomes are known."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint
from simpul.core.kit.periods import Period
from tests.complaints.conftest import ComplaintWorld, build_world, pothole_filing

WIB = ZoneInfo("Asia/Jakarta")
ANSWER = "Sudah kami periksa dan kami tindak lanjuti, terima kasih atas laporannya."
#: The figures are judged on Wednesday 3 December 2025, noon WIB.
NOW = dt.datetime(2025, 12, 3, 12, 0, tzinfo=WIB)
NOV_DEC = Period(dt.date(2025, 11, 1), dt.date(2025, 12, 31))


def wib(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=WIB)


def file(
    session: Session, world: ComplaintWorld, when: dt.datetime, **changes: object
) -> Complaint:
    changes.setdefault("category", "pelayanan-petugas")
    filing = pothole_filing(**changes)
    return complaints.file_complaint(
        session, world.region, filing, reporter=world.citizen, now=when
    ).complaint


def routed(
    session: Session, world: ComplaintWorld, when: dt.datetime, *, waste: bool = False
) -> Complaint:
    complaint = file(session, world, when)
    agency = world.waste if waste else world.roads
    complaints.route(
        session, world.region, world.desk, complaint, agency.id, now=when + dt.timedelta(hours=1)
    )
    return complaint


def answer(
    session: Session, world: ComplaintWorld, complaint: Complaint, when: dt.datetime, *, final: bool
) -> None:
    officer = world.waste_officer if complaint.agency_id == world.waste.id else world.roads_officer
    complaints.answer(session, world.region, officer, complaint, ANSWER, final=final, now=when)


def rated(
    session: Session, world: ComplaintWorld, complaint: Complaint, rating: int, when: dt.datetime
) -> None:
    complaints.rate(session, world.region, complaint, rating, "", world.citizen)
    complaint.rated_at = when  # ``rate`` takes the clock's time: put it back in the period
    session.flush()


def test_figures_count_a_known_set_of_complaints_exactly(
    session: Session, world: ComplaintWorld
) -> None:
    region = world.region
    # Simple complaints filed Monday 3 November: first answer due Thursday 6, closing Monday 10.
    kept = routed(session, world, wib(11, 3))
    assert (kept.first_response_due, kept.resolution_due) == (
        dt.date(2025, 11, 6),
        dt.date(2025, 11, 10),
    )
    answer(session, world, kept, wib(11, 6, 23, 30), final=False)  # on the due days: kept
    answer(session, world, kept, wib(11, 10, 23, 30), final=True)
    rated(session, world, kept, 5, wib(11, 11))
    late = routed(session, world, wib(11, 3))
    answer(session, world, late, wib(11, 4), final=False)
    answer(session, world, late, wib(11, 11, 0, 30), final=True)  # half an hour late: missed
    rated(session, world, late, 2, wib(11, 12))
    silent = routed(session, world, wib(11, 3))  # never answered: missed
    silent.first_response_escalated_at = wib(11, 7)
    reopened = routed(session, world, wib(11, 3))
    answer(session, world, reopened, wib(11, 5), final=True)
    complaints.reopen(session, region, reopened, "Belum beres juga.", world.citizen, now=wib(11, 6))
    assert reopened.resolution_due == dt.date(2025, 11, 13)  # open since: missed
    # Filed Thursday 27 November: first answer due Tuesday 2 December, closing Thursday 4.
    confidential = file(session, world, wib(11, 27), confidential=True)
    complaints.route(session, region, world.desk, confidential, world.waste.id, now=wib(11, 27, 11))
    answer(session, world, confidential, wib(11, 28), final=False)  # closing not due: pending
    no_first_answer = routed(session, world, wib(11, 27))  # first answer overdue: missed
    # A request for information filed Friday 28: first answer due today, not yet late: pending.
    information = file(session, world, wib(11, 28), kind="information")
    assert information.first_response_due == NOW.date()
    # Split: the parent is not counted, each part is (both unanswered: missed).
    parent = file(session, world, wib(11, 5))
    complaints.split(
        session,
        region,
        world.desk,
        parent,
        [
            complaints.SplitPart(agency_id=world.roads.id, category_id=None),
            complaints.SplitPart(agency_id=world.waste.id, category_id=None),
        ],
        now=wib(11, 5, 12),
    )
    # Merged into another: not counted. Rejected: counted as filed, no deadline outcome.
    duplicate = file(session, world, wib(11, 5))
    complaints.merge(session, region, world.desk, duplicate, kept)
    rejected = file(session, world, wib(11, 6), category="sampah")
    complaints.reject(session, region, world.desk, rejected, "Isi laporan tidak jelas sama sekali.")
    # Another region's complaint is never counted.
    other = build_world(session, "kota-lain")
    file(session, other, wib(11, 3))

    figures = complaints.complaint_figures(session, region, NOV_DEC, now=NOW)

    assert figures.filed == 10
    assert [(m.month, m.filed) for m in figures.months] == [
        (dt.date(2025, 11, 1), 10),
        (dt.date(2025, 12, 1), 0),
    ]
    assert figures.filed_per_month == 5
    assert {c.name: c.count for c in figures.by_category} == {
        "Pelayanan petugas": 9,
        "Sampah menumpuk": 1,
    }
    assert {c.name: c.count for c in figures.by_agency} == {
        world.roads.name: 6,
        world.waste.name: 2,
        "Belum didisposisi": 2,
    }
    assert {c.key: c.count for c in figures.by_kind} == {"complaint": 9, "information": 1}
    assert {c.key: c.count for c in figures.by_status} == {
        "resolved": 2,
        "routed": 4,
        "in_progress": 2,
        "new": 1,
        "rejected": 1,
    }
    deadlines = figures.deadlines
    assert (deadlines.kept, deadlines.missed, deadlines.pending) == (1, 6, 2)
    assert deadlines.kept_share == 1 / 7
    november, december = figures.months
    assert (november.deadlines.kept, november.deadlines.missed, november.deadlines.pending) == (
        1,
        5,
        0,
    )
    assert (december.deadlines.kept, december.deadlines.missed, december.deadlines.pending) == (
        0,
        1,
        2,
    )
    # First answers: 3 (kept), 1 (late), 2 (reopened) and 1 (confidential) working days.
    assert figures.first_answered == 4
    assert figures.first_answer_days == 7 / 4
    assert figures.escalated == 1
    assert figures.escalated_share == 1 / 10
    assert figures.reopened == 1
    assert figures.reopened_share == 1 / 10
    assert figures.ratings.count == 2
    assert figures.ratings.average == 3.5
    assert [figures.ratings.of(r) for r in (1, 2, 3, 4, 5)] == [0, 1, 0, 0, 1]
    assert november.ratings.count == 2
    assert no_first_answer.first_response_due == dt.date(2025, 12, 2)


def test_figures_for_one_agency_count_only_what_was_routed_to_it(
    session: Session, world: ComplaintWorld
) -> None:
    routed(session, world, wib(11, 3))
    waste = routed(session, world, wib(11, 27), waste=True)
    answer(session, world, waste, wib(11, 28), final=False)
    file(session, world, wib(11, 3))  # not routed: no agency's

    figures = complaints.complaint_figures(
        session, world.region, NOV_DEC, agency_ids={world.waste.id}, now=NOW
    )

    assert figures.filed == 1
    assert (figures.deadlines.kept, figures.deadlines.missed, figures.deadlines.pending) == (
        0,
        0,
        1,
    )
    assert figures.first_answered == 1


def test_the_period_ends_at_midnight_on_the_regions_clock(
    session: Session, world: ComplaintWorld
) -> None:
    # 31 October 23.59 WIB, 1 November 01.00 WIB, 1 December 00.30 WIB (all UTC the day before).
    file(session, world, dt.datetime(2025, 10, 31, 16, 59, tzinfo=dt.UTC))
    file(session, world, dt.datetime(2025, 10, 31, 18, 0, tzinfo=dt.UTC))
    file(session, world, dt.datetime(2025, 11, 30, 17, 30, tzinfo=dt.UTC))

    def filed(first: dt.date, last: dt.date) -> int:
        return complaints.complaint_figures(
            session, world.region, Period(first, last), now=NOW
        ).filed

    assert filed(dt.date(2025, 10, 1), dt.date(2025, 10, 31)) == 1
    assert filed(dt.date(2025, 11, 1), dt.date(2025, 11, 30)) == 1
    assert filed(dt.date(2025, 12, 1), dt.date(2025, 12, 31)) == 1


def test_no_complaints_give_no_shares_rather_than_zero(
    session: Session, world: ComplaintWorld
) -> None:
    figures = complaints.complaint_figures(session, world.region, NOV_DEC, now=NOW)

    assert figures.filed == 0
    assert figures.deadlines.kept_share is None
    assert figures.first_answer_days is None
    assert figures.ratings.average is None
    assert figures.escalated_share is None


def test_figures_take_one_query_per_group_however_many_complaints(
    session: Session, world: ComplaintWorld
) -> None:
    for day in (3, 4, 5, 6, 7):
        complaint = routed(session, world, wib(11, day))
        answer(session, world, complaint, wib(11, day + 3), final=True)
        rated(session, world, complaint, 4, wib(11, day + 4))
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        figures = complaints.complaint_figures(session, world.region, NOV_DEC, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert figures.filed == 5 and figures.ratings.count == 5
    # Filed, deadlines, first answers, the region's days off (the calendar), ratings.
    assert len(statements) == 5


def test_a_late_first_answer_misses_the_deadline_even_if_closed_in_time(
    session: Session, world: ComplaintWorld
) -> None:
    complaint = routed(session, world, wib(11, 3))  # first answer due 6, closing due 10
    answer(session, world, complaint, wib(11, 7), final=True)

    figures = complaints.complaint_figures(session, world.region, NOV_DEC, now=NOW)

    assert (figures.deadlines.kept, figures.deadlines.missed) == (0, 1)
