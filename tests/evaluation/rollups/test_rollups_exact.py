"""The KPI rollups equal a full recount from the source rows, whatever happened.

Applications are made and decided through the real services (submission, workflow,
documents), with the clock moved so that they fall on many days, some minutes either side of
midnight in two time zones (Asia/Jakarta and Asia/Jayapura): completed (by an electronic
document or not), rejected, returned and resubmitted, still returned, still open, late and on
time, over two agencies per region. Every figure of the dashboard is then compared with the
recount ``kpis.repository`` makes from the applications (the computation the dashboard used
before the rollups), and again after ``simpul rollups rebuild``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import leave_days, submission, workflow
from simpul.applications.models import Task, TaskOutcome, TaskStatus
from simpul.catalogue.models import Agency, Service
from simpul.core import models as core_models
from simpul.core.kit.periods import Period
from simpul.core.models import Region
from simpul.documents.render import DocumentContent
from simpul.documents.service import record_issued_document
from simpul.evaluation.kpis import repository as kpis_repository
from simpul.evaluation.kpis.report import (
    Kpis,
    backlog_reference,
    build_report,
    percentile,
)
from simpul.evaluation.rollups import service as rollups
from simpul.evaluation.rollups.models import DailyRollup, DurationRollup
from tests.evaluation.rollups import recount
from tests.factories import add_agency, make_region, make_user, service_seed

REAL_DATETIME = datetime
START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
#: Hours (UTC) either side of midnight in Jakarta (17:00 UTC) and Jayapura (15:00 UTC).
HOURS = [(14, 50), (15, 5), (16, 55), (17, 10), (2, 0), (9, 30)]


class Clock:
    now: datetime = START


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, session: Session) -> Iterator[type[Clock]]:
    """``utcnow()`` everywhere (and the history's timestamps) read this clock.

    The audit trail is partitioned by month and only the months around the real today exist:
    the months the clock visits are made (in the test's transaction).
    """
    for month in range(12):
        first = dt.date(2025 + (11 + month) // 12, (11 + month) % 12 + 1, 1)
        session.execute(text("SELECT simpul_log_partition('audit_event', :m)"), {"m": first})

    class Frozen(REAL_DATETIME):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> datetime:  # type: ignore[override]
            return Clock.now.astimezone(tz) if tz else Clock.now.replace(tzinfo=None)

    monkeypatch.setattr(core_models, "datetime", Frozen)
    Clock.now = START
    yield Clock
    Clock.now = START


@dataclass
class Place:
    region: Region
    citizen: User
    officers: dict[uuid.UUID, User]  # per agency: verifies and approves
    services: list[Service]


def _place(session: Session, slug: str, timezone: str) -> Place:
    services = [service_seed(f"{slug}-a", "Layanan A", sla_working_days=2, required_documents=[])]
    region = make_region(session, slug, f"Kota {slug}", services)
    region.timezone = timezone
    add_agency(
        session,
        region,
        "dinas-dua",
        "Dinas Dua",
        [
            service_seed(f"{slug}-b", "Layanan B", sla_working_days=4, required_documents=[]),
            service_seed(f"{slug}-c", "Layanan C", sla_working_days=1, required_documents=[]),
        ],
    )
    citizen = make_user(session, region, f"warga@{slug}.example.org", "sandi-warga-1")
    officers = {}
    for agency in session.scalars(select(Agency).where(Agency.region_id == region.id)):
        officers[agency.id] = make_user(
            session,
            region,
            f"petugas.{agency.slug}@{slug}.example.org",
            "sandi-petugas-1",
            AccountKind.STAFF,
            roles=[
                (agency.slug, StaffRoleName.VERIFIKATOR),
                (agency.slug, StaffRoleName.PENYETUJU),
            ],
        )
    found = list(
        session.scalars(
            select(Service).where(Service.region_id == region.id).order_by(Service.slug)
        )
    )
    return Place(region, citizen, officers, found)


def _act(session: Session, place: Place, application_id: uuid.UUID, outcome: TaskOutcome) -> None:
    task = session.scalars(
        select(Task).where(Task.application_id == application_id, Task.status == TaskStatus.OPEN)
    ).one()
    officer = place.officers[task.agency_id]
    workflow.act_on_task(session, place.region, officer, task.id, outcome, "Alasan keputusan.")


def _issue(session: Session, place: Place, application_id: uuid.UUID) -> None:
    code = uuid.uuid4().hex[:22]
    record_issued_document(
        session,
        place.region,
        application_id=application_id,
        content=DocumentContent(
            region_name=place.region.name,
            agency_name="Dinas",
            title="Izin",
            number=f"503/{code[:6]}",
            code=code,
            applicant_name="Warga Uji",
            issued_on=Clock.now.date(),
            verification_url="https://simpul.example/v",
        ),
        signed_pdf=b"%PDF-1.7 signed",
        storage_key=f"issued/{uuid.uuid4()}.pdf",
        signer_name="Kepala Dinas",
        signer_fingerprint="ab" * 32,
        signed_at=Clock.now,
    )


def _later(rng: random.Random) -> timedelta:
    hour, minute = rng.choice(HOURS)
    return timedelta(days=rng.randint(0, 6), hours=hour - 3, minutes=minute)


PLANS = ("complete", "complete_issued", "reject", "return_complete", "returned", "open", "half")


def _live(session: Session, place: Place, rng: random.Random, plan: str) -> None:
    """One application through the services, its steps on the clock's days."""
    Clock.now = START + timedelta(days=rng.randint(0, 75)) + _later(rng)
    made = submission.submit_new(
        session,
        place.region,
        place.citizen,
        rng.choice(place.services).id,
        {"nama": "Warga Uji"},
        channel=rng.choice(["api", "web", "counter"]),
    )
    application_id = made.application.id
    steps: list[TaskOutcome | str] = {
        "complete": [TaskOutcome.APPROVE, TaskOutcome.APPROVE],
        "complete_issued": [TaskOutcome.APPROVE, TaskOutcome.APPROVE, "issue"],
        "reject": [TaskOutcome.REJECT],
        "return_complete": [
            TaskOutcome.RETURN,
            "resubmit",
            TaskOutcome.APPROVE,
            TaskOutcome.APPROVE,
        ],
        "returned": [TaskOutcome.APPROVE, TaskOutcome.RETURN],
        "open": [],
        "half": [TaskOutcome.APPROVE],
    }[plan]
    for step in steps:
        Clock.now += _later(rng)
        if step == "issue":
            _issue(session, place, application_id)
        elif step == "resubmit":
            submission.submit(session, place.region, place.citizen, application_id)
        else:
            assert isinstance(step, TaskOutcome)
            _act(session, place, application_id, step)


@pytest.fixture
def places(session: Session, clock: type[Clock]) -> list[Place]:
    rng = random.Random(14)
    made = [
        _place(session, "kota-barat", "Asia/Jakarta"),
        _place(session, "kota-timur", "Asia/Jayapura"),
    ]
    Clock.now = START
    leave_days.add_leave_day(session, made[0].region, dt.date(2026, 2, 16), "Cuti bersama uji")
    for index in range(70):
        _live(session, made[index % 2], rng, PLANS[index % len(PLANS)])
    session.flush()
    Clock.now = REAL_DATETIME.now(UTC)
    return made


def _recount(
    session: Session,
    region: Region,
    period: Period,
    today: dt.date,
    agency_ids: Collection[uuid.UUID] | None,
) -> tuple[dict[uuid.UUID, Kpis], list[tuple[dt.date, int, int]]]:
    """The KPIs per service and the months, counted from the applications themselves."""
    start, end = period.bounds(region.timezone)
    calendar = submission.calendar_for(session, region)
    received = recount.received_by_service(session, region.id, start, end, agency_ids)
    finished: dict[uuid.UUID, list[recount.FinishedApplication]] = {}
    for row in recount.finished_applications(session, region.id, start, end, agency_ids):
        finished.setdefault(row.service_id, []).append(row)
    backlog = kpis_repository.backlog_by_service(
        session, region.id, end, backlog_reference(period, today), agency_ids
    )
    found = {}
    for service_id in {*received, *finished, *backlog}:
        rows = finished.get(service_id, [])
        completed = [r for r in rows if r.status.value == "completed"]
        durations = [recount.working_days_to_finish(calendar, r, region.timezone) for r in rows]
        kpis = Kpis(
            received=received.get(service_id, 0),
            completed=len(completed),
            rejected=len(rows) - len(completed),
            median_days=percentile(durations, 0.5),
            p90_days=percentile(durations, 0.9),
            within_sla=sum(recount.finished_within_sla(r, region.timezone) for r in rows),
            online=sum(r.issued_electronically for r in completed),
            backlog=backlog.get(service_id, kpis_repository.Backlog()),
        )
        if kpis.received or kpis.finished or kpis.backlog.open:
            found[service_id] = kpis
    months = {
        row.month.date(): (row.received, row.finished)
        for row in recount.counts_by_month(
            session, region.id, region.timezone, start, end, agency_ids
        )
    }
    return found, sorted((m, r, f) for m, (r, f) in months.items())


def _periods(today: dt.date) -> list[tuple[Period, dt.date]]:
    """Past periods, one whose end is still ahead, one day, and a period ending after today."""
    return [
        (Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28)), today),
        (Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), today),
        (Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), dt.date(2026, 3, 10)),
        (Period(dt.date(2026, 2, 10), dt.date(2026, 2, 10)), today),
        (Period(dt.date(2026, 1, 20), dt.date(2026, 1, 20)), today),
        (Period(dt.date(2025, 12, 1), today + timedelta(days=40)), today),
        (Period(dt.date(2026, 3, 1), dt.date(2026, 3, 15)), dt.date(2026, 3, 1)),
    ]


