"""The citizen's survey form and the region's IKM report with its export."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff, CurrentPageUser
from simpul.applications.models import Application
from simpul.complaints import service as complaints
from simpul.core.database import DbSession
from simpul.core.kit.exports import export_routes, invalid_query
from simpul.core.kit.notices import with_notice
from simpul.core.kit.periods import Period, today_in
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.evaluation.figures import FIGURES
from simpul.evaluation.ikm import ELEMENTS
from simpul.evaluation.scope import report_scope
from simpul.evaluation.surveys import public, report, service, suggestions
from simpul.evaluation.surveys.models import MAX_REPLY, MAX_SUGGESTION
from simpul.evaluation.surveys.profile import QUESTIONS
from simpul.web.csrf import csrf_protect
from simpul.web.downloads import table_download
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

#: The IKM element on complaint handling ("Penanganan pengaduan, saran dan masukan").
COMPLAINT_ELEMENT: Final = "u8"

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

Year = Annotated[str | None, Query(max_length=10)]
Part = Annotated[str | None, Query(max_length=10)]


async def _form(request: Request) -> Any:
    return await request.form()


FormData = Annotated[Any, Depends(_form)]


def _survey_page(
    request: Request,
    session: DbSession,
    application: Application,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    rated: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "surveys/form.html",
        {
            "application": application,
            "service": service.service_of(session, application),
            "elements": ELEMENTS,
            "values": values or {},
            "errors": errors or {},
            "rated": rated,
            "max_suggestion": MAX_SUGGESTION,
            "questions": QUESTIONS,
        },
        status_code=status_code,
    )


@router.get(
    "/{region}/permohonan/{application_id}/survei",
    response_class=HTMLResponse,
    name="survey_form",
)
def survey_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
) -> HTMLResponse:
    """The nine questions for the owner of a completed application (or the thanks)."""
    application = service.application_for_survey(session, region, user, application_id)
    rated = service.has_response(session, region.id, application.id)
    return _survey_page(request, session, application, rated=rated)


@router.post("/{region}/permohonan/{application_id}/survei", response_class=HTMLResponse)
def survey_submit(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    form: FormData,
) -> Response:
    """Store the rating once; a missing answer shows the form again with what is wrong."""
    application = service.application_for_survey(session, region, user, application_id)
    parsed = service.parse_survey_form(
        {key: value for key, value in form.items() if isinstance(value, str)}
    )
    if parsed.answers is None:
        if service.has_response(session, region.id, application.id):
            return _back_to_application(region, application)
        return _survey_page(
            request,
            session,
            application,
            values=parsed.values,
            errors=parsed.errors,
            status_code=422,
        )
    service.submit_survey(
        session, region, user, application.id, parsed.answers, parsed.suggestion, parsed.profile
    )
    return _back_to_application(region, application)


def _back_to_application(region: Region, application: Application) -> RedirectResponse:
    return RedirectResponse(
        with_notice(f"/{region.slug}/permohonan/{application.id}#penilaian", "dinilai"),
        status_code=303,
    )


@router.get("/{region}/admin/ikm", response_class=HTMLResponse, name="ikm_report")
def ikm_report(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    tahun: Year = None,
    periode: Part = None,
) -> HTMLResponse:
    """The IKM of a period per service, agency and for the whole region (or one agency)."""
    scope = report_scope(region, user)
    period, errors = report.parse_period(tahun, periode, today_in(region))
    # The other view of element U8 (complaint handling): the complaints of the same months.
    complaint_period = Period(period.start, period.end - timedelta(days=1))
    return render(
        request,
        "surveys/report.html",
        {
            **FIGURES,
            "report": report.build_report(session, region, period, scope),
            "complaints": complaints.complaint_figures(
                session, region, complaint_period, agency_ids=scope
            ),
            "complaint_element": COMPLAINT_ELEMENT,
            "profiles": report.profile_tables(session, region, period, scope),
            "errors": errors,
            "parts": report.PARTS,
            "values": {
                "tahun": tahun if tahun is not None else str(period.year),
                "periode": periode or "",
            },
            "query": f"tahun={period.year}&periode={period.part}",
            "agency_scope": scope is not None,
        },
        status_code=422 if errors else 200,
    )


@export_routes(router, "/{region}/admin/ikm/ekspor", "ikm_export")
def export(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    extension: str,
    tahun: Year = None,
    periode: Part = None,
) -> Response:
    """The report's table as CSV or XLSX."""
    scope = report_scope(region, user)
    period, errors = report.parse_period(tahun, periode, today_in(region))
    if errors:
        raise invalid_query(errors)
    return table_download(
        report.export_rows(report.build_report(session, region, period, scope)),
        report.EXPORT_COLUMNS,
        extension=extension,
        title="ikm",
        filename=f"ikm-{region.slug}-{period.slug}",
    )


