"""The region admin's gateway pages (``/{region}/admin/integrasi``): the overview and the
audit trail here, provider services, clients with their keys and groups, and access grants in
``service_pages``, ``client_pages`` and ``grant_pages``; ``router`` holds
them all.

Every change goes through ``registry`` inside a savepoint (``forms.attempt``): when it is
refused, nothing of it is kept and the form comes back with the admin's input and the error
in Indonesian next to the field, with the error's status (422, 409, 403, 404).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession
from simpul.core.i18n import lazy
from simpul.core.regions import CurrentRegion
from simpul.gateway.registry import client_pages, grant_pages, service_pages
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.forms import PAGE_SIZE, area, notice, page
from simpul.gateway.registry.models import GRANT_STATUS_LABELS, GrantStatus
from simpul.gateway.registry.service import GrantQuery
from simpul.inventory.models import INTEGRATION_LABELS
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: The keys of audit event details, as the trail shows them (others show as they are).
DETAIL_LABELS: Final = {
    "service": lazy("Layanan"),
    "title": lazy("Judul"),
    "upstream_url": lazy("Alamat upstream"),
    "version": lazy("Versi"),
    "openapi": lazy("Versi OpenAPI"),
    "endpoints": lazy("Endpoint"),
    "endpoint": lazy("Endpoint"),
    "log_bodies": lazy("Simpan isi pesan"),
    "timeout_seconds": lazy("Batas waktu (detik)"),
    "max_body_bytes": lazy("Ukuran pesan maksimal (bita)"),
    "enabled": lazy("Aktif"),
    "document": lazy("Dokumen OpenAPI"),
    "added": lazy("Endpoint baru"),
    "removed": lazy("Endpoint dihapus"),
    "endpoint_grants_removed": lazy("Izin endpoint yang ikut dihapus"),
    "changes": lazy("Perubahan"),
    "app_code": lazy("Aplikasi"),
    "from": lazy("Dari"),
    "to": lazy("Menjadi"),
    "enabled_services": lazy("Layanan aktif"),
    "client": lazy("Klien"),
    "rate_limit_per_minute": lazy("Batas permintaan per menit"),
    "key_hint": lazy("Kunci"),
    "old_key_hint": lazy("Kunci lama"),
    "new_key_hint": lazy("Kunci baru"),
    "new_credential_id": lazy("Nomor kunci baru"),
    "grace_hours": lazy("Masa tenggang (jam)"),
    "old_expires_at": lazy("Kunci lama berlaku sampai"),
    "label": lazy("Keterangan"),
    "reason": lazy("Alasan"),
    "note": lazy("Catatan"),
    "group": lazy("Kelompok"),
    "name": lazy("Nama"),
}

#: Values in audit details that have a label (grant statuses, integration states).
VALUE_LABELS: Final = {**GRANT_STATUS_LABELS, **INTEGRATION_LABELS}


@router.get("/{region}/admin/integrasi", response_class=HTMLResponse, name="integration_home")
def integration_home(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Counts, the grants waiting for approval (first), and the provider services; after a
    decision made here, what it did (``?pesan=``, one of ``forms.NOTICES``)."""
    pending, pending_total = registry.list_grants_for_review(
        session, region.id, GrantQuery(status=GrantStatus.PENDING), limit=PAGE_SIZE
    )
    services, services_total = registry.list_services(session, region.id, limit=PAGE_SIZE * 4)
    return page(
        request,
        "home.html",
        {
            "current": "home",
            "overview": registry.count_overview(session, region.id),
            "pending": pending,
            "pending_more": pending_total - len(pending),
            "services": services,
            "services_more": services_total - len(services),
            "notice": notice(pesan),
            "back": area(region),
        },
    )


@router.get(
    "/{region}/admin/integrasi/jejak", response_class=HTMLResponse, name="integration_audit"
)
def audit_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    halaman: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """Every change to the gateway's configuration, newest first, 50 a page."""
    events, total = registry.list_gateway_audit_events(
        session,
        region.id,
        except_action=registry.KEY_FORM_ACTION,
        limit=PAGE_SIZE,
        offset=(halaman - 1) * PAGE_SIZE,
    )
    return page(
        request,
        "audit.html",
        {
            "current": "audit",
            "events": events,
            "total": total,
            "halaman": halaman,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "action_labels": registry.AUDIT_ACTION_LABELS,
            "detail_labels": DETAIL_LABELS,
            "value_labels": VALUE_LABELS,
        },
    )


# "layanan/baru" is declared before "layanan/{service_id}" in service_pages.
router.include_router(service_pages.router)
router.include_router(client_pages.router)
router.include_router(grant_pages.router)