def differences(session: Session, places: list[Place]) -> list[str]:
    """Every figure where the dashboard (rollups) and the recount disagree."""
    found = []
    today = REAL_DATETIME.now(UTC).date()
    for place in places:
        agencies = sorted(place.officers)
        for period, day in _periods(today):
            for agency_ids in (None, agencies[:1]):
                report = build_report(session, place.region, period, day, agency_ids)
                expected, months = _recount(session, place.region, period, day, agency_ids)
                shown = {s.service_id: s.kpis for s in report.services}
                where = f"{place.region.slug} {period} today={day} agencies={agency_ids}"
                if shown != expected:
                    found.append(f"{where}: services {shown} != {expected}")
                if [m for m in report.months if m[1] or m[2]] != months:
                    found.append(f"{where}: months {report.months} != {months}")
                total = (report.total.received, report.total.finished, report.total.backlog)
                counted = (
                    sum(k.received for k in expected.values()),
                    sum(k.finished for k in expected.values()),
                    kpis_repository.Backlog(
                        sum(k.backlog.open for k in expected.values()),
                        sum(k.backlog.returned for k in expected.values()),
                        sum(k.backlog.overdue for k in expected.values()),
                    ),
                )
                if total != counted:
                    found.append(f"{where}: total {total} != {counted}")
    return found


