"""The region admin's SPBE self-assessment and smart city evaluation pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from simpul.accounts.auth import CurrentPageAdmin
from simpul.applications.uploads import AppStorage, AppUploadRules, upload_rules
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.i18n import lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.evaluation import smartcity
from simpul.evaluation.assessments import (
    complaint_evidence,
    smart_city,
    spbe_answers,
    spbe_assessment,
)
from simpul.evaluation.assessments.models import MAX_JUSTIFICATION, MAX_SCORE_NOTE
from simpul.evaluation.figures import FIGURES
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

#: What the SPBE year page says after a change (``?pesan=``).
SPBE_YEAR_NOTICES: Final = {
    "final": lazy("Penilaian sudah final dan kini hanya dapat dibaca."),
    "dibuka": lazy("Penilaian dibuka kembali sebagai draf."),
}
#: What an SPBE indicator's page says after it was saved.
INDICATOR_NOTICES: Final = {"disimpan": lazy("Tersimpan.")}
#: What the smart city year page says after a change.
SMART_CITY_NOTICES: Final = {
    "disimpan": lazy("Tersimpan."),
    "final": lazy("Evaluasi sudah final dan kini hanya dapat dibaca."),
    "dibuka": lazy("Evaluasi dibuka kembali sebagai draf."),
}

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

Year = Annotated[str, Form(max_length=10)]


def _spbe_base(region: Region) -> str:
    return f"/{region.slug}/admin/spbe"


# --- SPBE ----------------------------------------------------------------------------------


def _spbe_list_page(
    request: Request,
    session: DbSession,
    region: Region,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = spbe_assessment.year_rows(session, region)
    suggested = max((r.assessment.year for r in rows), default=None)
    return render(
        request,
        "assessments/spbe_list.html",
        {
            "rows": rows,
            "values": values or {"tahun": str(suggested + 1) if suggested else "", "salin": "1"},
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/{region}/admin/spbe", response_class=HTMLResponse, name="spbe_assessments")
def spbe_list(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    """Every year's SPBE index and predicate, and the form to start a new year."""
    return _spbe_list_page(request, session, region)


