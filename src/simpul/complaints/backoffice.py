"""Back-office complaint pages: the inbox of the desk and the agencies, a complaint's file with
its full history, and the desk's and agencies' actions (decision 0056).

Every action is a plain form (no JavaScript needed) posting to
``/{region}/petugas/pengaduan/{number}/<action>``; the route locks the complaint's row, checks
the form was made from its latest state, calls one service function and redirects with a
``?pesan=`` notice. Refused input shows the file again with the errors next to their fields.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.accounts.models import User
from simpul.complaints import service as complaints
from simpul.complaints.labels import (
    ACTION_LABELS,
    DEADLINE_CLASS_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
)
from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput
from simpul.core.i18n import lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.core.settings import get_settings
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

log = logging.getLogger(__name__)

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

PAGE_SIZE: Final = 50
#: The most parts a complaint is split into from the page.
MAX_PARTS: Final = 4

NOTICES: Final = {
    "diteruskan": lazy("Pengaduan diteruskan ke instansi."),
    "dipecah": lazy("Pengaduan dipecah; setiap bagian diteruskan ke instansinya."),
    "ditolak": lazy("Pengaduan ditolak dengan alasannya."),
    "ditanggapi": lazy("Tanggapan terkirim ke pelapor."),
    "selesai": lazy("Tanggapan akhir terkirim; pengaduan selesai."),
    "ditanya": lazy("Permintaan keterangan terkirim ke pelapor."),
    "dialihkan": lazy("Pengaduan dialihkan ke instansi lain."),
}

LABELS: Final = {
    "status_labels": STATUS_LABELS,
    "kind_labels": KIND_LABELS,
    "action_labels": ACTION_LABELS,
    "deadline_labels": DEADLINE_CLASS_LABELS,
}

#: Statuses in which an agency acts, per action (the service checks again).
_ANSWERABLE: Final = frozenset(
    {
        complaints.ComplaintStatus.ROUTED,
        complaints.ComplaintStatus.IN_PROGRESS,
        complaints.ComplaintStatus.WAITING_CITIZEN,
    }
)
_ASKABLE: Final = frozenset(
    {complaints.ComplaintStatus.ROUTED, complaints.ComplaintStatus.IN_PROGRESS}
)


def _agency_id(value: str) -> uuid.UUID | None:
    """An agency chosen in a form (None: none or not one; the service asks to choose)."""
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def _category_id(value: str) -> uuid.UUID | None:
    """A category chosen in a form: None when left empty (keep the complaint's); text that is
    no id becomes an id no category has, so the service refuses it naming the field."""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return uuid.UUID(int=0)


def _base(region: Region) -> str:
    return f"/{region.slug}/petugas/pengaduan"


# -- the inbox -------------------------------------------------------------------------------


@router.get("/{region}/petugas/pengaduan", response_class=HTMLResponse, name="complaint_inbox")
def inbox(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    tampil: str = "tindakan",
    status: str = "",
    kategori: str = "",
    instansi: str = "",
    jenis: str = "",
    terlambat: str = "",
    cari: str = "",
    setelah: str | None = None,
) -> HTMLResponse:
    """The complaints waiting for the reader, next deadline first; filters and tabs by URL."""
    filters = complaints.InboxFilters(
        view=tampil if tampil in ("tindakan", "terbuka", "selesai", "semua") else "tindakan",
        status=status[:40],
        category=kategori[:60],
        agency=instansi[:60],
        kind=jenis[:40],
        overdue=terlambat == "1",
        search=cari[:200],
    )
    status_code = 200
    errors: dict[str, str] = {}
    try:
        page = complaints.inbox_page(
            session, region, staff, filters, cursor=setelah, limit=PAGE_SIZE
        )
    except InvalidInput as exc:
        page = complaints.inbox_choices(session, region, staff)
        errors = exc.field_errors() or {"cari": exc.message}
        status_code = exc.status_code
    return render(
        request,
        "complaints/office_inbox.html",
        {
            "page": page,
            "f": filters,
            "errors": errors,
            "first_page": not setelah,
            "base_query": filters.as_query(),
            "statuses": list(complaints.ComplaintStatus),
            "kinds": list(complaints.ComplaintKind),
            **LABELS,
        },
        status_code=status_code,
    )


# -- one complaint's file --------------------------------------------------------------------


def _map(complaint: complaints.Complaint) -> dict[str, Any] | None:
    settings = get_settings()
    if not settings.map_tile_url or complaint.latitude is None or complaint.longitude is None:
        return None
    return {
        "tiles": settings.map_tile_url,
        "attribution": settings.map_attribution,
        "center": f"{complaint.latitude},{complaint.longitude}",
    }


def _file(
    request: Request,
    session: DbSession,
    region: Region,
    staff: User,
    complaint: complaints.Complaint,
    *,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The complaint's file; each showing is recorded in the audit trail."""
    complaints.record_view(session, region, staff, complaint)
    categories = complaints.categories(session, region, active_only=False)
    category = next((c for c in categories if c.id == complaint.category_id), None)
    agencies = complaints.agencies(session, region)
    agency_by_id = {a.id: a for a in agencies}
    desk = complaints.is_desk(staff)
    own_agency = complaint.agency_id is not None and complaint.agency_id in (
        complaints.agency_ids_of(staff)
    )
    status = complaint.status
    if desk:
        complaints.suggest_if_missing(session, region, complaint)
    suggested_agency = (
        agency_by_id.get(complaint.suggested_agency_id) if complaint.suggested_agency_id else None
    )
    suggested_category = next(
        (c for c in categories if c.id == complaint.suggested_category_id), None
    )
    preselected = complaint.suggested_agency_id or (
        category.default_agency_id if category else None
    )
    photos = complaints.photos(session, region, complaint)
    return render(
        request,
        "complaints/office_file.html",
        {
            "complaint": complaint,
            "category": category,
            "categories": [c for c in categories if c.active],
            "agency": agency_by_id.get(complaint.agency_id) if complaint.agency_id else None,
            "agencies": agencies,
            "agency_by_id": agency_by_id,
            "history": complaints.history(session, region, complaint, public_only=False),
            "photos": photos,
            "reporter": complaints.reporter_of(session, region, complaint, staff),
            "late": complaints.overdue(complaint, today_in(region)),
            "map": _map(complaint),
            "parent_number": complaints.parent_number(session, region, complaint),
            "parts": complaints.children(session, region, complaint),
            "suggestion": {
                "agency": suggested_agency,
                "category": suggested_category,
                "percent": round((complaint.suggestion_confidence or 0) * 100),
            }
            if suggested_agency is not None
            else None,
            "preselected": str(preselected) if preselected else "",
            "version": complaints.form_version(session, region, complaint),
            "can_route": desk and status is complaints.ComplaintStatus.NEW,
            "can_answer": own_agency and status in _ANSWERABLE,
            "can_ask": own_agency and status in _ASKABLE,
            "can_forward": (own_agency or desk) and status in _ASKABLE,
            "part_range": range(MAX_PARTS),
            "notice": notice,
            "errors": errors or {},
            "form": form,
            "values": values or {},
            "base": _base(region),
            **LABELS,
        },
        status_code=status_code,
    )


@router.get(
    "/{region}/petugas/pengaduan/{number}", response_class=HTMLResponse, name="complaint_file"
)
def complaint_file(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    complaint = complaints.handled_complaint(session, region, number[:40], staff)
    return _file(request, session, region, staff, complaint, notice=notice_text(NOTICES, pesan))


def _act(
    request: Request,
    session: DbSession,
    region: Region,
    staff: User,
    number: str,
    version: str,
    form: str,
    values: dict[str, str],
    step: Callable[[complaints.Complaint], None],
    notice: str,
) -> Response:
    """Lock the complaint, check the form saw its latest state, take the step in a savepoint
    (refused input leaves nothing behind) and go back to the file."""
    complaint = complaints.handled_complaint(session, region, number[:40], staff, for_update=True)
    complaints.check_version(session, region, complaint, version)
    try:
        complaints.in_savepoint(session, lambda: step(complaint))
    except InvalidInput as exc:
        session.refresh(complaint)
        return _file(
            request,
            session,
            region,
            staff,
            complaint,
            errors=exc.field_errors() or {form: exc.message},
            form=form,
            values=values,
            status_code=exc.status_code,
        )
    return RedirectResponse(
        with_notice(f"{_base(region)}/{complaint.number}", notice), status_code=303
    )


Text = Annotated[str, Form(max_length=10_000)]
Choice = Annotated[str, Form(max_length=60)]


@router.post("/{region}/petugas/pengaduan/{number}/disposisi", name="complaint_route")
def route_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    instansi: Choice = "",
    kategori: Choice = "",
    catatan: Text = "",
) -> Response:
    """Send a new complaint to an agency (also "Terima saran": the suggestion's values)."""

    def step(complaint: complaints.Complaint) -> None:
        complaints.route(
            session,
            region,
            staff,
            complaint,
            _agency_id(instansi),
            category_id=_category_id(kategori),
            note=catatan,
        )

    values = {"instansi": instansi, "kategori": kategori, "catatan": catatan}
    return _act(
        request, session, region, staff, number, versi, "disposisi", values, step, "diteruskan"
    )


@router.post("/{region}/petugas/pengaduan/{number}/pecah", name="complaint_split")
def split_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    instansi: Annotated[list[str] | None, Form(max_length=60)] = None,
    kategori: Annotated[list[str] | None, Form(max_length=60)] = None,
    catatan: Annotated[list[str] | None, Form(max_length=10_000)] = None,
) -> Response:
    """Split into 2-4 parts: the form has four rows (agency, category, note); a row left
    empty is not a part."""
    rows = list(zip(instansi or [], kategori or [], catatan or [], strict=False))[:MAX_PARTS]
    parts = [
        complaints.SplitPart(_agency_id(a), _category_id(c), n)
        for a, c, n in rows
        if a or c or n.strip()
    ]

    def step(complaint: complaints.Complaint) -> None:
        complaints.split(session, region, staff, complaint, parts)

    values = {
        f"bagian-{i}-{k}": v
        for i, row in enumerate(rows)
        for k, v in zip(("instansi", "kategori", "catatan"), row, strict=True)
    }
    return _act(request, session, region, staff, number, versi, "pecah", values, step, "dipecah")


