"""The back office: inboxes, claiming tasks, approving, returning for revision, rejecting."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import StaffRoleName, User
from simpul.applications import access, answers, checks, listing, repository, steps
from simpul.applications.eform import validate as validate_form_data
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Document,
    Task,
    TaskOutcome,
    TaskStatus,
)
from simpul.applications.notices import notify_applicant
from simpul.applications.steps import StepInputs
from simpul.applications.submission import open_task, record_event, workflow_of
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.catalogue.standard import Workflow, WorkflowStep
from simpul.core import events
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.personal import mask_sixteen_digit_numbers
from simpul.core.text import unsafe_text_error

MAX_NOTE = 2000


@dataclass(frozen=True)
class InboxPage:
    rows: list[repository.InboxRow]
    #: How many tasks the view holds, counted up to ``listing.COUNT_BOUND + 1``.
    total: int
    #: Open tasks past their deadline, counted the same way.
    overdue: int
    today: date
    #: The cursor of the next page (``setelah``), None on the last.
    next_cursor: str | None = None
    count_bound: int = listing.COUNT_BOUND


#: Inbox filters: what officers choose between.
INBOX_FILTERS = ("terbuka", "saya", "selesai")


def inbox(
    session: Session,
    region: Region,
    officer: User,
    *,
    view: str = "terbuka",
    service_id: uuid.UUID | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> InboxPage:
    """The officer's tasks a page at a time: open ones closest deadline (and so overdue)
    first, decided ones (``selesai``) last decided first; with bounded counts."""
    roles = access.agency_roles(officer)
    if not roles:
        raise Forbidden(_("Kotak masuk hanya untuk petugas instansi."))
    done = view == "selesai"
    kind = "inbox-done" if done else "inbox-open"
    page = listing.keyset(kind, cursor, field="setelah", limit=limit, descending=done)
    found, total = repository.list_inbox(
        session,
        region.id,
        roles,
        done=done,
        assignee_id=officer.id if view == "saya" else None,
        service_id=service_id,
        page=page,
    )
    today = today_in(region)
    overdue = repository.count_overdue_open_tasks(session, region.id, roles, today)
    next_cursor = listing.cursor_after(kind, found.next_after, descending=done)
    return InboxPage(found.rows, total, overdue, today, next_cursor)


def visible_task(
    session: Session, region: Region, officer: User, task_id: uuid.UUID, *, for_update: bool = False
) -> Task:
    """A task of the officer's agency (any state); 404 otherwise."""
    task = repository.get_task(session, region.id, task_id, for_update=for_update)
    if task is None or not access.is_officer_of(officer, task.agency_id):
        raise NotFound(_("Tugas tidak ditemukan."))
    return task


def _task_for(session: Session, region: Region, officer: User, task_id: uuid.UUID) -> Task:
    """A task the officer may act on (locked for the decision); 404 or 403 otherwise."""
    task = visible_task(session, region, officer, task_id, for_update=True)
    if not access.can_work_on(officer, task):
        raise Forbidden(_("Tahap ini dikerjakan oleh peran %(role)s.") % {"role": task.role.value})
    return task


# -- four eyes (decision 0041/0042) -----------------------------------------------------------

#: Roles whose steps approve: their officer must not be one who verified the application.
_APPROVING_ROLES = (StaffRoleName.PENYETUJU.value, StaffRoleName.PENANDATANGAN.value)


def four_eyes_on(service: Service, workflow: Workflow) -> bool:
    """The service's rule, else on whenever it issues (signed) products."""
    return workflow.four_eyes if workflow.four_eyes is not None else bool(service.products)


def _approving(workflow: Workflow, step: WorkflowStep) -> bool:
    return step.role in _APPROVING_ROLES or step.code == workflow.signing_step.code


def four_eyes_refusal(
    session: Session, application: Application, service: Service, step_code: str, officer: User
) -> str | None:
    """Why the officer may not decide at ``step_code`` of this application (they approved
    one of its verifications), or None when four eyes allows it."""
    workflow = workflow_of(service)
    step = workflow.step(step_code)
    if step is None or not four_eyes_on(service, workflow) or not _approving(workflow, step):
        return None
    verified = next(
        (
            t
            for t in repository.completed_tasks_of(session, application.id)
            if t.assignee_id == officer.id
            and t.outcome is TaskOutcome.APPROVE
            and t.role is StaffRoleName.VERIFIKATOR
        ),
        None,
    )
    if verified is None:
        return None
    return _(
        "Anda sudah memverifikasi permohonan ini pada tahap %(verified)s. Tahap %(step)s "
        "harus diputuskan petugas lain (prinsip empat mata)."
    ) % {"verified": verified.step_name, "step": step.name}


