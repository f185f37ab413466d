"""Pages: the notifications list (citizens and officers), a citizen's notification channels,
and an application's delivery log for officers."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff, CurrentPageUser
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
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
#: What the notifications list says after marking (``?pesan=``).
LIST_NOTICES: Final = {
    "dibaca": lazy("Pemberitahuan ditandai sudah dibaca."),
    "semua-dibaca": lazy("Semua pemberitahuan ditandai sudah dibaca."),
}

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


@router.get("/{region}/notifikasi", response_class=HTMLResponse, name="notifications")
def notifications_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    """The user's notifications, unread ones marked; reading the list marks nothing."""
    items = service.notifications_for(session, region, user)
    unread = service.unread_count(session, region.id, user.id)
    request.state.unread_notifications = unread  # the bell needs no second count
    return render(
        request,
        "applications/notifications.html",
        {"items": items, "unread": unread, "notice": notice_text(LIST_NOTICES, pesan)},
    )


@router.post("/{region}/notifikasi/dibaca", name="mark_all_notifications_read")
def mark_all_read(region: CurrentRegion, session: DbSession, user: CurrentPageUser) -> Response:
    service.mark_all_notifications_read(session, region, user)
    return RedirectResponse(
        with_notice(f"/{region.slug}/notifikasi", "semua-dibaca"), status_code=303
    )


@router.post("/{region}/notifikasi/{notification_id}/dibaca", name="mark_notification_read")
def mark_read(
    region: CurrentRegion, session: DbSession, user: CurrentPageUser, notification_id: uuid.UUID
) -> Response:
    """Mark one of the user's own notifications read (another's is 404)."""
    service.mark_notification_read(session, region, user, notification_id)
    return RedirectResponse(with_notice(f"/{region.slug}/notifikasi", "dibaca"), status_code=303)


def _channels_page(
    request: Request,
    session: DbSession,
    user: CurrentPageUser,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    phone: str | None = None,
    ticked: set[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    choices = service.channel_choices(session, user)
    return render(
        request,
        "notify/channels.html",
        {
            "choices": choices,
            "channel_labels": CHANNEL_LABELS,
            "notice": notice,
            "errors": errors or {},
            "phone": user.phone if phone is None else phone,
            "ticked": ticked
            if ticked is not None
            else {c.channel.value for c in choices if c.enabled},
            "asks_phone": any(c.channel.value == "whatsapp" for c in choices),
        },
        status_code=status_code,
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
    return _channels_page(request, session, user, notice=notice_text(NOTICES, pesan))


@router.post("/{region}/akun/pemberitahuan", name="save_notification_channels")
def save_channels(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    channel: Annotated[list[str] | None, Form()] = None,
    phone: Annotated[str | None, Form(max_length=40)] = None,
) -> Response:
    """Each offered channel is on if its box was ticked (an unticked box sends nothing); the
    phone number, when the form asks for it, is the WhatsApp number. Errors: the form again,
    nothing saved."""
    ticked = set(channel or [])
    try:
        service.save_channel_choices(session, region, user, ticked, phone=phone)
    except InvalidInput as exc:  # checked before anything changed
        return _channels_page(
            request,
            session,
            user,
            errors=exc.field_errors(),
            phone=phone,
            ticked=ticked,
            status_code=422,
        )
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
