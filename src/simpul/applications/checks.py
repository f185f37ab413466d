"""The decision screen's rules: per-item checks, what a return lists, the applicant panel, previews.

An officer marks each requirement's document and each answer ``sesuai`` or ``tidak sesuai``
with a note (decision 0043). A return then tells the citizen exactly which items to fix, and the
citizen's pages show each note next to its item. Checks belong to the task: a resubmission
opens a new task and a fresh round, with the previous round's verdicts shown as context.
"""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, User
from simpul.applications import access, checks_repository, documents, repository
from simpul.applications.check_models import CheckTarget, RequirementCheck, Verdict
from simpul.applications.display import Answer, describe
from simpul.applications.models import Application, ApplicationStatus, Document, Task, TaskStatus
from simpul.applications.pdf_pages import MAX_PAGES, RenderFailed, render_page
from simpul.catalogue.models import Service
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.personal import PersonalKind, mask_sixteen_digit_numbers, mask_value
from simpul.core.storage import Storage
from simpul.core.text import unsafe_text_error

log = logging.getLogger(__name__)

#: The citizen's other applications the panel lists.
OTHER_APPLICATIONS: Final = 10
#: An item's note: a sentence or two the citizen reads next to the item.
MAX_ITEM_NOTE: Final = 500
#: A return's whole note, as ``workflow`` keeps officers' notes.
MAX_RETURN_NOTE: Final = 2000
_IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png"})


# -- the applicant panel ------------------------------------------------------------------------


@dataclass(frozen=True)
class OtherApplication:
    id: uuid.UUID
    tracking_number: str
    service_name: str
    status: str
    submitted_at: Any


@dataclass(frozen=True)
class ApplicantPanel:
    name: str
    masked_nik: str | None
    email: str
    #: Whole only for the officer working the step now; masked for everyone else.
    phone: str
    others: list[OtherApplication]


def applicant_panel(
    session: Session, region: Region, officer: User, application: Application, service: Service
) -> ApplicantPanel:
    """Who applied, how to reach them, and their latest other applications to this agency."""
    applicant = checks_repository.get_applicant(session, region.id, application.applicant_id)
    if applicant is None:  # composite foreign key: cannot happen while the row exists
        raise NotFound(_("Permohonan tidak ditemukan."))
    open_task = repository.open_task_of(session, application.id)
    phone = applicant.phone or ""
    if phone and not access.works_on_now(officer, open_task):
        phone = str(mask_value(PersonalKind.PHONE, phone))
    others = checks_repository.other_applications_at_agency(
        session,
        region.id,
        applicant.id,
        service.agency_id,
        excluding=application.id,
        limit=OTHER_APPLICATIONS,
    )
    return ApplicantPanel(
        name=applicant.full_name,
        masked_nik=accounts_service.masked_nik_of(applicant),
        email=applicant.email,
        phone=phone,
        others=[
            OtherApplication(
                a.id, a.tracking_number, s.name, a.status.value, a.submitted_at or a.created_at
            )
            for a, s in others
        ],
    )


# -- the review sheet: what the officer checks -------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    kind: str
    code: str
    label: str
    #: The requirement's current document (documents only; None when nothing was uploaded).
    document: Document | None = None
    #: ``image``, ``pdf`` or ``""``: how the document is previewed.
    preview: str = ""
    answer: Answer | None = None
    current: RequirementCheck | None = None
    #: The previous round's verdict on the same item (after a resubmission).
    previous: RequirementCheck | None = None


@dataclass(frozen=True)
class ReviewSheet:
    task: Task | None
    #: The officer works the step now: the check forms are shown.
    can_check: bool
    documents: list[ReviewItem] = field(default_factory=list)
    fields: list[ReviewItem] = field(default_factory=list)
    #: Field items by answer path (the answers partial looks them up).
    by_path: dict[str, ReviewItem] = field(default_factory=dict)


def _by_target(checks: Sequence[RequirementCheck]) -> dict[tuple[str, str], RequirementCheck]:
    return {(c.target_kind.value, c.target_code): c for c in checks}


def review_sheet(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    service: Service,
    current_documents: Sequence[Document],
    open_task: Task | None,
    answers: Sequence[Answer],
) -> ReviewSheet:
    """Every requirement with its document and every answer, with this round's and the previous
    round's verdicts."""
    current = _by_target(
        checks_repository.checks_of_task(session, region.id, open_task.id) if open_task else []
    )
    returned = checks_repository.last_returned_task(session, region.id, application.id)
    previous = _by_target(
        checks_repository.checks_of_task(session, region.id, returned.id)
        if returned is not None and (open_task is None or returned.id != open_task.id)
        else []
    )
    present = {d.requirement_code: d for d in current_documents}
    items = []
    for requirement in service.required_documents:
        code = str(requirement["code"])
        document = present.get(code)
        key = (CheckTarget.DOCUMENT.value, code)
        items.append(
            ReviewItem(
                kind=CheckTarget.DOCUMENT.value,
                code=code,
                label=str(requirement.get("name", code)),
                document=document,
                preview=_preview_kind(document),
                current=current.get(key),
                previous=previous.get(key),
            )
        )
    field_items: dict[str, ReviewItem] = {}
    for answer in answers:
        if not answer.path or answer.path in field_items:
            continue
        key = (CheckTarget.FIELD.value, answer.path)
        field_items[answer.path] = ReviewItem(
            kind=CheckTarget.FIELD.value,
            code=answer.path,
            label=answer.label,
            answer=answer,
            current=current.get(key),
            previous=previous.get(key),
        )
    return ReviewSheet(
        task=open_task,
        can_check=application.status is ApplicationStatus.SUBMITTED
        and access.works_on_now(officer, open_task),
        documents=items,
        fields=list(field_items.values()),
        by_path=field_items,
    )


