"""Simpul's applications API: the caller's applications, one application's file, notifications.

Integrated apps that submit and process applications use the GovStack Registration API
(``registration_api.py``); this one is for a citizen's or an officer's own scripts.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from simpul.accounts.auth import CurrentApiUser
from simpul.applications import answers, notices, workflow
from simpul.applications import service as applications
from simpul.applications.listing import MAX_LIST_OFFSET
from simpul.applications.models import Application
from simpul.applications.schemas import (
    ApplicationOut,
    ApplicationSummaryOut,
    DocumentOut,
    EventOut,
    NotificationOut,
)
from simpul.applications.uploads import AppStorage
from simpul.catalogue.models import Service
from simpul.core.database import DbSession
from simpul.core.regions import CurrentRegion
from simpul.documents import service as documents_service
from simpul.web.api_errors import CLIENT_ERRORS
from simpul.web.routing import CommittingRoute

router = APIRouter(
    prefix="/api/{region}",
    tags=["applications"],
    route_class=CommittingRoute,
    responses=CLIENT_ERRORS,
)


def _summary(
    application: Application, service: Service, region_slug: str, *, has_document: bool
) -> ApplicationSummaryOut:
    return ApplicationSummaryOut(
        id=application.id,
        tracking_number=application.tracking_number,
        service=service.slug,
        service_name=service.name,
        status=application.status.value,
        current_step=application.current_step,
        submitted_at=application.submitted_at,
        due_date=application.due_date,
        finished_at=application.finished_at,
        url=f"/api/{region_slug}/applications/{application.id}",
        document_url=(
            f"/api/{region_slug}/applications/{application.id}/document" if has_document else None
        ),
    )


@router.get("/applications", response_model=list[ApplicationSummaryOut])
def list_applications(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_LIST_OFFSET)] = 0,
    cursor: Annotated[
        str | None,
        Query(description="The `X-Next-Cursor` of the previous page: the list after its last row."),
    ] = None,
) -> list[ApplicationSummaryOut]:
    """A citizen's own applications (newest first); an officer's agencies' applications.

    Pages by ``offset`` (up to 10,000) or, to any depth, by ``cursor``: while more rows
    follow, the answer's ``X-Next-Cursor`` header continues the list (decision 0035).
    """
    rows, next_cursor = applications.visible_application_rows(
        session, region, user, limit=limit, offset=offset, cursor=cursor
    )
    if next_cursor is not None:
        response.headers["X-Next-Cursor"] = next_cursor
    issued = documents_service.applications_with_document(
        session, region, [row.application.id for row in rows]
    )
    return [
        _summary(
            row.application,
            row.service,
            region.slug,
            has_document=row.application.id in issued,
        )
        for row in rows
    ]


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def get_application(
    region: CurrentRegion, session: DbSession, user: CurrentApiUser, application_id: uuid.UUID
) -> ApplicationOut:
    """One application with its data, documents and history (404 for anyone else's).

    Personal answers are whole for the applicant and for the officers at the application's
    current step (their read is recorded); others get masks, listed in ``masked_fields``.
    """
    view = workflow.read_application(session, region, user, application_id)
    own = view.application.applicant_id == user.id
    shown = answers.answers_for(session, region, user, view.application, view.service, via="api")
    issued = documents_service.applications_with_document(session, region, [view.application.id])
    summary = _summary(
        view.application, view.service, region.slug, has_document=view.application.id in issued
    )
    return ApplicationOut(
        **summary.model_dump(),
        data=shown.data,
        masked_fields=shown.masked_fields,
        documents=[
            DocumentOut(
                id=d.id,
                requirement=d.requirement_code,
                filename=d.filename,
                content_type=d.content_type,
                size=d.size,
                sha256=d.sha256,
                url=f"/{region.slug}/dokumen/{d.id}",
            )
            for d in view.documents
        ],
        history=[
            EventOut(
                at=e.at,
                action=e.action,
                from_status=e.from_status,
                to_status=e.to_status,
                step=e.step,
                actor=e.actor_label,
                # Who handed a task to whom and why is the agency's (decision 0047).
                note="" if e.action == "assign" and own else e.note,
            )
            for e in view.events
        ],
    )


@router.get(
    "/applications/{application_id}/document",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The signed PDF."},
        404: {"description": "No such application for the caller, or no document (yet)."},
    },
)
def get_application_document(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentApiUser,
    storage: AppStorage,
    application_id: uuid.UUID,
    product: Annotated[
        str | None,
        Query(
            max_length=40,
            description="The product's code when the service issues several "
            "(default: the first in force).",
        ),
    ] = None,
) -> StreamingResponse:
    """The signed PDF issued for the application (owner or responsible officer; audited)."""
    document, stream = documents_service.open_issued_document(
        session, region, storage, user, application_id, product
    )
    return StreamingResponse(
        stream, media_type="application/pdf", headers=documents_service.download_headers(document)
    )


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    region: CurrentRegion, session: DbSession, user: CurrentApiUser
) -> list[NotificationOut]:
    """The caller's in-app notifications, newest first (in the Accept-Language language)."""
    return [
        NotificationOut(
            id=n.id,
            application_id=n.application_id,
            kind=n.kind,
            text=notices.text_of(n),
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in notices.list_for(session, region, user.id)
    ]
