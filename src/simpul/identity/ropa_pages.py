"""The region's record of processing activities (RoPA, UU PDP Pasal 31) for the region
admin: ``/{region}/admin/pdp/ropa`` and its CSV/XLSX export."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession
from simpul.core.kit.exports import export_routes
from simpul.core.regions import CurrentRegion
from simpul.identity import ropa
from simpul.web.csrf import csrf_protect
from simpul.web.downloads import table_download
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


@router.get("/{region}/admin/pdp/ropa", response_class=HTMLResponse, name="ropa")
def page(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    return render(
        request,
        "identity/ropa.html",
        {"activities": ropa.record_of_processing(session, region)},
    )


@export_routes(router, "/{region}/admin/pdp/ropa", "ropa_export")
def export(
    region: CurrentRegion, session: DbSession, user: CurrentPageAdmin, extension: str
) -> Response:
    return table_download(
        [a.row() for a in ropa.record_of_processing(session, region)],
        ropa.EXPORT_COLUMNS,
        extension=extension,
        title="ropa",
        filename=f"ropa-{region.slug}",
    )
