"""The region admin's own pages: the region's audit log (``/{region}/admin/audit``, filtered,
paged, exported) and the region's days off (``/{region}/admin/hari-libur``). Decision 0049.

Included in ``staff_pages.router`` (the web app mounts that one), so the app's list of routers
does not change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.applications import leave_days
from simpul.core import audit
from simpul.core.database import DbSession
from simpul.core.errors import Conflict, DomainError, InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.kit.notices import NoticeCode, notice_text, with_notice
from simpul.core.kit.periods import today_in
from simpul.core.models import AuditEvent, Region
from simpul.core.regions import CurrentRegion
from simpul.gateway.registry import service as registry
from simpul.web.csrf import csrf_protect
from simpul.web.downloads import ExportColumn, Kind, Value, table_download
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

Text = Annotated[str, Query(max_length=200)]


def action_labels() -> dict[str, str]:
    """Every action code a reader may meet, with its words (the gateway's included)."""
    return {**audit.ACTION_LABELS, **registry.AUDIT_ACTION_LABELS}


def action_label(code: str) -> str:
    label = action_labels().get(code)
    return _(label) if label else code


def target_label(code: str) -> str:
    label = audit.TARGET_LABELS.get(code)
    return _(label) if label else code


# -- the audit log --------------------------------------------------------------------------


def _filter(
    pelaku: str, tindakan: str, subjek: str, id_subjek: str, dari: str, sampai: str
) -> audit.AuditFilter:
    return audit.audit_filter(
        actor=pelaku,
        action=tindakan,
        target_type=subjek,
        target_id=id_subjek,
        since=dari,
        until=sampai,
    )


@router.get("/{region}/admin/audit", response_class=HTMLResponse, name="region_audit")
def audit_log(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pelaku: Text = "",
    tindakan: Text = "",
    subjek: Text = "",
    id_subjek: Text = "",
    dari: Annotated[str, Query(max_length=20)] = "",
    sampai: Annotated[str, Query(max_length=20)] = "",
    halaman: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The region's audit trail, newest first, 50 a page, filtered by who, what, on what and
    when. Reading it is not itself recorded (an export is)."""
    form = {
        "pelaku": pelaku,
        "tindakan": tindakan,
        "subjek": subjek,
        "id_subjek": id_subjek,
        "dari": dari,
        "sampai": sampai,
    }
    context: dict[str, object] = {
        "form": form,
        "errors": {},
        "actions": sorted(
            ((code, _(label)) for code, label in action_labels().items()), key=lambda pair: pair[1]
        ),
        "targets": sorted(
            {code: _(label) for code, label in audit.TARGET_LABELS.items()}.items(),
            key=lambda pair: pair[1],
        ),
        "action_label": action_label,
        "target_label": target_label,
        "details_text": audit.details_text,
        "page_size": audit.PAGE_SIZE,
        "export_cap": audit.EXPORT_CAP,
    }
    try:
        wanted = _filter(pelaku, tindakan, subjek, id_subjek, dari, sampai)
    except InvalidInput as exc:
        context.update(errors=exc.field_errors(), result=None, query={})
        return render(request, "accounts/audit_log.html", context, status_code=422)
    result = audit.audit_page(session, region, wanted, halaman)
    context.update(result=result, query=wanted.query())
    return render(request, "accounts/audit_log.html", context)


#: The audit export's columns: the moment as a date and time, the rest as the page says it.
AUDIT_EXPORT_COLUMNS: Final = (
    ExportColumn("waktu", lazy("Waktu"), Kind.DATETIME),
    ExportColumn("pelaku", lazy("Pelaku")),
    ExportColumn("tindakan", lazy("Tindakan")),
    ExportColumn("kode_tindakan", lazy("Kode tindakan")),
    ExportColumn("subjek", lazy("Subjek")),
    ExportColumn("id_subjek", lazy("ID subjek")),
    ExportColumn("rincian", lazy("Rincian")),
)


def _export_row(event: AuditEvent, region: Region) -> dict[str, Value]:
    return {
        "waktu": event.at.astimezone(ZoneInfo(region.timezone)),
        "pelaku": event.actor_label,
        "tindakan": action_label(event.action),
        "kode_tindakan": event.action,
        "subjek": target_label(event.target_type),
        "id_subjek": event.target_id or "",
        "rincian": audit.details_text(event.details),
    }


@router.get("/{region}/admin/audit/ekspor.{extension}", name="region_audit_export")
def audit_export(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    extension: Literal["csv", "xlsx"],
    pelaku: Text = "",
    tindakan: Text = "",
    subjek: Text = "",
    id_subjek: Text = "",
    dari: Annotated[str, Query(max_length=20)] = "",
    sampai: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The filtered rows (at most ``EXPORT_CAP``, newest first) as CSV or XLSX. Exporting is
    recorded in the trail: the file leaves the system."""
    wanted = _filter(pelaku, tindakan, subjek, id_subjek, dari, sampai)
    events = audit.audit_export_rows(session, region, wanted)
    rows = [_export_row(e, region) for e in events]
    audit.record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action="audit.export",
        target_type="region",
        target_id=str(region.id),
        details={"format": extension, "rows": len(rows), **wanted.query()},
    )
    stamp = datetime.now(ZoneInfo(region.timezone)).strftime("%Y%m%d")
    return table_download(
        rows,
        AUDIT_EXPORT_COLUMNS,
        extension=extension,
        title=_("Log audit"),
        filename=f"log-audit-{region.slug}-{stamp}",
    )


# -- the region's days off -------------------------------------------------------------------

LEAVE_NOTICES = {
    "tambah": lazy("Hari libur ditambahkan."),
    "hapus": lazy("Hari libur dihapus."),
}


def _leave_page(
    request: Request,
    session: DbSession,
    region: Region,
    *,
    status_code: int = 200,
    notice: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    today = today_in(region)
    days = leave_days.list_leave_days(session, region)
    return render(
        request,
        "accounts/leave_days.html",
        {
            "coming": [d for d in days if d.day >= today],
            "past": [d for d in days if d.day < today][-20:],
            "notice": notice_text(LEAVE_NOTICES, notice),
            "errors": errors or {},
            "form": form or {},
        },
        status_code=status_code,
    )


@router.get("/{region}/admin/hari-libur", response_class=HTMLResponse, name="region_leave_days")
def leave_days_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: NoticeCode = None,
) -> HTMLResponse:
    return _leave_page(request, session, region, notice=pesan)


@router.post("/{region}/admin/hari-libur", response_class=HTMLResponse)
def add_leave_day(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    tanggal: Annotated[str, Form(max_length=20)] = "",
    keterangan: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Add a day off: deadlines counted from now on skip it (those already set stay)."""
    form = {"tanggal": tanggal, "keterangan": keterangan}
    try:
        day = leave_days.parse_day(tanggal)
        leave_days.add_leave_day(
            session, region, day, keterangan, actor_label=user.email, actor_id=user.id
        )
    except InvalidInput as exc:
        errors = {
            ("keterangan" if k == "description" else k): v for k, v in exc.field_errors().items()
        }
        return _leave_page(request, session, region, status_code=422, errors=errors, form=form)
    except Conflict as exc:
        return _leave_page(
            request, session, region, status_code=409, errors={"tanggal": exc.message}, form=form
        )
    return RedirectResponse(
        with_notice(f"/{region.slug}/admin/hari-libur", "tambah"), status_code=303
    )


@router.post("/{region}/admin/hari-libur/{day}/hapus")
def remove_leave_day(
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    day: str,
) -> Response:
    try:
        parsed = leave_days.parse_day(day)
    except DomainError:
        raise NotFound(_("Tanggal ini tidak tercatat sebagai hari libur wilayah.")) from None
    leave_days.remove_leave_day(session, region, parsed, actor_label=user.email, actor_id=user.id)
    return RedirectResponse(
        with_notice(f"/{region.slug}/admin/hari-libur", "hapus"), status_code=303
    )
