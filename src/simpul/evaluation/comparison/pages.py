"""The comparison between the regions of this installation, for region admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession
from simpul.core.kit.periods import today_in
from simpul.core.regions import CurrentRegion
from simpul.evaluation.comparison import report
from simpul.evaluation.figures import FIGURES
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


@router.get("/{region}/admin/perbandingan", response_class=HTMLResponse, name="region_comparison")
def comparison(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    tahun: Annotated[str | None, Query(max_length=10)] = None,
    urut: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Each region's yearly KPI totals and indices with its rank, sortable by a column."""
    year, year_errors = report.parse_year(tahun, today_in(region))
    sort, sort_errors = report.parse_sort(urut)
    errors = {**year_errors, **sort_errors}
    return render(
        request,
        "comparison/comparison.html",
        {
            **FIGURES,
            "comparison": report.build_comparison(session, region, year, sort),
            "columns": report.COLUMNS,
            "errors": errors,
            "values": {"tahun": tahun or str(year)},
        },
        status_code=422 if errors else 200,
    )
