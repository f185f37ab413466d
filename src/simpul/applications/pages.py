"""Citizen pages: apply (eForm + documents), "Permohonan saya", the timeline, notifications."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_time
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.datastructures import UploadFile as StarletteUploadFile

from simpul.accounts.auth import CurrentPageUser
from simpul.applications import (
    answers,
    checks,
    documents,
    eform,
    notices,
    submission,
    upload_requirements,
    workflow,
)
from simpul.applications import (
    service as applications,
)
from simpul.applications.display import describe
from simpul.applications.labels import EVENT_LABELS, STATUS_LABELS, step_names
from simpul.applications.models import Application, ApplicationStatus
from simpul.applications.uploads import AppStorage, AppUploadRules, SourceAddress, upload_rules
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, InvalidInput
from simpul.core.i18n import _, current_locale
from simpul.core.kit.notices import NoticeCode, with_notice
from simpul.core.models import Region, utcnow
from simpul.core.regions import CurrentRegion
from simpul.documents import service as documents_service
from simpul.evaluation.surveys import service as survey_service
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

LABELS = {"status_labels": STATUS_LABELS, "event_labels": EVENT_LABELS}


async def _form(request: Request) -> AsyncIterator[Any]:
    """The request's form; the files it carries are closed once the request is answered."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


FormData = Annotated[Any, Depends(_form)]


@router.post("/{region}/layanan/{slug}/ajukan", name="apply")
def apply(region: CurrentRegion, session: DbSession, user: CurrentPageUser, slug: str) -> Response:
    """Start (or continue) the citizen's application for a service."""
    draft = submission.start_draft(session, region, user, slug)
    return RedirectResponse(f"/{region.slug}/permohonan/{draft.id}/isi", status_code=303)


@router.get("/{region}/permohonan", response_class=HTMLResponse, name="my_applications")
def my_applications(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    items, _total = applications.applications_of_applicant(
        session, region, user, limit=100, offset=0
    )
    services = {a.service_id: applications.service_of(session, a) for a in items}
    return render(
        request,
        "applications/my_applications.html",
        {
            "applications": items,
            "services": services,
            "unread": notices.unread_count(session, region, user.id),
            **LABELS,
        },
    )


@router.get(
    "/{region}/permohonan/{application_id}", response_class=HTMLResponse, name="application"
)
def application_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
) -> Response:
    view = workflow.read_application(session, region, user, application_id)
    if view.application.applicant_id != user.id:  # officers work from the back office
        return RedirectResponse(
            f"/{region.slug}/petugas/permohonan/{application_id}", status_code=303
        )
    shown = answers.answers_for(session, region, user, view.application, view.service, via="web")
    return render(
        request,
        "applications/application.html",
        {
            "view": view,
            "answers": describe(view.service.eform["schema"], shown.data),
            "masked_answers": bool(shown.masked_fields),
            "returned_note": _last_note(view.events, "return"),
            "returned": checks.returned_items(session, region, view.application),
            "step_names": step_names(view.service.workflow),
            "document": documents_service.document_state(session, region, application_id),
            "survey": survey_service.invite_for(session, region, user.id, view.application),
            **LABELS,
        },
    )


def _last_note(events: Any, action: str) -> str:
    notes = [e.note for e in events if e.action == action]
    return notes[-1] if notes else ""


def _form_page(
    request: Request,
    session: DbSession,
    region: Region,
    application: Application,
    *,
    data: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    service = applications.service_of(session, application)
    schema = service.eform["schema"]
    ui = service.eform.get("ui", {})
    all_errors = errors or {}
    current = data if data is not None else answers.answers_in_full(application)
    # A returned application's form marks what the officer found tidak sesuai (decision 0043).
    returned = checks.returned_items(session, region, application)
    fields = eform.build_fields(schema, ui, current, {**returned.fields, **all_errors})
    doc_errors = {
        k[len("documents.") :]: v for k, v in all_errors.items() if k.startswith("documents.")
    }
    return render(
        request,
        "applications/form.html",
        {
            "application": application,
            "service": service,
            "fields": fields,
            "returned_documents": returned.documents,
            "documents": _documents_by_requirement(session, application),
            "doc_errors": doc_errors,
            "summary": _error_summary(service.required_documents, fields, doc_errors),
            "returned_note": _last_note(applications.events_of(session, application.id), "return"),
            "limits": upload_rules(request).stated(),
            **LABELS,
            **extra,
        },
        status_code=status_code,
    )


def _documents_by_requirement(
    session: DbSession, application: Application
) -> dict[str | None, list[Any]]:
    """The current files of each requirement, oldest first."""
    found: dict[str | None, list[Any]] = {}
    for document in applications.current_documents(session, application.id):
        found.setdefault(document.requirement_code, []).append(document)
    return found


def _error_summary(
    requirements: list[dict[str, Any]], fields: list[eform.FormField], doc_errors: dict[str, str]
) -> dict[str, str]:
    """What the summary above the form lists, keyed by the id of the control each item leads
    to (without its ``f-``): the requirements' files first, as on the page, then the fields."""
    summary: dict[str, str] = {}
    for requirement in requirements:
        message = doc_errors.get(requirement["code"])
        if message:
            summary[f"dokumen-{requirement['code']}"] = _("%(label)s: %(message)s") % {
                "label": requirement["name"],
                "message": message,
            }
    for field in fields:
        for target, label, message in field.errors():
            summary[target.removeprefix("f-")] = _("%(label)s: %(message)s") % {
                "label": label,
                "message": message,
            }
    return summary


@router.get(
    "/{region}/permohonan/{application_id}/isi",
    response_class=HTMLResponse,
    name="application_form",
)
def application_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    pesan: NoticeCode = None,
) -> Response:
    application = submission.get_own_application(session, region, user, application_id)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.RETURNED):
        return RedirectResponse(f"/{region.slug}/permohonan/{application.id}", status_code=303)
    return _form_page(request, session, region, application, saved=pesan == "tersimpan")


