"""Citizen pages: apply (eForm + documents), "Permohonan saya", the timeline, notifications."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from simpul.accounts.auth import CurrentPageUser
from simpul.applications import (
    answers,
    checks,
    documents,
    eform,
    notices,
    submission,
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
from simpul.core.kit.notices import NoticeCode, with_notice
from simpul.core.models import Region
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


async def _form(request: Request) -> Any:
    return await request.form()


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
    present = {
        d.requirement_code: d for d in applications.current_documents(session, application.id)
    }
    # A returned application's form marks what the officer found tidak sesuai (decision 0043).
    returned = checks.returned_items(session, region, application)
    return render(
        request,
        "applications/form.html",
        {
            "application": application,
            "service": service,
            "fields": eform.build_fields(schema, ui, current, {**returned.fields, **all_errors}),
            "returned_documents": returned.documents,
            "documents": present,
            "doc_errors": {
                k[len("documents.") :]: v
                for k, v in all_errors.items()
                if k.startswith("documents.")
            },
            "returned_note": _last_note(applications.events_of(session, application.id), "return"),
            "limits": upload_rules(request).stated(),
            **LABELS,
            **extra,
        },
        status_code=status_code,
    )


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
        data = eform.apply_action(
            schema, eform.parse_form(schema, form, keep_blank_rows=True), action
        )
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
    requirement: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Upload a file for one requirement; a problem is shown next to that requirement."""
    application = submission.get_own_application(session, region, user, application_id)
    try:
        documents.upload_for_requirement(
            session,
            region,
            storage,
            user,
            application.id,
            requirement,
            (file.file, file.filename or "dokumen"),
            rules=rules,
            address=address,
        )
    except DomainError as exc:
        page = _form_page(
            request,
            session,
            region,
            application,
            errors={f"documents.{requirement}": exc.message},
            status_code=exc.status_code,
        )
        page.headers.update(exc.headers)
        return page
    return RedirectResponse(
        f"/{region.slug}/permohonan/{application.id}/isi#dok-{requirement}", status_code=303
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
