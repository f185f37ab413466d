"""The agency's staff page for its admin OPD and the region admin: roles per agency, NIP and
position, absences with a stand-in (decision 0047)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import admin_pages, staff, staff_invitations
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import ABSENCE_REASONS, STAFF_ROLE_LABELS, AccountKind
from simpul.applications import delegation, officer_release
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

NOTICES = {
    "peran": lazy("Peran petugas sudah diperbarui."),
    "identitas": lazy("NIP dan jabatan sudah disimpan."),
    "tidak-hadir": lazy(
        "Ketidakhadiran sudah dicatat; tugas yang berjalan dialihkan ke pengganti."
    ),
    "hadir": lazy("Ketidakhadiran sudah diakhiri."),
    "undangan": lazy("Undangan sudah dikirim ke e-mail petugas."),
    "nonaktif": lazy(
        "Petugas dinonaktifkan: sesi dan token API-nya berakhir, tugasnya yang berjalan dialihkan."
    ),
    "aktif": lazy("Petugas diaktifkan kembali dan dapat masuk lagi."),
}


def _path(region: Region, agency_slug: str) -> str:
    return f"/{region.slug}/petugas/instansi/{agency_slug}/petugas"


def _require_manager_kind(user: CurrentPageUser) -> None:
    if user.kind is AccountKind.CITIZEN:
        raise Forbidden(_("Halaman ini hanya untuk petugas."))


def _page(
    request: Request,
    session: DbSession,
    region: Region,
    user: CurrentPageUser,
    agency_slug: str,
    *,
    status_code: int = 200,
    notice: str | None = None,
    **extra: object,
) -> HTMLResponse:
    _require_manager_kind(user)
    view = staff.agency_staff(session, region, user, agency_slug)
    names = {m.user.id: m.user.full_name for m in view.members}
    return render(
        request,
        "accounts/agency_staff.html",
        {
            "view": view,
            "roles": staff.ROLE_ORDER,
            "role_labels": STAFF_ROLE_LABELS,
            "reasons": ABSENCE_REASONS,
            "names": names,
            "notice": notice_text(NOTICES, notice),
            "errors": {},
            "form": {},
            "invitation_hours": staff_invitations.INVITATION_HOURS,
            "pending_marker": staff_invitations.NO_PASSWORD_YET,
            "invite_roles": (),
            **extra,
        },
        status_code=status_code,
    )


@router.get(
    "/{region}/petugas/instansi/{agency_slug}/petugas",
    response_class=HTMLResponse,
    name="agency_staff",
)
def agency_staff(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    return _page(request, session, region, user, agency_slug, notice=pesan)


def _refused(
    request: Request,
    session: DbSession,
    region: Region,
    user: CurrentPageUser,
    agency_slug: str,
    exc: DomainError,
    section: str,
    form: dict[str, str] | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The page again with the error next to the form that caused it. Not being allowed to
    manage the agency is no form error: it is answered as such."""
    if isinstance(exc, Forbidden | NotFound):
        raise exc
    return _page(
        request,
        session,
        region,
        user,
        agency_slug,
        status_code=exc.status_code,
        error_section=section,
        error=exc.message,
        errors={str(d["field"]): str(d["message"]) for d in exc.details if "field" in d},
        form=form or {},
        **extra,
    )


