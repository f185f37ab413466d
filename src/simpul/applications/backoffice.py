"""Officer pages: the agency inbox with SLA clocks, the application file, and decisions (htmx)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from simpul.accounts.auth import CurrentPageStaff, second_factor_for_signing
from simpul.accounts.models import User
from simpul.applications import answers, checks, workflow
from simpul.applications import bulk as bulk_service
from simpul.applications import inbox as inbox_service
from simpul.applications import service as applications
from simpul.applications.display import describe
from simpul.applications.labels import EVENT_LABELS, OUTCOME_LABELS, STATUS_LABELS, step_names
from simpul.applications.models import TaskOutcome
from simpul.applications.steps import StepInputs
from simpul.applications.uploads import AppStorage, AppUploadRules
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
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


def _inbox_response(
    request: Request,
    session: DbSession,
    region: Region,
    officer: CurrentPageStaff,
    filters: inbox_service.InboxFilters,
    cursor: str | None,
    *,
    bulk: bulk_service.BulkResult | None = None,
    bulk_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The inbox under the filters; invalid filters or search text show the page with the
    error next to its field (422) and no rows."""
    error_message: str | None = None
    try:
        page = inbox_service.inbox_page(
            session, region, officer, filters, cursor=cursor, limit=PAGE_SIZE
        )
    except InvalidInput as exc:
        empty = inbox_service.inbox_page(
            session, region, officer, inbox_service.InboxFilters(view=filters.view), limit=1
        )
        page = dataclasses.replace(
            empty,
            rows=[],
            total=0,
            next_cursor=None,
            filters=filters,
            searched=bool(filters.search),
            errors=exc.field_errors() or {"cari": exc.message},
        )
        status_code = exc.status_code
        error_message = exc.message
    return render(
        request,
        "applications/inbox.html",
        {
            "page": page,
            "view": page.filters.view,
            "services": page.services,
            "layanan": page.filters.service,
            "officer_id": officer.id,
            "first_page": not cursor,
            "bulk": bulk,
            "bulk_error": bulk_error,
            "error_message": error_message,
            "max_bulk": bulk_service.MAX_BULK,
            **LABELS,
        },
        status_code=status_code,
    )


def _filters(
    tampil: str, layanan: str | None, tahap: str | None, terlambat: str | None, cari: str = ""
) -> inbox_service.InboxFilters:
    return inbox_service.InboxFilters(
        view=tampil if tampil in inbox_service.VIEWS else "terbuka",
        service=(layanan or "")[:80],
        step=(tahap or "")[:40],
        overdue=terlambat == "1",
        search=cari,
    )


@router.get("/{region}/petugas/kotak-masuk", response_class=HTMLResponse, name="inbox")
def inbox(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    tampil: str = "terbuka",
    layanan: str | None = None,
    tahap: str | None = None,
    terlambat: str | None = None,
    setelah: str | None = None,
) -> HTMLResponse:
    """The inbox a page at a time; ``setelah`` is the cursor the previous page linked to.

    Searching is a POST (below): a searched name never appears in a URL.
    """
    filters = _filters(tampil, layanan, tahap, terlambat)
    return _inbox_response(request, session, region, officer, filters, setelah)


@router.post("/{region}/petugas/kotak-masuk", response_class=HTMLResponse, name="inbox_search")
def inbox_search(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    tampil: Annotated[str, Form()] = "terbuka",
    layanan: Annotated[str, Form()] = "",
    tahap: Annotated[str, Form()] = "",
    terlambat: Annotated[str, Form()] = "",
    cari: Annotated[str, Form()] = "",
    setelah: Annotated[str, Form()] = "",
) -> Response:
    """The filter form: with search text the results (and their next pages) are answered
    here; without, the officer is sent to the inbox's address for those filters."""
    filters = _filters(tampil, layanan, tahap, terlambat, cari)
    if not filters.search.strip():
        query = {"tampil": filters.view, "layanan": filters.service, "tahap": filters.step}
        if filters.overdue:
            query["terlambat"] = "1"
        shown = urlencode({k: v for k, v in query.items() if v})
        return RedirectResponse(f"/{region.slug}/petugas/kotak-masuk?{shown}", status_code=303)
    return _inbox_response(request, session, region, officer, filters, setelah or None)


