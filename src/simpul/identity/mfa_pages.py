"""Second-factor pages: the login's second step (a code after the password, or setting up an
authenticator for a user who must have one) and the security page (authenticator, recovery
codes, sessions and devices)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import pages as account_pages
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import User
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.kit.notices import with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.identity import mfa
from simpul.web.csrf import csrf_protect
from simpul.web.middleware import SESSION_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: How a login proven by the authenticator is recorded (RFC 8176).
OTP_AMR = ("pwd", "otp")


def _secure(request: Request) -> bool:
    return not request.app.state.settings.debug


def pending_redirect(request: Request, region: Region, token: str) -> Response:
    """Send a user whose password was right to the second step, holding the pending login."""
    response = RedirectResponse(f"/{region.slug}/masuk/verifikasi", status_code=303)
    response.set_cookie(
        mfa.PENDING_COOKIE,
        token,
        max_age=mfa.PENDING_MINUTES * 60,
        path=f"/{region.slug}",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


def _pending(request: Request, session: DbSession, region: Region) -> mfa.Pending:
    return mfa.pending_of(session, region, request.cookies.get(mfa.PENDING_COOKIE))


def _start_over(region: Region) -> Response:
    return RedirectResponse(with_notice(f"/{region.slug}/masuk", "masuk-habis"), status_code=303)


def _finish(
    request: Request,
    session: DbSession,
    region: Region,
    pending: mfa.Pending,
    response: Response | None = None,
) -> Response:
    mfa.finish_second_step(session, pending)
    result = account_pages.login_response(
        request, session, pending.user, pending.row.target, amr=OTP_AMR, response=response
    )
    result.delete_cookie(mfa.PENDING_COOKIE, path=f"/{region.slug}")
    return result


@router.get("/{region}/masuk/verifikasi", response_class=HTMLResponse, name="mfa_verify")
def verify_form(request: Request, region: CurrentRegion, session: DbSession) -> Response:
    try:
        pending = _pending(request, session, region)
    except NotFound:  # expired or never there: back to the password, saying why
        return _start_over(region)
    if pending.row.purpose == "enrol":
        return RedirectResponse(f"/{region.slug}/masuk/pasang-verifikasi", status_code=303)
    return render(request, "identity/mfa_verify.html", {"errors": {}})


@router.post("/{region}/masuk/verifikasi", response_class=HTMLResponse)
def verify(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    code: Annotated[str, Form()] = "",
) -> Response:
    pending = _pending(request, session, region)
    if pending.row.purpose != "verify":
        return RedirectResponse(f"/{region.slug}/masuk/pasang-verifikasi", status_code=303)
    try:
        mfa.check_code(session, pending.user, code, allow_recovery=True)
    except InvalidInput as exc:  # the wrong code is counted: this answer commits
        return render(
            request, "identity/mfa_verify.html", {"errors": exc.field_errors()}, status_code=401
        )
    return _finish(request, session, region, pending)


def _enrol_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: User,
    action: str,
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    factor = mfa.start_enrolment(session, region, user)
    return render(
        request,
        "identity/mfa_enrol.html",
        {"enrolment": mfa.enrolment_of(region, user, factor), "action": action, "errors": errors},
        status_code=status_code,
    )


@router.get("/{region}/masuk/pasang-verifikasi", response_class=HTMLResponse, name="mfa_enrol")
def enrol_form(request: Request, region: CurrentRegion, session: DbSession) -> Response:
    try:
        pending = _pending(request, session, region)
    except NotFound:
        return _start_over(region)
    if pending.row.purpose != "enrol":
        return RedirectResponse(f"/{region.slug}/masuk/verifikasi", status_code=303)
    action = f"/{region.slug}/masuk/pasang-verifikasi"
    return _enrol_page(request, session, region, pending.user, action, {})


@router.post("/{region}/masuk/pasang-verifikasi", response_class=HTMLResponse)
def enrol(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    code: Annotated[str, Form()] = "",
) -> Response:
    pending = _pending(request, session, region)
    if pending.row.purpose != "enrol":
        return RedirectResponse(f"/{region.slug}/masuk/verifikasi", status_code=303)
    try:
        codes = mfa.confirm_enrolment(session, pending.user, code)
    except InvalidInput as exc:
        action = f"/{region.slug}/masuk/pasang-verifikasi"
        return _enrol_page(request, session, region, pending.user, action, exc.field_errors(), 400)
    page = render(
        request,
        "identity/mfa_recovery_codes.html",
        {"codes": codes, "next": pending.row.target or f"/{region.slug}/akun"},
    )
    return _finish(request, session, region, pending, page)


# -- the security page ------------------------------------------------------------------------


def _security_page(
    request: Request,
    session: DbSession,
    region: Region,
    user: User,
    extra: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    pending = mfa.pending_enrolment(session, region, user)
    context: dict[str, object] = {
        "enabled": mfa.has_second_factor(session, user),
        "required": request.app.state.settings.mfa_required
        and mfa.must_have_second_factor(session, user),
        "enrolment": mfa.enrolment_of(region, user, pending) if pending else None,
        "recovery_left": mfa.unused_recovery_codes(session, user),
        "devices": mfa.devices(session, user, request.cookies.get(SESSION_COOKIE)),
        "errors": {},
    }
    context.update(extra or {})
    return render(request, "identity/security.html", context, status_code=status_code)


@router.get("/{region}/akun/keamanan", response_class=HTMLResponse, name="security")
def security(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    return _security_page(request, session, region, user)


@router.post("/{region}/akun/keamanan/totp/mulai")
def start_totp(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> Response:
    try:
        mfa.start_enrolment(session, region, user)
    except InvalidInput as exc:
        return _security_page(request, session, region, user, {"message": exc.message}, 409)
    return RedirectResponse(f"/{region.slug}/akun/keamanan#totp", status_code=303)


@router.post("/{region}/akun/keamanan/totp/konfirmasi", response_class=HTMLResponse)
def confirm_totp(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        codes = mfa.confirm_enrolment(session, user, code)
    except InvalidInput as exc:
        return _security_page(request, session, region, user, {"errors": exc.field_errors()}, 400)
    mfa.prove_current_session(session, user, request.cookies.get(SESSION_COOKIE))
    return _security_page(request, session, region, user, {"new_codes": codes}, 201)


@router.post("/{region}/akun/keamanan/kode-pemulihan", response_class=HTMLResponse)
def renew_codes(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    renew_code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        codes = mfa.regenerate_recovery_codes(session, user, renew_code)
    except InvalidInput as exc:
        errors = {"renew_" + k: v for k, v in exc.field_errors().items()}
        return _security_page(request, session, region, user, {"errors": errors}, 400)
    return _security_page(request, session, region, user, {"new_codes": codes}, 201)


@router.post("/{region}/akun/keamanan/totp/nonaktifkan", response_class=HTMLResponse)
def disable_totp(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    password: Annotated[str, Form()] = "",
    off_code: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        mfa.disable(session, user, password=password[:200], code=off_code)
    except InvalidInput as exc:
        errors = {("off_code" if k == "code" else k): v for k, v in exc.field_errors().items()}
        return _security_page(request, session, region, user, {"errors": errors}, 400)
    return _security_page(request, session, region, user, {"disabled": True})


@router.post("/{region}/akun/keamanan/sesi/{session_id}/akhiri")
def end_session(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    session_id: uuid.UUID,
) -> Response:
    current = next(
        (d for d in mfa.devices(session, user, request.cookies.get(SESSION_COOKIE)) if d.current),
        None,
    )
    mfa.revoke_session(session, region, user, session_id)
    if current is not None and current.id == session_id:
        response = RedirectResponse(f"/{region.slug}", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=f"/{region.slug}")
        return response
    return RedirectResponse(f"/{region.slug}/akun/keamanan#perangkat", status_code=303)


@router.post("/{region}/akun/keamanan/sesi/akhiri-lainnya", response_class=HTMLResponse)
def end_other_sessions(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageUser
) -> HTMLResponse:
    ended = mfa.revoke_other_sessions(session, region, user, request.cookies.get(SESSION_COOKIE))
    return _security_page(request, session, region, user, {"ended": ended})
