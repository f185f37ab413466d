"""Catalogue pages: the region's home, the catalogue (by agency, by life event, search),
a service's published standard, and an agency's page.

The public pages are cached for anonymous readers (``page_cache``: ETag, 304, an in-process
copy checked against the catalogue's fingerprint); a logged-in visitor's never are."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from simpul.accounts.auth import CurrentPageAdmin, CurrentPageStaff, PageUser
from simpul.catalogue import service, synonyms
from simpul.catalogue.models import Service
from simpul.catalogue.page_cache import cached_page
from simpul.catalogue.standard import (
    COMPONENT_LABELS,
    DELIVERY_COMPONENTS,
    MANAGEMENT_COMPONENTS,
    STANDARD_COMPONENTS,
)
from simpul.catalogue.standards_check import CHECK_LABELS
from simpul.core.database import DbSession
from simpul.core.errors import Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

PAGE_SIZE = 20


def _fingerprint(session: DbSession, region: CurrentRegion) -> Callable[[], str]:
    return lambda: service.catalogue_fingerprint(session, region)


@router.get("/{region}", response_class=HTMLResponse, name="region_home")
def region_home(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser
) -> Response:
    return cached_page(
        request,
        user,
        _fingerprint(session, region),
        lambda: render(
            request,
            "catalogue/home.html",
            {
                "life_events": service.list_life_events(session, region),
                "agencies": service.list_agencies(session, region),
            },
        ),
    )


@router.get("/{region}/layanan", response_class=HTMLResponse, name="catalogue")
def catalogue(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=200)] = None,
    instansi: str | None = None,
    peristiwa: str | None = None,
    kelompok: str | None = None,
    tampil: str | None = None,
    halaman: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    """Search results for ``q`` (or a filter); else every service grouped by agency or by
    life event (``kelompok=instansi|peristiwa``; ``tampil`` is its former name), each group
    folded so the page fits a phone: the search comes first, the groups are a list of names."""
    grouping = "peristiwa" if (kelompok or tampil) == "peristiwa" else "instansi"

    def render_page() -> HTMLResponse:
        context: dict[str, object] = {
            "q": q or "",
            "instansi": instansi,
            "peristiwa": peristiwa,
            "kelompok": grouping,
        }
        agencies = service.list_agencies(session, region)
        life_events = service.list_life_events(session, region)
        context.update(agencies=agencies, life_events=life_events)
        if q or instansi or peristiwa:
            page = service.find_services(
                session,
                region,
                query=q,
                agency_slug=instansi,
                life_event_slug=peristiwa,
                limit=PAGE_SIZE,
                offset=(halaman - 1) * PAGE_SIZE,
            )
            context.update(page=page, halaman=halaman, pages=max(1, -(-page.total // PAGE_SIZE)))
        else:
            by_agency: dict[uuid.UUID, list[Service]] = {}
            by_event: dict[uuid.UUID, list[Service]] = {}
            without_event: list[Service] = []
            for item in service.all_published_services(session, region):
                by_agency.setdefault(item.agency_id, []).append(item)
                for event in item.life_events:
                    by_event.setdefault(event.id, []).append(item)
                if not item.life_events:
                    without_event.append(item)
            context.update(by_agency=by_agency, by_event=by_event, without_event=without_event)
        # htmx live search swaps only the results: send just that part.
        template = (
            "catalogue/_results.html"
            if request.headers.get("HX-Request")
            else "catalogue/catalogue.html"
        )
        response = render(request, template, context)
        response.headers["Vary"] = "HX-Request"
        return response

    return cached_page(request, user, _fingerprint(session, region), render_page)


@router.get("/{region}/layanan/{slug}", response_class=HTMLResponse, name="service_page")
def service_page(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, slug: str
) -> Response:
    def render_page() -> HTMLResponse:
        found = service.get_service(session, region, slug)
        return render(
            request,
            "catalogue/service.html",
            {
                "service": found,
                "standard": service.standard_of(found),
                "eform": service.eform_of(found),
                "delivery": DELIVERY_COMPONENTS,
                "management": MANAGEMENT_COMPONENTS,
                "labels": COMPONENT_LABELS,
            },
        )

    return cached_page(request, user, _fingerprint(session, region), render_page)


@router.get("/{region}/instansi/{slug}", response_class=HTMLResponse, name="agency_page")
def agency_page(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, slug: str
) -> Response:
    def render_page() -> HTMLResponse:
        agency = service.get_agency(session, region, slug)
        page = service.find_services(session, region, agency_slug=slug, limit=100)
        return render(request, "catalogue/agency.html", {"agency": agency, "services": page.items})

    return cached_page(request, user, _fingerprint(session, region), render_page)


# -- the region edits its own catalogue -----------------------------------------------------


@router.get("/{region}/admin/layanan", response_class=HTMLResponse, name="admin_services")
def admin_services(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageStaff
) -> HTMLResponse:
    services = service.services_editable_by(session, region, user)
    if not services:
        raise Forbidden(_("Anda tidak berwenang mengubah layanan di wilayah ini."))
    return render(request, "catalogue/admin_services.html", {"services": services})


def _edit_page(
    request: Request,
    session: DbSession,
    region: CurrentRegion,
    found: Service,
    values: dict[str, object],
    errors: dict[str, str],
    status: int = 200,
    **extra: object,
) -> HTMLResponse:
    return render(
        request,
        "catalogue/admin_service.html",
        {
            "service": found,
            "values": values,
            "errors": errors,
            "delivery": DELIVERY_COMPONENTS,
            "management": MANAGEMENT_COMPONENTS,
            "labels": COMPONENT_LABELS,
            "check_labels": CHECK_LABELS,
            # The standards check reads the row, its agency and whether the region takes
            # complaints in Simpul (decision 0046).
            "disagreements": service.service_disagreements(session, region, found),
            **extra,
        },
        status_code=status,
    )


def _values_of(found: Service) -> dict[str, object]:
    return {
        "name": found.name,
        "name_en": found.name_en,
        "summary": found.summary,
        "summary_en": found.summary_en,
        "sla_working_days": found.sla_working_days,
        "fee_rupiah": found.fee_rupiah,
        "published": found.published,
        **found.standard,
    }


@router.get("/{region}/admin/layanan/{slug}", response_class=HTMLResponse, name="edit_service")
def edit_service_form(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageStaff, slug: str
) -> HTMLResponse:
    found = service.get_service_for_editing(session, region, user, slug)
    return _edit_page(request, session, region, found, _values_of(found), {})


async def _form_values(request: Request) -> dict[str, str]:
    """The submitted form's text fields (the edit form has a field per standard component)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/{region}/admin/layanan/{slug}", response_class=HTMLResponse)
