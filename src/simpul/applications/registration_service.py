"""The use cases behind the GovStack Registration BB API (``registration_api``).

The rules of applying and deciding stay in ``submission`` and ``workflow``; this module adds
only what the API needs on top of them: who lists which files and tasks, paging, the spec's
decisions (APPROVED / SENDBACK / REJECTED) and document URLs, and an audit record of each
operator action taken through the API with the caller's Information Mediator identity.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications import access, answers, listing, repository, submission, workflow
from simpul.applications.models import Application, Document, Task, TaskOutcome
from simpul.applications.steps import StepInputs
from simpul.catalogue import service as catalogue_service
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.errors import Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region

MAX_PAGE_SIZE: Final = 100
MAX_LIST_OFFSET: Final = listing.MAX_LIST_OFFSET
T = TypeVar("T")
DEFAULT_PAGE_SIZE: Final = 20


class Decision(enum.StrEnum):
    APPROVED = "APPROVED"
    SENDBACK = "SENDBACK"
    REJECTED = "REJECTED"


_OUTCOMES: Final = {
    Decision.APPROVED: TaskOutcome.APPROVE,
    Decision.SENDBACK: TaskOutcome.RETURN,
    Decision.REJECTED: TaskOutcome.REJECT,
}


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int
    newest_first: bool
    #: The ``cursor`` extension: continue after the last row of the page that gave it.
    cursor: str | None = None


@dataclass(frozen=True)
class FileView:
    """An application file as the API shows it."""

    application: Application
    service: Service
    documents: Sequence[Document]
    #: The form data as the caller may read it (``answers.answers_for``).
    answers: dict[str, Any]


@dataclass(frozen=True)
class TaskView:
    task: Task
    application: Application
    service: Service
    answers: dict[str, Any]


@dataclass(frozen=True)
class CompletedTask:
    task: Task
    application: Application
    #: The task the decision opened (the next workflow step), if any.
    next_task: Task | None


def paging(
    first_result: int | None,
    max_result: int | None,
    sort_by: str | None,
    sort_order: str | None,
    cursor: str | None = None,
) -> Paging:
    """Check the spec's paging and sorting parameters; only ``created`` can be sorted by.
    ``cursor`` (Simpul's extension, decision 0035) continues a list past ``firstResult``'s
    bound; it cannot be combined with ``firstResult``."""
    offset = 0 if first_result is None else first_result
    limit = DEFAULT_PAGE_SIZE if max_result is None else max_result
    errors = []
    if not 0 <= offset <= MAX_LIST_OFFSET:
        errors.append(
            {
                "field": "firstResult",
                "message": _("Nilai harus 0 sampai %(n)d.") % {"n": MAX_LIST_OFFSET},
            }
        )
    elif cursor and offset:
        errors.append(
            {
                "field": "firstResult",
                "message": _("Gunakan cursor atau firstResult, tidak keduanya."),
            }
        )
    if not 1 <= limit <= MAX_PAGE_SIZE:
        errors.append({"field": "maxResult", "message": _("Nilai harus 1 sampai 100.")})
    if sort_by not in (None, "created"):
        errors.append({"field": "sortBy", "message": _("Urutan hanya bisa menurut created.")})
    if sort_order not in (None, "asc", "desc"):
        errors.append({"field": "sortOrder", "message": _("Isi asc atau desc.")})
    if errors:
        raise InvalidInput(_("Parameter halaman tidak valid."), details=errors)
    return Paging(offset, limit, newest_first=sort_order != "asc", cursor=cursor or None)


def _keyset(kind: str, page: Paging) -> repository.Keyset:
    return listing.keyset(
        kind,
        page.cursor,
        field="cursor",
        limit=page.limit,
        offset=page.offset,
        descending=page.newest_first,
    )


@dataclass(frozen=True)
class ListPage(Generic[T]):
    rows: list[T]
    #: How many rows the list holds, counted up to ``listing.COUNT_BOUND + 1``.
    total: int
    #: The cursor of the next page, None on the last.
    next_cursor: str | None


class _MatchesNothing(Exception):
    """A filter value that cannot name any row (the specification types these filters as
    plain strings): the list is empty, not an error."""


def _id_filter(raw: str | None) -> uuid.UUID | None:
    """An ID filter: None when not given; raises ``_MatchesNothing`` for a non-UUID."""
    if raw is None or not raw.strip():
        return None
    try:
        return uuid.UUID(raw.strip())
    except ValueError:
        raise _MatchesNothing from None


def _require_operator(user: User) -> list[tuple[uuid.UUID, str]]:
    roles = access.agency_roles(user)
    if not roles:
        raise Forbidden(_("Tugas hanya untuk petugas instansi."))
    return roles


def _audit(
    session: Session,
    region: Region,
    user: User,
    action: str,
    application: Application,
    client_identity: str | None,
    **details: str,
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action=action,
        target_type="application",
        target_id=str(application.id),
        details={"channel": "api", "client": client_identity, **details},
    )


# -- services -----------------------------------------------------------------------------


def published_services(session: Session, region: Region, name: str | None) -> list[Service]:
    """Published services whose name contains ``name`` (any case), in name order."""
    wanted = " ".join((name or "").split()).casefold()
    services = catalogue_service.all_published_services(session, region)
    return [s for s in services if wanted in s.name.casefold()]


def published_service(session: Session, region: Region, service_id: uuid.UUID) -> Service:
    service = catalogue_service.service_by_id(session, region, service_id)
    if service is None or not service.published:
        raise NotFound(_("Layanan tidak ditemukan di wilayah ini."))
    return service


def published_eform(session: Session, region: Region, eform_id: uuid.UUID) -> Service:
    """The service whose eForm this is (a service has exactly one eForm, with its id)."""
    service = catalogue_service.service_by_id(session, region, eform_id)
    if service is None or not service.published:
        raise NotFound(_("Formulir tidak ditemukan."))
    return service


# -- application files --------------------------------------------------------------------


def _document_ids(region: Region, urls: Sequence[str]) -> list[uuid.UUID]:
    """IDs from URLs answered by ``POST /documents`` (absolute or not), or bare IDs."""
    prefix = f"/api/{region.slug}/registration/documents/"
    ids: list[uuid.UUID] = []
    errors = []
    for position, url in enumerate(urls):
        path = urlsplit(url.strip()).path
        raw = path.removeprefix(prefix) if path.startswith(prefix) else path
        try:
            document_id = uuid.UUID(raw)
        except ValueError:
            errors.append(
                {
                    "field": f"documentUrls.{position}",
                    "message": _("Pakai URL dari jawaban POST /documents."),
                }
            )
            continue
        if document_id not in ids:
            ids.append(document_id)
    if errors:
        raise InvalidInput(_("Ada URL dokumen yang tidak dikenal."), details=errors)
    return ids


def submit_file(
    session: Session,
    region: Region,
    applicant: User,
    service_id: uuid.UUID,
    *,
    applicant_id: str,
    data: Mapping[str, Any],
    eform_id: str | None,
    document_urls: Sequence[str],
    application_name: str | None,
    idempotency_key: str | None,
    client_identity: str | None,
) -> tuple[FileView, bool]:
    """Submit in one call for the calling citizen; True when this call created the file.

    A repeated Idempotency-Key returns the first file and creates nothing.
    """
    if applicant_id.strip() != str(applicant.id):
        raise Forbidden(_("applicantId harus ID akun Anda sendiri."))
    if eform_id and eform_id.strip() != str(service_id):
        raise InvalidInput(
            _("Formulir ini bukan milik layanan yang dipilih."),
            details=[{"field": "formData.eFormId", "message": _("Isi dengan ID layanan.")}],
        )
    result = submission.submit_new(
        session,
        region,
        applicant,
        service_id,
        dict(data),
        document_ids=_document_ids(region, document_urls),
        idempotency_key=idempotency_key,
        application_name=application_name,
        channel="api",
        client_identity=client_identity,
    )
    application = result.application
    return FileView(
        application,
        result.service or repository.get_service_of(session, application),
        repository.current_documents(session, application.id)
        if result.documents is None
        else result.documents,
        answers.answers_in_full(application),  # the applicant's own answers
    ), result.created


def _view(
    session: Session,
    region: Region,
    reader: User,
    application: Application,
    client_identity: str | None,
) -> FileView:
    service = repository.get_service_of(session, application)
    shown = answers.answers_for(
        session, region, reader, application, service, via="api", client_identity=client_identity
    )
    return FileView(
        application,
        service,
        repository.current_documents(session, application.id),
        shown.data,
    )


def read_file(
    session: Session,
    region: Region,
    user: User,
    file_id: uuid.UUID,
    *,
    client_identity: str | None = None,
) -> FileView:
    """The applicant's own file or one of an officer's agency (the read is audited).

    Personal answers are whole for the applicant and the officers at the file's current step
    (recorded, with the calling system), masked for other officers (``answers``).
    """
    file = workflow.read_application(session, region, user, file_id)
    return _view(session, region, user, file.application, client_identity)


@dataclass(frozen=True)
class FilePage:
    rows: list[repository.ApplicationListRow]
    documents: Mapping[uuid.UUID, Sequence[Document]]
    #: How many files the list holds, counted up to ``listing.COUNT_BOUND + 1``.
    total: int
    next_cursor: str | None = None


def list_files(
    session: Session,
    region: Region,
    user: User,
    *,
    service_id: uuid.UUID | None,
    applicant_id: str | None,
    page: Paging,
) -> FilePage:
    """A citizen's own files, or an officer's: those of the services of their agencies.
    An ``applicantId`` that names nobody (or, for a citizen, someone else) lists nothing."""
    keyset = _keyset("files", page)  # a bad cursor is refused even when nothing matches
    nothing = FilePage([], {}, 0)
    if user.kind is AccountKind.CITIZEN:
        agency_ids = None
    else:
        roles = access.agency_roles(user)
        if not roles:
            raise Forbidden(_("Permohonan hanya bisa dilihat pemohon dan petugas instansi."))
        agency_ids = sorted({agency for agency, _role in roles})
    try:
        wanted_applicant = _id_filter(applicant_id)
    except _MatchesNothing:
        return nothing
    if agency_ids is None:
        if wanted_applicant not in (None, user.id):
            return nothing
        wanted_applicant = user.id
    found, total = repository.list_application_rows(
        session,
        region.id,
        applicant_id=wanted_applicant,
        agency_ids=agency_ids,
        service_id=service_id,
        page=keyset,
    )
    documents = repository.current_documents_of_applications(
        session, [r.application.id for r in found.rows]
    )
    next_cursor = listing.cursor_after("files", found.next_after, descending=page.newest_first)
    return FilePage(found.rows, documents, total, next_cursor)


def update_file(
    session: Session,
    region: Region,
    officer: User,
    file_id: uuid.UUID,
    *,
    applicant_id: str,
    data: Mapping[str, Any],
    client_identity: str | None,
) -> FileView:
    """An officer corrects the form data of a file waiting at their step (``workflow``)."""
    _require_operator(officer)
    application = workflow.update_data_as_officer(session, region, officer, file_id, dict(data))
    if applicant_id.strip() != str(application.applicant_id):
        # Raised after the update so a stranger learns nothing; the request rolls back.
        raise InvalidInput(
            _("applicantId tidak sesuai dengan pemohon berkas ini."),
            details=[{"field": "applicantId", "message": _("Isi dengan ID pemohon berkas.")}],
        )
    _audit(session, region, officer, "application.update", application, client_identity)
    return _view(session, region, officer, application, client_identity)


# -- tasks --------------------------------------------------------------------------------


def list_tasks(
    session: Session,
    region: Region,
    officer: User,
    *,
    main_task_id: str | None,
    file_id: str | None,
    assignee_id: str | None,
    page: Paging,
) -> ListPage[repository.InboxRow]:
    """Tasks (open and done) at the steps of the officer's roles in their agencies; a filter
    that names no task, file or officer lists nothing."""
    roles = _require_operator(officer)
    keyset = _keyset("tasks", page)  # a bad cursor is refused even when nothing matches
    try:
        task_id, application_id, wanted_assignee = (
            _id_filter(raw) for raw in (main_task_id, file_id, assignee_id)
        )
    except _MatchesNothing:
        return ListPage([], 0, None)  # a filter that names nothing (any string is a valid filter)
    found, total = repository.list_visible_tasks(
        session,
        region.id,
        roles,
        task_id=task_id,
        application_id=application_id,
        assignee_id=wanted_assignee,
        page=keyset,
    )
    next_cursor = listing.cursor_after("tasks", found.next_after, descending=page.newest_first)
    return ListPage(found.rows, total, next_cursor)


def read_task(
    session: Session,
    region: Region,
    officer: User,
    task_id: uuid.UUID,
    *,
    client_identity: str | None = None,
) -> TaskView:
    """A task of the officer's agency with the application's data (the read is audited;
    personal answers as in ``read_file``)."""
    _require_operator(officer)
    task = repository.get_task(session, region.id, task_id)
    if task is None or not access.is_officer_of(officer, task.agency_id):
        raise NotFound(_("Tugas tidak ditemukan."))
    file = workflow.read_application(session, region, officer, task.application_id)
    view = _view(session, region, officer, file.application, client_identity)
    return TaskView(task, file.application, file.service, view.answers)


def complete_task(
    session: Session,
    region: Region,
    officer: User,
    task_id: uuid.UUID,
    variables: Mapping[str, Any],
    *,
    client_identity: str | None,
) -> CompletedTask:
    """Decide a task: ``{"decision": "APPROVED"|"SENDBACK"|"REJECTED", "comment": "..."}``.

    SENDBACK and REJECTED need a comment the applicant can act on (``workflow.act_on_task``).
    A step that asks for more takes it here too, under the same rules as the page (decision
    0042): ``entries`` (a data-entry step's fields by code), ``visitDate`` and ``visitNotes``
    (a field check; photos only through the page), ``paymentReference`` and ``paymentAmount``.
    """
    _require_operator(officer)
    raw_decision = variables.get("decision")
    comment = variables.get("comment")
    comment = "" if comment is None else comment
    errors = []
    try:
        decision = Decision(str(raw_decision).strip().upper())
    except ValueError:
        errors.append(
            {"field": "data.decision", "message": _("Isi APPROVED, SENDBACK atau REJECTED.")}
        )
    if not isinstance(comment, str):
        errors.append({"field": "data.comment", "message": _("Isi dengan teks.")})
    inputs, input_errors = _step_inputs(variables)
    errors.extend(input_errors)
    if errors:
        raise InvalidInput(_("Keputusan tidak valid."), details=errors)
    try:
        application = workflow.act_on_task(
            session, region, officer, task_id, _OUTCOMES[decision], comment, inputs=inputs
        )
    except InvalidInput as error:
        # The workflow names the reason "note" and the step's inputs as the page's form does;
        # this API calls them data.comment, data.entries.<code>, data.visitDate...
        details = [{**d, "field": _api_field(str(d.get("field", "")))} for d in error.details]
        raise InvalidInput(error.message, details=details) from None
    _audit(
        session,
        region,
        officer,
        "application.decide",
        application,
        client_identity,
        task=str(task_id),
        decision=decision.value,
    )
    task = repository.get_task(session, region.id, task_id)
    assert task is not None
    return CompletedTask(task, application, repository.open_task_of(session, application.id))


#: The step inputs' names in this API (camelCase, like its other fields) and on the page.
_INPUT_FIELDS: Final = {
    "visitDate": "visit_date",
    "visitNotes": "visit_notes",
    "paymentReference": "payment_reference",
    "paymentAmount": "payment_amount",
}


def _api_field(field: str) -> str:
    if field == "note":
        return "data.comment"
    if field.startswith("entries") or field == "photos":
        return f"data.{field}"
    named = {page: api for api, page in _INPUT_FIELDS.items()}
    return f"data.{named[field]}" if field in named else field


def _step_inputs(variables: Mapping[str, Any]) -> tuple[StepInputs, list[dict[str, str]]]:
    """The step inputs a task's variables carry, and what is wrong with their shapes."""
    errors: list[dict[str, str]] = []
    raw_entries = variables.get("entries", {})
    entries: dict[str, str] = {}
    if not isinstance(raw_entries, Mapping):
        errors.append({"field": "data.entries", "message": _("Isi dengan pasangan kode dan teks.")})
    else:
        entries = dict(raw_entries)
    texts: dict[str, str] = {}
    for api_name, page_name in _INPUT_FIELDS.items():
        value = variables.get(api_name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append({"field": f"data.{api_name}", "message": _("Isi dengan teks.")})
            value = ""
        texts[page_name] = value
    if "photos" in variables:
        errors.append(
            {
                "field": "data.photos",
                "message": _("Foto peninjauan diunggah lewat halaman petugas, bukan lewat API."),
            }
        )
    inputs = StepInputs(
        entries=entries,
        visit_date=texts["visit_date"],
        visit_notes=texts["visit_notes"],
        payment_reference=texts["payment_reference"],
        payment_amount=texts["payment_amount"],
    )
    return inputs, errors