@router.post("/{region}/petugas/pengaduan/{number}/tolak", name="complaint_reject")
def reject_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    alasan: Text = "",
) -> Response:
    def step(complaint: complaints.Complaint) -> None:
        complaints.reject(session, region, staff, complaint, alasan)

    return _act(
        request, session, region, staff, number, versi, "tolak", {"alasan": alasan}, step, "ditolak"
    )


@router.post("/{region}/petugas/pengaduan/{number}/tanggapi", name="complaint_answer")
def answer_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    tanggapan: Text = "",
    akhir: Choice = "",
) -> Response:
    """ "Kirim tanggapan" or "Tanggapan akhir (selesai)": the button pressed says which."""
    final = akhir == "1"

    def step(complaint: complaints.Complaint) -> None:
        complaints.answer(session, region, staff, complaint, tanggapan, final=final)

    return _act(
        request,
        session,
        region,
        staff,
        number,
        versi,
        "tanggapi",
        {"tanggapan": tanggapan},
        step,
        "selesai" if final else "ditanggapi",
    )


@router.post("/{region}/petugas/pengaduan/{number}/minta-keterangan", name="complaint_ask")
def ask_citizen(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    pertanyaan: Text = "",
) -> Response:
    def step(complaint: complaints.Complaint) -> None:
        complaints.request_info(session, region, staff, complaint, pertanyaan)

    values = {"pertanyaan": pertanyaan}
    return _act(request, session, region, staff, number, versi, "minta", values, step, "ditanya")