def edit_service(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    slug: str,
    values: Annotated[dict[str, str], Depends(_form_values)],
) -> HTMLResponse:
    edit = service.ServiceEdit(
        name=values.get("name", ""),
        name_en=values.get("name_en", ""),
        summary=values.get("summary", ""),
        summary_en=values.get("summary_en", ""),
        sla_working_days=values.get("sla_working_days", ""),
        fee_rupiah=values.get("fee_rupiah", ""),
        published=values.get("published") == "ya",
        standard={k: values.get(k, "") for k in STANDARD_COMPONENTS},
    )
    try:
        found = service.update_service(session, region, user, slug, edit)
    except InvalidInput as exc:
        found = service.get_service_for_editing(session, region, user, slug)
        shown: dict[str, object] = {**values, "published": edit.published}
        return _edit_page(
            request,
            session,
            region,
            found,
            shown,
            exc.field_errors(),
            exc.status_code,
            message=exc.message,
        )
    return _edit_page(request, session, region, found, _values_of(found), {}, saved=True)


# -- the region's search synonyms and former names -------------------------------------------


def _synonyms_page(
    request: Request,
    session: DbSession,
    region: CurrentRegion,
    *,
    values: dict[str, object] | None = None,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "catalogue/admin_synonyms.html",
        {
            "synonyms": synonyms.list_synonyms(session, region),
            "values": values or {},
            "errors": errors or {},
            "saved": saved,
        },
        status_code=status,
    )


@router.get("/{region}/admin/sinonim", response_class=HTMLResponse, name="admin_synonyms")
def admin_synonyms(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    return _synonyms_page(request, session, region)


@router.post("/{region}/admin/sinonim", response_class=HTMLResponse)
def add_synonym(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    values: Annotated[dict[str, str], Depends(_form_values)],
) -> HTMLResponse:
    try:
        added = synonyms.add_synonym(
            session,
            region,
            user,
            term=values.get("term", ""),
            meaning=values.get("meaning", ""),
            former_name=values.get("former_name") == "ya",
        )
    except InvalidInput as exc:
        return _synonyms_page(
            request,
            session,
            region,
            values=dict(values),
            errors=exc.field_errors(),
            status=exc.status_code,
        )
    saved = _("“%(term)s” ditambahkan.") % {"term": added.term}
    return _synonyms_page(request, session, region, saved=saved)


@router.post("/{region}/admin/sinonim/{synonym_id}/hapus", response_class=HTMLResponse)
def delete_synonym(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    synonym_id: uuid.UUID,
) -> HTMLResponse:
    synonyms.delete_synonym(session, region, user, synonym_id)
    return _synonyms_page(request, session, region, saved=_("Kata dihapus."))
