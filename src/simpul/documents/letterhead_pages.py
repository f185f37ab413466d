"""The region admin's letterhead page: ``/{region}/admin/kop-surat``.

The letterhead's first line, the region's emblem (``letterhead.clean_emblem``: PNG or JPEG,
re-encoded), and each agency's document number format (``numbering``), with a sample of the
numbers it gives. Only the region's own admin reaches it; every change is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.catalogue import service as catalogue_service
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.documents import letterhead, numbering
from simpul.documents import service as documents_service
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _page(
    request: Request,
    session: DbSession,
    region: Region,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    agencies = catalogue_service.all_agencies(session, region)
    context: dict[str, Any] = {
        "agencies": [(a, documents_service.sample_number(a, region)) for a in agencies],
        "has_emblem": region.emblem_png is not None,
        "errors": errors or {},
        "values": values or {},
        "message": message,
        "tokens": numbering.TOKENS,
        "max_mb": letterhead.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "documents/letterhead.html", context, status_code=status)


def _done(region: Region, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/{region.slug}/admin/kop-surat?pesan={notice}", status_code=303)


@router.get("/{region}/admin/kop-surat", response_class=HTMLResponse, name="letterhead_settings")
def letterhead_page(
    request: Request, region: CurrentRegion, session: DbSession, admin: CurrentPageAdmin
) -> HTMLResponse:
    return _page(request, session, region)


@router.post("/{region}/admin/kop-surat", response_class=HTMLResponse)
def save_letterhead_line(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    admin: CurrentPageAdmin,
    letterhead_line: Annotated[str, Form()] = "",
) -> Response:
    try:
        letterhead.set_letterhead_line(session, region, admin, letterhead_line)
    except InvalidInput as exc:
        return _page(
            request,
            session,
            region,
            errors=exc.field_errors(),
            values={"letterhead_line": letterhead_line},
            status=exc.status_code,
        )
    return _done(region, "kop")


@router.post("/{region}/admin/kop-surat/lambang", response_class=HTMLResponse)
def upload_emblem(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    admin: CurrentPageAdmin,
    emblem: Annotated[UploadFile | None, File()] = None,
    remove: Annotated[str, Form()] = "",
) -> Response:
    try:
        if remove == "ya":
            letterhead.remove_emblem(session, region, admin)
        else:
            data = emblem.file.read(letterhead.MAX_UPLOAD_BYTES + 1) if emblem else b""
            letterhead.set_emblem(session, region, admin, data)
    except InvalidInput as exc:
        return _page(request, session, region, errors=exc.field_errors(), status=exc.status_code)
    return _done(region, "lambang")


@router.get("/{region}/admin/kop-surat/lambang.png", name="region_emblem")
def emblem_image(region: CurrentRegion, admin: CurrentPageAdmin) -> Response:
    """The stored emblem (what the documents print), for the settings page."""
    if region.emblem_png is None:
        raise NotFound(_("Wilayah ini belum mengunggah lambang."))
    return Response(
        region.emblem_png,
        media_type="image/png",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/{region}/admin/kop-surat/instansi/{slug}", response_class=HTMLResponse)
def save_number_format(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    admin: CurrentPageAdmin,
    slug: str,
    number_format: Annotated[str, Form()] = "",
) -> Response:
    agency = catalogue_service.get_agency(session, region, slug)
    try:
        letterhead.set_number_format(session, region, admin, agency, number_format)
    except InvalidInput as exc:
        return _page(
            request,
            session,
            region,
            errors=exc.field_errors(),
            values={f"format_{slug}": number_format},
            status=exc.status_code,
        )
    return _done(region, "nomor")
