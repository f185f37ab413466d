"""Reassigning and delegating: every move in the application's history, an absent officer's
tasks with their stand-in, and work that would come back to them going to the stand-in."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.applications import delegation, workflow
from simpul.applications.models import Application, ApplicationEvent, Task, TaskOutcome, TaskStatus
from simpul.core.errors import Conflict, InvalidInput
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent
from tests.factories import post_form
from tests.support.desk_world import DeskWorld, build_desk_world, log_in, submit


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> DeskWorld:
    return build_desk_world(session, tmp_path)


def task_of(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


def notes(session: Session, application: Application, action: str = "assign") -> list[str]:
    return list(
        session.scalars(
            select(ApplicationEvent.note)
            .where(
                ApplicationEvent.application_id == application.id,
                ApplicationEvent.action == action,
            )
            .order_by(ApplicationEvent.at, ApplicationEvent.id)
        )
    )


def test_reassignment_names_from_whom_to_whom(session: Session, desk: DeskWorld) -> None:
    application = submit(session, desk)
    task = task_of(session, application)
    workflow.claim_task(session, desk.region, desk.officer_a, task.id)
    workflow.assign_task(session, desk.region, desk.admin, task.id, desk.officer_b.id)
    assert task.assignee_id == desk.officer_b.id
    assert notes(session, application) == [
        f"Dari {desk.officer_a.full_name} kepada {desk.officer_b.full_name}."
    ]


def test_absence_moves_open_tasks_to_the_delegate_with_the_reason(
    session: Session, desk: DeskWorld
) -> None:
    today = today_in(desk.region)
    mine = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, mine).id)
    others = submit(session, desk)  # in the pool: stays there
    verifier_task = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, verifier_task).id)
    result = delegation.record_absence(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        officer_id=desk.officer_a.id,
        delegate_id=desk.officer_b.id,
        starts_on=today.isoformat(),
        ends_on=(today + timedelta(days=5)).isoformat(),
        reason="sakit",
        note="Rawat inap",
    )
    assert (result.moved, result.pooled) == (2, 0)
    assert task_of(session, mine).assignee_id == desk.officer_b.id
    assert task_of(session, others).assignee_id is None
    assert notes(session, mine)[-1] == (
        f"Dialihkan dari {desk.officer_a.full_name} kepada {desk.officer_b.full_name} (Sakit)."
    )
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "staff.absence")).one()
    assert audit.details["reason"] == "sakit"
    assert audit.actor_id == desk.admin.id


def test_delegate_without_the_role_leaves_the_task_in_the_pool(
    session: Session, desk: DeskWorld
) -> None:
    today = today_in(desk.region)
    application = submit(session, desk)
    task = task_of(session, application)
    workflow.act_on_task(session, desk.region, desk.officer_a, task.id, TaskOutcome.APPROVE)
    payment_task = task_of(session, application)  # operator's step
    workflow.claim_task(session, desk.region, desk.officer_a, payment_task.id)
    result = delegation.record_absence(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        officer_id=desk.officer_a.id,
        delegate_id=desk.verifier_only.id,
        starts_on=today.isoformat(),
        ends_on=today.isoformat(),
        reason="cuti",
    )
    assert (result.moved, result.pooled) == (0, 1)
    assert payment_task.assignee_id is None
    assert "antrean instansi" in notes(session, application)[-1]


def test_holder_while_away_and_after_the_absence_ends(session: Session, desk: DeskWorld) -> None:
    today = today_in(desk.region)
    application = submit(session, desk)
    task = task_of(session, application)
    assert delegation.holder_for(session, desk.region, desk.officer_a, task) == desk.officer_a
    recorded = delegation.record_absence(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        officer_id=desk.officer_a.id,
        delegate_id=desk.officer_b.id,
        starts_on=today.isoformat(),
        ends_on=(today + timedelta(days=2)).isoformat(),
        reason="dinas_luar",
    )
    # A returned application resubmitted now would go to the stand-in.
    assert delegation.holder_for(session, desk.region, desk.officer_a, task) == desk.officer_b
    delegation.end_absence(session, desk.region, desk.admin, "dinas-uji", recorded.absence.id)
    assert recorded.absence.ended_at is not None
    assert delegation.holder_for(session, desk.region, desk.officer_a, task) == desk.officer_a


def test_future_absence_moves_nothing_yet(session: Session, desk: DeskWorld) -> None:
    today = today_in(desk.region)
    application = submit(session, desk)
    task = task_of(session, application)
    workflow.claim_task(session, desk.region, desk.officer_a, task.id)
    result = delegation.record_absence(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        officer_id=desk.officer_a.id,
        delegate_id=desk.officer_b.id,
        starts_on=(today + timedelta(days=7)).isoformat(),
        ends_on=(today + timedelta(days=9)).isoformat(),
        reason="cuti",
    )
    assert result.moved == 0
    assert task.assignee_id == desk.officer_a.id
    assert delegation.holder_for(session, desk.region, desk.officer_a, task) == desk.officer_a


def test_bad_absences_are_refused_per_field(session: Session, desk: DeskWorld) -> None:
    today = today_in(desk.region)

    def record(**overrides: object) -> None:
        values: dict[str, object] = {
            "officer_id": desk.officer_a.id,
            "delegate_id": desk.officer_b.id,
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=1)).isoformat(),
            "reason": "cuti",
        }
        values.update(overrides)
        delegation.record_absence(session, desk.region, desk.admin, "dinas-uji", **values)  # type: ignore[arg-type]

    for overrides, field in (
        ({"ends_on": (today - timedelta(days=1)).isoformat()}, "ends_on"),
        ({"starts_on": "31-12-2026"}, "starts_on"),
        ({"reason": "liburan"}, "reason"),
        ({"delegate_id": desk.officer_a.id}, "delegate_id"),
        ({"note": "x\u202ey"}, "note"),
    ):
        with pytest.raises(InvalidInput) as caught:
            record(**overrides)
        assert field in caught.value.field_errors(), (overrides, caught.value.details)
    record()
    with pytest.raises(Conflict):
        record()  # the same days again
    # The stand-in may not be away themselves.
    with pytest.raises(InvalidInput) as away:
        record(officer_id=desk.officer_b.id, delegate_id=desk.officer_a.id)
    assert "delegate_id" in away.value.field_errors()


def test_the_file_page_reassigns_and_the_history_says_from_whom(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)
    task = task_of(session, application)
    workflow.claim_task(session, desk.region, desk.officer_a, task.id)
    session.commit()
    log_in(client, desk.region.slug, "admin.opd@example.org")
    file_page = f"/{desk.region.slug}/petugas/permohonan/{application.id}"
    page = client.get(file_page)
    assert f"Dipegang oleh: {desk.officer_a.full_name}." in page.text
    moved = post_form(
        client,
        f"/{desk.region.slug}/petugas/tugas/{task.id}/tugaskan",
        {"officer_id": str(desk.officer_b.id)},
        page=file_page,
    )
    assert moved.status_code == 303
    after = client.get(file_page)
    assert f"Dipegang oleh: {desk.officer_b.full_name}." in after.text
    assert f"Dari {desk.officer_a.full_name} kepada {desk.officer_b.full_name}." in after.text


def test_the_citizen_does_not_read_why_an_officer_is_away(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, application).id)
    today = today_in(desk.region).isoformat()
    delegation.record_absence(
        session,
        desk.region,
        desk.admin,
        "dinas-uji",
        officer_id=desk.officer_a.id,
        delegate_id=desk.officer_b.id,
        starts_on=today,
        ends_on=today,
        reason="sakit",
    )
    session.commit()
    log_in(client, desk.region.slug, "warga@example.org", "sandi-warga-1")
    page = client.get(f"/{desk.region.slug}/permohonan/{application.id}")
    assert page.status_code == 200
    assert "Ditugaskan kepada petugas" in page.text
    assert "Sakit" not in page.text
    log_in(client, desk.region.slug, "admin.opd@example.org")
    officer_page = client.get(f"/{desk.region.slug}/petugas/permohonan/{application.id}")
    assert "(Sakit)" in officer_page.text


def test_the_api_keeps_the_reason_from_the_applicant_too(
    client: TestClient, session: Session, desk: DeskWorld
) -> None:
    application = submit(session, desk)
    workflow.claim_task(session, desk.region, desk.officer_a, task_of(session, application).id)
    today = today_in(desk.region).isoformat()
    delegation.record_absence(
        session, desk.region, desk.admin, "dinas-uji",
        officer_id=desk.officer_a.id, delegate_id=desk.officer_b.id,
        starts_on=today, ends_on=today, reason="sakit",
    )  # fmt: skip
    _token, citizen_key = accounts_service.create_api_token(session, desk.citizen, "uji")
    _token, officer_key = accounts_service.create_api_token(session, desk.admin, "uji")
    session.commit()
    url = f"/api/{desk.region.slug}/applications/{application.id}"
    mine = client.get(url, headers={"Authorization": f"Bearer {citizen_key}"}).json()
    assigns = [e for e in mine["history"] if e["action"] == "assign"]
    assert assigns and all(e["note"] == "" for e in assigns)
    theirs = client.get(url, headers={"Authorization": f"Bearer {officer_key}"}).json()
    assert any("(Sakit)" in e["note"] for e in theirs["history"] if e["action"] == "assign")