STATISTICS = [
    # (first day, last day, unit, service name, operator name, role)
    (None, None, None, None, None, None),
    (None, None, "day", None, None, None),
    (dt.date(2026, 2, 1), dt.date(2026, 2, 28), "week", None, None, None),
    (dt.date(2026, 1, 15), dt.date(2026, 3, 20), "month", "layanan b", None, None),
    (None, None, "year", None, "petugas", None),
    (dt.date(2026, 2, 10), dt.date(2026, 2, 10), None, None, None, StaffRoleName.PENYETUJU),
    (None, None, "day", "LAYANAN", "dinas-dua", StaffRoleName.VERIFIKATOR),
]


def statistics_differences(session: Session, places: list[Place]) -> list[str]:
    """Where the Registration API's statistics (rollups) and the tasks' recount disagree."""
    found = []
    for place in places:
        region = place.region
        zone = ZoneInfo(region.timezone)
        for first, last, unit, name, operator, role in STATISTICS:
            since = datetime.combine(first, dt.time(), zone) if first else None
            until = datetime.combine(last + timedelta(days=1), dt.time(), zone) if last else None
            expected = recount.count_decisions(
                session,
                region.id,
                since=since,
                until=until,
                timezone=region.timezone,
                unit=unit,
                service_name=name,
                operator_name=operator,
                role=role,
            )
            shown = rollups.count_decisions(
                session,
                region.id,
                first=first,
                last=last,
                unit=unit,
                service_name=name,
                operator_name=operator,
                role=role,
            )
            if [tuple(vars(r).values()) for r in shown] != [
                tuple(vars(r).values()) for r in expected
            ]:
                found.append(
                    f"{region.slug} {first}..{last} {unit} {name} {operator} {role}: "
                    f"decisions {shown} != {expected}"
                )
            received = recount.count_received(
                session,
                region.id,
                since=since,
                until=until,
                timezone=region.timezone,
                unit=unit,
                service_name=name,
            )
            counted = rollups.count_received(
                session, region.id, first=first, last=last, unit=unit, service_name=name
            )
            if counted != received:
                found.append(
                    f"{region.slug} {first}..{last} {unit} {name}: {counted} != {received}"
                )
    return found


