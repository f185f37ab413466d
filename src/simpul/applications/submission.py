"""Applying: drafts, documents, submission (with idempotency), resubmission after revision."""

from __future__ import annotations

import json
import secrets
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import answers, repository
from simpul.applications.eform import hidden_character_errors
from simpul.applications.eform import validate as validate_form_data
from simpul.applications.files import StoredFile, safe_filename
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Document,
    Task,
)
from simpul.applications.notices import notify_applicant
from simpul.applications.sla import WorkingCalendar
from simpul.applications.upload_requirements import (
    files_allowed,
    requirement_named,
    takes_several,
)
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.catalogue.standard import Workflow, WorkflowStep
from simpul.core import i18n
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _, ngettext
from simpul.core.kit.periods import today_in
from simpul.core.models import Region, utcnow
from simpul.core.text import strip_unsafe_characters, unsafe_text_error

#: Tracking numbers avoid letters and digits people confuse (0/O, 1/I/L).
_ALPHABET: Final = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_IDEMPOTENCY_KEY = 200
#: The largest draft kept (its answers as JSON). Drafts are saved as people type, before the
#: eForm's own limits are checked, so this bounds what one draft can make the database hold.
MAX_DRAFT_BYTES: Final = 256 * 1024


class DraftTooLarge(InvalidInput):
    status_code = 413
    code = "draft_too_large"


@dataclass(frozen=True)
class Submission:
    application: Application
    #: False when an Idempotency-Key repeated an earlier submission: nothing new was made.
    created: bool
    #: For a new submission, its service and its documents (current, oldest first), as loaded
    #: while submitting: the answer needs no second look-up. None for a repeated key.
    service: Service | None = None
    documents: Sequence[Document] | None = None


# -- helpers shared with the workflow ----------------------------------------------------


def calendar_for(session: Session, region: Region) -> WorkingCalendar:
    """Working days of the region: weekends, national holidays and its cuti bersama."""
    return WorkingCalendar(repository.collective_leave_days(session, region.id))


def workflow_of(service: Service) -> Workflow:
    return Workflow.model_validate(service.workflow)


def record_event(
    session: Session,
    application: Application,
    *,
    actor: User | None,
    action: str,
    from_status: ApplicationStatus | None,
    note: str = "",
    actor_label: str | None = None,
    step: str | None = None,
) -> None:
    """Append a step to the application's history (never updated or deleted).

    ``step`` is the workflow step the event happened at (default: the current one).
    """
    repository.add(
        session,
        ApplicationEvent(
            region_id=application.region_id,
            application_id=application.id,
            actor_id=actor.id if actor else None,
            actor_label=actor_label or (actor.full_name if actor else "sistem"),
            action=action,
            from_status=from_status.value if from_status else None,
            to_status=application.status.value,
            step=step or application.current_step,
            note=note,
        ),
    )


def open_task(
    session: Session, application: Application, service: Service, step: WorkflowStep
) -> Task:
    """Put the application in the inbox of the agency role that acts at ``step``."""
    assert application.due_date is not None  # set on entering the workflow
    task = Task(
        region_id=application.region_id,
        application_id=application.id,
        agency_id=service.agency_id,
        service_id=service.id,
        due_date=application.due_date,
        step=step.code,
        step_name=step.name,
        role=StaffRoleName(step.role),
    )
    application.current_step = step.code
    repository.add(session, task)
    return task


# -- drafts -------------------------------------------------------------------------------


def _require_citizen(user: User) -> None:
    if user.kind is not AccountKind.CITIZEN:
        raise Forbidden(_("Permohonan diajukan dengan akun warga."))


def _published_service(
    session: Session, region: Region, service_id_or_slug: str | uuid.UUID
) -> Service:
    if isinstance(service_id_or_slug, uuid.UUID):
        service = catalogue_service.service_by_id(session, region, service_id_or_slug)
    else:
        service = catalogue_service.published_service_by_slug(session, region, service_id_or_slug)
    if service is None or not service.published:
        raise NotFound(_("Layanan tidak ditemukan di wilayah ini."))
    if not service.online:
        raise Conflict(_("Layanan ini belum bisa diajukan secara daring."))
    return service


def new_tracking_number(session: Session, region: Region, now: datetime) -> str:
    """A short number the citizen can read over the phone: 2611-7K3Q-X9MA."""
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        number = f"{now:%y%m}-{code[:4]}-{code[4:]}"
        if not repository.tracking_number_exists(session, region.id, number):
            return number


