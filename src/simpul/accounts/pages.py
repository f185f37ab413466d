"""Account pages: register with NIK, log in and out, the profile with API tokens, and the
landing pages of staff and the region admin."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import registration, service
from simpul.accounts.auth import (
    CurrentPageAdmin,
    CurrentPageStaff,
    CurrentPageUser,
    PageUser,
)
from simpul.accounts.models import (
    ACCOUNT_KIND_LABELS,
    STAFF_ROLE_LABELS,
    AccountKind,
    StaffRoleName,
    User,
)
from simpul.accounts.schemas import CitizenRegistration
from simpul.catalogue import service as catalogue_service
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.i18n import lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.core.security import client_source
from simpul.identity import mfa, mfa_pages
from simpul.identity import service as identity_service
from simpul.web.csrf import csrf_protect
from simpul.web.middleware import SESSION_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


def _home_of(user: User, region: Region) -> str:
    if user.kind is AccountKind.REGION_ADMIN:
        return f"/{region.slug}/admin"
    if user.kind is AccountKind.STAFF:
        return f"/{region.slug}/petugas/kotak-masuk"
    return f"/{region.slug}/permohonan"


def _safe_next(region: Region, target: str | None) -> str | None:
    """Only go back to a page of the same region (no open redirects)."""
    if (
        target
        and target.startswith(f"/{region.slug}")
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return None


def login_target(region: Region, user: User, target: str | None) -> str:
    """Where a login goes: ``target`` when it is a page of the region, else the user's home."""
    return _safe_next(region, target) or _home_of(user, region)


