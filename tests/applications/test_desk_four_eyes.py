"""Four eyes and the way back to the officer who returned a file (issue 15, decision 0042)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import StaffRole, StaffRoleName
from simpul.applications import registration_service, repository, submission, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    TaskOutcome,
)
from simpul.applications.steps import StepInputs
from simpul.core.errors import Forbidden, InvalidInput
from tests.applications.desk_world import AKTA_WORKFLOW, GOOD_REGISTER, Desk, make_desk


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> Desk:
    return make_desk(session, tmp_path)


def _task_id(session: Session, application: Application) -> uuid.UUID:
    task = repository.open_task_of(session, application.id)
    assert task is not None
    return task.id


def _at_signing(session: Session, desk: Desk) -> Application:
    """Budi verified, Ani entered the register number: the akta waits for its signature."""
    application = desk.submit(session)
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _task_id(session, application),
        TaskOutcome.APPROVE,
        inputs=StepInputs(entries={"nomor_register": GOOD_REGISTER}),
    )
    assert application.current_step == "tanda_tangan"
    return application


def test_the_verifier_may_neither_claim_nor_sign(session: Session, desk: Desk) -> None:
    application = _at_signing(session, desk)
    task_id = _task_id(session, application)
    with pytest.raises(Forbidden) as claimed:
        workflow.claim_task(session, desk.region, desk.budi, task_id)
    assert "Verifikasi berkas" in claimed.value.message
    assert "Persetujuan dan tanda tangan" in claimed.value.message
    for outcome, note in ((TaskOutcome.APPROVE, ""), (TaskOutcome.REJECT, "Tidak memenuhi")):
        with pytest.raises(Forbidden):
            workflow.act_on_task(session, desk.region, desk.budi, task_id, outcome, note)
    task = repository.get_task(session, desk.region.id, task_id)
    assert task is not None and task.assignee_id is None
    # The page explains instead of offering the form; Ani is offered it.
    view = workflow.read_application(session, desk.region, desk.budi, application.id)
    choices = workflow.officer_choices(session, desk.region, desk.budi, view)
    assert not choices.can_act
    assert (
        choices.four_eyes_refusal is not None and "Verifikasi berkas" in choices.four_eyes_refusal
    )
    ani_choices = workflow.officer_choices(
        session,
        desk.region,
        desk.ani,
        workflow.read_application(session, desk.region, desk.ani, application.id),
    )
    assert ani_choices.can_act and ani_choices.four_eyes_refusal is None
    assert ani_choices.step is not None and ani_choices.step.code == "tanda_tangan"
    workflow.act_on_task(session, desk.region, desk.ani, task_id, TaskOutcome.APPROVE)
    assert application.status is ApplicationStatus.COMPLETED


def test_entering_data_does_not_disqualify(session: Session, desk: Desk) -> None:
    # Ani entered the register number and may still sign (only verification disqualifies).
    application = _at_signing(session, desk)
    workflow.claim_task(session, desk.region, desk.ani, _task_id(session, application))


def test_a_verification_of_an_earlier_round_still_counts(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )
    # Ani returns at data entry; after the resubmission she enters, then Budi may not sign.
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _task_id(session, application),
        TaskOutcome.RETURN,
        "Nama ayah berbeda dengan KK.",
    )
    submission.submit(session, desk.region, desk.citizen, application.id)
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _task_id(session, application),
        TaskOutcome.APPROVE,
        inputs=StepInputs(entries={"nomor_register": GOOD_REGISTER}),
    )
    with pytest.raises(Forbidden):
        workflow.claim_task(session, desk.region, desk.budi, _task_id(session, application))


def test_an_admin_may_not_hand_the_signature_to_the_verifier(session: Session, desk: Desk) -> None:
    application = _at_signing(session, desk)
    task_id = _task_id(session, application)
    view = workflow.read_application(session, desk.region, desk.admin, application.id)
    offered = workflow.officer_choices(session, desk.region, desk.admin, view).assignees
    assert [o.id for o in offered] == [desk.ani.id]
    with pytest.raises(InvalidInput) as caught:
        workflow.assign_task(session, desk.region, desk.admin, task_id, desk.budi.id)
    assert "officer" in caught.value.field_errors()
    workflow.assign_task(session, desk.region, desk.admin, task_id, desk.ani.id)


def test_four_eyes_off_lets_one_officer_do_everything(session: Session, tmp_path: Path) -> None:
    desk = make_desk(
        session, tmp_path, slug="kota-satu", akta_workflow={**AKTA_WORKFLOW, "four_eyes": False}
    )
    application = desk.submit(session)
    for inputs in (None, StepInputs(entries={"nomor_register": GOOD_REGISTER}), None):
        workflow.act_on_task(
            session,
            desk.region,
            desk.budi,
            _task_id(session, application),
            TaskOutcome.APPROVE,
            inputs=inputs,
        )
    assert application.status is ApplicationStatus.COMPLETED


def test_four_eyes_defaults_to_on_only_with_products(session: Session, tmp_path: Path) -> None:
    desk = make_desk(session, tmp_path, slug="kota-tanpa", akta_products=[])
    application = desk.submit(session)
    for inputs in (None, StepInputs(entries={"nomor_register": GOOD_REGISTER}), None):
        workflow.act_on_task(
            session,
            desk.region,
            desk.budi,
            _task_id(session, application),
            TaskOutcome.APPROVE,
            inputs=inputs,
        )
    assert application.status is ApplicationStatus.COMPLETED


def test_the_registration_api_keeps_the_same_rules(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    registration_service.complete_task(
        session,
        desk.region,
        desk.budi,
        _task_id(session, application),
        {"decision": "APPROVED"},
        client_identity=None,
    )
    task_id = _task_id(session, application)
    # A data-entry step decided through the API without its value: refused, naming it.
    with pytest.raises(InvalidInput) as caught:
        registration_service.complete_task(
            session, desk.region, desk.ani, task_id, {"decision": "APPROVED"}, client_identity=None
        )
    assert "data.entries.nomor_register" in caught.value.field_errors()
    with pytest.raises(InvalidInput) as shaped:
        registration_service.complete_task(
            session,
            desk.region,
            desk.ani,
            task_id,
            {"decision": "APPROVED", "entries": ["3273"]},
            client_identity=None,
        )
    assert "data.entries" in shaped.value.field_errors()
    registration_service.complete_task(
        session,
        desk.region,
        desk.ani,
        task_id,
        {"decision": "APPROVED", "entries": {"nomor_register": GOOD_REGISTER}},
        client_identity=None,
    )
    assert application.officer_data["nomor_register"] == GOOD_REGISTER
    # The verifier cannot sign through the API either.
    with pytest.raises(Forbidden):
        registration_service.complete_task(
            session,
            desk.region,
            desk.budi,
            _task_id(session, application),
            {"decision": "APPROVED"},
            client_identity=None,
        )


# -- back to the officer who returned it -----------------------------------------------------


def _returned_by_ani_at_entry(session: Session, desk: Desk) -> Application:
    application = desk.submit(session)
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _task_id(session, application),
        TaskOutcome.RETURN,
        "Nama ayah pada formulir berbeda dengan KK.",
    )
    return application


def test_resubmission_comes_back_to_the_officer_who_returned_it(
    session: Session, desk: Desk
) -> None:
    application = _returned_by_ani_at_entry(session, desk)
    submission.submit(session, desk.region, desk.citizen, application.id)
    task = repository.open_task_of(session, application.id)
    assert task is not None
    assert task.step == "pencatatan"
    assert task.assignee_id == desk.ani.id
    mine = workflow.inbox(session, desk.region, desk.ani, view="saya").rows
    assert [row.task.id for row in mine] == [task.id]
    assert workflow.inbox(session, desk.region, desk.budi, view="saya").rows == []
    last = session.scalars(
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application.id)
        .order_by(ApplicationEvent.at.desc(), ApplicationEvent.id.desc())
        .limit(2)
    ).all()
    assert [e.action for e in reversed(last)] == ["resubmit", "assign"]
    assert last[0].note == desk.ani.full_name


def test_resubmission_goes_to_the_pool_when_the_officer_left(session: Session, desk: Desk) -> None:
    application = _returned_by_ani_at_entry(session, desk)
    desk.ani.is_active = False
    session.flush()
    submission.submit(session, desk.region, desk.citizen, application.id)
    task = repository.open_task_of(session, application.id)
    assert task is not None and task.assignee_id is None
    actions = session.scalars(
        select(ApplicationEvent.action).where(ApplicationEvent.application_id == application.id)
    ).all()
    assert actions.count("assign") == 0


def test_resubmission_goes_to_the_pool_when_the_officer_lost_the_role(
    session: Session, desk: Desk
) -> None:
    application = _returned_by_ani_at_entry(session, desk)
    operator = session.scalars(
        select(StaffRole).where(
            StaffRole.user_id == desk.ani.id, StaffRole.role == StaffRoleName.OPERATOR
        )
    ).one()
    session.delete(operator)
    session.flush()
    session.expire(desk.ani)
    submission.submit(session, desk.region, desk.citizen, application.id)
    task = repository.open_task_of(session, application.id)
    assert task is not None and task.assignee_id is None