@router.post("/{region}/permohonan/{application_id}/isi", response_class=HTMLResponse)
def save_application_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    form: FormData,
) -> Response:
    """Save the answers; add/remove a row; or save and send to the agency."""
    application = submission.get_own_application(session, region, user, application_id)
    service = applications.service_of(session, application)
    schema = service.eform["schema"]
    action = str(form.get(eform.ACTION_FIELD) or "")
    if action.startswith(("add:", "remove:")):
        data = eform.parse_form(schema, form, keep_blank_rows=True)
        data = eform.apply_action(schema, data, action)
    else:
        data = eform.parse_form(schema, form)
    try:
        submission.save_draft(session, region, user, application.id, data)
    except InvalidInput as exc:  # hidden characters: nothing is kept, the form says where
        return _form_page(
            request,
            session,
            region,
            application,
            data=data,
            errors=exc.field_errors(),
            status_code=exc.status_code,
            message=exc.message,
        )
    if action.startswith(("add:", "remove:")):
        return _form_page(request, session, region, application, data=data)
    if action != "kirim":
        return RedirectResponse(
            with_notice(f"/{region.slug}/permohonan/{application.id}/isi", "tersimpan"),
            status_code=303,
        )
    was_returned = application.status is ApplicationStatus.RETURNED
    try:
        submission.submit(session, region, user, application.id)
    except InvalidInput as exc:
        return _form_page(
            request,
            session,
            region,
            application,
            data=data,
            errors=exc.field_errors(),
            status_code=exc.status_code,
            message=exc.message,
        )
    notice = "perbaikan-terkirim" if was_returned else "terkirim"
    return RedirectResponse(
        with_notice(f"/{region.slug}/permohonan/{application.id}", notice), status_code=303
    )


#: Marks a request that carries the whole application form (its answers), not a file alone.
ANSWERS_MARK = "_jawaban"
#: simpul.js sends this header; the answer is then the changed part, not a whole page.
FETCH_HEADER = "X-Simpul-Fetch"


def _by_script(request: Request) -> bool:
    return request.headers.get(FETCH_HEADER) == "1"


def _keep_typed_answers(
    session: DbSession, region: Region, user: Any, application: Application, form: Any
) -> dict[str, Any] | None:
    """Save the answers a form carries as the draft (before its file is stored, so nothing
    typed is lost); None when the request carries no answers (an API-like upload)."""
    if form.get(ANSWERS_MARK) is None:
        return None
    service = applications.service_of(session, application)
    data = eform.parse_form(service.eform["schema"], form)
    submission.save_draft(session, region, user, application.id, data)
    return data


def _upload_answer(
    request: Request,
    session: DbSession,
    region: Region,
    application: Application,
    requirement: str,
    *,
    data: dict[str, Any] | None,
    error: DomainError | None = None,
) -> Response:
    """After an upload or a removal: the requirement's part of the form (simpul.js), the
    form again with the problem next to the requirement, or back to the form."""
    status = error.status_code if error else 200
    headers = error.headers if error else {}
    if _by_script(request):
        service = applications.service_of(session, application)
        req = upload_requirements.requirement_named(service.required_documents, requirement)
        if req is None:  # nothing on the page to update: the whole form tells the problem
            return _upload_answer_page(
                request, session, region, application, requirement, data, error
            )
        returned = checks.returned_items(session, region, application)
        page = render(
            request,
            "applications/_upload_item.html",
            {
                "application": application,
                "req": req,
                "docs": _documents_by_requirement(session, application).get(requirement, []),
                "error": error.message if error else "",
                "fix": (returned.documents or {}).get(requirement),
                "limits": upload_rules(request).stated(),
                "saved_at": _clock(region) if data is not None else None,
                "by_script": True,
            },
            status_code=status,
        )
        page.headers.update(headers)
        return page
    if error is None:
        return RedirectResponse(
            f"/{region.slug}/permohonan/{application.id}/isi#dok-{requirement}", status_code=303
        )
    return _upload_answer_page(request, session, region, application, requirement, data, error)


