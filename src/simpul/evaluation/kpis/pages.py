"""The service KPI dashboard and its export, for region admins and agency admins (admin_opd)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.core.database import DbSession
from simpul.core.kit.exports import export_routes, invalid_query
from simpul.core.kit.periods import MONTH_NAMES, parse_period, today_in
from simpul.core.regions import CurrentRegion
from simpul.evaluation.figures import FIGURES
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
    return render(
        request,
        "kpis/dashboard.html",
        {
            **FIGURES,
            "report": report.build_report(session, region, period, today, scope),
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