def _refuse_four_eyes(
    session: Session, region: Region, officer: User, task: Task
) -> tuple[Application, Service]:
    application = repository.get_application(session, region.id, task.application_id)
    assert application is not None
    service = repository.get_service_of(session, application)
    refusal = four_eyes_refusal(session, application, service, task.step, officer)
    if refusal:
        raise Forbidden(refusal)
    return application, service


def inbox_row(session: Session, region: Region, officer: User, task: Task) -> repository.InboxRow:
    """One task as its inbox row (after a claim)."""
    row = repository.inbox_row(session, task.id)
    assert row is not None
    assert row.task.region_id == region.id
    return row


def claim_task(session: Session, region: Region, officer: User, task_id: uuid.UUID) -> Task:
    """Take a task so colleagues see it is being handled."""
    task = _task_for(session, region, officer, task_id)
    if task.status is not TaskStatus.OPEN:
        raise Conflict(_("Tugas ini sudah selesai."))
    if task.assignee_id not in (None, officer.id):
        raise Conflict(_("Tugas ini sudah diambil petugas lain."))
    application, _service = _refuse_four_eyes(session, region, officer, task)
    if task.assignee_id is None:
        task.assignee_id = officer.id
        task.claimed_at = utcnow()
        record_event(
            session, application, actor=officer, action="claim", from_status=application.status
        )
    return task


def _clean_note(note: str) -> str:
    """An officer's note as it is kept: refused with hidden characters (``core.text``), one
    line, and a NIK typed into it masked, since it reaches the citizen's e-mail."""
    hidden = unsafe_text_error(note, field="note", label=_("Catatan"))
    if hidden:
        raise InvalidInput(hidden["message"], details=[hidden])
    return mask_sixteen_digit_numbers(" ".join(note.split()))[:MAX_NOTE]


def _allowed_decision(
    session: Session,
    region: Region,
    application: Application,
    service: Service,
    task: Task,
    officer: User,
    outcome: TaskOutcome,
    note: str,
) -> tuple[WorkflowStep, str]:
    """The task's step and the cleaned note, when the officer may take ``outcome`` here
    (four eyes, the step's actions, a reason for a return or rejection); raise otherwise."""
    refusal = four_eyes_refusal(session, application, service, task.step, officer)
    if refusal:
        raise Forbidden(refusal)
    note = _clean_note(note)
    step = workflow_of(service).step(task.step)
    if step is None or outcome.value not in step.actions:
        raise Conflict(
            _("Tindakan ini tidak tersedia pada tahap %(step)s.") % {"step": task.step_name}
        )
    if outcome is TaskOutcome.RETURN:  # lists the items marked tidak sesuai (decision 0043)
        note = checks.note_for_return(session, region, task, service, note)
    if outcome is not TaskOutcome.APPROVE and len(note) < 5:
        raise InvalidInput(
            _("Tuliskan alasannya agar pemohon tahu apa yang harus dilakukan."),
            details=[{"field": "note", "message": _("Alasan wajib diisi (minimal 5 karakter).")}],
        )
    return step, note


def _waiting_task(
    session: Session, region: Region, officer: User, task_id: uuid.UUID
) -> tuple[Task, Application]:
    """The open task the officer may work on (theirs or nobody's) and its application waiting
    for a decision, both locked; raise otherwise."""
    task = _task_for(session, region, officer, task_id)
    if task.status is not TaskStatus.OPEN:
        raise Conflict(_("Tugas ini sudah selesai."))
    if task.assignee_id not in (None, officer.id):
        raise Conflict(_("Tugas ini sudah diambil petugas lain."))
    application = repository.get_application(
        session, region.id, task.application_id, for_update=True
    )
    assert application is not None
    if application.status is not ApplicationStatus.SUBMITTED:
        raise Conflict(_("Permohonan ini tidak sedang menunggu keputusan."))
    return task, application


