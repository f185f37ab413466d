"""Second-factor pages: the login's second step (a code after the password, or setting up an
authenticator for a user who must have one) and the security page (authenticator, recovery
codes, sessions and devices)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from simpul.accounts import pages as account_pages
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import User
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.kit.notices import with_notice
from simpul.core.models import Region
from simpul.core.ratelimit import limit_source
from simpul.core.regions import CurrentRegion
from simpul.core.security import client_source
from simpul.identity import mfa, passkeys
from simpul.web.csrf import csrf_protect
from simpul.web.middleware import SESSION_COOKIE
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: How a login proven by the authenticator is recorded (RFC 8176).
OTP_AMR = ("pwd", "otp")
#: How a login proven by a passkey after the password is recorded (RFC 8176: hardware key).
PASSKEY_AMR = ("pwd", "hwk")
#: A passkey alone, with user verification (PIN or biometric): multi-factor by itself.
PASSKEY_ONLY_AMR = ("hwk", "mfa")
#: Sign-in challenges a source may ask for per minute (each is a row for five minutes).
SIGNIN_OPTIONS_PER_MINUTE = 20


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
    amr: tuple[str, ...] = OTP_AMR,
) -> Response:
    mfa.finish_second_step(session, pending)
    result = account_pages.login_response(
        request, session, pending.user, pending.row.target, amr=amr, response=response
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
    return _verify_page(request, session, pending, {})


def _verify_page(
    request: Request,
    session: DbSession,
    pending: mfa.Pending,
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "errors": errors,
        "has_totp": mfa.has_totp(session, pending.user),
        "has_passkey": passkeys.has_passkey(session, pending.user),
    }
    return render(request, "identity/mfa_verify.html", context, status_code=status_code)


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
        return _verify_page(request, session, pending, exc.field_errors(), 401)
    return _finish(request, session, region, pending)


def _json_refusal(exc: InvalidInput | NotFound, status_code: int = 400) -> JSONResponse:
    """A refusal the passkey script shows (the used challenge and the audit record commit)."""
    fields = exc.field_errors() if isinstance(exc, InvalidInput) else {}
    return JSONResponse(
        {"error": exc.message, "field": next(iter(fields), None)}, status_code=status_code
    )


@router.post("/{region}/masuk/verifikasi/passkey/opsi")
def passkey_login_options(request: Request, region: CurrentRegion, session: DbSession) -> Response:
    try:
        pending = _pending(request, session, region)
        options = passkeys.authentication_options(session, pending.user)
    except NotFound as exc:
        return _json_refusal(exc, 404)
    except InvalidInput as exc:
        return _json_refusal(exc)
    return Response(options, media_type="application/json")


@router.post("/{region}/masuk/passkey/opsi")
def passkey_signin_options(request: Request, region: CurrentRegion, session: DbSession) -> Response:
    limit_source(
        request.app.state,
        "passkey-signin",
        client_source(request.client.host if request.client else None),
        SIGNIN_OPTIONS_PER_MINUTE,
        lambda seconds: (
            _("Terlalu banyak permintaan. Coba lagi dalam %(n)d detik.") % {"n": seconds}
        ),
    )
    return Response(passkeys.signin_options(session, region), media_type="application/json")


@router.post("/{region}/masuk/passkey")
def passkey_signin(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    credential: Annotated[dict[str, Any], Body()],
    next: str = "",
) -> Response:
    try:
        user = passkeys.signin(session, region, credential)
    except InvalidInput as exc:
        return _json_refusal(exc)
    target = account_pages.login_target(region, user, next[:500])
    return account_pages.login_response(
        request,
        session,
        user,
        target,
        amr=PASSKEY_ONLY_AMR,
        response=JSONResponse({"redirect": target}),
    )


@router.post("/{region}/masuk/verifikasi/passkey")
def passkey_login(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    credential: Annotated[dict[str, Any], Body()],
) -> Response:
    try:
        pending = _pending(request, session, region)
    except NotFound as exc:
        return _json_refusal(exc, 404)
    try:
        passkeys.authenticate(session, pending.user, credential)
    except InvalidInput as exc:
        return _json_refusal(exc)
    target = pending.row.target or f"/{region.slug}/akun"
    answer = JSONResponse({"redirect": target})
    return _finish(request, session, region, pending, answer, PASSKEY_AMR)


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
        "enabled": mfa.has_totp(session, user),
        "passkeys": passkeys.passkeys(session, user),
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
    mfa.prove_current_session(session, region, user, request.cookies.get(SESSION_COOKIE))
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


# -- passkeys on the security page --------------------------------------------------------


@router.post("/{region}/akun/keamanan/passkey/opsi")
def passkey_options(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    payload: Annotated[dict[str, Any], Body()],
) -> Response:
    try:
        passkeys.clean_name(str(payload.get("name") or ""))
        options = passkeys.registration_options(session, region, user)
    except InvalidInput as exc:
        return _json_refusal(exc)
    return Response(options, media_type="application/json")


@router.post("/{region}/akun/keamanan/passkey")
def add_passkey(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    payload: Annotated[dict[str, Any], Body()],
) -> Response:
    try:
        passkeys.register(
            session,
            region,
            user,
            name=str(payload.get("name") or ""),
            credential=payload.get("credential"),
        )
    except InvalidInput as exc:
        return _json_refusal(exc)
    return JSONResponse(
        {"redirect": f"/{region.slug}/akun/keamanan?passkey=baru#passkey"}, status_code=201
    )


@router.post("/{region}/akun/keamanan/passkey/{passkey_id}/nama", response_class=HTMLResponse)
def rename_passkey(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    passkey_id: uuid.UUID,
    name: Annotated[str, Form()] = "",
) -> Response:
    try:
        passkeys.rename(session, user, passkey_id, name[:200])
    except InvalidInput as exc:
        errors = {f"passkey_name_{passkey_id}": exc.message}
        return _security_page(request, session, region, user, {"errors": errors}, 400)
    return RedirectResponse(f"/{region.slug}/akun/keamanan#passkey", status_code=303)


@router.post("/{region}/akun/keamanan/passkey/{passkey_id}/hapus", response_class=HTMLResponse)
def remove_passkey(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    passkey_id: uuid.UUID,
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        passkeys.remove(session, user, passkey_id, password=password[:200])
    except InvalidInput as exc:
        errors = {f"passkey_password_{passkey_id}": exc.message}
        return _security_page(request, session, region, user, {"errors": errors}, 400)
    return _security_page(request, session, region, user, {"passkey_removed": True})
