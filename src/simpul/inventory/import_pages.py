"""The region admin's spreadsheet pages for the app inventory: import, export, template."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.inventory import service as inventory
from simpul.inventory import spreadsheet
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: An inventory of thousands of apps fits in far less; bigger files are refused unread.
MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024


def _form_page(
    request: Request, *, all_or_nothing: bool = True, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "inventory/import.html",
        {
            "all_or_nothing": all_or_nothing,
            "error": error,
            "columns": inventory.COLUMNS,
            "required": inventory.REQUIRED,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status_code=status,
    )


@router.get("/{region}/admin/aplikasi/impor", response_class=HTMLResponse, name="app_import")
def import_form(request: Request, region: CurrentRegion, user: CurrentPageAdmin) -> HTMLResponse:
    """The upload form; all-or-nothing is checked unless the admin unchecks it."""
    return _form_page(request)


@router.post("/{region}/admin/aplikasi/impor", response_class=HTMLResponse)
def import_upload(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    file: Annotated[UploadFile, File()],
    semua: Annotated[str | None, Form()] = None,
) -> HTMLResponse:
    """Import the uploaded CSV/XLSX and show what was stored and which rows were refused."""
    all_or_nothing = semua is not None
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if not data:
        return _form_page(
            request,
            all_or_nothing=all_or_nothing,
            error=_("Pilih berkas CSV atau XLSX."),
            status=422,
        )
    if len(data) > MAX_UPLOAD_BYTES:
        message = _("Berkas terlalu besar: maksimal %(n)d MB.") % {
            "n": MAX_UPLOAD_BYTES // (1024 * 1024)
        }
        return _form_page(request, all_or_nothing=all_or_nothing, error=message, status=413)
    try:
        table = spreadsheet.parse_spreadsheet(data)
    except InvalidInput as exc:
        return _form_page(request, all_or_nothing=all_or_nothing, error=exc.message, status=422)
    report = inventory.import_apps(
        session, region, table.rows, all_or_nothing=all_or_nothing, actor_label=user.email
    )
    return render(
        request,
        "inventory/import_result.html",
        {
            "report": report,
            "problems": table.renumber(report.problems),
            "rows": len(table.rows),
            "filename": file.filename or "",
            "all_or_nothing": all_or_nothing,
        },
        status_code=422 if report.refused else 200,
    )


def _download(region: Region, stem: str, extension: str, rows: list[dict[str, str]]) -> Response:
    """A file download named after the region and today's date there."""
    today = dt.datetime.now(ZoneInfo(region.timezone)).date()
    filename = f"{stem}-{region.slug}-{today.isoformat()}.{extension}"
    if extension == "xlsx":
        content, media_type = spreadsheet.write_xlsx(rows), spreadsheet.XLSX_MEDIA_TYPE
    else:
        content, media_type = spreadsheet.write_csv(rows), spreadsheet.CSV_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{region}/admin/aplikasi/ekspor.csv", name="app_export_csv")
def export_csv(region: CurrentRegion, session: DbSession, user: CurrentPageAdmin) -> Response:
    """The whole inventory as CSV, in the import's format."""
    return _download(region, "aplikasi", "csv", inventory.export_rows(session, region))


@router.get("/{region}/admin/aplikasi/ekspor.xlsx", name="app_export_xlsx")
def export_xlsx(region: CurrentRegion, session: DbSession, user: CurrentPageAdmin) -> Response:
    """The whole inventory as XLSX, in the import's format."""
    return _download(region, "aplikasi", "xlsx", inventory.export_rows(session, region))


@router.get("/{region}/admin/aplikasi/templat.csv", name="app_template_csv")
def template_csv(region: CurrentRegion, user: CurrentPageAdmin) -> Response:
    """An empty inventory to fill in: the header and two example rows."""
    return _download(region, "templat-aplikasi", "csv", spreadsheet.template_rows()[1])


@router.get("/{region}/admin/aplikasi/templat.xlsx", name="app_template_xlsx")
def template_xlsx(region: CurrentRegion, user: CurrentPageAdmin) -> Response:
    """The template as XLSX."""
    return _download(region, "templat-aplikasi", "xlsx", spreadsheet.template_rows()[1])