def _preview_kind(document: Document | None) -> str:
    if document is None:
        return ""
    if document.content_type in _IMAGE_TYPES:
        return "image"
    return "pdf" if document.content_type == "application/pdf" else ""


# -- recording a check -------------------------------------------------------------------------


def _clean_item_note(note: str) -> str:
    """As ``workflow`` keeps officers' notes: no hidden characters, one line, a NIK masked."""
    hidden = unsafe_text_error(note, field="note", label=_("Catatan"))
    if hidden:
        raise InvalidInput(hidden["message"], details=[hidden])
    return mask_sixteen_digit_numbers(" ".join(note.split()))[:MAX_ITEM_NOTE]


def _answer_paths(application: Application, service: Service) -> set[str]:
    return {a.path for a in describe(service.eform["schema"], application.data) if a.path}


def record_check(
    session: Session,
    region: Region,
    officer: User,
    task_id: uuid.UUID,
    *,
    kind: str,
    code: str,
    verdict: str,
    note: str,
    document_id: uuid.UUID | None,
) -> RequirementCheck:
    """Mark one item of the task's application sesuai or tidak sesuai (with a note).

    Only the officer working the step now may check; the item must be one of the service's
    requirements (with the application's current document for it) or one of its answers.
    """
    # Locked as a decision locks it: a check never lands on a task decided meanwhile.
    task = repository.get_task(session, region.id, task_id, for_update=True)
    if task is None or not access.is_officer_of(officer, task.agency_id):
        raise NotFound(_("Tugas tidak ditemukan."))
    if task.status is not TaskStatus.OPEN:
        raise Conflict(_("Tugas ini sudah selesai."))
    if not access.works_on_now(officer, task):
        raise Forbidden(_("Hanya petugas yang sedang mengerjakan tahap ini yang dapat memeriksa."))
    application = repository.get_application(session, region.id, task.application_id)
    assert application is not None
    if application.status is not ApplicationStatus.SUBMITTED:
        raise Conflict(_("Permohonan ini tidak sedang menunggu keputusan."))
    service = repository.get_service_of(session, application)
    try:
        target = CheckTarget(kind)
    except ValueError:
        raise InvalidInput(
            _("Pilih dokumen atau isian yang diperiksa."),
            details=[{"field": "kind", "message": _("Jenis pemeriksaan tidak dikenal.")}],
        ) from None
    try:
        chosen = Verdict(verdict)
    except ValueError:
        raise InvalidInput(
            _("Pilih hasil pemeriksaan: sesuai atau tidak sesuai."),
            details=[{"field": "verdict", "message": _("Pilih sesuai atau tidak sesuai.")}],
        ) from None
    checked_document = None
    if target is CheckTarget.DOCUMENT:
        if code not in {str(r["code"]) for r in service.required_documents}:
            raise NotFound(_("Persyaratan tidak ditemukan."))
        present = {
            d.requirement_code: d for d in repository.current_documents(session, application.id)
        }
        checked_document = present.get(code)
        # The form names the document it showed: a check is about what the officer saw.
        if (checked_document.id if checked_document else None) != document_id:
            raise NotFound(_("Dokumen tidak ditemukan."))
    elif code not in _answer_paths(application, service):
        raise NotFound(_("Isian tidak ditemukan."))
    kept = _clean_item_note(note)
    if chosen is Verdict.TIDAK_SESUAI and len(kept) < 3:
        raise InvalidInput(
            _("Tulis apa yang tidak sesuai agar pemohon tahu apa yang harus diperbaiki."),
            details=[{"field": "note", "message": _("Catatan wajib diisi bila tidak sesuai.")}],
        )
    checks_repository.upsert_check(
        session,
        region_id=region.id,
        application_id=application.id,
        task_id=task.id,
        target_kind=target,
        target_code=code,
        document_id=checked_document.id if checked_document else None,
        verdict=chosen,
        note=kept,
        officer_id=officer.id,
        at=utcnow(),
    )
    found = _by_target(checks_repository.checks_of_task(session, region.id, task.id))
    return found[(target.value, code)]


# -- a return lists the items ------------------------------------------------------------------


def _field_label(schema: Mapping[str, Any], path: str) -> str:
    """``Anak 1 › Nama`` for ``anak.0.nama``: the answer as the form titles it."""
    parts: list[str] = []
    node: Mapping[str, Any] = schema
    for piece in path.split("."):
        if piece.isdigit() and node.get("type") == "array":
            if parts:
                parts[-1] = f"{parts[-1]} {int(piece) + 1}"
            node = node.get("items", {})
            continue
        node = node.get("properties", {}).get(piece, {})
        parts.append(str(node.get("title", piece)))
    return " › ".join(parts)