@router.post("/{region}/petugas/kotak-masuk/massal", response_class=HTMLResponse, name="inbox_bulk")
def inbox_bulk(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    aksi: Annotated[str, Form()] = "",
    tugas: Annotated[list[str] | None, Form()] = None,
    petugas: Annotated[str, Form()] = "",
    tampil: Annotated[str, Form()] = "terbuka",
    layanan: Annotated[str, Form()] = "",
    tahap: Annotated[str, Form()] = "",
    terlambat: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Claim or reassign the ticked tasks (never decide them); the inbox shows what was done
    and each task refused with why."""
    filters = _filters(tampil, layanan, tahap, terlambat)
    try:
        action = bulk_service.parse_action(aksi)
        task_ids = bulk_service.parse_task_ids(tugas or [])
        assignee: uuid.UUID | None = None
        if action is bulk_service.BulkAction.ASSIGN:
            try:
                assignee = uuid.UUID(petugas)
            except ValueError:
                assignee = None
        result = bulk_service.run_bulk(
            session, region, officer, action, task_ids, assignee_id=assignee
        )
    except InvalidInput as exc:
        return _inbox_response(
            request,
            session,
            region,
            officer,
            filters,
            None,
            bulk_error=exc.field_errors().get("aksi")
            or next(iter(exc.field_errors().values()), exc.message),
            status_code=exc.status_code,
        )
    return _inbox_response(request, session, region, officer, filters, None, bulk=result)


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
    described = describe(view.service.eform["schema"], shown.data)
    return render(
        request,
        "applications/officer_file.html",
        {
            "view": view,
            "applicant": checks.applicant_panel(
                session, region, officer, view.application, view.service
            ),
            "review": checks.review_sheet(
                session,
                region,
                officer,
                view.application,
                view.service,
                view.documents,
                view.open_task,
                described,
            ),
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
            "answers": described,
            "masked_answers": bool(shown.masked_fields),
            "answers_recorded": shown.recorded,
            "can_act": choices.can_act,
            "actions": choices.actions,
            "choices": choices,
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


@router.post(
    "/{region}/petugas/tugas/{task_id}/periksa", response_class=HTMLResponse, name="check_item"
)
def check_item(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
    kind: Annotated[str, Form()] = "",
    code: Annotated[str, Form(max_length=200)] = "",
    verdict: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    document_id: Annotated[str, Form()] = "",
) -> Response:
    """Mark one document or answer sesuai / tidak sesuai (with a note); back to the same item."""
    task = workflow.visible_task(session, region, officer, task_id)
    try:
        document = uuid.UUID(document_id) if document_id else None
    except ValueError:
        document = uuid.uuid4()  # names no document of the application: refused as unknown
    try:
        checks.record_check(
            session,
            region,
            officer,
            task_id,
            kind=kind,
            code=code,
            verdict=verdict,
            note=note[:2000],
            document_id=document,
        )
    except InvalidInput as exc:
        return _file_page(
            request,
            session,
            region,
            officer,
            task.application_id,
            status_code=exc.status_code,
            check_error={
                "key": f"{kind}:{code}",
                "message": next(iter(exc.field_errors().values()), exc.message),
                "note": note,
            },
        )
    return RedirectResponse(
        f"/{region.slug}/petugas/permohonan/{task.application_id}#cek-{kind}-{code}",
        status_code=303,
    )


#: Form fields of a data-entry step are named ``entries.<field code>``.
ENTRY_PREFIX = "entries."


async def step_inputs_from_form(
    request: Request, storage: AppStorage, rules: AppUploadRules
) -> StepInputs:
    """What the decision form carries for the step's kind (``_step_work.html``): entries,
    the visit and its photos, the payment. A file input left empty sends no photo."""
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    photos = [
        (upload.file, upload.filename or "")
        for upload in form.getlist("photos")
        if isinstance(upload, StarletteUpload) and (upload.filename or upload.size)
    ]
    return StepInputs(
        entries={
            key.removeprefix(ENTRY_PREFIX): value
            for key, value in form.multi_items()
            if key.startswith(ENTRY_PREFIX) and isinstance(value, str)
        },
        visit_date=text("visit_date"),
        visit_notes=text("visit_notes"),
        photos=photos,
        payment_reference=text("payment_reference"),
        payment_amount=text("payment_amount"),
        storage=storage,
        rules=rules,
    )


StepForm = Annotated[StepInputs, Depends(step_inputs_from_form)]


@router.post("/{region}/petugas/tugas/{task_id}/tindak", response_class=HTMLResponse, name="act")
def act(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
    inputs: StepForm,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    passphrase: Annotated[str, Form()] = "",
) -> Response:
    """Decide on the task; the page (or, with htmx, its decision panel) shows the result.

    The last approval in a region that signs documents also takes the officer's signing
    passphrase; it is never echoed back into the page.
    """
    task = applications.task_in_region(session, region, task_id)
    if task is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    application_id = task.application_id
    try:
        chosen = TaskOutcome(outcome)
    except ValueError:
        chosen = None
    try:
        if chosen is None:
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
            inputs=inputs,
            second_factor=second_factor_for_signing(request),
        )
    except DomainError as exc:
        return _decision_refused(
            request, session, region, officer, application_id, exc, note, inputs
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{application_id}", "selesai"),
        status_code=303,
    )


def _decision_refused(
    request: Request,
    session: DbSession,
    region: Region,
    officer: User,
    application_id: uuid.UUID,
    exc: DomainError,
    note: str,
    inputs: StepInputs,
) -> Response:
    """The file page again with why the decision or the entries were refused, the officer's
    note and step inputs kept (a missing task stays a 404)."""
    if isinstance(exc, NotFound):
        raise exc
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
        step_form=inputs,
    )


@router.post(
    "/{region}/petugas/tugas/{task_id}/isian", response_class=HTMLResponse, name="save_entries"
)
def save_entries(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    task_id: uuid.UUID,
    inputs: StepForm,
    note: Annotated[str, Form()] = "",
) -> Response:
    """Keep a data-entry step's values without deciding yet (the form's "Simpan isian")."""
    task = applications.task_in_region(session, region, task_id)
    if task is None:
        raise NotFound(_("Tugas tidak ditemukan."))
    application_id = task.application_id
    try:
        workflow.save_step_entries(session, region, officer, task_id, inputs)
    except DomainError as exc:
        return _decision_refused(
            request, session, region, officer, application_id, exc, note, inputs
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/permohonan/{application_id}", "isian-tersimpan"),
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
            session,
            region,
            officer,
            application_id,
            passphrase,
            produk or None,
            second_factor=second_factor_for_signing(request),
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