@router.post("/{region}/petugas/instansi/{agency_slug}/petugas/peran", response_class=HTMLResponse)
def change_role(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    role: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    user_id: Annotated[uuid.UUID | None, Form()] = None,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """Grant (``action=beri``) or revoke (``action=cabut``) a role in this agency; a colleague
    not yet in the agency is added by e-mail with their first role."""
    _require_manager_kind(user)
    try:
        if action == "cabut" and user_id is not None:
            staff.revoke_role(session, region, user, agency_slug, user_id, role)
        elif action == "beri":
            staff.grant_role(
                session, region, user, agency_slug, role, user_id=user_id, email=email or None
            )
        else:
            raise InvalidInput(
                _("Pilih beri atau cabut peran."),
                details=[{"field": "action", "message": _("Tindakan tidak dikenal.")}],
            )
    except DomainError as exc:
        section = "add" if user_id is None else f"roles-{user_id}"
        return _refused(request, session, region, user, agency_slug, exc, section, {"email": email})
    return RedirectResponse(with_notice(_path(region, agency_slug), "peran"), status_code=303)


@router.post(
    "/{region}/petugas/instansi/{agency_slug}/petugas/{user_id}/identitas",
    response_class=HTMLResponse,
)
def change_identity(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    user_id: uuid.UUID,
    nip: Annotated[str, Form(max_length=40)] = "",
    position: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Set the officer's NIP and position (printed under their signature)."""
    _require_manager_kind(user)
    try:
        staff.set_officer_identity(
            session, region, user, agency_slug, user_id, nip=nip, position=position
        )
    except DomainError as exc:
        return _refused(
            request,
            session,
            region,
            user,
            agency_slug,
            exc,
            f"identity-{user_id}",
            {"nip": nip, "position": position},
        )
    return RedirectResponse(with_notice(_path(region, agency_slug), "identitas"), status_code=303)


@router.post("/{region}/petugas/instansi/{agency_slug}/ketidakhadiran", response_class=HTMLResponse)
def record_absence(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    officer_id: Annotated[uuid.UUID | None, Form()] = None,
    delegate_id: Annotated[uuid.UUID | None, Form()] = None,
    starts_on: Annotated[str, Form(max_length=20)] = "",
    ends_on: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Record that an officer is away and who stands in; their open tasks move now."""
    _require_manager_kind(user)
    form = {
        "officer_id": str(officer_id or ""),
        "delegate_id": str(delegate_id or ""),
        "starts_on": starts_on,
        "ends_on": ends_on,
        "reason": reason,
        "note": note,
    }
    try:
        if officer_id is None or delegate_id is None:
            missing = "officer_id" if officer_id is None else "delegate_id"
            raise InvalidInput(
                _("Ketidakhadiran belum dicatat."),
                details=[{"field": missing, "message": _("Pilih petugas.")}],
            )
        delegation.record_absence(
            session,
            region,
            user,
            agency_slug,
            officer_id=officer_id,
            delegate_id=delegate_id,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            note=note,
        )
    except DomainError as exc:
        return _refused(request, session, region, user, agency_slug, exc, "absence", form)
    return RedirectResponse(with_notice(_path(region, agency_slug), "tidak-hadir"), status_code=303)


@router.post("/{region}/petugas/instansi/{agency_slug}/ketidakhadiran/{absence_id}/akhiri")
def end_absence(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    absence_id: uuid.UUID,
) -> Response:
    """End an absence early: the officer is back."""
    _require_manager_kind(user)
    delegation.end_absence(session, region, user, agency_slug, absence_id)
    return RedirectResponse(with_notice(_path(region, agency_slug), "hadir"), status_code=303)


@router.post("/{region}/petugas/instansi/{agency_slug}/petugas/undang", response_class=HTMLResponse)
def invite_officer(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    full_name: Annotated[str, Form(max_length=400)] = "",
    invite_email: Annotated[str, Form(max_length=254)] = "",
    roles: Annotated[list[str] | None, Form(max_length=20)] = None,
) -> Response:
    """Invite a new officer by e-mail with their roles in this agency."""
    _require_manager_kind(user)
    chosen = list(roles or [])[:10]
    try:
        staff_invitations.invite_officer(
            session,
            region,
            user,
            agency_slug,
            full_name=full_name,
            email=invite_email,
            roles=chosen,
        )
    except DomainError as exc:
        if isinstance(exc, InvalidInput | Conflict):  # the page's field is invite_email
            exc.details = [
                {**d, "field": "invite_email" if d.get("field") == "email" else d.get("field")}
                for d in exc.details
            ]
        return _refused(
            request,
            session,
            region,
            user,
            agency_slug,
            exc,
            "invite",
            {"full_name": full_name, "invite_email": invite_email},
            invite_roles=chosen,
        )
    return RedirectResponse(with_notice(_path(region, agency_slug), "undangan"), status_code=303)


@router.post(
    "/{region}/petugas/instansi/{agency_slug}/petugas/{user_id}/undang-ulang",
    response_class=HTMLResponse,
)
def resend_invitation(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    user_id: uuid.UUID,
) -> Response:
    _require_manager_kind(user)
    try:
        staff_invitations.resend_invitation(session, region, user, agency_slug, user_id)
    except DomainError as exc:
        return _refused(request, session, region, user, agency_slug, exc, "status")
    return RedirectResponse(with_notice(_path(region, agency_slug), "undangan"), status_code=303)


@router.post(
    "/{region}/petugas/instansi/{agency_slug}/petugas/{user_id}/nonaktifkan",
    response_class=HTMLResponse,
)
def deactivate_officer(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    user_id: uuid.UUID,
    stand_in_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Switch an officer off; their open tasks go to the stand-in or the agency's pool."""
    _require_manager_kind(user)
    try:
        try:
            stand_in = uuid.UUID(stand_in_id) if stand_in_id else None
        except ValueError:
            raise InvalidInput(
                _("Petugas belum dinonaktifkan."),
                details=[{"field": f"stand_in_id-{user_id}", "message": _("Pilih pengganti.")}],
            ) from None
        officer_release.deactivate_officer(
            session, region, user, agency_slug, user_id, stand_in_id=stand_in
        )
    except DomainError as exc:
        if isinstance(exc, InvalidInput):
            exc.details = [
                {**d, "field": f"stand_in_id-{user_id}"} if d.get("field") == "stand_in_id" else d
                for d in exc.details
            ]
        return _refused(request, session, region, user, agency_slug, exc, "status")
    return RedirectResponse(with_notice(_path(region, agency_slug), "nonaktif"), status_code=303)


@router.post(
    "/{region}/petugas/instansi/{agency_slug}/petugas/{user_id}/aktifkan",
    response_class=HTMLResponse,
)
def reactivate_officer(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageUser,
    agency_slug: str,
    user_id: uuid.UUID,
) -> Response:
    _require_manager_kind(user)
    try:
        staff_invitations.reactivate_officer(session, region, user, agency_slug, user_id)
    except DomainError as exc:
        return _refused(request, session, region, user, agency_slug, exc, "status")
    return RedirectResponse(with_notice(_path(region, agency_slug), "aktif"), status_code=303)


# -- the invited officer sets their password (no login: the link is the proof) --------------


def _invitation_page(
    request: Request,
    officer: object,
    action: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "accounts/invitation.html",
        {"officer": officer, "action": action, "errors": errors or {}},
        status_code=status_code,
    )


@router.get(
    "/{region}/petugas/undangan/{user_id}/{issued}/{code}",
    response_class=HTMLResponse,
    name="staff_invitation",
)
def invitation_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user_id: uuid.UUID,
    issued: int,
    code: Annotated[str, Path(max_length=100)],
) -> HTMLResponse:
    officer = staff_invitations.invited_officer(session, region, user_id, issued, code)
    return _invitation_page(request, officer, request.url.path)


@router.post("/{region}/petugas/undangan/{user_id}/{issued}/{code}", response_class=HTMLResponse)
def accept_invitation(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user_id: uuid.UUID,
    issued: int,
    code: Annotated[str, Path(max_length=100)],
    password: Annotated[str, Form(max_length=1000)] = "",
    password_confirm: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Set the password; the officer then logs in as any officer does."""
    try:
        staff_invitations.accept_invitation(
            session, region, user_id, issued, code, password=password, confirm=password_confirm
        )
    except InvalidInput as exc:
        officer = staff_invitations.invited_officer(session, region, user_id, issued, code)
        return _invitation_page(
            request, officer, request.url.path, errors=exc.field_errors(), status_code=422
        )
    return RedirectResponse(with_notice(f"/{region.slug}/masuk", "sandi-dipasang"), status_code=303)


# The region admin's audit log and days-off pages ride on this router (decision 0049).
router.include_router(admin_pages.router)