@router.post("/{region}/admin/spbe", response_class=HTMLResponse)
def spbe_start(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    tahun: Year = "",
    salin: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """Start a year's assessment as a draft (optionally from last year's answers)."""
    values = {"tahun": tahun, "salin": salin}
    try:
        year = spbe_assessment.parse_year(tahun)
        spbe_assessment.start_assessment(session, region, user, year, copy_previous=bool(salin))
    except InvalidInput as exc:
        return _spbe_list_page(
            request, session, region, values=values, errors=exc.field_errors(), status=422
        )
    return RedirectResponse(f"{_spbe_base(region)}/{year}", status_code=303)


def _spbe_overview_page(
    request: Request,
    session: DbSession,
    region: Region,
    year: int,
    *,
    problems: list[dict[str, Any]] | None = None,
    message: str = "",
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "assessments/spbe_year.html",
        {
            "view": spbe_assessment.overview(session, region, year),
            "problems": problems or [],
            "message": message,
            "notice": notice,
        },
        status_code=status,
    )


@router.get("/{region}/admin/spbe/{year}", response_class=HTMLResponse, name="spbe_assessment")
def spbe_year(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    year: int,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The indicators of the year by domain and aspect, progress, indices and changes."""
    return _spbe_overview_page(
        request, session, region, year, notice=notice_text(SPBE_YEAR_NOTICES, pesan)
    )


@router.post("/{region}/admin/spbe/{year}/final", response_class=HTMLResponse)
def spbe_finalise(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, year: int
) -> Response:
    """Finalise; a list of the incomplete indicators (422) otherwise."""
    try:
        spbe_assessment.finalise(session, region, user, year)
    except InvalidInput as exc:
        return _spbe_overview_page(
            request,
            session,
            region,
            year,
            problems=exc.details,
            message=exc.message,
            status=exc.status_code,
        )
    return RedirectResponse(with_notice(f"{_spbe_base(region)}/{year}", "final"), status_code=303)


@router.post("/{region}/admin/spbe/{year}/buka")
def spbe_reopen(
    region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, year: int
) -> Response:
    """Make a final assessment a draft again (audited)."""
    spbe_assessment.reopen(session, region, user, year)
    return RedirectResponse(with_notice(f"{_spbe_base(region)}/{year}", "dibuka"), status_code=303)


def _indicator_page(
    request: Request,
    session: DbSession,
    region: Region,
    year: int,
    number: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    page = spbe_answers.indicator_page(session, region, year, number)
    evidence = (
        complaint_evidence.complaint_evidence(session, region, year)
        if complaint_evidence.is_complaint_indicator(page.indicator)
        else None
    )
    if values is None:
        values = {
            "tingkat": str(page.answer.level) if page.answer else "",
            "penjelasan": page.answer.justification if page.answer else "",
        }
    return render(
        request,
        "assessments/spbe_indicator.html",
        {
            **FIGURES,
            "page": page,
            "complaint_evidence": evidence,
            "values": values,
            "errors": errors or {},
            "notice": notice,
            "max_justification": MAX_JUSTIFICATION,
            "max_files": spbe_answers.MAX_EVIDENCE_PER_INDICATOR,
            "limits": upload_rules(request).stated(),
        },
        status_code=status,
    )


@router.get(
    "/{region}/admin/spbe/{year}/indikator/{number}",
    response_class=HTMLResponse,
    name="spbe_indicator",
)
def spbe_indicator(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    year: int,
    number: int,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The form of one indicator: level, justification and supporting files."""
    return _indicator_page(
        request, session, region, year, number, notice=notice_text(INDICATOR_NOTICES, pesan)
    )


@router.post("/{region}/admin/spbe/{year}/indikator/{number}", response_class=HTMLResponse)
def spbe_indicator_save(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    storage: AppStorage,
    rules: AppUploadRules,
    year: int,
    number: int,
    tingkat: Annotated[str, Form(max_length=10)] = "",
    penjelasan: Annotated[str, Form(max_length=MAX_JUSTIFICATION * 2)] = "",
    bukti: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Save the indicator (and a file); the form again with the problem named otherwise."""
    upload = (bukti.file, bukti.filename or "") if bukti is not None and bukti.filename else None
    try:
        spbe_answers.save_answer(
            session,
            region,
            user,
            year,
            number,
            level=tingkat,
            justification=penjelasan,
            upload=upload,
            storage=storage,
            max_bytes=rules.max_bytes,
            max_image_pixels=rules.max_image_pixels,
        )
    except (InvalidInput, spbe_answers.EvidenceRejected) as exc:
        errors = {str(d["field"]): str(d["message"]) for d in exc.details if "field" in d}
        return _indicator_page(
            request,
            session,
            region,
            year,
            number,
            values={"tingkat": tingkat, "penjelasan": penjelasan},
            errors=errors or {"tingkat": exc.message},
            status=exc.status_code,
        )
    return RedirectResponse(
        with_notice(f"{_spbe_base(region)}/{year}/indikator/{number}", "disimpan"), status_code=303
    )


@router.post("/{region}/admin/spbe/{year}/indikator/{number}/bukti/{evidence_id}/hapus")
def spbe_evidence_remove(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    storage: AppStorage,
    year: int,
    number: int,
    evidence_id: uuid.UUID,
) -> Response:
    """Remove a supporting file from a draft's indicator."""
    spbe_answers.remove_evidence(session, region, user, storage, year, number, evidence_id)
    return RedirectResponse(
        f"{_spbe_base(region)}/{year}/indikator/{number}#bukti", status_code=303
    )


@router.get("/{region}/admin/spbe/{year}/bukti/{evidence_id}", name="spbe_evidence")
def spbe_evidence_download(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    storage: AppStorage,
    year: int,
    evidence_id: uuid.UUID,
) -> StreamingResponse:
    """A supporting file, for the region's admins only."""
    evidence, stream = spbe_answers.open_evidence(session, region, storage, year, evidence_id)
    return StreamingResponse(
        stream,
        media_type=evidence.content_type,
        headers=spbe_answers.download_headers(evidence),
    )


# --- Smart city ----------------------------------------------------------------------------


def _smart_city_base(region: Region) -> str:
    return f"/{region.slug}/admin/smartcity"


def _smart_city_list_page(
    request: Request,
    session: DbSession,
    region: Region,
    *,
    value: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows = smart_city.year_rows(session, region)
    latest = max((r.evaluation.year for r in rows), default=None)
    suggested = str(latest + 1) if latest else ""
    return render(
        request,
        "assessments/smart_city_list.html",
        {"rows": rows, "value": suggested if value is None else value, "errors": errors or {}},
        status_code=status,
    )


@router.get("/{region}/admin/smartcity", response_class=HTMLResponse, name="smart_city")
def smart_city_list(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    """Every evaluated year with its index and improvement, and a form to open another year."""
    return _smart_city_list_page(request, session, region)


def _smart_city_page(
    request: Request,
    session: DbSession,
    region: Region,
    year: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    view = smart_city.evaluation_view(session, region, year, values)
    return render(
        request,
        "assessments/smart_city_year.html",
        {
            "view": view,
            "errors": errors or {},
            "message": message,
            "notice": notice,
            "dimensions": smartcity.DIMENSIONS,
            "components": smartcity.COMPONENTS,
            "component_labels": smartcity.COMPONENT_LABELS,
            "score_field": smart_city.score_field,
            "note_field": smart_city.note_field,
            "weight_field": smart_city.weight_field,
            "previous_field": smart_city.PREVIOUS_FIELD,
            "max_note": MAX_SCORE_NOTE,
        },
        status_code=status,
    )


@router.get("/{region}/admin/smartcity/{year}", response_class=HTMLResponse, name="smart_city_year")
def smart_city_year(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    year: int,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The score grid of the year (empty with the default weights if not evaluated yet)."""
    return _smart_city_page(
        request, session, region, year, notice=notice_text(SMART_CITY_NOTICES, pesan)
    )


async def smart_city_form(request: Request) -> dict[str, str]:
    """The evaluation form's fields (each cut to a sane length; the rules check the rest)."""
    form = await request.form()
    return {
        name: str(form.get(name, ""))[: MAX_SCORE_NOTE * 2] for name in smart_city.form_fields()
    }


@router.post("/{region}/admin/smartcity/{year}", response_class=HTMLResponse)
def smart_city_save(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    year: int,
    values: Annotated[dict[str, str], Depends(smart_city_form)],
) -> Response:
    """Save the grid, weights and previous index; every problem named, nothing saved."""
    try:
        smart_city.save_evaluation(session, region, user, year, values)
    except InvalidInput as exc:
        return _smart_city_page(
            request,
            session,
            region,
            year,
            values=values,
            errors=exc.field_errors(),
            message=exc.message,
            status=exc.status_code,
        )
    return RedirectResponse(
        with_notice(f"{_smart_city_base(region)}/{year}#hasil", "disimpan"), status_code=303
    )


@router.post("/{region}/admin/smartcity", response_class=HTMLResponse)
def smart_city_open(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    tahun: Year = "",
) -> Response:
    """Go to the page of the year typed in."""
    try:
        year = spbe_assessment.parse_year(tahun)
    except InvalidInput as exc:
        return _smart_city_list_page(
            request, session, region, value=tahun, errors=exc.field_errors(), status=422
        )
    return RedirectResponse(f"{_smart_city_base(region)}/{year}", status_code=303)


@router.post("/{region}/admin/smartcity/{year}/final", response_class=HTMLResponse)
def smart_city_finalise(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, year: int
) -> Response:
    """Finalise; the missing scores named (422) otherwise."""
    try:
        smart_city.finalise(session, region, user, year)
    except InvalidInput as exc:
        return _smart_city_page(
            request,
            session,
            region,
            year,
            errors=exc.field_errors(),
            message=exc.message,
            status=exc.status_code,
        )
    return RedirectResponse(
        with_notice(f"{_smart_city_base(region)}/{year}", "final"), status_code=303
    )


@router.post("/{region}/admin/smartcity/{year}/buka")
def smart_city_reopen(
    region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, year: int
) -> Response:
    """Make a final evaluation a draft again (audited)."""
    smart_city.reopen(session, region, user, year)
    return RedirectResponse(
        with_notice(f"{_smart_city_base(region)}/{year}", "dibuka"), status_code=303
    )