def _upload_answer_page(
    request: Request,
    session: DbSession,
    region: Region,
    application: Application,
    requirement: str,
    data: dict[str, Any] | None,
    error: DomainError | None,
) -> Response:
    errors = {f"documents.{requirement}": error.message} if error else {}
    if error is not None:
        errors.update(error.field_errors() if isinstance(error, InvalidInput) else {})
        errors.pop("requirement", None)
    page = _form_page(
        request,
        session,
        region,
        application,
        data=data,
        errors=errors,
        status_code=error.status_code if error else 200,
    )
    if error is not None:
        page.headers.update(error.headers)
    return page


def _answers_refused(
    request: Request,
    session: DbSession,
    region: Region,
    application: Application,
    form: Any,
    exc: InvalidInput,
) -> Response:
    """The form again, as typed, when the answers sent with a file could not be kept (nothing
    was saved and no file stored)."""
    schema = applications.service_of(session, application).eform["schema"]
    return _form_page(
        request,
        session,
        region,
        application,
        data=eform.parse_form(schema, form),
        errors=exc.field_errors(),
        status_code=exc.status_code,
        message=exc.message,
    )


def _clock(region: Region) -> str:
    """The region's wall-clock time now, as people read it ("14.05")."""
    return format_time(
        utcnow(), "HH.mm", tzinfo=ZoneInfo(region.timezone), locale=current_locale.get()
    )


@router.post("/{region}/permohonan/{application_id}/dokumen", response_class=HTMLResponse)
def upload_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    storage: AppStorage,
    rules: AppUploadRules,
    address: SourceAddress,
    application_id: uuid.UUID,
    form: FormData,
) -> Response:
    """Upload a file for one requirement. Sent by the whole application form (its upload
    button, with or without simpul.js), the answers typed so far are saved as the draft
    first; a problem is shown next to that requirement."""
    application = submission.get_own_application(session, region, user, application_id)
    requirement = str(form.get("requirement") or "")[:40]
    try:
        data = _keep_typed_answers(session, region, user, application, form)
    except InvalidInput as exc:  # hidden characters or too long: the form says where
        return _answers_refused(request, session, region, application, form, exc)
    chosen = form.get(f"file.{requirement}") or form.get("file")
    if not isinstance(chosen, StarletteUploadFile) or not chosen.filename:
        missing = InvalidInput(_("Pilih berkas yang akan diunggah terlebih dahulu."))
        return _upload_answer(
            request, session, region, application, requirement, data=data, error=missing
        )
    try:
        documents.upload_for_requirement(
            session,
            region,
            storage,
            user,
            application.id,
            requirement,
            (chosen.file, chosen.filename or "dokumen"),
            rules=rules,
            address=address,
        )
    except DomainError as exc:
        return _upload_answer(
            request, session, region, application, requirement, data=data, error=exc
        )
    return _upload_answer(request, session, region, application, requirement, data=data)


@router.post(
    "/{region}/permohonan/{application_id}/dokumen/{document_id}/hapus",
    response_class=HTMLResponse,
)
def remove_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    document_id: uuid.UUID,
    form: FormData,
) -> Response:
    """Take one file off a requirement (answers sent along are kept as the draft first)."""
    application = submission.get_own_application(session, region, user, application_id)
    try:
        data = _keep_typed_answers(session, region, user, application, form)
    except InvalidInput as exc:
        return _answers_refused(request, session, region, application, form, exc)
    removed = submission.remove_document(session, region, user, application.id, document_id)
    return _upload_answer(
        request, session, region, application, removed.requirement_code or "", data=data
    )


@router.post("/{region}/permohonan/{application_id}/draf", name="application_draft")
def save_draft_quietly(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    form: FormData,
) -> JSONResponse:
    """Keep the answers as they change (simpul.js, debounced): ``{"saved_at": "14.05"}``, or
    422 with a message per field when an answer cannot be kept."""
    application = submission.get_own_application(session, region, user, application_id)
    service = applications.service_of(session, application)
    data = eform.parse_form(service.eform["schema"], form)
    try:
        submission.save_draft(session, region, user, application.id, data)
    except InvalidInput as exc:
        return JSONResponse(
            {"message": exc.message, "errors": exc.field_errors()}, status_code=exc.status_code
        )
    clock = _clock(region)
    return JSONResponse(
        {"saved_at": clock, "message": _("Tersimpan %(time)s") % {"time": clock}},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/{region}/dokumen/{document_id}", name="document")
def download_document(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    storage: AppStorage,
    document_id: uuid.UUID,
) -> StreamingResponse:
    """The owner's or a responsible officer's download (officers' downloads are recorded)."""
    document, stream = documents.open_document(session, region, storage, user, document_id)
    return StreamingResponse(
        stream, media_type=document.content_type, headers=documents.download_headers(document)
    )


@router.get("/{region}/permohonan/{application_id}/dokumen-hasil", name="issued_document")
def download_issued_document(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    storage: AppStorage,
    application_id: uuid.UUID,
    produk: Annotated[str | None, Query(max_length=40)] = None,
) -> StreamingResponse:
    """The signed PDF of a completed application (``produk``: of that product; owner, or a
    responsible officer: audited)."""
    document, stream = documents_service.open_issued_document(
        session, region, storage, user, application_id, produk
    )
    return StreamingResponse(
        stream, media_type="application/pdf", headers=documents_service.download_headers(document)
    )
