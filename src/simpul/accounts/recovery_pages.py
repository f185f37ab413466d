"""Pages of account recovery and verification: "Lupa kata sandi?" and its link, and the
owner's e-mail address and phone number (``/{region}/akun/kontak``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import recovery
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import User
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _private(response: Response) -> Response:
    """A page whose URL carries a secret: no Referer leaves it, nothing keeps it."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/{region}/lupa-sandi", response_class=HTMLResponse, name="forgot_password")
def forgot_form(request: Request, region: CurrentRegion) -> HTMLResponse:
    return render(request, "accounts/forgot.html", {"email": "", "errors": {}})


@router.post("/{region}/lupa-sandi", response_class=HTMLResponse)
def forgot(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    email: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        sent = recovery.request_password_reset(
            session, region, email[:254], client=_client(request)
        )
    except InvalidInput as exc:
        return render(
            request,
            "accounts/forgot.html",
            {"email": email[:254], "errors": exc.field_errors(), "message": exc.message},
            status_code=exc.status_code,
        )
    return render(
        request, "accounts/forgot_sent.html", {"email": sent.email, "minutes": sent.minutes}
    )


def _invalid_link(request: Request, exc: NotFound, again: str) -> Response:
    return _private(
        render(
            request,
            "accounts/link_invalid.html",
            {"message": exc.message, "again": again},
            status_code=404,
        )
    )


@router.get("/{region}/lupa-sandi/atur", response_class=HTMLResponse, name="reset_password")
def reset_form(
    request: Request, region: CurrentRegion, session: DbSession, t: str = ""
) -> Response:
    try:
        recovery.check_reset_link(session, region, t)
    except NotFound as exc:
        return _invalid_link(request, exc, f"/{region.slug}/lupa-sandi")
    return _private(
        render(request, "accounts/reset.html", {"token": t[: recovery.MAX_TOKEN], "errors": {}})
    )


@router.post("/{region}/lupa-sandi/atur", response_class=HTMLResponse)
def reset(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    token: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_confirm: Annotated[str, Form()] = "",
) -> Response:
    token = token[: recovery.MAX_TOKEN]
    try:
        recovery.reset_password(
            session, region, token, new=new_password[:200], confirm=new_password_confirm[:200]
        )
    except NotFound as exc:
        return _invalid_link(request, exc, f"/{region.slug}/lupa-sandi")
    except InvalidInput as exc:
        return _private(
            render(
                request,
                "accounts/reset.html",
                {"token": token, "errors": exc.field_errors(), "message": exc.message},
                status_code=exc.status_code,
            )
        )
    return RedirectResponse(f"/{region.slug}/masuk?pesan=sandi-diganti", status_code=303)


def _contact_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: User,
    extra: dict[str, object],
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "accounts/contact.html",
        {
            "pending_phone": recovery.pending_phone(session, region, user),
            "whatsapp": recovery.whatsapp_is_offered(),
            "email_errors": {},
            "phone_errors": {},
            "code_errors": {},
            **extra,
        },
        status_code=status,
    )


@router.get("/{region}/akun/kontak", response_class=HTMLResponse, name="account_contact")
def contact(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    return _contact_page(request, session, region, user, {})


@router.post("/{region}/akun/kontak/email", response_class=HTMLResponse)
def change_email(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    password: Annotated[str, Form()] = "",
    new_email: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        sent_to = recovery.request_email_change(
            session,
            region,
            user,
            password=password[:200],
            new_email=new_email[:254],
            client=_client(request),
        )
    except InvalidInput as exc:
        return _contact_page(
            request,
            session,
            region,
            user,
            {
                "email_errors": exc.field_errors(),
                "email_message": exc.message,
                "new_email": new_email[:254],
            },
            exc.status_code,
        )
    return _contact_page(request, session, region, user, {"email_sent_to": sent_to})


@router.get("/{region}/akun/kontak/email", response_class=HTMLResponse, name="confirm_email")
def confirm_email_form(
    request: Request, region: CurrentRegion, session: DbSession, t: str = ""
) -> Response:
    """The change link's page: a button, so that mail scanners opening links change nothing."""
    try:
        new_email = recovery.check_email_change_link(session, region, t)
    except NotFound as exc:
        return _invalid_link(request, exc, f"/{region.slug}/akun/kontak")
    return _private(
        render(
            request,
            "accounts/email_confirm.html",
            {"token": t[: recovery.MAX_TOKEN], "new_email": new_email},
        )
    )


@router.post("/{region}/akun/kontak/email/pastikan", response_class=HTMLResponse)
def confirm_email(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    token: Annotated[str, Form()] = "",
) -> Response:
    try:
        recovery.confirm_email_change(session, region, token[: recovery.MAX_TOKEN])
    except NotFound as exc:
        return _invalid_link(request, exc, f"/{region.slug}/akun/kontak")
    return _private(render(request, "accounts/email_confirmed.html", {}))


@router.post("/{region}/akun/kontak/hp", response_class=HTMLResponse)
def send_phone_code(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    phone: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        sent_to = recovery.request_phone_code(
            session, region, user, phone[:30], client=_client(request)
        )
    except InvalidInput as exc:
        return _contact_page(
            request,
            session,
            region,
            user,
            {"phone_errors": exc.field_errors(), "phone_message": exc.message, "phone": phone[:30]},
            exc.status_code,
        )
    return _contact_page(request, session, region, user, {"code_sent_to": sent_to})


@router.post("/{region}/akun/kontak/hp/kode", response_class=HTMLResponse)
def verify_phone(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        recovery.verify_phone(session, region, user, code[:20])
    except InvalidInput as exc:
        # A wrong code's try is committed with this answer (no exception leaves the route).
        return _contact_page(
            request,
            session,
            region,
            user,
            {"code_errors": exc.field_errors(), "code_message": exc.message},
            exc.status_code,
        )
    return _contact_page(request, session, region, user, {"phone_verified": True})