def act_on_task(
    session: Session,
    region: Region,
    officer: User,
    task_id: uuid.UUID,
    outcome: TaskOutcome,
    note: str = "",
    *,
    signing_passphrase: str | None = None,
    inputs: StepInputs | None = None,
    second_factor: bool | None = None,
) -> Application:
    """Approve (to the next step or to completion), return for revision, or reject, with a note.

    A task nobody has claimed is claimed by acting on it; one claimed by a colleague is not
    the officer's to decide, nor, under four eyes, a task of an approving step to an officer
    who verified the application. An approval first takes what the step's kind asks for
    (``steps.before_approve``: data entry, a field check, a payment; ``inputs``). Where the
    region signs documents, the last approval needs the officer's signing passphrase: it is
    checked here (nothing changes when it is wrong) and a job that makes the signed document
    is queued in the same transaction. ``second_factor`` says whether the officer's login was
    proven with a second factor (None: not asked); signing refuses False.
    """
    task, application = _waiting_task(session, region, officer, task_id)
    service = repository.get_service_of(session, application)
    workflow = workflow_of(service)
    step, note = _allowed_decision(
        session, region, application, service, task, officer, outcome, note
    )
    if outcome is TaskOutcome.APPROVE and workflow.next_step(task.step) is None:
        # Subscribers may refuse before anything changes (documents: the signing passphrase).
        events.publish(
            session,
            events.FinalApprovalRequested(
                region_id=region.id,
                application_id=application.id,
                officer_id=officer.id,
                signing_passphrase=signing_passphrase,
                second_factor=second_factor,
            ),
        )
    if outcome is TaskOutcome.APPROVE:
        # What the step's kind asks for is kept in a savepoint: the page shows a refusal
        # without raising (its request commits), so a refusal must leave nothing behind.
        with session.begin_nested():
            steps.before_approve(
                session, region, officer, application, service, step, inputs or StepInputs()
            )
    now = utcnow()
    task.assignee_id = officer.id
    task.claimed_at = task.claimed_at or now
    task.status = TaskStatus.COMPLETED
    task.completed_at = now
    task.outcome = outcome
    task.note = note
    session.flush()  # the open task is closed before a next one may open
    before = application.status
    if outcome is TaskOutcome.APPROVE:
        following = workflow.next_step(task.step)
        if following is not None:
            open_task(session, application, service, following)
            record_event(
                session,
                application,
                actor=officer,
                action="approve",
                from_status=before,
                note=note,
                step=task.step,
            )
            notify_applicant(session, application, "advanced", step=task.step_name)
        else:
            _complete(session, region, officer, application, note, signing_passphrase, now)
    elif outcome is TaskOutcome.RETURN:
        application.status = ApplicationStatus.RETURNED
        application.paused_at = now
        record_event(
            session, application, actor=officer, action="return", from_status=before, note=note
        )
        notify_applicant(session, application, "returned", note=note)
    else:
        application.status = ApplicationStatus.REJECTED
        application.finished_at = now
        record_event(
            session, application, actor=officer, action="reject", from_status=before, note=note
        )
        notify_applicant(session, application, "rejected", note=note)
    return application


def _complete(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    note: str,
    signing_passphrase: str | None,
    now: datetime,
) -> None:
    """The last approval: completed and the applicant told; then ``ApplicationCompleted`` is
    published in the same transaction (savings records what it saved; where the region signs
    documents, documents queues the signed document)."""
    before = application.status
    application.status = ApplicationStatus.COMPLETED
    application.finished_at = now
    record_event(
        session, application, actor=officer, action="complete", from_status=before, note=note
    )
    notify_applicant(session, application, "completed")
    events.publish(
        session,
        events.ApplicationCompleted(
            region_id=region.id,
            application_id=application.id,
            officer_id=officer.id,
            signing_passphrase=signing_passphrase,
        ),
    )


