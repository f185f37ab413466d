"""Public tracking (``/{region}/lacak``), the receipt download and the cancellation pages.

Thin: each route reads the form, calls ``tracking.service`` and renders (decision 0051).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageUser
from simpul.applications import service as applications
from simpul.applications.labels import STATUS_LABELS
from simpul.applications.submission import get_own_application
from simpul.applications.tracking import service as tracking
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from simpul.core.kit.notices import with_notice
from simpul.core.regions import CurrentRegion
from simpul.core.security import client_source
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _tracking_page(
    request: Request,
    *,
    nomor: str = "",
    tanggal_lahir: str = "",
    nik4: str = "",
    view: tracking.TrackingView | None = None,
    errors: dict[str, str] | None = None,
    message: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    page = render(
        request,
        "applications/tracking.html",
        {
            "nomor": nomor,
            # The check is never echoed back once it has been used: only after a typing error.
            "tanggal_lahir": tanggal_lahir,
            "nik4": nik4,
            "view": view,
            "errors": errors or {},
            "message": message,
            "status_labels": STATUS_LABELS,
        },
        status_code=status_code,
    )
    page.headers["Cache-Control"] = "no-store"
    page.headers.update(headers or {})
    return page


@router.get("/{region}/lacak", response_class=HTMLResponse, name="track_application")
def tracking_form(
    request: Request,
    region: CurrentRegion,
    nomor: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """The form, with the number filled in when the receipt's QR code opened it."""
    return _tracking_page(request, nomor=tracking.normalise_tracking_number(nomor) or "")


@router.post("/{region}/lacak", response_class=HTMLResponse)
def track_application(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    nomor: Annotated[str, Form(max_length=40)] = "",
    tanggal_lahir: Annotated[str, Form(max_length=20)] = "",
    nik4: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    try:
        number, birth_date, last4 = tracking.parse_lookup(nomor, tanggal_lahir, nik4)
    except InvalidInput as exc:
        return _tracking_page(
            request,
            nomor=nomor,
            tanggal_lahir=tanggal_lahir,
            nik4=nik4,
            errors=exc.field_errors(),
            status_code=exc.status_code,
        )
    try:
        tracking.limit_lookups(
            request.app.state,
            region,
            client_source(request.client.host if request.client else None),
            number,
        )
        view = tracking.track(session, region, number, birth_date, last4)
    except (NotFound, TooManyRequests) as exc:
        return _tracking_page(
            request,
            nomor=number,
            message=exc.message,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return _tracking_page(request, nomor=number, view=view)


@router.get("/{region}/permohonan/{application_id}/bukti-pendaftaran", name="receipt")
def download_receipt(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
) -> Response:
    """The applicant's receipt (bukti pendaftaran) as a PDF."""
    application, pdf = tracking.receipt_pdf(
        session, region, user, application_id, request.app.state.settings.public_url
    )
    name = f"bukti-pendaftaran-{application.tracking_number}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": applications.content_disposition(name),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _cancel_page(
    request: Request,
    session: DbSession,
    application: Any,
    *,
    errors: dict[str, str] | None = None,
    alasan: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    service = applications.service_of(session, application)
    return render(
        request,
        "applications/cancel.html",
        {
            "application": application,
            "service_name": service.name,
            "cancellable": tracking.cancellable(session, application),
            "errors": errors or {},
            "alasan": alasan,
        },
        status_code=status_code,
    )


@router.get(
    "/{region}/permohonan/{application_id}/batalkan",
    response_class=HTMLResponse,
    name="cancel_application",
)
def cancel_form(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
) -> HTMLResponse:
    """The confirmation: what cancelling means, an optional reason, the button."""
    application = get_own_application(session, region, user, application_id)
    return _cancel_page(request, session, application)


@router.post("/{region}/permohonan/{application_id}/batalkan", response_class=HTMLResponse)
def cancel_application(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    application_id: uuid.UUID,
    alasan: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    try:
        tracking.cancel_application(session, region, user, application_id, alasan)
    except InvalidInput as exc:
        application = get_own_application(session, region, user, application_id)
        return _cancel_page(
            request,
            session,
            application,
            errors=exc.field_errors(),
            alasan=alasan,
            status_code=exc.status_code,
        )
    except Conflict as exc:
        session.rollback()
        application = get_own_application(session, region, user, application_id)
        return _cancel_page(
            request, session, application, errors={"alasan": exc.message}, status_code=409
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/permohonan/{application_id}", "dibatalkan"),
        status_code=303,
    )