def start_draft(
    session: Session, region: Region, applicant: User, service_slug: str
) -> Application:
    """Open a draft for the service, or return the draft the citizen already has for it."""
    _require_citizen(applicant)
    service = _published_service(session, region, service_slug)
    items, _total = repository.list_applications_of_applicant(
        session, region.id, applicant.id, limit=50, offset=0
    )
    for existing in items:
        if existing.service_id == service.id and existing.status is ApplicationStatus.DRAFT:
            return existing
    now = utcnow()
    application = Application(
        id=uuid.uuid4(),
        region_id=region.id,
        service_id=service.id,
        applicant_id=applicant.id,
        tracking_number=new_tracking_number(session, region, now),
        status=ApplicationStatus.DRAFT,
        application_name=service.name,
        data={},
    )
    repository.add(session, application)
    session.flush()
    record_event(session, application, actor=applicant, action="draft", from_status=None)
    return application


def get_own_application(
    session: Session,
    region: Region,
    applicant: User,
    application_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Application:
    """The applicant's own application; someone else's is reported as not found."""
    application = repository.get_application(
        session, region.id, application_id, for_update=for_update
    )
    if application is None or application.applicant_id != applicant.id:
        raise NotFound(_("Permohonan tidak ditemukan."))
    return application


def _editable(application: Application) -> None:
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        raise Conflict(_("Permohonan ini sedang diproses dan tidak bisa diubah."))


def save_draft(
    session: Session,
    region: Region,
    applicant: User,
    application_id: uuid.UUID,
    data: dict[str, Any],
) -> Application:
    """Keep what the citizen typed so far, even if incomplete (but never hidden characters:
    a field holding a NUL or a bidirectional control is refused and nothing is kept; nor a
    draft over ``MAX_DRAFT_BYTES``: 413)."""
    application = get_own_application(session, region, applicant, application_id, for_update=True)
    _editable(application)
    service = repository.get_service_of(session, application)
    size = len(json.dumps(data, ensure_ascii=False).encode())
    if size > MAX_DRAFT_BYTES:
        raise DraftTooLarge(
            _(
                "Draf belum disimpan: isiannya terlalu panjang (paling banyak %(kb)d KB). "
                "Persingkat isian yang panjang."
            )
            % {"kb": MAX_DRAFT_BYTES // 1024}
        )
    hidden = hidden_character_errors(service.eform["schema"], data)
    if hidden:
        raise InvalidInput(
            _("Draf belum disimpan. Periksa isian yang ditandai."),
            details=[{"field": path, "message": message} for path, message in hidden.items()],
        )
    answers.store_answers(session, application, service, data)
    return application


def attach_document(
    session: Session,
    region: Region,
    applicant: User,
    application_id: uuid.UUID,
    requirement_code: str,
    stored: StoredFile,
    filename: str,
) -> Document:
    """Attach an uploaded file to a requirement: an earlier file for it is marked replaced,
    or, for a requirement that takes several files, this one is added up to its limit."""
    application = get_own_application(session, region, applicant, application_id, for_update=True)
    _editable(application)
    service = repository.get_service_of(session, application)
    requirement = requirement_named(service.required_documents, requirement_code)
    if requirement is None:
        raise InvalidInput(
            _("Dokumen ini tidak diminta oleh layanan."),
            details=[
                {"field": "requirement", "message": _("Pilih salah satu dokumen persyaratan.")}
            ],
        )
    now = utcnow()
    if takes_several(requirement):
        # The row lock on the application (above) makes parallel uploads count one by one.
        held = sum(
            1
            for d in repository.current_documents(session, application.id)
            if d.requirement_code == requirement_code
        )
        limit = files_allowed(requirement)
        if held >= limit:
            message = _too_many_files(requirement, limit)
            raise InvalidInput(
                message, details=[{"field": f"documents.{requirement_code}", "message": message}]
            )
    else:
        repository.replace_documents(session, application.id, requirement_code, now)
    document = _document_row(region, applicant, stored, filename, application.id, requirement_code)
    repository.add(session, document)
    return document


def _too_many_files(requirement: Mapping[str, Any], limit: int) -> str:
    return ngettext(
        "%(name)s paling banyak %(n)d berkas. Hapus salah satu berkas dulu.",
        "%(name)s paling banyak %(n)d berkas. Hapus salah satu berkas dulu.",
        limit,
    ) % {"name": requirement.get("name", requirement.get("code")), "n": limit}


def remove_document(
    session: Session,
    region: Region,
    applicant: User,
    application_id: uuid.UUID,
    document_id: uuid.UUID,
) -> Document:
    """Take a file off the applicant's draft (or returned) application. The row stays, marked
    replaced, as a replaced upload does; someone else's file is reported as not found."""
    application = get_own_application(session, region, applicant, application_id, for_update=True)
    _editable(application)
    document = repository.get_document(session, region.id, document_id)
    if (
        document is None
        or document.application_id != application.id
        or document.owner_id != applicant.id
        or document.requirement_code is None
        or document.replaced_at is not None
    ):
        raise NotFound(_("Dokumen tidak ditemukan."))
    document.replaced_at = utcnow()
    return document


def upload_unattached(
    session: Session, region: Region, owner: User, stored: StoredFile, filename: str
) -> Document:
    """A file uploaded ahead of a submission (GovStack /documents); attached when submitted."""
    document = _document_row(region, owner, stored, filename, None, None)
    repository.add(session, document)
    session.flush()
    return document


def _document_row(
    region: Region,
    owner: User,
    stored: StoredFile,
    filename: str,
    application_id: uuid.UUID | None,
    requirement_code: str | None,
) -> Document:
    return Document(
        id=uuid.uuid4(),
        region_id=region.id,
        owner_id=owner.id,
        application_id=application_id,
        requirement_code=requirement_code,
        filename=strip_unsafe_characters(safe_filename(filename))[:200],
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )


# -- submitting ---------------------------------------------------------------------------


def _problems(
    service: Service, data: dict[str, Any], present: Sequence[str | None]
) -> list[dict[str, str]]:
    """What stops a submission: eForm fields, then missing required documents and more files
    than a requirement takes (``present``: the requirement code of each document)."""
    ui = service.eform.get("ui", {})
    errors = [
        {"field": path, "message": message}
        for path, message in validate_form_data(service.eform["schema"], data, ui=ui).items()
    ]
    errors.extend(
        {
            "field": f"documents.{requirement['code']}",
            "message": _("Unggah %(name)s.") % {"name": requirement["name"]},
        }
        for requirement in service.required_documents
        if requirement.get("required", True) and requirement["code"] not in present
    )
    counts = Counter(present)
    errors.extend(
        {
            "field": f"documents.{requirement['code']}",
            "message": _too_many_files(requirement, files_allowed(requirement)),
        }
        for requirement in service.required_documents
        if takes_several(requirement) and counts[requirement["code"]] > files_allowed(requirement)
    )
    return errors


def _enter_workflow(
    session: Session, region: Region, application: Application, service: Service, now: datetime
) -> None:
    calendar = calendar_for(session, region)
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.due_date = calendar.add_working_days(
        today_in(region, now), service.sla_working_days
    )
    open_task(session, application, service, workflow_of(service).steps[0])


def submit(
    session: Session, region: Region, applicant: User, application_id: uuid.UUID
) -> Application:
    """Send a draft to the agency, or send a returned application back after revision."""
    application = get_own_application(session, region, applicant, application_id, for_update=True)
    _editable(application)
    service = repository.get_service_of(session, application)
    documents = repository.current_documents(session, application.id)
    errors = _problems(
        service, answers.answers_in_full(application), [d.requirement_code for d in documents]
    )
    if errors:
        raise InvalidInput(
            _("Permohonan belum bisa dikirim. Periksa isian yang ditandai."), details=errors
        )
    now = utcnow()
    before = application.status
    if before is ApplicationStatus.DRAFT:
        _enter_workflow(session, region, application, service, now)
        record_event(session, application, actor=applicant, action="submit", from_status=before)
        notify_applicant(
            session, application, "submitted", service=service.name, due=_date(application.due_date)
        )
        return application
    # Back from revision: the days spent with the citizen do not count against the agency.
    calendar = calendar_for(session, region)
    assert application.paused_at is not None
    assert application.due_date is not None
    waited = calendar.working_days_between(
        today_in(region, application.paused_at), today_in(region, now)
    )
    application.due_date = calendar.add_working_days(application.due_date, waited)
    application.paused_working_days += waited
    application.paused_at = None
    application.status = ApplicationStatus.SUBMITTED
    step = workflow_of(service).step(application.current_step) or workflow_of(service).steps[0]
    task = open_task(session, application, service, step)
    record_event(session, application, actor=applicant, action="resubmit", from_status=before)
    holder = _holder_for_resubmission(session, region, application, task)
    if holder is not None:
        # Back in the hands of the officer who asked for the revision: they know what they
        # asked for. The history says so (an assignment by the system, naming them).
        task.assignee_id = holder.id
        task.claimed_at = now
        record_event(
            session,
            application,
            actor=None,
            action="assign",
            from_status=application.status,
            note=holder.full_name,
        )
    notify_applicant(session, application, "resubmitted", due=_date(application.due_date))
    return application


def _holder_for_resubmission(
    session: Session, region: Region, application: Application, task: Task
) -> User | None:
    """Who gets the task of a resubmitted application: the officer who returned it (the last
    task decided with RETURN), if that account is still active and still holds the step's role
    in the agency; None sends it to the shared pool.

    While that officer is away, their stand-in (``delegation.holder_for``, decision 0047).
    """
    returning = repository.last_returning_task(session, application.id)
    if returning is None or returning.assignee_id is None:
        return None
    officers = accounts_service.officers_with_role(session, region, task.agency_id, task.role.value)
    returned_by = next((o for o in officers if o.id == returning.assignee_id), None)
    if returned_by is None:
        return None
    from simpul.applications import delegation  # delegation imports this module

    return delegation.holder_for(session, region, returned_by, task)


def submit_new(
    session: Session,
    region: Region,
    applicant: User,
    service_id: uuid.UUID,
    data: dict[str, Any],
    *,
    document_ids: Sequence[uuid.UUID] = (),
    idempotency_key: str | None = None,
    application_name: str | None = None,
    channel: str = "api",
    client_identity: str | None = None,
) -> Submission:
    """Submit in one call (the API). A repeated Idempotency-Key returns the first result."""
    _require_citizen(applicant)
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidInput(
                _("Idempotency-Key harus 1-200 karakter."),
                details=[{"field": "Idempotency-Key", "message": _("Panjang tidak sesuai.")}],
            )
        hidden_key = unsafe_text_error(
            idempotency_key, field="Idempotency-Key", label="Idempotency-Key"
        )
        if hidden_key:
            raise InvalidInput(hidden_key["message"], details=[hidden_key])
        repository.lock_idempotency_key(session, applicant.id, idempotency_key)
        earlier = repository.get_application_by_idempotency_key(
            session, applicant.id, idempotency_key
        )
        if earlier is not None:
            return Submission(earlier, created=False)
    service = _published_service(session, region, service_id)
    hidden_name = unsafe_text_error(
        application_name or "", field="applicationName", label="applicationName"
    )
    if hidden_name:
        raise InvalidInput(hidden_name["message"], details=[hidden_name])
    order = {document_id: n for n, document_id in enumerate(document_ids)}
    documents = sorted(
        repository.unattached_documents_of(session, applicant.id, document_ids),
        key=lambda d: order[d.id],
    )
    if len(documents) != len(set(document_ids)):
        raise InvalidInput(
            _("Dokumen tidak ditemukan atau sudah dipakai permohonan lain."),
            details=[
                {"field": "documentUrls", "message": _("Unggah dokumen lagi lewat /documents.")}
            ],
        )
    codes = _requirement_codes(service, documents)
    errors = _problems(service, data, codes)
    if errors:
        raise InvalidInput(
            _("Permohonan belum bisa dikirim. Periksa isian yang ditandai."), details=errors
        )
    # Everything the new row holds is known before it is written: one INSERT of the whole
    # application (answers, status, due date, step), then its task, event, identifiers and
    # the documents' links in one more flush. Another request with the same key waits on the
    # lock above until this transaction ends, so no insert of the same key races this one.
    now = utcnow()
    step = workflow_of(service).steps[0]
    application = Application(
        id=uuid.uuid4(),
        region_id=region.id,
        service_id=service.id,
        applicant_id=applicant.id,
        tracking_number=new_tracking_number(session, region, now),
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        due_date=calendar_for(session, region).add_working_days(
            today_in(region, now), service.sla_working_days
        ),
        current_step=step.code,
        application_name=(application_name or service.name)[:200],
        idempotency_key=idempotency_key,
        channel=channel,
        client_identity=client_identity,
    )
    identifiers = answers.set_answers(application, service, data)
    repository.add(session, application)
    session.flush()  # the application alone first: every row below refers to it
    answers.add_identifiers(session, application, identifiers)
    for document, code in zip(documents, codes, strict=True):
        document.application_id = application.id
        document.requirement_code = code
    open_task(session, application, service, step)
    record_event(session, application, actor=applicant, action="submit", from_status=None)
    notify_applicant(
        session, application, "submitted", service=service.name, due=_date(application.due_date)
    )
    session.flush()
    current = sorted(documents, key=lambda d: d.created_at)
    return Submission(application, created=True, service=service, documents=current)


def _requirement_codes(service: Service, documents: Sequence[Document]) -> list[str | None]:
    """The requirement each document fills. API uploads carry none: they fill the service's
    requirements in the order the client listed them (``documentUrls``)."""
    codes = [d["code"] for d in service.required_documents]
    return [
        document.requirement_code
        if document.requirement_code is not None
        else (codes[n] if n < len(codes) else None)
        for n, document in enumerate(documents)
    ]


def _date(value: date | None) -> str:
    return i18n.format_date(value) if value else "-"
