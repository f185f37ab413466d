"""The complaint desk's duplicate finder (``/{region}/petugas/pengaduan/{number}/duplikat``)
and the merge it offers (decision 0056). Desk only: other staff get "not found"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.accounts.models import User
from simpul.complaints import service as complaints
from simpul.complaints.labels import STATUS_LABELS
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, Forbidden, NotFound
from simpul.core.i18n import _
from simpul.core.kit.notices import with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: The notice code the surviving complaint's back-office page shows after a merge.
MERGED_NOTICE = "digabung"


def _desk_complaint(
    session: DbSession, region: Region, staff: User, number: str
) -> complaints.Complaint:
    # "Not found" rather than "forbidden" for other staff: the number's existence is not told.
    if not complaints.is_desk(staff):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaints.handled_complaint(session, region, number, staff)


def _page(
    request: Request,
    session: DbSession,
    region: Region,
    complaint: complaints.Complaint,
    *,
    message: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    found = complaints.duplicate_candidates(session, region, complaint)
    htmx = request.headers.get("HX-Request") == "true"
    page = render(
        request,
        "complaints/_duplicates.html" if htmx else "complaints/triage_duplicates.html",
        {
            "complaint": complaint,
            "candidates": found,
            "status_labels": STATUS_LABELS,
            "message": message,
        },
        status_code=status_code,
    )
    page.headers["Vary"] = "HX-Request"
    page.headers["Cache-Control"] = "no-store"
    return page


@router.get(
    "/{region}/petugas/pengaduan/{number}/duplikat",
    response_class=HTMLResponse,
    name="complaint_duplicates",
)
def duplicates_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
) -> HTMLResponse:
    """Complaints that may be the same one, each with the merge in both directions."""
    return _page(request, session, region, _desk_complaint(session, region, staff, number))


@router.post("/{region}/petugas/pengaduan/{number}/gabung", response_model=None)
def merge_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    ke: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Close ``number`` as a duplicate of ``ke``; go to the surviving complaint."""
    if not complaints.is_desk(staff):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    duplicate = complaints.handled_complaint(session, region, number, staff, for_update=True)
    into = complaints.handled_complaint(session, region, ke, staff, for_update=True)
    try:
        complaints.merge(session, region, staff, duplicate, into)
    except (Conflict, Forbidden) as problem:
        return _page(request, session, region, duplicate, message=problem.message, status_code=409)
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/pengaduan/{into.number}", MERGED_NOTICE),
        status_code=303,
    )
