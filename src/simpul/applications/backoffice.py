"""Officer pages: the agency inbox with SLA clocks, the application file, and decisions (htmx)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.applications import answers, workflow
from simpul.applications import service as applications
from simpul.applications.display import describe
from simpul.applications.labels import EVENT_LABELS, OUTCOME_LABELS, STATUS_LABELS, step_names
from simpul.applications.models import TaskOutcome
from simpul.catalogue import service as catalogue_service
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.kit.notices import with_notice
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.documents import service as documents_service
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

LABELS = {
    "status_labels": STATUS_LABELS,
    "event_labels": EVENT_LABELS,
    "outcome_labels": OUTCOME_LABELS,
}
PAGE_SIZE = 50


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/{region}/petugas/kotak-masuk", response_class=HTMLResponse, name="inbox")
def inbox(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    tampil: str = "terbuka",
    layanan: str | None = None,
    setelah: str | None = None,
) -> HTMLResponse:
    """The inbox a page at a time; ``setelah`` is the cursor the previous page linked to."""
    view = tampil if tampil in workflow.INBOX_FILTERS else "terbuka"
    service = catalogue_service.service_by_slug(session, region, layanan) if layanan else None
    page = workflow.inbox(
        session,
        region,
        officer,
        view=view,
        service_id=service.id if service else None,
        limit=PAGE_SIZE,
        cursor=setelah,
    )
    services = workflow.inbox_services(session, region, officer)
    return render(
        request,
        "applications/inbox.html",
        {
            "page": page,
            "view": view,
            "services": services,
            "layanan": layanan or "",
            "officer_id": officer.id,
            "first_page": not setelah,
            **LABELS,
        },
    )


@router.post("/{region}/petugas/tugas/{task_id}/ambil", name="claim_task")
def claim(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
) -> Response:
    """Take a task; with htmx only its inbox row is sent back (showing who has it)."""
    try:
        task = workflow.claim_task(session, region, officer, task_id)
    except Conflict:
        if not _is_htmx(request):
            raise
        task = workflow.visible_task(session, region, officer, task_id)
    if not _is_htmx(request):
        return RedirectResponse(
            f"/{region.slug}/petugas/permohonan/{task.application_id}", status_code=303
        )
    row = workflow.inbox_row(session, region, officer, task)
    return render(
        request,
        "applications/_inbox_row.html",
        {"row": row, "today": today_in(region), "officer_id": officer.id, **LABELS},
    )


def _file_page(
    request: Request,
    session: DbSession,
    region: Region,
    officer: CurrentPageStaff,
    application_id: uuid.UUID,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    view = workflow.read_application(session, region, officer, application_id)
    choices = workflow.officer_choices(session, region, officer, view)
    credential = documents_service.active_credential(session, region, officer)
    issued = documents_service.issued_documents_of_application(session, region, application_id)
    current_document = next((d for d in issued if d.revoked_at is None), None)
    shown = answers.answers_for(session, region, officer, view.application, view.service, via="web")
    return render(
        request,
        "applications/officer_file.html",
        {
            "view": view,
            "signing": {
                "needed": choices.can_act
                and choices.final_step
                and "approve" in choices.actions
                and documents_service.region_signs_documents(session, region),
                "signer": credential.subject_name if credential else None,
            },
            "document": documents_service.document_state(session, region, application_id),
            "current_document": current_document,
            "can_revoke": current_document is not None
            and documents_service.can_revoke(session, officer, current_document),
            "can_reissue": credential is not None
            and documents_service.may_issue(officer, view.service.agency_id),
            "assignees": choices.assignees,
            "step_names": step_names(view.service.workflow),
            "answers": describe(view.service.eform["schema"], shown.data),
            "masked_answers": bool(shown.masked_fields),
            "answers_recorded": shown.recorded,
            "can_act": choices.can_act,
            "actions": choices.actions,
            "officer_id": officer.id,
            **LABELS,
            **extra,
        },
        status_code=status_code,
    )


@router.get(
    "/{region}/petugas/permohonan/{application_id}",
    response_class=HTMLResponse,
    name="officer_file",
)
def officer_file(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    application_id: uuid.UUID,
) -> HTMLResponse:
    return _file_page(request, session, region, officer, application_id)


@router.post("/{region}/petugas/tugas/{task_id}/tindak", response_class=HTMLResponse, name="act")
def act(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    passphrase: Annotated[str, Form()] = "",
) -> Response:
    """Decide on the task; the page (or, with htmx, its decision panel) shows the result.

    The last approval in a region that signs documents also takes the officer's signing
    passphrase; it is never echoed back into the page.
    """
    task = applications.task_in_region(session, region, task_id)
    application_id = task.application_id if task else None
    try:
        chosen = TaskOutcome(outcome)
    except ValueError:
        chosen = None
    try:
        if chosen is None or application_id is None:
            raise InvalidInput(
                _("Pilih tindakan: setujui, kembalikan, atau tolak."),
                details=[{"field": "outcome", "message": _("Pilih salah satu tindakan.")}],
            )
        workflow.act_on_task(
            session,
            region,
            officer,
            task_id,
            chosen,
            note[:2000],
            signing_passphrase=passphrase or None,
        )
    except DomainError as exc:
        if application_id is None:
            raise
        return _file_page(
            request,
            session,
            region,
            officer,
            application_id,
            status_code=exc.status_code,
            act_error=exc.message,
            note=note,
            errors=exc.field_errors() if isinstance(exc, InvalidInput) else {},
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{application_id}", "selesai"),
        status_code=303,
    )


@router.post(
    "/{region}/petugas/permohonan/{application_id}/dokumen-hasil/cabut",
    response_class=HTMLResponse,
    name="revoke_issued_document",
)
def revoke_issued_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    application_id: uuid.UUID,
    reason: Annotated[str, Form()] = "",
    produk: Annotated[str, Form()] = "",
) -> Response:
    """Revoke the application's issued document (of product ``produk``, else its first in
    force) with a reason (approvers, agency admins)."""
    view = workflow.read_application(session, region, officer, application_id)
    issued = documents_service.issued_documents_of_application(session, region, view.application.id)
    current = next(
        (d for d in issued if d.revoked_at is None and produk in ("", d.product_code)), None
    )
    try:
        if current is None:
            raise Conflict(_("Tidak ada dokumen berlaku yang dapat dicabut."))
        if not documents_service.can_revoke(session, officer, current):
            raise Forbidden(_("Anda tidak berwenang mencabut dokumen ini."))
        documents_service.revoke_document(
            session,
            region,
            current,
            reason=reason,
            actor_id=officer.id,
            actor_label=officer.email,
        )
    except DomainError as exc:
        return _file_page(
            request,
            session,
            region,
            officer,
            application_id,
            status_code=exc.status_code,
            revoke_error=exc.message,
            reason=reason,
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{application_id}", "dicabut"),
        status_code=303,
    )


@router.post(
    "/{region}/petugas/permohonan/{application_id}/dokumen-hasil/terbitkan",
    response_class=HTMLResponse,
    name="reissue_document",
)
def reissue_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    application_id: uuid.UUID,
    passphrase: Annotated[str, Form()] = "",
    produk: Annotated[str, Form()] = "",
) -> Response:
    """Make and sign the document (of product ``produk``, else every one that failed or was
    revoked) again."""
    try:
        documents_service.reissue(
            session, region, officer, application_id, passphrase, produk or None
        )
    except DomainError as exc:
        return _file_page(
            request,
            session,
            region,
            officer,
            application_id,
            status_code=exc.status_code,
            reissue_error=exc.message,
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{application_id}", "diterbitkan"),
        status_code=303,
    )


@router.post("/{region}/petugas/tugas/{task_id}/tugaskan", name="assign_task")
def assign(
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
    officer_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """An admin OPD hands the task to a named officer."""
    task = workflow.assign_task(session, region, officer, task_id, officer_id)
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{task.application_id}", "ditugaskan"),
        status_code=303,
    )