def _client(request: Request) -> str | None:
    """The client's address: behind the reverse proxy, the one it forwards (uvicorn's proxy
    headers, trusted only from FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else None


def login_response(
    request: Request,
    session: DbSession,
    user: User,
    target: str,
    *,
    amr: tuple[str, ...] = ("pwd",),
    response: Response | None = None,
) -> Response:
    """Start a browser session proven by ``amr`` and send the user to ``target`` (or
    answer with ``response``, carrying the session cookie)."""
    token, expires = service.start_session(
        session,
        user,
        amr=amr,
        user_agent=request.headers.get("user-agent", ""),
        source=client_source(_client(request)),
    )
    response = response or RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        path=f"/{request.state.region.slug}",
        httponly=True,
        samesite="lax",
        secure=not request.app.state.settings.debug,
    )
    return response


@router.get("/{region}/daftar", response_class=HTMLResponse, name="register")
def register_form(request: Request, region: CurrentRegion, user: PageUser) -> Response:
    if user is not None:
        return RedirectResponse(_home_of(user, region), status_code=303)
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@router.post("/{region}/daftar", response_class=HTMLResponse)
def register(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    nik: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_confirm: Annotated[str, Form()] = "",
    consent: Annotated[str | None, Form()] = None,
) -> Response:
    data = CitizenRegistration(
        nik=nik[:40],
        full_name=full_name[:200],
        email=email[:254],
        phone=phone[:30],
        password=password[:200],
        password_confirm=password_confirm[:200],
        consent=consent == "ya",
    )
    try:
        received = registration.register_citizen(session, region, data, client=_client(request))
    except InvalidInput as exc:
        values = {"nik": nik, "full_name": full_name, "email": email, "phone": phone}
        return render(
            request,
            "accounts/register.html",
            {"values": values, "errors": exc.field_errors(), "message": exc.message},
            status_code=exc.status_code,
        )
    return render(
        request,
        "accounts/register_sent.html",
        {"email": received.email, "hours": received.hours},
    )


@router.get(
    "/{region}/daftar/aktifkan/{user_id}/{code}", response_class=HTMLResponse, name="activate"
)
def activation_page(
    request: Request, region: CurrentRegion, session: DbSession, user_id: uuid.UUID, code: str
) -> HTMLResponse:
    """The activation link's page: a button, so that mail scanners opening links activate
    nothing."""
    pending = registration.activation_pending(session, region, user_id, code[:100])
    return render(
        request, "accounts/activate.html", {"pending": pending, "action": request.url.path}
    )


@router.post("/{region}/daftar/aktifkan/{user_id}/{code}", response_class=HTMLResponse)
def activate(
    request: Request, region: CurrentRegion, session: DbSession, user_id: uuid.UUID, code: str
) -> Response:
    user = registration.activate(session, region, user_id, code[:100])
    if user is None:
        return render(
            request, "accounts/activate.html", {"pending": False, "action": request.url.path}
        )
    return login_response(request, session, user, with_notice(f"/{region.slug}/akun", "baru"))


#: What the login page says after a redirect (``?pesan=``): an invited officer has just set
#: their password (``staff_pages.accept_invitation``).
LOGIN_NOTICES: Final = {
    "masuk-habis": lazy(
        "Waktu masuk sudah habis. Silakan masuk lagi dengan e-mail dan kata sandi."
    ),
    "sandi-dipasang": lazy(
        "Kata sandi Anda sudah dipasang. Silakan masuk dengan e-mail dan kata sandi itu."
    ),
    # accounts.recovery_pages: a password set through a reset link.
    "sandi-diganti": lazy(
        "Kata sandi sudah diganti dan semua login akun diakhiri. Silakan masuk dengan kata "
        "sandi baru."
    ),
}


@router.get("/{region}/masuk", response_class=HTMLResponse, name="login")
def login_form(
    request: Request,
    region: CurrentRegion,
    user: PageUser,
    next: str | None = None,
    pesan: NoticeCode = None,
) -> Response:
    if user is not None:
        return RedirectResponse(_safe_next(region, next) or _home_of(user, region), status_code=303)
    return render(
        request,
        "accounts/login.html",
        {
            "email": "",
            "next": _safe_next(region, next) or "",
            "notice": notice_text(LOGIN_NOTICES, pesan),
        },
    )


@router.post("/{region}/masuk", response_class=HTMLResponse)
def login(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    result = service.login(
        session, region, email=email[:254], password=password[:200], client=_client(request)
    )
    if result.user is None:
        return render(
            request,
            "accounts/login.html",
            {"email": email, "next": _safe_next(region, next) or "", "message": result.error},
            status_code=401,
        )
    target = _safe_next(region, next) or _home_of(result.user, region)
    pending = mfa.begin_second_step(
        session,
        region,
        result.user,
        required=request.app.state.settings.mfa_required,
        target=target,
    )
    if pending is not None:  # the password alone does not log this user in
        return mfa_pages.pending_redirect(request, region, pending)
    return login_response(request, session, result.user, target)


@router.post("/{region}/keluar", name="logout")
def logout(request: Request, region: CurrentRegion, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        identity_service.end_app_sessions(session, region, token)
        service.end_session(session, token)
    response = RedirectResponse(f"/{region.slug}", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=f"/{region.slug}")
    return response


@router.get("/{region}/akun", response_class=HTMLResponse, name="account")
def account(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    return _account_page(request, session, user, {"welcome": pesan == "baru"})


def _account_page(
    request: Request, session: DbSession, user: User, extra: dict[str, object], status: int = 200
) -> HTMLResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "nik_masked": service.masked_nik_of(user),
            "tokens": service.list_api_tokens(session, user),
            "active_tokens": service.active_api_tokens(session, user),
            **extra,
        },
        status_code=status,
    )


@router.post("/{region}/akun/token", response_class=HTMLResponse, name="create_token")
def create_token(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    name: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        _token, raw = service.create_api_token(session, user, name[:200])
    except InvalidInput as exc:
        return _account_page(request, session, user, {"token_error": exc.message}, exc.status_code)
    return _account_page(request, session, user, {"new_token": raw}, 201)


@router.post("/{region}/akun/token/{token_id}/cabut", name="revoke_token")
def revoke_token(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    token_id: uuid.UUID,
) -> Response:
    service.revoke_api_token(session, user, token_id)
    return RedirectResponse(f"/{region.slug}/akun", status_code=303)


@router.post("/{region}/akun/kata-sandi", response_class=HTMLResponse, name="change_password")
def change_password(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    new_password_confirm: Annotated[str, Form()] = "",
    keep_token: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    keep = {uuid.UUID(raw) for raw in (keep_token or [])[:100] if _is_uuid(raw)}
    try:
        revoked = service.change_password(
            session,
            user,
            current=current_password[:200],
            new=new_password[:200],
            confirm=new_password_confirm[:200],
            keep_session_token=request.cookies.get(SESSION_COOKIE),
            keep_token_ids=keep,
        )
    except InvalidInput as exc:
        return _account_page(
            request,
            session,
            user,
            {"password_errors": exc.field_errors(), "password_message": exc.message},
            exc.status_code,
        )
    return _account_page(
        request, session, user, {"password_changed": True, "tokens_revoked": revoked}
    )


def _is_uuid(raw: str) -> bool:
    try:
        uuid.UUID(raw)
    except ValueError:
        return False
    return True


@router.get("/{region}/akun/data", name="export_data")
def export_data(region: CurrentRegion, user: CurrentPageUser) -> Response:
    """The old JSON download: everything is now on the "Data saya" page (identity.rights)."""
    return RedirectResponse(f"/{region.slug}/akun/data-saya", status_code=303)


@router.get("/{region}/petugas", response_class=HTMLResponse, name="staff_home")
def staff_home(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageStaff
) -> HTMLResponse:
    agencies = {a.agency.id: a for a in catalogue_service.list_agencies(session, region)}
    roles = [(agencies[r.agency_id].agency, r.role) for r in user.roles if r.agency_id in agencies]
    return render(
        request,
        "accounts/staff_home.html",
        {
            "roles": roles,
            "role_labels": STAFF_ROLE_LABELS,
            "can_edit": any(r.role is StaffRoleName.ADMIN_OPD for r in user.roles),
        },
    )


@router.get("/{region}/admin", response_class=HTMLResponse, name="admin_home")
def admin_home(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    accounts = service.count_accounts(session, region)
    return render(
        request,
        "accounts/admin_home.html",
        {
            "agencies": catalogue_service.list_agencies(session, region),
            "citizens": accounts.get(AccountKind.CITIZEN, 0),
            "staff_count": accounts.get(AccountKind.STAFF, 0),
            "staff": service.list_staff(session, region),
            "kind_labels": ACCOUNT_KIND_LABELS,
        },
    )
