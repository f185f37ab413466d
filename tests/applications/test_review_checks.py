"""Per-item checks on the task page: who may check, what a return lists, the next round."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.applications import checks, submission, workflow
from simpul.applications.check_models import RequirementCheck, Verdict
from simpul.applications.display import describe
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    Notification,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.applications.conftest import VALID_DATA, World
from tests.applications.test_workflow import submitted
from tests.factories import make_user


def open_task(session: Session, application: Application) -> Task:
    return session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()


def ktp_of(session: Session, application: Application) -> object:
    return next(d for d in workflow.repository.current_documents(session, application.id))


def mark(
    session: Session,
    world: World,
    task: Task,
    kind: str,
    code: str,
    verdict: str,
    note: str = "",
    *,
    document_id: object = None,
) -> RequirementCheck:
    return checks.record_check(
        session,
        world.region,
        world.verifier,
        task.id,
        kind=kind,
        code=code,
        verdict=verdict,
        note=note,
        document_id=document_id,  # type: ignore[arg-type]
    )


def test_a_return_lists_each_item_marked_tidak_sesuai_with_its_note(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    ktp = ktp_of(session, application)
    mark(
        session,
        world,
        task,
        "document",
        "ktp",
        "tidak_sesuai",
        "Foto KTP buram",
        document_id=ktp.id,
    )  # type: ignore[attr-defined]
    mark(session, world, task, "field", "nama_usaha", "sesuai")
    mark(session, world, task, "field", "jumlah_pegawai", "tidak_sesuai", "Tidak sama dengan BPJS")
    workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.RETURN, "")

    event = session.scalars(
        select(ApplicationEvent).where(ApplicationEvent.action == "return")
    ).one()
    assert event.note == (
        "Tidak sesuai: Dokumen KTP-el pemohon: Foto KTP buram; "
        "Isian Jumlah pegawai: Tidak sama dengan BPJS."
    )
    notice = session.scalars(select(Notification).where(Notification.kind == "returned")).one()
    assert notice.params["note"] == event.note
    assert "Nama usaha" not in event.note  # marked sesuai: not on the list
    items = checks.returned_items(session, world.region, application)
    assert items.documents == {"ktp": "Foto KTP buram"}
    assert items.fields == {"jumlah_pegawai": "Tidak sama dengan BPJS"}


def test_the_officers_own_note_follows_the_items(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    mark(session, world, task, "field", "nama_usaha", "tidak_sesuai", "Tulis nama sesuai NIB")
    workflow.act_on_task(
        session,
        world.region,
        world.verifier,
        task.id,
        TaskOutcome.RETURN,
        "Silakan perbaiki hari ini.",
    )
    assert task.note == (
        "Tidak sesuai: Isian Nama usaha: Tulis nama sesuai NIB. Silakan perbaiki hari ini."
    )


def test_a_return_with_nothing_marked_and_no_note_is_refused(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    mark(session, world, task, "field", "nama_usaha", "sesuai")  # sesuai is not a reason
    with pytest.raises(InvalidInput) as caught:
        workflow.act_on_task(session, world.region, world.verifier, task.id, TaskOutcome.RETURN)
    assert caught.value.field_errors() == {"note": "Alasan wajib diisi (minimal 5 karakter)."}
    assert task.status is TaskStatus.OPEN


def test_tidak_sesuai_needs_a_note_and_the_note_is_cleaned(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    with pytest.raises(InvalidInput) as caught:
        mark(session, world, task, "field", "nama_usaha", "tidak_sesuai", "  ")
    assert caught.value.field_errors() == {"note": "Catatan wajib diisi bila tidak sesuai."}
    with pytest.raises(InvalidInput) as hidden:
        mark(session, world, task, "field", "nama_usaha", "tidak_sesuai", "nama\u202eusaha")
    assert set(hidden.value.field_errors()) == {"note"}
    with pytest.raises(InvalidInput) as bad:
        mark(session, world, task, "field", "nama_usaha", "mungkin", "x")
    assert set(bad.value.field_errors()) == {"verdict"}
    kept = mark(
        session, world, task, "field", "nama_usaha", "tidak_sesuai", "NIK 3273015708900001\n salah"
    )
    assert kept.note == "NIK 3273••••••••0001 salah"
    assert session.scalars(select(RequirementCheck)).all() == [kept]


def test_a_second_check_of_the_same_item_replaces_the_first(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    mark(session, world, task, "field", "nama_usaha", "tidak_sesuai", "Salah eja")
    again = mark(session, world, task, "field", "nama_usaha", "sesuai")
    rows = session.scalars(select(RequirementCheck)).all()
    assert len(rows) == 1 and rows[0].verdict is Verdict.SESUAI and again.note == ""


def test_only_the_officer_working_the_step_may_check(session: Session, world: World) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    for outsider, error in (
        (world.approver, Forbidden),  # another role of the same agency
        (world.other_agency_officer, NotFound),  # another agency: the task does not exist
    ):
        with pytest.raises(error):
            checks.record_check(
                session,
                world.region,
                outsider,
                task.id,
                kind="field",
                code="nama_usaha",
                verdict="sesuai",
                note="",
                document_id=None,
            )
    colleague = make_user(
        session,
        world.region,
        "verif2@example.org",
        "sandi-verif-2",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    workflow.claim_task(session, world.region, world.verifier, task.id)
    with pytest.raises(Forbidden):  # the task is the claimant's now
        checks.record_check(
            session,
            world.region,
            colleague,
            task.id,
            kind="field",
            code="nama_usaha",
            verdict="sesuai",
            note="",
            document_id=None,
        )
    assert session.scalars(select(RequirementCheck)).all() == []


def test_items_must_be_the_services_requirements_and_the_applications_answers(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    task = open_task(session, application)
    ktp = ktp_of(session, application)
    with pytest.raises(NotFound):
        mark(session, world, task, "document", "paspor", "sesuai")
    with pytest.raises(NotFound):
        mark(session, world, task, "field", "gaji_direktur", "sesuai")
    with pytest.raises(NotFound):  # the KTP was uploaded: a check must name it
        mark(session, world, task, "document", "ktp", "sesuai")
    with pytest.raises(InvalidInput):
        mark(session, world, task, "berkas", "ktp", "sesuai")
    # An optional requirement without a document can be asked for.
    asked = mark(session, world, task, "document", "foto", "tidak_sesuai", "Unggah foto lokasi")
    assert asked.document_id is None
    done = mark(session, world, task, "document", "ktp", "sesuai", document_id=ktp.id)  # type: ignore[attr-defined]
    assert done.document_id == ktp.id  # type: ignore[attr-defined]


def test_a_resubmission_starts_a_fresh_round_with_the_last_one_as_context(
    session: Session, world: World
) -> None:
    application = submitted(session, world)
    first = open_task(session, application)
    mark(session, world, first, "field", "jumlah_pegawai", "tidak_sesuai", "Sesuaikan BPJS")
    workflow.act_on_task(session, world.region, world.verifier, first.id, TaskOutcome.RETURN)
    with pytest.raises(Conflict):  # the round is closed: nothing more is checked on it
        mark(session, world, first, "field", "nama_usaha", "sesuai")
    submission.save_draft(
        session, world.region, world.citizen, application.id, {**VALID_DATA, "jumlah_pegawai": 4}
    )
    submission.submit(session, world.region, world.citizen, application.id)
    assert checks.returned_items(session, world.region, application).fields == {}
    second = open_task(session, application)
    assert second.id != first.id
    view = workflow.read_application(session, world.region, world.verifier, application.id)
    sheet = checks.review_sheet(
        session,
        world.region,
        world.verifier,
        application,
        view.service,
        view.documents,
        view.open_task,
        describe(view.service.eform["schema"], application.data),
    )
    item = sheet.by_path["jumlah_pegawai"]
    assert item.current is None
    assert item.previous is not None and item.previous.note == "Sesuaikan BPJS"
    assert sheet.can_check


def test_applicant_panel_lists_other_applications_to_the_agency_newest_first(
    session: Session, world: World
) -> None:
    earlier = [submitted(session, world) for _ in range(11)]
    other_agency = submission.start_draft(session, world.region, world.citizen, "izin-lain")
    submission.save_draft(session, world.region, world.citizen, other_agency.id, {"nama": "Siti"})
    submission.attach_document(
        session, world.region, world.citizen, other_agency.id, "ktp", world.upload(), "ktp.pdf"
    )
    submission.submit(session, world.region, world.citizen, other_agency.id)
    submission.start_draft(session, world.region, world.other_citizen, world.service_slug)
    world.citizen.phone = "081234567890"
    current = earlier[0]
    view = workflow.read_application(session, world.region, world.approver, current.id)
    panel = checks.applicant_panel(session, world.region, world.approver, current, view.service)
    assert panel.name == world.citizen.full_name
    assert panel.masked_nik == "3273••••••••0001"
    assert panel.phone != "081234567890" and panel.phone.endswith("890")  # not their step
    numbers = [o.tracking_number for o in panel.others]
    expected = sorted(earlier[1:], key=lambda a: (a.created_at, a.id), reverse=True)
    assert numbers == [a.tracking_number for a in expected][:10]
    assert len(numbers) == 10 and current.tracking_number not in numbers
    working = checks.applicant_panel(session, world.region, world.verifier, current, view.service)
    assert working.phone == "081234567890"
