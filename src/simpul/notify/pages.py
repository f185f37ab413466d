"""Pages: a citizen's notification channels, and an application's delivery log for officers."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff, CurrentPageUser
from simpul.core.database import DbSession
from simpul.core.i18n import lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.regions import CurrentRegion
from simpul.notify import service
from simpul.notify.models import ATTEMPT_OUTCOME_LABELS, CHANNEL_LABELS, DELIVERY_STATUS_LABELS
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

#: What the channels page says after the choices were saved (``?pesan=``).
NOTICES: Final = {"disimpan": lazy("Pilihan Anda tersimpan.")}

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


@router.get(
    "/{region}/akun/pemberitahuan", response_class=HTMLResponse, name="notification_channels"
)
def channels_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    return render(
        request,
        "notify/channels.html",
        {
            "choices": service.channel_choices(session, user),
            "channel_labels": CHANNEL_LABELS,
            "notice": notice_text(NOTICES, pesan),
        },
    )


@router.post("/{region}/akun/pemberitahuan", name="save_notification_channels")
def save_channels(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    channel: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Each offered channel is on if its box was ticked (an unticked box sends nothing)."""
    service.save_channel_choices(session, region, user, set(channel or []))
    return RedirectResponse(
        with_notice(f"/{region.slug}/akun/pemberitahuan", "disimpan"), status_code=303
    )


@router.get(
    "/{region}/petugas/permohonan/{application_id}/pengiriman",
    response_class=HTMLResponse,
    name="delivery_log",
)
def delivery_log_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    application_id: uuid.UUID,
) -> HTMLResponse:
    return render(
        request,
        "notify/delivery_log.html",
        {
            "application_id": application_id,
            "entries": service.delivery_log(session, region, officer, application_id),
            "channel_labels": CHANNEL_LABELS,
            "status_labels": DELIVERY_STATUS_LABELS,
            "outcome_labels": ATTEMPT_OUTCOME_LABELS,
        },
    )
