"""The complaint desk forwards a complaint out of the region:
``/{region}/petugas/pengaduan/{number}/teruskan`` (choose a target, write a note, confirm;
then the delivery's status). Decision 0056."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.accounts.models import User
from simpul.complaints import service as complaints
from simpul.complaints.labels import STATUS_LABELS
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, InvalidInput, NotFound
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

#: A delivery's status as the desk reads it.
DELIVERY_LABELS: Final = {
    "pending": lazy("Menunggu dikirim"),
    "sending": lazy("Sedang dikirim"),
    "retry": lazy("Gagal, akan dicoba lagi"),
    "sent": lazy("Terkirim"),
    "failed": lazy("Gagal dikirim"),
}
_NOTICES: Final = {"terkirim": lazy("Pengaduan diteruskan; pengirimannya tampil di bawah.")}


def _desk_complaint(
    session: DbSession, region: Region, number: str, user: User
) -> complaints.Complaint:
    # Other staff get "not found": whether a complaint exists is the desk's business.
    if not complaints.is_desk(user):
        raise NotFound(_("Pengaduan tidak ditemukan."))
    return complaints.handled_complaint(session, region, number, user)


def _page(
    request: Request,
    session: DbSession,
    region: Region,
    complaint: complaints.Complaint,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    targets = complaints.forward_targets(session, region)
    names = {t.id: t.name for t in complaints.forward_targets(session, region, active_only=False)}
    forwards = [
        {
            "target": names.get(f.target_id, ""),
            "status": f.status.value,
            "status_label": _(DELIVERY_LABELS[f.status.value]),
            "attempts": f.attempts,
            "error": f.last_error,
            "response_status": f.response_status,
            "remote_reference": f.remote_reference,
            "created_at": f.created_at,
            "sent_at": f.sent_at,
        }
        for f in complaints.forwards_of(session, region, complaint)
    ]
    context = {
        "complaint": complaint,
        "status_label": _(STATUS_LABELS[complaint.status.value]),
        "can_forward": complaint.status is complaints.ComplaintStatus.NEW,
        "targets": targets,
        "forwards": forwards,
        "errors": errors or {},
        "form": form or {},
        "notice": notice,
    }
    return render(request, "complaints/forward.html", context, status_code=status_code)


@router.get(
    "/{region}/petugas/pengaduan/{number}/teruskan",
    response_class=HTMLResponse,
    name="complaint_forward_out",
)
def forward_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    number: str,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    complaint = _desk_complaint(session, region, number, user)
    return _page(request, session, region, complaint, notice=notice_text(_NOTICES, pesan))


@router.post("/{region}/petugas/pengaduan/{number}/teruskan", response_class=HTMLResponse)
def forward_submit(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageStaff,
    number: str,
    tujuan: Annotated[str, Form(max_length=40)] = "",
    catatan: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Forward the new complaint to the chosen target with the note (the worker delivers)."""
    complaint = _desk_complaint(session, region, number, user)
    form = {"tujuan": tujuan, "catatan": catatan}
    try:
        target_id = uuid.UUID(tujuan)
    except ValueError:
        problem = _("Pilih tujuan penerusan.")
        return _page(
            request,
            session,
            region,
            complaint,
            errors={"tujuan": problem},
            form=form,
            status_code=422,
        )
    try:
        complaints.forward_out(session, region, user, complaint, target_id, catatan)
    except InvalidInput as exc:
        return _page(
            request,
            session,
            region,
            complaint,
            errors=exc.field_errors(),
            form=form,
            status_code=422,
        )
    except Conflict as exc:
        return _page(
            request,
            session,
            region,
            complaint,
            errors={"tujuan": exc.message},
            form=form,
            status_code=409,
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/petugas/pengaduan/{complaint.number}/teruskan", "terkirim"),
        status_code=303,
    )
