"""Inventory pages for staff and the region admin: the app list with filters, one app's facts,
and the integration roadmap (table and SVG chart; the admin sets yearly targets)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.catalogue import service as catalogue
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.kit.notices import NoticeCode, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.inventory import roadmap
from simpul.inventory import service as inventory
from simpul.inventory.models import (
    CLASSIFICATION_LABELS,
    HOSTING_LABELS,
    INTEGRATION_LABELS,
    SPBE_AREAS,
    STATUS_LABELS,
    USERS_LABELS,
)
from simpul.inventory.service import AppFilter
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

PAGE_SIZE = 50
LABELS = {
    "status_labels": STATUS_LABELS,
    "users_labels": USERS_LABELS,
    "hosting_labels": HOSTING_LABELS,
    "classification_labels": CLASSIFICATION_LABELS,
    "integration_labels": INTEGRATION_LABELS,
    "spbe_areas": SPBE_AREAS,
    # The badge colours of simpul.css: green running, blue being built, red switched off.
    "status_badges": {
        "operating": "completed",
        "in_development": "submitted",
        "retired": "rejected",
    },
}
Choice = Annotated[str | None, Query(max_length=60)]


def _known(value: str | None, labels: dict[str, str]) -> str | None:
    """A filter value the inventory knows; anything else means "all"."""
    return value if value in labels else None


@router.get("/{region}/aplikasi", response_class=HTMLResponse, name="app_inventory")
def app_inventory(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    q: Annotated[str | None, Query(max_length=200)] = None,
    opd: Choice = None,
    status: Choice = None,
    integrasi: Choice = None,
    hosting: Choice = None,
    area: Choice = None,
    halaman: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> HTMLResponse:
    """The region's apps matching the filters, 50 a page, with the count per status on top."""
    agencies = catalogue.all_agencies(session, region)
    agency = next((a for a in agencies if a.slug == opd), None)
    where = AppFilter(
        text=(q or "").strip() or None,
        agency_id=agency.id if agency else None,
        status=_known(status, STATUS_LABELS),
        integration_state=_known(integrasi, INTEGRATION_LABELS),
        hosting=_known(hosting, HOSTING_LABELS),
        spbe_area=_known(area, SPBE_AREAS),
    )
    apps, total = inventory.find_apps(
        session, region, where, limit=PAGE_SIZE, offset=(halaman - 1) * PAGE_SIZE
    )
    chosen = {
        "q": where.text or "",
        "opd": agency.slug if agency else "",
        "status": where.status or "",
        "integrasi": where.integration_state or "",
        "hosting": where.hosting or "",
        "area": where.spbe_area or "",
    }
    return render(
        request,
        "inventory/apps.html",
        {
            "apps": apps,
            "total": total,
            "inventory_size": inventory.count_apps(session, region),
            "by_status": inventory.count_apps_by(session, region, "status"),
            "agencies": agencies,
            "agency_by_id": {a.id: a for a in agencies},
            "chosen": chosen,
            "query_string": urlencode({k: v for k, v in chosen.items() if v}),
            "halaman": halaman,
            "pages": max(1, -(-total // PAGE_SIZE)),
            **LABELS,
        },
    )


def _roadmap_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: CurrentPageStaff,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    this_year = roadmap.current_year(region)
    rows = roadmap.roadmap_rows(session, region, this_year)
    return render(
        request,
        "inventory/roadmap.html",
        {
            "rows": rows,
            "chart": roadmap.chart_of(rows),
            "this_year": this_year,
            "can_set_targets": roadmap.can_set_targets(user),
            "target_years": roadmap.target_years(this_year),
            "max_target": roadmap.MAX_TARGET,
            "errors": {},
            "values": {"tahun": str(this_year + 1), "target": ""},
            **extra,
        },
        status_code=status_code,
    )


# Declared before /aplikasi/{code} so that "peta-jalan" is never read as an app's code.
@router.get("/{region}/aplikasi/peta-jalan", response_class=HTMLResponse, name="app_roadmap")
def app_roadmap(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    pesan: NoticeCode = None,
    tahun: Annotated[int | None, Query(ge=1900, le=2999)] = None,
) -> HTMLResponse:
    """Per year: the target, the apps planned and the apps integrated. After a target is
    saved (``?pesan=target&tahun=YEAR``) the page says which year's it was."""
    saved_year = tahun if pesan == "target" else None
    return _roadmap_page(request, session, region, user, saved_year=saved_year)


@router.post("/{region}/aplikasi/peta-jalan/target", response_class=HTMLResponse)
def set_roadmap_target(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    tahun: Annotated[str, Form(max_length=10)] = "",
    target: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The region admin sets a year's target; a bad value shows the form again with its error."""
    try:
        saved = roadmap.set_target(
            session,
            region,
            user,
            year=tahun,
            target=target,
            this_year=roadmap.current_year(region),
        )
    except InvalidInput as exc:
        return _roadmap_page(
            request,
            session,
            region,
            user,
            status_code=exc.status_code,
            errors=exc.field_errors(),
            message=exc.message,
            values={"tahun": tahun, "target": target},
        )
    return RedirectResponse(
        with_notice(
            f"/{region.slug}/aplikasi/peta-jalan?tahun={saved.year}#tahun-{saved.year}", "target"
        ),
        status_code=303,
    )


@router.get("/{region}/aplikasi/{code}", response_class=HTMLResponse, name="app_page")
def app_page(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageStaff, code: str
) -> HTMLResponse:
    """One app's facts as the inventory holds them."""
    app = inventory.get_app_by_code(session, region, code)
    if app is None:
        raise NotFound(_("Aplikasi tidak ditemukan di inventaris wilayah ini."))
    agency = next(
        (a for a in catalogue.all_agencies(session, region) if a.id == app.agency_id),
        None,
    )
    return render(request, "inventory/app.html", {"app": app, "agency": agency, **LABELS})
