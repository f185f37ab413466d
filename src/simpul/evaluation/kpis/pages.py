"""The service KPI dashboard and its export, for region admins and agency admins (admin_opd)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.accounts.models import User
from simpul.core.database import DbSession, Session
from simpul.core.errors import InvalidInput
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.evaluation.kpis import report
from simpul.evaluation.scope import report_scope
from simpul.savings.report import MONTH_NAMES, parse_period, today_in
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
            "report": report.build_report(session, region, period, today, scope),
            "scoped": scope is not None,
            "errors": errors,
            "month_names": MONTH_NAMES,
            "values": {"dari": dari or period.start.isoformat(), "sampai": sampai or ""},
            "query": f"dari={period.start.isoformat()}&sampai={period.end.isoformat()}",
        },
        status_code=422 if errors else 200,
    )


def _download(
    session: Session,
    region: Region,
    user: User,
    dari: str | None,
    sampai: str | None,
    extension: str,
) -> Response:
    scope = report_scope(region, user)
    today = today_in(region)
    period, errors = parse_period(dari, sampai, today)
    if errors:
        raise InvalidInput(
            next(iter(errors.values())),
            details=[{"field": name, "message": message} for name, message in errors.items()],
        )
    rows = report.export_rows(report.build_report(session, region, period, today, scope))
    header = report.EXPORT_COLUMNS
    return table_download(
        rows,
        header,
        extension=extension,
        title="kinerja",
        filename=f"kinerja-{region.slug}-{period.start.isoformat()}-{period.end.isoformat()}",
    )


@router.get("/{region}/admin/kinerja.csv", name="kpi_export_csv")
def export_csv(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    dari: Day = None,
    sampai: Day = None,
) -> Response:
    """The KPIs of the region, its agencies and services as CSV."""
    return _download(session, region, user, dari, sampai, "csv")


@router.get("/{region}/admin/kinerja.xlsx", name="kpi_export_xlsx")
def export_xlsx(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    dari: Day = None,
    sampai: Day = None,
) -> Response:
    """The KPIs of the region, its agencies and services as XLSX."""
    return _download(session, region, user, dari, sampai, "xlsx")
