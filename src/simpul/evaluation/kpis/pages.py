"""The service KPI dashboard and its export, for region admins and agency admins (admin_opd)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.complaints import service as complaints
from simpul.core.database import DbSession
from simpul.core.kit.exports import export_routes, invalid_query
from simpul.core.kit.periods import MONTH_NAMES, parse_period, today_in
from simpul.core.regions import CurrentRegion
from simpul.evaluation.figures import FIGURES
from simpul.evaluation.kpis import complaints as complaint_section
from simpul.evaluation.kpis import report
from simpul.evaluation.scope import report_scope
from simpul.web.csrf import csrf_protect
from simpul.web.downloads import table_download
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

Day = Annotated[str | None, Query(max_length=10)]


@router.get("/{region}/admin/kinerja", response_class=HTMLResponse, name="kpi_dashboard")
def dashboard(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    dari: Day = None,
    sampai: Day = None,
) -> HTMLResponse:
    """Received, finished, times, SLA, backlog and online share per agency and service."""
    scope = report_scope(region, user)
    today = today_in(region)
    period, errors = parse_period(dari, sampai, today)
    figures = complaints.complaint_figures(session, region, period, agency_ids=scope)
    return render(
        request,
        "kpis/dashboard.html",
        {
            **FIGURES,
            "report": report.build_report(session, region, period, today, scope),
            "complaints": figures,
            "complaint_chart": complaint_section.chart(figures),
            "scoped": scope is not None,
            "errors": errors,
            "month_names": MONTH_NAMES,
            "values": {"dari": dari or period.start.isoformat(), "sampai": sampai or ""},
            "query": f"dari={period.start.isoformat()}&sampai={period.end.isoformat()}",
        },
        status_code=422 if errors else 200,
    )


@export_routes(router, "/{region}/admin/kinerja", "kpi_export")
def export(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    extension: str,
    dari: Day = None,
    sampai: Day = None,
) -> Response:
    """The KPIs of the region, its agencies and services as CSV or XLSX."""
    scope = report_scope(region, user)
    today = today_in(region)
    period, errors = parse_period(dari, sampai, today)
    if errors:
        raise invalid_query(errors)
    return table_download(
        report.export_rows(report.build_report(session, region, period, today, scope)),
        report.EXPORT_COLUMNS,
        extension=extension,
        title="kinerja",
        filename=f"kinerja-{region.slug}-{period.start.isoformat()}-{period.end.isoformat()}",
    )


@export_routes(router, "/{region}/admin/kinerja/pengaduan", "kpi_complaints_export")
def export_complaints(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    extension: str,
    dari: Day = None,
    sampai: Day = None,
) -> Response:
    """The complaint figures of the region (or the agencies one administers) per month."""
    scope = report_scope(region, user)
    period, errors = parse_period(dari, sampai, today_in(region))
    if errors:
        raise invalid_query(errors)
    return table_download(
        complaint_section.export_rows(
            complaints.complaint_figures(session, region, period, agency_ids=scope)
        ),
        complaint_section.EXPORT_COLUMNS,
        extension=extension,
        title="pengaduan",
        filename=f"pengaduan-{region.slug}-{period.start.isoformat()}-{period.end.isoformat()}",
    )
