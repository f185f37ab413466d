"""The complaints JSON API at ``/api/{region}/complaints``: file, read, list, categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from simpul.accounts.auth import ApiUser
from simpul.complaints import service
from simpul.complaints.schemas import CategoryOut, ComplaintCreated, ComplaintIn, ComplaintOut
from simpul.core.database import DbSession
from simpul.core.regions import CurrentRegion
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}/complaints", route_class=CommittingRoute, tags=["complaints"]
)


@router.post("", status_code=201)
def file_complaint(
    region: CurrentRegion, session: DbSession, user: ApiUser, body: ComplaintIn
) -> ComplaintCreated:
    """File a complaint, with a bearer token (followed by that account) or without one (the
    answer then holds an access code, shown once)."""
    filing = service.Filing(
        kind=body.kind,
        category=body.category,
        title=body.title,
        description=body.description,
        anonymous=body.anonymous,
        confidential=body.confidential,
        latitude=body.latitude,
        longitude=body.longitude,
        address=body.address,
    )
    filed = service.file_complaint(
        session, region, filing, reporter=user, source=service.ComplaintSource.API
    )
    return ComplaintCreated(
        number=filed.complaint.number,
        status=filed.complaint.status.value,
        access_code=filed.access_code,
    )


@router.get("")
def list_complaints(
    region: CurrentRegion, session: DbSession, page: Annotated[int, Query(ge=1, le=10_000)] = 1
) -> list[ComplaintOut]:
    """The public list, newest first, 50 a page (never a confidential complaint)."""
    return [ComplaintOut(**view) for view in service.public_complaint_page(session, region, page)]


@router.get("/categories")
def list_categories(region: CurrentRegion, session: DbSession) -> list[CategoryOut]:
    """The active categories a complaint may be filed under."""
    return [
        CategoryOut(
            code=c.code,
            name=c.name,
            description=c.description,
            group=c.group_name,
            needs_location=c.needs_location,
        )
        for c in service.categories(session, region)
        if c.active
    ]


@router.get("/{number}")
def get_complaint(
    region: CurrentRegion,
    session: DbSession,
    user: ApiUser,
    number: str,
    access_code: Annotated[
        str | None,
        Header(alias="X-Access-Code", description="The code given at filing without an account"),
    ] = None,
) -> ComplaintOut:
    """A complaint the caller may read: public ones for all, a confidential one only for its
    reporter (token or access code) and the staff who handle it ("not found" otherwise)."""
    code = access_code[:40] if access_code else None
    complaint = service.readable_complaint(session, region, number[:40], user, code)
    return ComplaintOut(**service.api_views(session, region, [complaint])[0])
