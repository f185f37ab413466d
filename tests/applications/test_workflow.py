"""From draft to Selesai: submission, SLA deadline, inbox, claim, return, resubmit, approve."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications import submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Notification,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.kit.periods import today_in
from simpul.evaluation.savings.models import SavingsEntry
from tests.applications.conftest import VALID_DATA, World
from tests.factories import make_user


def submitted(session: Session, world: World) -> Application:
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
    submission.attach_document(
        session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
    )
    return submission.submit(session, world.region, world.citizen, draft.id)


def test_incomplete_application_is_refused_per_field(session: Session, world: World) -> None:
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, {"jumlah_pegawai": 0})
    with pytest.raises(InvalidInput) as caught:
        submission.submit(session, world.region, world.citizen, draft.id)
    fields = caught.value.field_errors()
    assert set(fields) == {"nama_usaha", "jumlah_pegawai", "documents.ktp"}
    assert fields["nama_usaha"] == "Wajib diisi."
    assert "KTP-el pemohon" in fields["documents.ktp"]
    assert draft.status is ApplicationStatus.DRAFT


def test_submission_sets_tracking_number_deadline_and_first_task(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    assert application.status is ApplicationStatus.SUBMITTED
    assert len(application.tracking_number) == 14
    assert application.due_date is not None
    calendar = submission.calendar_for(session, world.region)
    assert application.submitted_at is not None
    start = today_in(world.region, application.submitted_at)
    assert calendar.working_days_between(start, application.due_date) == 3
    page = workflow.inbox(session, world.region, world.verifier)
    assert [row.application.id for row in page.rows] == [application.id]
    assert page.rows[0].task.step == "verifikasi"
    # The approver's role acts later; another agency's officer sees nothing.
    assert workflow.inbox(session, world.region, world.approver).rows == []
    assert workflow.inbox(session, world.region, world.other_agency_officer).rows == []
    notices = session.scalars(select(Notification.kind)).all()
    assert notices == ["submitted"]


def test_return_resubmit_approve_to_selesai(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.claim_task(session, world.region, world.verifier, task.id)
    with pytest.raises(InvalidInput):
        workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.RETURN, "")
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.RETURN,
        "Foto KTP buram, unggah ulang yang jelas.",
    )
    assert application.status is ApplicationStatus.RETURNED
    assert application.paused_at is not None
    assert workflow.inbox(session, world.region, world.verifier).rows == []
    # The citizen fixes the document and sends it again: back at verification.
    submission.attach_document(
        session, world.region, world.citizen, application.id, "ktp", world.upload(), "ktp-baru.pdf"
    )
    submission.submit(session, world.region, world.citizen, application.id)
    assert application.status is ApplicationStatus.SUBMITTED
    second = workflow.inbox(session, world.region, world.verifier).rows[0].task
    assert second.step == "verifikasi" and second.id != task.id
    # Back in the hands of the officer who returned it (issue 15), not the shared pool.
    assert second.assignee_id == world.verifier.id
    workflow.act_on_task(session, world.region, world.verifier, second.id, TaskOutcome.APPROVE)
    assert application.current_step == "persetujuan"
    third = workflow.inbox(session, world.region, world.approver).rows[0].task
    workflow.act_on_task(session, world.region, world.approver, third.id, TaskOutcome.APPROVE)
    assert application.status is ApplicationStatus.COMPLETED
    assert application.finished_at is not None
    # Completed online: the savings ledger records what the offline path would have cost.
    entry = session.scalars(
        select(SavingsEntry).where(SavingsEntry.application_id == application.id)
    ).one()
    assert entry.citizen_trips > 0
    actions = [
        e.action
        for e in session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.at)
        )
    ]
    assert actions == [
        "draft",
        "submit",
        "claim",
        "return",
        "resubmit",
        "assign",
        "approve",
        "complete",
    ]
    kinds = session.scalars(select(Notification.kind).order_by(Notification.created_at)).all()
    assert kinds == ["submitted", "returned", "resubmitted", "advanced", "completed"]


def test_reject_needs_a_reason_and_ends_it(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.REJECT,
        "Usaha berada di luar wilayah Kota Uji.",
    )
    assert application.status is ApplicationStatus.REJECTED
    with pytest.raises(Conflict):
        workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.APPROVE)


def test_wrong_role_wrong_state_and_someone_elses_task(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    with pytest.raises(Forbidden):  # the approver's agency, but not their step
        workflow.act_on_task(session, world.region, world.approver, task.id, TaskOutcome.APPROVE)
    with pytest.raises(NotFound):  # another agency's officer does not even see it
        workflow.claim_task(session, world.region, world.other_agency_officer, task.id)
    with pytest.raises(Forbidden):
        workflow.inbox(session, world.region, world.citizen)
    with pytest.raises(Conflict):  # a submitted application cannot be edited
        submission.save_draft(session, world.region, world.citizen, application.id, {})
    with pytest.raises(NotFound):  # another citizen's application does not exist for them
        submission.submit(session, world.region, world.other_citizen, application.id)


def test_officer_reads_are_recorded_and_strangers_get_404(session: Session, world: World) -> None:
    application = submitted(session, world)
    view = workflow.read_application(session, world.region, world.verifier, application.id)
    assert [d.requirement_code for d in view.documents] == ["ktp"]
    reads = session.execute(
        text("SELECT count(*) FROM audit_event WHERE action = 'application.read'")
    ).scalar_one()
    assert reads == 1
    for stranger in (world.other_citizen, world.other_agency_officer):
        with pytest.raises(NotFound):
            workflow.read_application(session, world.region, stranger, application.id)


def test_history_is_append_only(session: Session, world: World) -> None:
    submitted(session, world)
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE application_event SET note = 'diubah'"))


def test_overdue_tasks_are_counted_first(session: Session, world: World) -> None:
    late = submitted(session, world)
    late.due_date = dt.date(2020, 1, 2)
    # The open task keeps the deadline it was opened with (decision 0035).
    for task in session.scalars(select(Task).where(Task.application_id == late.id)):
        task.due_date = late.due_date
    session.flush()
    page = workflow.inbox(session, world.region, world.verifier)
    assert page.overdue == 1
    assert page.rows[0].application.id == late.id
    assert page.rows[0].task.status is TaskStatus.OPEN


def test_time_waiting_on_the_citizen_extends_the_deadline(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    workflow.act_on_task(
        session, world.region, world.verifier, task.id, TaskOutcome.RETURN, "Lengkapi data usaha."
    )
    due = application.due_date
    assert due is not None and application.paused_at is not None
    # The citizen took three calendar weeks to answer: at least 10 working days went by.
    application.paused_at = application.paused_at - dt.timedelta(days=21)
    calendar = submission.calendar_for(session, world.region)
    waited = calendar.working_days_between(
        today_in(world.region, application.paused_at), today_in(world.region)
    )
    assert waited >= 10
    submission.submit(session, world.region, world.citizen, application.id)
    assert application.paused_working_days == waited
    assert application.due_date == calendar.add_working_days(due, waited)


def test_region_leave_days_push_the_deadline(
    session: Session,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
) -> None:
    calendar = submission.calendar_for(session, world.region)
    today = today_in(world.region)
    next_working = calendar.add_working_days(today, 1)
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    added = CliRunner().invoke(
        cli.app,
        [
            "region",
            "leave-days",
            "kota-uji",
            "--add",
            next_working.isoformat(),
            "--description",
            "Cuti bersama uji",
        ],
    )
    assert added.exit_code == 0, added.output
    assert next_working.isoformat() in added.output
    application = submitted(session, world)
    with_leave = submission.calendar_for(session, world.region)
    assert not with_leave.is_working_day(next_working)
    assert application.due_date == with_leave.add_working_days(today, 3)
    assert application.due_date == calendar.add_working_days(today, 4)
    bad = CliRunner().invoke(cli.app, ["region", "leave-days", "kota-uji", "--add", "24-12-2026"])
    assert bad.exit_code == 1


def test_admin_opd_assigns_a_task_to_an_officer_with_the_role(
    session: Session, world: World
) -> None:
    manager = make_user(
        session,
        world.region,
        "kepala@example.org",
        "sandi-kepala-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.ADMIN_OPD)],
    )
    submitted(session, world)
    task = workflow.inbox(session, world.region, world.verifier).rows[0].task
    with pytest.raises(Forbidden):  # a verifier does not hand out work
        workflow.assign_task(session, world.region, world.verifier, task.id, world.verifier.id)
    with pytest.raises(InvalidInput):  # the approver does not verify
        workflow.assign_task(session, world.region, manager, task.id, world.approver.id)
    workflow.assign_task(session, world.region, manager, task.id, world.verifier.id)
    assert task.assignee_id == world.verifier.id
    assert (
        workflow.inbox(session, world.region, world.verifier, view="saya").rows[0].task.id
        == task.id
    )