def not_matching(
    session: Session, region: Region, task: Task, service: Service
) -> list[tuple[str, str, str, str]]:
    """The task's items marked tidak sesuai: (kind, code, label, note), documents first in the
    order of the requirements, then answers in the order they were checked."""
    names = {str(r["code"]): str(r.get("name", r["code"])) for r in service.required_documents}
    order = {code: index for index, code in enumerate(names)}
    found = [
        c
        for c in checks_repository.checks_of_task(session, region.id, task.id)
        if c.verdict is Verdict.TIDAK_SESUAI
    ]
    documents_part = sorted(
        (c for c in found if c.target_kind is CheckTarget.DOCUMENT),
        key=lambda c: order.get(c.target_code, len(order)),
    )
    fields_part = [c for c in found if c.target_kind is CheckTarget.FIELD]
    schema = service.eform["schema"]
    return [
        (
            c.target_kind.value,
            c.target_code,
            names.get(c.target_code, c.target_code)
            if c.target_kind is CheckTarget.DOCUMENT
            else _field_label(schema, c.target_code),
            c.note,
        )
        for c in [*documents_part, *fields_part]
    ]


def note_for_return(
    session: Session, region: Region, task: Task, service: Service, note: str
) -> str:
    """The note a return keeps and sends: each item marked tidak sesuai with its note, then the
    officer's own note. With nothing marked it is the officer's note alone, which ``workflow``
    then requires (a return must say what to fix)."""
    items = not_matching(session, region, task, service)
    if not items:
        return note
    parts = [
        (_("Dokumen %(name)s: %(note)s") if kind == "document" else _("Isian %(name)s: %(note)s"))
        % {"name": label, "note": item_note}
        for kind, _code, label, item_note in items
    ]
    listed = _("Tidak sesuai: %(items)s.") % {"items": "; ".join(parts)}
    return " ".join(f"{listed} {note}".split())[:MAX_RETURN_NOTE]


@dataclass(frozen=True)
class ReturnedItems:
    """What the citizen was asked to fix, by item: shown next to each document and answer."""

    documents: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.documents or self.fields)


def returned_items(session: Session, region: Region, application: Application) -> ReturnedItems:
    """The notes of the return the application waits on (empty unless it is returned)."""
    if application.status is not ApplicationStatus.RETURNED:
        return ReturnedItems()
    task = checks_repository.last_returned_task(session, region.id, application.id)
    if task is None:
        return ReturnedItems()
    found = [
        c
        for c in checks_repository.checks_of_task(session, region.id, task.id)
        if c.verdict is Verdict.TIDAK_SESUAI
    ]
    return ReturnedItems(
        documents={c.target_code: c.note for c in found if c.target_kind is CheckTarget.DOCUMENT},
        fields={c.target_code: c.note for c in found if c.target_kind is CheckTarget.FIELD},
    )


# -- previews ----------------------------------------------------------------------------------


class PreviewUnavailable(DomainError):
    """The page could not be rendered; the officer's view is still recorded."""

    status_code = 422
    code = "preview_unavailable"
    keep_record = True


@dataclass(frozen=True)
class Preview:
    document: Document
    content_type: str
    body: bytes
    page: int
    #: Pages an officer can page through (1 for an image).
    pages: int

    def data_uri(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.body).decode()}"


def preview_document(
    session: Session,
    region: Region,
    storage: Storage,
    officer: User,
    document_id: uuid.UUID,
    page: int,
) -> Preview:
    """A page of a citizen's document as an image, for a responsible officer only; recorded.

    Images are passed through as they were checked at upload; a PDF's page is rendered to PNG
    in a limited child process (``pdf_pages``), so no PDF reaches the officer's browser.
    """
    if officer.kind is not AccountKind.STAFF:
        raise NotFound(_("Dokumen tidak ditemukan."))
    document, stream = documents.open_document(session, region, storage, officer, document_id)
    with stream:
        body = b"".join(stream)
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=officer.id,
        actor_label=officer.email,
        action="document.preview",
        target_type="document",
        target_id=str(document.id),
        details={"page": page},
    )
    if document.content_type in _IMAGE_TYPES:
        if page != 1:
            raise NotFound(_("Halaman tidak ditemukan."))
        return Preview(document, document.content_type, body, 1, 1)
    if document.content_type != "application/pdf" or not 1 <= page <= MAX_PAGES:
        raise NotFound(_("Halaman tidak ditemukan."))
    try:
        rendered = render_page(body, page)
    except RenderFailed as exc:
        log.warning("document %s page %d could not be previewed: %s", document.id, page, exc)
        raise PreviewUnavailable(
            _("Pratinjau halaman ini tidak dapat ditampilkan. Unduh dokumen untuk membukanya.")
        ) from None
    return Preview(document, "image/png", rendered.png, page, min(rendered.pages, MAX_PAGES))