def save_step_entries(
    session: Session, region: Region, officer: User, task_id: uuid.UUID, inputs: StepInputs
) -> Application:
    """An operator keeps the data-entry step's values without deciding yet ("Simpan"): each
    value is validated (a required one may still be empty) and the history names the fields."""
    task, application = _waiting_task(session, region, officer, task_id)
    service = repository.get_service_of(session, application)
    step = workflow_of(service).step(task.step)
    if step is None or step.kind != "data_entry":
        raise Conflict(_("Tahap ini tidak meminta isian petugas."))
    changed = steps.store_entries(session, officer, application, step, inputs, complete=False)
    if task.assignee_id is None:
        task.assignee_id = officer.id
        task.claimed_at = utcnow()
    if changed:
        steps.record_entries_event(session, officer, application, changed)
    return application


@dataclass(frozen=True)
class ApplicationFile:
    """An application with what its pages show."""

    application: Application
    service: Service
    documents: Sequence[Document]
    events: Sequence[ApplicationEvent]
    open_task: Task | None
    #: What officers attached at the steps (field-check photos); not the citizen's documents.
    step_documents: Sequence[Document] = ()


def read_application(
    session: Session, region: Region, user: User, application_id: uuid.UUID
) -> ApplicationFile:
    """The applicant's or a responsible officer's view; anyone else gets 404.

    An officer's read of a citizen's file is recorded in the audit trail (UU PDP).
    """
    application = repository.get_application(session, region.id, application_id)
    if application is None:
        raise NotFound(_("Permohonan tidak ditemukan."))
    service = repository.get_service_of(session, application)
    if not access.can_read(user, application, service):
        raise NotFound(_("Permohonan tidak ditemukan."))
    if application.applicant_id != user.id:
        if application.status is ApplicationStatus.DRAFT:
            raise NotFound(_("Permohonan tidak ditemukan."))
        record_audit_event(
            session,
            region_id=region.id,
            actor_id=user.id,
            actor_label=user.email,
            action="application.read",
            target_type="application",
            target_id=str(application.id),
        )
    return ApplicationFile(
        application,
        service,
        repository.current_documents(session, application.id),
        repository.list_events(session, application.id),
        repository.open_task_of(session, application.id),
        repository.step_documents(session, application.id)
        if application.applicant_id != user.id
        else (),
    )


def update_data_as_officer(
    session: Session,
    region: Region,
    officer: User,
    application_id: uuid.UUID,
    data: dict[str, object],
    *,
    note: str = "",
) -> Application:
    """An officer corrects the form data of an application waiting at their step.

    The new data must pass the service's eForm; the change is kept in the history.
    """
    application = repository.get_application(session, region.id, application_id, for_update=True)
    if application is None:
        raise NotFound(_("Permohonan tidak ditemukan."))
    service = repository.get_service_of(session, application)
    if not access.can_read(officer, application, service) or application.applicant_id == officer.id:
        raise NotFound(_("Permohonan tidak ditemukan."))
    task = repository.open_task_of(session, application.id)
    if task is None or application.status is not ApplicationStatus.SUBMITTED:
        raise Conflict(_("Permohonan ini tidak sedang menunggu keputusan."))
    if not access.can_work_on(officer, task):
        raise Forbidden(_("Tahap ini dikerjakan oleh peran %(role)s.") % {"role": task.role.value})
    ui = service.eform.get("ui", {})
    errors = validate_form_data(service.eform["schema"], data, ui=ui)
    if errors:
        raise InvalidInput(
            _("Data belum disimpan. Periksa isian yang ditandai."),
            details=[{"field": f, "message": m} for f, m in errors.items()],
        )
    properties = service.eform["schema"].get("properties", {})
    before = answers.answers_in_full(application)
    changed = [
        str(properties.get(key, {}).get("title", key))
        for key in dict.fromkeys([*before, *data])
        if before.get(key) != data.get(key)
    ]
    answers.store_answers(session, application, service, dict(data))
    # The history says which answers changed (their questions), so the citizen can see it.
    summary = _("Diubah: %(fields)s.") % {"fields": ", ".join(changed)} if changed else ""
    record_event(
        session,
        application,
        actor=officer,
        action="update",
        from_status=application.status,
        note=" ".join(f"{summary} {note}".split())[:MAX_NOTE],
    )
    return application


def can_assign(user: User, task: Task) -> bool:
    """An agency's admin OPD hands its tasks to officers."""
    return any(
        r.agency_id == task.agency_id and r.role is StaffRoleName.ADMIN_OPD for r in user.roles
    )