Status = Annotated[str | None, Query(max_length=20)]
PublicPeriod = Annotated[str | None, Query(max_length=20)]


def _suggestions_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: Any,
    status: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    scope = report_scope(region, user)
    return render(
        request,
        "surveys/suggestions.html",
        {
            "rows": suggestions.suggestions_for(session, region, scope, status),
            "status": status,
            "errors": errors or {},
            "values": values or {},
            "max_reply": MAX_REPLY,
            "agency_scope": scope is not None,
            "tz": ZoneInfo(region.timezone),
        },
        status_code=status_code,
    )


@router.get("/{region}/admin/ikm/saran", response_class=HTMLResponse, name="ikm_suggestions")
def suggestion_list(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    status: Status = None,
) -> HTMLResponse:
    """The survey's suggestions for the agency to review, answer and publish."""
    return _suggestions_page(request, session, region, user, suggestions.parse_status(status))


@router.post("/{region}/admin/ikm/saran/{response_id}", response_class=HTMLResponse)
def suggestion_review(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    response_id: uuid.UUID,
    form: FormData,
    status: Status = None,
) -> Response:
    """Mark one suggestion reviewed, with the reply, published or not."""
    scope = report_scope(region, user)
    current = suggestions.parse_status(status)
    # Someone else's suggestion is refused before the form is even read.
    suggestions.response_for_review(session, region, scope, response_id)
    parsed = suggestions.parse_review_form(
        {key: value for key, value in form.items() if isinstance(value, str)}
    )
    if parsed.errors:
        return _suggestions_page(
            request,
            session,
            region,
            user,
            current,
            errors={f"jawaban-{response_id}": parsed.errors["jawaban"]},
            values={f"jawaban-{response_id}": parsed.reply},
            status_code=422,
        )
    suggestions.review_suggestion(session, region, user, scope, response_id, parsed)
    notice = "saran-terbit" if parsed.publish else "saran-ditinjau"
    return RedirectResponse(
        with_notice(f"/{region.slug}/admin/ikm/saran?status={current}", notice),
        status_code=303,
    )


@router.get("/{region}/ikm", response_class=HTMLResponse, name="ikm_public")
def public_region(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    periode: PublicPeriod = None,
) -> HTMLResponse:
    """The region's IKM of a period and each service's, for anyone."""
    today = today_in(region)
    period, errors = public.parse_public_period(periode, today)
    page = public.region_ikm(session, region, period)
    return render(
        request,
        "surveys/public_region.html",
        {
            "page": page,
            "chart": report.chart_of(page.total),
            "errors": errors,
            "choices": public.period_choices(today),
            "raw_period": periode or "",
        },
        status_code=422 if errors else 200,
    )


@router.get("/{region}/layanan/{slug}/ikm", response_class=HTMLResponse, name="ikm_public_service")
def public_service(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    slug: str,
    periode: PublicPeriod = None,
) -> HTMLResponse:
    """One service's IKM of a period with the suggestions its agency answered."""
    today = today_in(region)
    period, errors = public.parse_public_period(periode, today)
    page = public.service_ikm(session, region, slug, period)
    return render(
        request,
        "surveys/public_service.html",
        {
            "page": page,
            "chart": report.chart_of(page.total),
            "errors": errors,
            "choices": public.period_choices(today),
            "raw_period": periode or "",
        },
        status_code=422 if errors else 200,
    )