@router.post("/{region}/petugas/pengaduan/{number}/alihkan", name="complaint_reassign")
def reassign_complaint(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    staff: CurrentPageStaff,
    number: str,
    versi: Choice = "",
    instansi: Choice = "",
    catatan: Text = "",
) -> Response:
    """Hand the complaint to another agency of the region."""

    def step(complaint: complaints.Complaint) -> None:
        complaints.forward_within(session, region, staff, complaint, _agency_id(instansi), catatan)

    values = {"instansi": instansi, "catatan": catatan}
    return _act(
        request, session, region, staff, number, versi, "alihkan", values, step, "dialihkan"
    )


# -- the staff menu's count ------------------------------------------------------------------


def complaints_waiting(request: Request) -> int | None:
    """How many complaints wait for the signed-in staff member (the "Pengaduan" menu link);
    None when it cannot be known cheaply (no user, no session: an error page)."""
    state = request.state
    cached: Any = getattr(state, "complaints_waiting", None)
    if isinstance(cached, int):
        return cached
    user = getattr(state, "user", None)
    region = getattr(state, "region", None)
    held = getattr(state, "db", None)
    if user is None or region is None or held is None:
        return None
    try:
        count = complaints.needing_action_count(held.session, region, user.id)
    except Exception:  # the menu must never break the page it sits on
        log.exception("the complaint menu's count failed")
        return None
    state.complaints_waiting = count
    return count