def assignable_officers(session: Session, region: Region, task: Task) -> Sequence[User]:
    """Officers who hold the role the task's step needs, in the task's agency."""
    return accounts_service.officers_with_role(session, region, task.agency_id, task.role.value)


def assign_task(
    session: Session, region: Region, manager: User, task_id: uuid.UUID, officer_id: uuid.UUID
) -> Task:
    """Give an open task to a named officer who holds the step's role (admin OPD only)."""
    task = repository.get_task(session, region.id, task_id, for_update=True)
    if task is None or not access.is_officer_of(manager, task.agency_id):
        raise NotFound(_("Tugas tidak ditemukan."))
    if not can_assign(manager, task):
        raise Forbidden(_("Hanya admin OPD yang dapat menugaskan petugas."))
    if task.status is not TaskStatus.OPEN:
        raise Conflict(_("Tugas ini sudah selesai."))
    officer = next(
        (o for o in assignable_officers(session, region, task) if o.id == officer_id), None
    )
    if officer is None:
        raise InvalidInput(
            _("Petugas ini tidak memegang peran untuk tahap ini."),
            details=[
                {
                    "field": "officer",
                    "message": _("Pilih petugas dengan peran %(role)s.")
                    % {"role": task.role.value},
                }
            ],
        )
    before = accounts_service.user_by_id(session, region, task.assignee_id)
    application, _service = _refuse_four_eyes_assignment(session, region, officer, task)
    task.assignee_id = officer.id
    task.claimed_at = utcnow()
    # The history says from whom to whom (decision 0047).
    record_event(
        session,
        application,
        actor=manager,
        action="assign",
        from_status=application.status,
        note=_("Dari %(before)s kepada %(after)s.")
        % {
            "before": before.full_name if before else _("antrean instansi"),
            "after": officer.full_name,
        },
        step=task.step,
    )
    return task


def _refuse_four_eyes_assignment(
    session: Session, region: Region, officer: User, task: Task
) -> tuple[Application, Service]:
    """An admin may not hand an approving step to the officer who verified (four eyes)."""
    application = repository.get_application(session, region.id, task.application_id)
    assert application is not None
    service = repository.get_service_of(session, application)
    refusal = four_eyes_refusal(session, application, service, task.step, officer)
    if refusal:
        raise InvalidInput(refusal, details=[{"field": "officer", "message": refusal}])
    return application, service


# -- what an officer may do on a file, and which services their inbox filters by -------------


@dataclass(frozen=True)
class OfficerChoices:
    """What the officer viewing a file may do there now."""

    #: The file waits at a step of the officer's role in their agency (``access.can_work_on``).
    can_act: bool
    #: The step's actions (approve, return, reject), empty when nothing waits.
    actions: Sequence[str]
    #: Approving would complete the application (no step follows).
    final_step: bool
    #: Officers the agency's admin may hand the task to (empty unless the viewer may assign).
    assignees: Sequence[User]
    #: The step the file waits at (its kind says what ``_step_work.html`` asks for).
    step: WorkflowStep | None = None
    #: Why four eyes keeps this officer from deciding here (then ``can_act`` is False).
    four_eyes_refusal: str | None = None


def officer_choices(
    session: Session, region: Region, officer: User, view: ApplicationFile
) -> OfficerChoices:
    task = view.open_task
    if task is None:
        return OfficerChoices(can_act=False, actions=(), final_step=False, assignees=())
    workflow = workflow_of(view.service)
    step = workflow.step(task.step)
    may_work = access.can_work_on(officer, task)
    refusal = (
        four_eyes_refusal(session, view.application, view.service, task.step, officer)
        if may_work
        else None
    )
    return OfficerChoices(
        can_act=may_work and refusal is None,
        actions=tuple(step.actions) if step else (),
        final_step=workflow.next_step(task.step) is None,
        assignees=tuple(
            o
            for o in assignable_officers(session, region, task)
            if four_eyes_refusal(session, view.application, view.service, task.step, o) is None
        )
        if can_assign(officer, task)
        else (),
        step=step,
        four_eyes_refusal=refusal,
    )


def inbox_services(session: Session, region: Region, officer: User) -> list[Service]:
    """The services of the officer's agencies, for the inbox's filter."""
    agencies = {r.agency_id for r in officer.roles}
    return [s for s in catalogue_service.every_service(session, region) if s.agency_id in agencies]
