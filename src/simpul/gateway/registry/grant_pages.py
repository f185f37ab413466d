"""Access grants: request access of a client (or a group) to a service or one endpoint, and
the region admin's decisions: approve, reject (with a note) and revoke (with a note)."""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession, Session
from simpul.core.errors import DomainError, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.regions import CurrentRegion
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.forms import (
    MAX_CHOICES,
    PAGE_SIZE,
    actor_of,
    area,
    attempt,
    invalid,
    notice,
    page,
    parse_id,
    see,
)
from simpul.gateway.registry.models import GRANT_STATUS_LABELS, GrantStatus
from simpul.gateway.registry.service import GrantQuery
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: The decisions in the URL, and the notice shown after each.
DECISIONS: Final = {"setujui": "disetujui", "tolak": "ditolak", "cabut": "dicabut"}

Note = Annotated[str, Form(max_length=2000)]
Id = Annotated[str, Form(max_length=60)]


def _grants_page(
    request: Request,
    session: Session,
    region: Region,
    *,
    status: str = "",
    halaman: int = 1,
    pesan: str | None = None,
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    chosen = GrantStatus(status) if status in GRANT_STATUS_LABELS else None
    grants, total = registry.list_grants_for_review(
        session,
        region.id,
        GrantQuery(status=chosen),
        limit=PAGE_SIZE,
        offset=(halaman - 1) * PAGE_SIZE,
    )
    services, _total = registry.list_services(session, region.id, limit=MAX_CHOICES)
    clients, _count = registry.list_clients(session, region.id, now=utcnow(), limit=MAX_CHOICES)
    groups, _groups = registry.list_groups(session, region.id, limit=MAX_CHOICES)
    query = f"status={chosen.value}&" if chosen else ""
    return page(
        request,
        "grants.html",
        {
            "current": "grants",
            "grants": grants,
            "counts": registry.count_grants_by_status(session, region.id),
            "chosen": chosen.value if chosen else "",
            "halaman": halaman,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "query": query,
            "services": services,
            "endpoints": registry.list_endpoints_by_service(session, region.id),
            "clients": clients,
            "groups": groups,
            "notice": notice(pesan),
            "form": form,
            "values": values or {},
            "back": f"{area(region)}/akses" + (f"?status={chosen.value}" if chosen else ""),
        },
        error=error,
    )


@router.get(
    "/{region}/admin/integrasi/akses", response_class=HTMLResponse, name="integration_grants"
)
def grants_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    status: Annotated[str, Query(max_length=20)] = "",
    halaman: Annotated[int, Query(ge=1, le=100000)] = 1,
    pesan: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """Grants (those waiting for approval first), filtered by status; the request form."""
    return _grants_page(request, session, region, status=status, halaman=halaman, pesan=pesan)


@router.post("/{region}/admin/integrasi/akses", response_class=HTMLResponse)
def request_grant(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: Id = "",
    endpoint_id: Id = "",
    grantee: Id = "",
    reason: Note = "",
) -> Response:
    """Ask for access of a client (``klien:<id>``) or a group (``grup:<id>``) to a service,
    or to one endpoint of it; the grant waits for the region admin's approval."""
    values = {
        "service_id": service_id,
        "endpoint_id": endpoint_id,
        "grantee": grantee,
        "reason": reason,
    }

    def change() -> Any:
        service = parse_id(service_id)
        if service is None:
            raise invalid("service_id", _("Pilih layanan yang akan diakses."))
        endpoint = parse_id(endpoint_id) if endpoint_id else None
        if endpoint_id and endpoint is None:
            raise invalid("endpoint_id", _("Pilih endpoint dari daftar."))
        kind, _sep, raw = grantee.partition(":")
        grantee_id = parse_id(raw)
        if kind not in ("klien", "grup") or grantee_id is None:
            raise invalid("grantee", _("Pilih aplikasi klien atau kelompok yang diberi akses."))
        return registry.request_grant(
            session,
            region,
            service_id=service,
            actor=actor_of(user),
            reason=reason.strip(),
            client_id=grantee_id if kind == "klien" else None,
            group_id=grantee_id if kind == "grup" else None,
            endpoint_id=endpoint,
        )

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _grants_page(request, session, region, error=result, form="request", values=values)
    return see(f"{area(region)}/akses?pesan=diajukan#akses-{result.id}")


def _back_to(region: Region, kembali: str) -> str:
    """Where to go after a decision: a page of the integration area, else the grants list."""
    base = area(region)
    if kembali == base or (
        kembali.startswith((base + "/", base + "?")) and "//" not in kembali and "\\" not in kembali
    ):
        return kembali
    return f"{base}/akses"


#: What each decision in the URL calls; rejecting and revoking refuse an empty note.
DECIDE: Final = {
    "setujui": registry.approve_grant,
    "tolak": registry.reject_grant,
    "cabut": registry.revoke_grant,
}


@router.post("/{region}/admin/integrasi/akses/{grant_id}/{decision}", response_class=HTMLResponse)
def decide_grant(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    grant_id: str,
    decision: str,
    note: Note = "",
    kembali: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Approve (``setujui``), reject (``tolak``) or revoke (``cabut``) a grant; rejecting
    and revoking need a note. Then back to the page the decision was made on."""
    if decision not in DECISIONS:
        raise NotFound(_("Halaman tidak ditemukan."))
    parsed = parse_id(grant_id)
    grant = registry.get_grant(session, region.id, parsed) if parsed else None
    if grant is None:
        raise NotFound(_("Izin akses tidak ditemukan di gateway wilayah ini."))
    decide = DECIDE[decision]
    result = attempt(session, lambda: decide(session, region, grant.id, actor_of(user), note))
    if isinstance(result, DomainError):
        return _grants_page(
            request,
            session,
            region,
            error=result,
            form=f"grant-{grant.id}",
            values={"note": note},
        )
    target = _back_to(region, kembali)
    separator = "&" if "?" in target else "?"
    return see(f"{target}{separator}{urlencode({'pesan': DECISIONS[decision]})}#akses-{grant.id}")
