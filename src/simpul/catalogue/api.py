"""Catalogue API: `/api/{region}/services`, agencies and life events (public, read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from simpul.catalogue import service
from simpul.catalogue.schemas import (
    AgencyOut,
    LifeEventOut,
    ServiceDetailOut,
    ServiceOut,
    life_event_out,
    service_detail_out,
    service_out,
)
from simpul.core.database import DbSession
from simpul.core.inputs import MAX_OFFSET
from simpul.core.regions import CurrentRegion
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["catalogue"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


@router.get("/services", response_model=list[ServiceOut])
def list_services(
    region: CurrentRegion,
    session: DbSession,
    response: Response,
    q: Annotated[
        str | None, Query(description="Search words, Indonesian word forms understood.")
    ] = None,
    agency: Annotated[str | None, Query(description="Agency slug.")] = None,
    life_event: Annotated[str | None, Query(description="Life event slug.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[ServiceOut]:
    """Published services, ranked by relevance when `q` is given, else by name.

    The total number of matches is in the `X-Total-Count` header.
    """
    page = service.find_services(
        session,
        region,
        query=q,
        agency_slug=agency,
        life_event_slug=life_event,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(page.total)
    return [service_out(s, region.slug) for s in page.items]


@router.get("/services/{slug}", response_model=ServiceDetailOut)
def get_service(region: CurrentRegion, session: DbSession, slug: str) -> ServiceDetailOut:
    """One service with its standard and eForm."""
    return service_detail_out(service.get_service(session, region, slug), region.slug)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(region: CurrentRegion, session: DbSession) -> list[AgencyOut]:
    return [
        AgencyOut(
            id=row.agency.id,
            slug=row.agency.slug,
            name=row.agency.name,
            short_name=row.agency.short_name,
            name_en=row.agency.name_en,
            description=row.agency.description,
            address=row.agency.address,
            phone=row.agency.phone,
            email=row.agency.email,
            website=row.agency.website,
            service_count=row.service_count,
        )
        for row in service.list_agencies(session, region)
    ]


@router.get("/life-events", response_model=list[LifeEventOut])
def list_life_events(region: CurrentRegion, session: DbSession) -> list[LifeEventOut]:
    return [
        life_event_out(r.life_event, r.service_count)
        for r in service.list_life_events(session, region)
    ]
