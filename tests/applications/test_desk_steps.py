"""Step kinds (issue 15, decision 0042): a data-entry step's fields, a field check's visit and
photos, a payment step; each refused with an error naming the field and nothing kept."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications import repository, workflow
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Document,
    TaskOutcome,
)
from simpul.applications.steps import StepInputs
from simpul.catalogue.standard import Workflow
from simpul.core.errors import Conflict, InvalidInput
from simpul.core.kit.periods import today_in
from tests.applications.desk_world import (
    AKTA_WORKFLOW,
    GOOD_REGISTER,
    RULES,
    Desk,
    make_desk,
)
from tests.samples import pdf_bytes, png_bytes


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> Desk:
    return make_desk(session, tmp_path)


def _open_task_id(session: Session, application: Application) -> uuid.UUID:
    task = repository.open_task_of(session, application.id)
    assert task is not None
    return task.id


def _to_step(session: Session, desk: Desk, application: Application, step: str) -> None:
    """Approve steps (as Budi, a verifier) until the application waits at ``step``."""
    while application.current_step != step:
        task = repository.open_task_of(session, application.id)
        assert task is not None
        workflow.act_on_task(session, desk.region, desk.budi, task.id, TaskOutcome.APPROVE)


def _events(session: Session, application: Application) -> list[ApplicationEvent]:
    return list(
        session.scalars(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.at, ApplicationEvent.id)
        )
    )


# -- data entry ------------------------------------------------------------------------------


def _approve_entry(session: Session, desk: Desk, application: Application, **entries: str) -> None:
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _open_task_id(session, application),
        TaskOutcome.APPROVE,
        inputs=StepInputs(entries=entries),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Nomor register akta wajib diisi."),
        ("3273-LU-2026-1", "Format Nomor register akta tidak sesuai."),
        # A full match: a valid number with something after it is not valid.
        (GOOD_REGISTER + "X", "Format Nomor register akta tidak sesuai."),
        ("3273-LU-20261120-0001\u202e", "karakter tersembunyi"),
        ("3" * 100_000, "paling banyak 40 karakter"),
    ],
)
def test_data_entry_refuses_a_bad_value_naming_the_field(
    session: Session, desk: Desk, value: str, expected: str
) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    with pytest.raises(InvalidInput) as caught:
        _approve_entry(session, desk, application, nomor_register=value)
    errors = caught.value.field_errors()
    assert list(errors) == ["entries.nomor_register"]
    assert expected in errors["entries.nomor_register"]
    assert application.current_step == "pencatatan"
    assert application.officer_data == {}


def test_data_entry_without_any_input_is_refused(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    with pytest.raises(InvalidInput) as caught:
        workflow.act_on_task(
            session,
            desk.region,
            desk.ani,
            _open_task_id(session, application),
            TaskOutcome.APPROVE,
        )
    assert "entries.nomor_register" in caught.value.field_errors()


def test_data_entry_refuses_a_field_the_step_does_not_have(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    with pytest.raises(InvalidInput) as caught:
        _approve_entry(session, desk, application, nomor_register=GOOD_REGISTER, nomor_palsu="x")
    assert "entries.nomor_palsu" in caught.value.field_errors()
    assert application.officer_data == {}


def test_data_entry_keeps_the_values_and_names_the_fields_in_the_history(
    session: Session, desk: Desk
) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    _approve_entry(session, desk, application, nomor_register=f"  {GOOD_REGISTER} ")
    assert application.officer_data == {"nomor_register": GOOD_REGISTER}
    assert application.current_step == "tanda_tangan"
    entry = next(e for e in _events(session, application) if e.action == "data_entry")
    assert entry.actor_id == desk.ani.id
    assert "Nomor register akta" in entry.note
    assert GOOD_REGISTER not in entry.note  # the history names fields, never their values


def test_operator_saves_entries_without_deciding_then_approves(
    session: Session, desk: Desk
) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    task_id = _open_task_id(session, application)
    # A save validates each value but lets a required one wait.
    workflow.save_step_entries(
        session,
        desk.region,
        desk.ani,
        task_id,
        StepInputs(entries={"catatan_register": "Lahir di RS"}),
    )
    assert application.officer_data == {"catatan_register": "Lahir di RS"}
    with pytest.raises(InvalidInput) as caught:
        workflow.save_step_entries(
            session, desk.region, desk.ani, task_id, StepInputs(entries={"nomor_register": "12"})
        )
    assert "entries.nomor_register" in caught.value.field_errors()
    workflow.save_step_entries(
        session,
        desk.region,
        desk.ani,
        task_id,
        StepInputs(entries={"nomor_register": GOOD_REGISTER}),
    )
    task = repository.get_task(session, desk.region.id, task_id)
    assert task is not None and task.assignee_id == desk.ani.id  # saving claims it
    assert [e.action for e in _events(session, application)].count("data_entry") == 2
    # The decision needs no entries again: the saved ones count.
    workflow.act_on_task(session, desk.region, desk.ani, task_id, TaskOutcome.APPROVE)
    assert application.current_step == "tanda_tangan"
    assert application.officer_data["nomor_register"] == GOOD_REGISTER


def test_saving_entries_on_a_review_step_is_refused(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    with pytest.raises(Conflict):
        workflow.save_step_entries(
            session,
            desk.region,
            desk.ani,
            _open_task_id(session, application),
            StepInputs(entries={"nomor_register": GOOD_REGISTER}),
        )


def test_return_from_data_entry_needs_no_entries(session: Session, desk: Desk) -> None:
    application = desk.submit(session)
    _to_step(session, desk, application, "pencatatan")
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _open_task_id(session, application),
        TaskOutcome.RETURN,
        "Nama ayah pada formulir berbeda dengan KK.",
    )
    assert application.status is ApplicationStatus.RETURNED


# -- field check -----------------------------------------------------------------------------


def _visit(desk: Desk, **overrides: object) -> StepInputs:
    values: dict[str, object] = {
        "visit_date": today_in(desk.region).isoformat(),
        "visit_notes": "Lokasi usaha sesuai denah, papan nama terpasang.",
        "photos": [(io.BytesIO(png_bytes(4, 4)), "depan.png")],
        "storage": desk.storage,
        "rules": RULES,
    }
    values.update(overrides)
    return StepInputs(**values)


def _check(session: Session, desk: Desk, application: Application, inputs: StepInputs) -> None:
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _open_task_id(session, application),
        TaskOutcome.APPROVE,
        inputs=inputs,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"visit_date": ""}, "visit_date"),
        ({"visit_date": "20-11-2026"}, "visit_date"),
        ({"visit_date": "2026-02-30"}, "visit_date"),
        ({"visit_notes": "oke"}, "visit_notes"),
        ({"visit_notes": "Lokasi sesuai\x00 denah usaha"}, "visit_notes"),
        ({"photos": [(io.BytesIO(pdf_bytes()), "denah.pdf")]}, "photos"),
        ({"photos": [(io.BytesIO(b"MZ\x90\x00" * 100), "foto.jpg")]}, "photos"),
        ({"photos": [(io.BytesIO(png_bytes()), f"{n}.png") for n in range(11)]}, "photos"),
    ],
)
def test_field_check_refuses_naming_the_field(
    session: Session, desk: Desk, overrides: dict[str, object], field: str
) -> None:
    application = desk.submit(session, "izin-lapangan")
    _to_step(session, desk, application, "peninjauan")
    with pytest.raises(InvalidInput) as caught:
        _check(session, desk, application, _visit(desk, **overrides))
    assert field in caught.value.field_errors()
    assert application.current_step == "peninjauan"
    assert "peninjauan" not in application.officer_data
    assert repository.step_documents(session, application.id) == []


def test_field_check_date_not_in_the_future_nor_before_submission(
    session: Session, desk: Desk
) -> None:
    application = desk.submit(session, "izin-lapangan")
    _to_step(session, desk, application, "peninjauan")
    today = today_in(desk.region)
    for day, message in (
        (today + timedelta(days=1), "belum terjadi"),
        (today - timedelta(days=1), "sebelum permohonan diajukan"),
    ):
        with pytest.raises(InvalidInput) as caught:
            _check(session, desk, application, _visit(desk, visit_date=day.isoformat()))
        assert message in caught.value.field_errors()["visit_date"]


def test_field_check_keeps_the_visit_and_photos_apart_from_the_requirements(
    session: Session, desk: Desk
) -> None:
    application = desk.submit(session, "izin-lapangan")
    _to_step(session, desk, application, "peninjauan")
    _check(
        session,
        desk,
        application,
        _visit(
            desk,
            photos=[
                (io.BytesIO(png_bytes(4, 4)), "depan.png"),
                (io.BytesIO(png_bytes(5, 5, (0, 0, 0))), "samping.png"),
            ],
        ),
    )
    assert application.current_step == "persetujuan"
    visit = application.officer_data["peninjauan"]
    assert visit["visited_on"] == today_in(desk.region).isoformat()
    assert visit["notes"].startswith("Lokasi usaha sesuai denah")
    photos = repository.step_documents(session, application.id)
    assert [str(p.id) for p in photos] == visit["photos"]
    assert {p.requirement_code for p in photos} == {"step:peninjauan"}
    assert {p.owner_id for p in photos} == {desk.ani.id}
    assert {p.content_type for p in photos} == {"image/png"}
    # The citizen's requirements are not mixed with the officer's photos.
    citizen_docs = repository.current_documents(session, application.id)
    assert [d.requirement_code for d in citizen_docs] == ["ktp"]
    # Officers reading the file see them; the citizen's own view does not list them.
    officer_view = workflow.read_application(session, desk.region, desk.budi, application.id)
    assert [d.id for d in officer_view.step_documents] == [p.id for p in photos]
    citizen_view = workflow.read_application(session, desk.region, desk.citizen, application.id)
    assert list(citizen_view.step_documents) == []
    assert all(d.requirement_code == "ktp" for d in citizen_view.documents)


def test_a_field_check_without_photos_is_accepted(session: Session, desk: Desk) -> None:
    application = desk.submit(session, "izin-lapangan")
    _to_step(session, desk, application, "peninjauan")
    _check(session, desk, application, _visit(desk, photos=[]))
    assert application.officer_data["peninjauan"]["photos"] == []


def test_photos_without_storage_are_refused(session: Session, desk: Desk) -> None:
    application = desk.submit(session, "izin-lapangan")
    _to_step(session, desk, application, "peninjauan")
    with pytest.raises(Conflict):
        _check(session, desk, application, _visit(desk, storage=None))
    assert session.scalars(select(Document).where(Document.owner_id == desk.ani.id)).all() == []


# -- payment ---------------------------------------------------------------------------------


def test_a_payment_step_is_decided_by_the_payments_module(session: Session, desk: Desk) -> None:
    """The dispatcher hands a payment step to ``payments.before_approve``: with no amount due
    known (no fee, no assessed retribusi) nothing is recorded and the step still waits
    (``tests/applications/test_payments.py`` follows a payment through)."""
    application = desk.submit(session, "retribusi-uji")
    task_id = _open_task_id(session, application)
    with pytest.raises(InvalidInput) as refused:
        workflow.act_on_task(
            session,
            desk.region,
            desk.ani,
            task_id,
            TaskOutcome.APPROVE,
            inputs=StepInputs(payment_reference="REF-1", payment_amount="50000"),
        )
    assert {d["field"] for d in refused.value.details} <= {"payment_reference", "payment_amount"}
    assert application.status is ApplicationStatus.SUBMITTED
    assert _open_task_id(session, application) == task_id


# -- the signing step ------------------------------------------------------------------------


def test_the_signing_step_must_be_the_last() -> None:
    steps = [dict(s) for s in AKTA_WORKFLOW["steps"]]
    steps[1], steps[2] = steps[2], steps[1]
    with pytest.raises(ValidationError, match="last step"):
        Workflow.model_validate({"steps": steps})
    assert Workflow.model_validate(AKTA_WORKFLOW).signing_step.code == "tanda_tangan"