def _rollup_rows(session: Session, region_id: uuid.UUID) -> set[tuple[object, ...]]:
    daily = session.scalars(select(DailyRollup).where(DailyRollup.region_id == region_id))
    durations = session.scalars(select(DurationRollup).where(DurationRollup.region_id == region_id))
    rows: set[tuple[object, ...]] = set()
    for d in daily:
        counts = (d.received, d.finished, d.completed, d.rejected, d.within_sla, d.online)
        changes = (d.open_change, d.returned_change, d.overdue_change, d.open_due)
        if any(counts) or any(changes):
            rows.add(("d", d.service_id, d.day, *counts, *changes))
    rows |= {("w", w.service_id, w.day, w.working_days, w.n) for w in durations if w.n}
    return rows


def test_every_dashboard_figure_equals_a_recount(session: Session, places: list[Place]) -> None:
    # The scenario covers what it claims to (else the comparison proves little).
    report = build_report(
        session,
        places[0].region,
        Period(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        dt.date(2026, 2, 20),
    )
    assert report.total.completed and report.total.rejected and report.total.online
    assert report.total.within_sla < report.total.finished  # some late
    assert report.total.backlog.returned and report.total.backlog.overdue
    assert differences(session, places) == []
    decided = rollups.count_decisions(
        session,
        places[0].region.id,
        first=None,
        last=None,
        unit=None,
        service_name=None,
        operator_name=None,
        role=None,
    )
    assert decided[0].returned and decided[0].rejected and decided[0].completing_approvals
    assert statistics_differences(session, places) == []


def test_a_rebuild_gives_the_same_rows_and_figures(session: Session, places: list[Place]) -> None:
    before = {p.region.id: _rollup_rows(session, p.region.id) for p in places}
    assert all(before.values())
    for place in places:
        assert rollups.rebuild_region(session, place.region.id) == 35
    assert {p.region.id: _rollup_rows(session, p.region.id) for p in places} == before
    assert differences(session, places) == []
    assert statistics_differences(session, places) == []


def test_a_day_off_added_later_changes_past_durations_exactly(
    session: Session, places: list[Place]
) -> None:
    leave_days.add_leave_day(session, places[1].region, dt.date(2026, 2, 4), "Libur daerah uji")
    leave_days.remove_leave_day(session, places[0].region, dt.date(2026, 2, 16))
    assert differences(session, places) == []


def test_one_skipped_increment_is_caught(
    session: Session, clock: type[Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison is not blind: the rollups miss one application's decision."""
    rng = random.Random(7)
    place = _place(session, "kota-lupa", "Asia/Jakarta")
    for plan in ("complete", "reject", "open"):
        _live(session, place, rng, plan)
    session.flush()
    Clock.now = REAL_DATETIME.now(UTC)
    assert differences(session, [place]) == []
    Clock.now = START + timedelta(days=30)
    _live(session, place, rng, "open")
    session.flush()
    application_id = session.scalars(
        select(Task.application_id).where(
            Task.region_id == place.region.id, Task.status == TaskStatus.OPEN
        )
    ).first()
    assert application_id is not None
    skipped: list[uuid.UUID] = []

    def skip(session: Session, region_id: uuid.UUID, old: object, new: object) -> None:
        skipped.append(region_id)

    # Each change replaces the application's whole share, so only a skipped last one (here:
    # the rejection) leaves the rollups wrong.
    apply_difference = rollups.apply_difference
    monkeypatch.setattr(rollups, "apply_difference", skip)
    Clock.now += timedelta(days=1)
    _act(session, place, application_id, TaskOutcome.REJECT)
    session.flush()
    monkeypatch.setattr(rollups, "apply_difference", apply_difference)
    Clock.now = REAL_DATETIME.now(UTC)
    assert set(skipped) == {place.region.id}
    assert differences(session, [place]) != []
    assert statistics_differences(session, [place]) != []


def test_the_rebuild_command_recounts_one_region(
    session: Session, places: list[Place], monkeypatch: pytest.MonkeyPatch
) -> None:
    region = places[0].region
    session.execute(DailyRollup.__table__.delete().where(DailyRollup.region_id == region.id))
    assert differences(session, places) != []
    monkeypatch.setattr(cli, "session_factory", lambda: lambda: session)
    monkeypatch.setattr(session, "commit", session.flush)
    monkeypatch.setattr(session, "close", lambda: None)
    result = CliRunner().invoke(cli.app, ["rollups", "rebuild", "--region", region.slug])
    assert result.exit_code == 0, result.output
    assert f"{region.slug}: 35 permohonan" in result.output
    assert differences(session, places) == []
