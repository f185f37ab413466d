"""The agency's staff page for its admin OPD and the region admin: roles per agency, NIP and
position, absences with a stand-in (decision 0047)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts import admin_pages, staff
from simpul.accounts.auth import CurrentPageUser
from simpul.accounts.models import ABSENCE_REASONS, STAFF_ROLE_LABELS, AccountKind
from simpul.applications import delegation
from simpul.core.database import DbSession
from simpul.core.errors import DomainError, Forbidden, InvalidInput, NotFound
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
        errors=exc.field_errors() if isinstance(exc, InvalidInput) else {},
        form=form or {},
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


# The region admin's audit log and days-off pages ride on this router (decision 0049).
router.include_router(admin_pages.router)
