"""Client apps and their API keys, and client groups.

A new key is shown once, in the response to the POST that made it (never in a URL, never
cached); afterwards only its first characters are shown, as the database holds only a digest.
Each rendering of the key forms carries a one-time token, so a browser sending the form again
(a reload of that response) gets a notice instead of a second key.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.database import DbSession, Session
from simpul.core.errors import Conflict, DomainError, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.regions import CurrentRegion
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.forms import (
    MAX_CHOICES,
    ClientLimitForm,
    KeyRotationForm,
    actor_of,
    area,
    attempt,
    invalid,
    no_store,
    notice,
    page,
    parse_id,
    read_form,
    see,
)
from simpul.gateway.registry.models import GOVERNMENT_MEMBER_CLASS, GatewayClient, GatewayCredential
from simpul.gateway.registry.service import ClientRow, GrantQuery
from simpul.inventory import service as inventory
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)


Short = Annotated[str, Form(max_length=20)]
Note = Annotated[str, Form(max_length=2000)]
Pesan = Annotated[str | None, Query(max_length=40)]
FormToken = Annotated[str, Form(max_length=100)]

#: A key form's one-time token as ``_client_page`` makes it (``secrets.token_urlsafe(16)``).
FORM_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _client_or_404(session: Session, region: Region, client_id: str) -> ClientRow:
    parsed = parse_id(client_id)
    row = registry.get_client_row(session, region.id, parsed, now=utcnow()) if parsed else None
    if row is None:
        raise NotFound(_("Aplikasi klien tidak ditemukan di gateway wilayah ini."))
    return row


def _credential_or_404(
    session: Session, region: Region, row: ClientRow, credential_id: str
) -> GatewayCredential:
    parsed = parse_id(credential_id)
    credential = registry.get_credential(session, region.id, parsed) if parsed else None
    if credential is None or credential.client_id != row.client.id:
        raise NotFound(_("Kunci API tidak ditemukan pada aplikasi klien ini."))
    return credential


def _group_or_404(session: Session, region: Region, group_id: str) -> uuid.UUID:
    parsed = parse_id(group_id)
    group = registry.get_group(session, region.id, parsed) if parsed else None
    if group is None:
        raise NotFound(_("Kelompok tidak ditemukan di gateway wilayah ini."))
    return group.id


# -- clients -----------------------------------------------------------------------------------


def _clients_page(
    request: Request,
    session: Session,
    region: Region,
    *,
    pesan: str | None = None,
    error: DomainError | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    clients, _total = registry.list_clients(session, region.id, now=utcnow(), limit=MAX_CHOICES)
    registered = {row.app.id for row in clients}
    return page(
        request,
        "clients.html",
        {
            "current": "clients",
            "clients": clients,
            "apps": [
                app for app in inventory.list_all_apps(session, region) if app.id not in registered
            ],
            "notice": notice(pesan),
            "values": values or {"rate_limit_per_minute": "600"},
        },
        error=error,
    )


@router.get(
    "/{region}/admin/integrasi/klien", response_class=HTMLResponse, name="integration_clients"
)
def clients_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: Pesan = None,
) -> HTMLResponse:
    """The apps that may call services, and the form to register another."""
    return _clients_page(request, session, region, pesan=pesan)


@router.post("/{region}/admin/integrasi/klien", response_class=HTMLResponse)
def register_client(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    app_code: Annotated[str, Form(max_length=60)] = "",
    rate_limit_per_minute: Short = "",
) -> Response:
    """Register an inventory app as a client; it may call nothing until a grant is approved."""
    values = {"app_code": app_code, "rate_limit_per_minute": rate_limit_per_minute}

    def change() -> Any:
        limit = read_form(
            ClientLimitForm, {"rate_limit_per_minute": rate_limit_per_minute or "600"}
        ).rate_limit_per_minute
        return registry.register_client(
            session,
            region,
            app_code=app_code.strip(),
            actor=actor_of(user),
            rate_limit_per_minute=limit,
        )

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _clients_page(request, session, region, error=result, values=values)
    return see(f"{area(region)}/klien/{result.id}?pesan=klien-baru")


def _client_page(
    request: Request,
    session: Session,
    region: Region,
    row: ClientRow,
    *,
    pesan: str | None = None,
    new_key: str | None = None,
    new_key_label: str = "",
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The client page, never cached; ``form`` names the form (``key-<id>`` for a key's)
    an ``error`` and ``values`` belong to."""
    client = row.client
    group_ids = registry.list_group_ids_of_client(session, region.id, client.id)
    groups, _total = registry.list_groups(session, region.id, limit=MAX_CHOICES)
    grants, _count = registry.list_grants_for_review(
        session,
        region.id,
        GrantQuery(client_id=client.id, group_ids=tuple(group_ids)),
        limit=200,
    )
    settings: dict[str, Any] = {
        "rate_limit_per_minute": str(client.rate_limit_per_minute),
        "enabled": client.enabled,
    }
    if form == "settings" and values:
        settings = values
    response = page(
        request,
        "client.html",
        {
            "current": "clients",
            "row": row,
            "client": client,
            "identifier": "/".join(
                (region.slug, GOVERNMENT_MEMBER_CLASS, row.agency.slug, row.app.code)
            ),
            "credentials": registry.list_credentials(session, region.id, client.id),
            "now": utcnow(),
            "groups": [g for g in groups if g.group.id in group_ids],
            "grants": grants,
            "notice": notice(pesan),
            "new_key": new_key,
            "new_key_label": new_key_label,
            "form": form,
            "values": values or {},
            "settings": settings,
            "back": f"{area(region)}/klien/{client.id}",
            "form_token": secrets.token_urlsafe(16),
            "max_grace_hours": registry.MAX_GRACE_HOURS,
            "shown_hint": registry.shown_hint,
        },
        error=error,
    )
    return no_store(response)


@router.get(
    "/{region}/admin/integrasi/klien/{client_id}",
    response_class=HTMLResponse,
    name="integration_client",
)
def client_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    client_id: str,
    pesan: Pesan = None,
) -> Response:
    """A client app: its GovStack identity, keys, groups, grants and rate limit."""
    row = _client_or_404(session, region, client_id)
    return _client_page(request, session, region, row, pesan=pesan)


def _key_form_refusal(
    session: Session, region: Region, row: ClientRow, form_token: str
) -> DomainError | None:
    """Why a key form is not acted on: it has no token (a page from before tokens), or its
    key was already issued (the browser sent the form again); else ``None``."""
    if not FORM_TOKEN.fullmatch(form_token):
        return DomainError(_("Formulir ini sudah usang. Muat ulang halaman, lalu kirim lagi."))
    if registry.key_form_was_used(session, region.id, row.client.id, form_token):
        return Conflict(
            _(
                "Kunci untuk formulir ini sudah diterbitkan dan hanya ditampilkan sekali. "
                "Terbitkan kunci baru bila kunci itu hilang."
            )
        )
    return None


def _use_key_form(
    session: Session, region: Region, row: ClientRow, user: User, form_token: str
) -> None:
    """Mark the form's token as used, in the transaction that issues its key."""
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=actor_of(user).label,
        action=registry.KEY_FORM_ACTION,
        target_type=GatewayClient.__tablename__,
        target_id=str(row.client.id),
        details={"token": form_token},
    )


@router.post("/{region}/admin/integrasi/klien/{client_id}/kunci", response_class=HTMLResponse)
def issue_key(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    client_id: str,
    label: Annotated[str, Form(max_length=100)] = "",
    form_token: FormToken = "",
) -> Response:
    """Issue a key and show it in this response only; the same form sent again issues none."""
    row = _client_or_404(session, region, client_id)
    refusal = _key_form_refusal(session, region, row, form_token)
    if refusal is not None:
        return _client_page(request, session, region, row, error=refusal)

    def change() -> Any:
        _use_key_form(session, region, row, user, form_token)
        return registry.issue_key(session, region, row.client.id, actor_of(user), label.strip())

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _client_page(
            request, session, region, row, error=result, form="issue", values={"label": label}
        )
    credential, key = result
    return _client_page(request, session, region, row, new_key=key, new_key_label=credential.label)


@router.post(
    "/{region}/admin/integrasi/klien/{client_id}/kunci/{credential_id}/rotasi",
    response_class=HTMLResponse,
)
def rotate_key(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    client_id: str,
    credential_id: str,
    grace_hours: Short = "",
    form_token: FormToken = "",
) -> Response:
    """Replace a key: the old one keeps working for the grace hours, the new one is shown once."""
    row = _client_or_404(session, region, client_id)
    credential = _credential_or_404(session, region, row, credential_id)
    refusal = _key_form_refusal(session, region, row, form_token)
    if refusal is not None:
        return _client_page(request, session, region, row, error=refusal)

    def change() -> Any:
        _use_key_form(session, region, row, user, form_token)
        hours = read_form(KeyRotationForm, {"grace_hours": grace_hours or "24"}).grace_hours
        return registry.rotate_key(session, region, credential.id, actor_of(user), hours)

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _client_page(
            request,
            session,
            region,
            row,
            error=result,
            form=f"key-{credential.id}",
            values={"grace_hours": grace_hours},
        )
    new_credential, key = result
    return _client_page(
        request, session, region, row, new_key=key, new_key_label=new_credential.label
    )


@router.post(
    "/{region}/admin/integrasi/klien/{client_id}/kunci/{credential_id}/cabut",
    response_class=HTMLResponse,
)
def revoke_key(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    client_id: str,
    credential_id: str,
    reason: Note = "",
) -> Response:
    """Revoke a key at once; the reason is required and lands in the audit trail."""
    row = _client_or_404(session, region, client_id)
    credential = _credential_or_404(session, region, row, credential_id)
    result = attempt(
        session, lambda: registry.revoke_key(session, region, credential.id, actor_of(user), reason)
    )
    if isinstance(result, DomainError):
        return _client_page(
            request,
            session,
            region,
            row,
            error=result,
            form=f"key-{credential.id}",
            values={"reason": reason},
        )
    return see(f"{area(region)}/klien/{row.client.id}?pesan=kunci-dicabut")


@router.post("/{region}/admin/integrasi/klien/{client_id}/pengaturan", response_class=HTMLResponse)
def change_client_settings(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    client_id: str,
    rate_limit_per_minute: Short = "",
    enabled: Annotated[str | None, Form()] = None,
) -> Response:
    """Change a client's rate limit, or switch it off (then all its calls are refused)."""
    row = _client_or_404(session, region, client_id)
    values = {"rate_limit_per_minute": rate_limit_per_minute, "enabled": enabled is not None}

    def change() -> Any:
        limit = read_form(
            ClientLimitForm, {"rate_limit_per_minute": rate_limit_per_minute}
        ).rate_limit_per_minute
        return registry.update_client(
            session,
            region,
            row.client.id,
            actor=actor_of(user),
            rate_limit_per_minute=limit,
            enabled=enabled is not None,
        )

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _client_page(
            request, session, region, row, error=result, form="settings", values=values
        )
    return see(f"{area(region)}/klien/{row.client.id}?pesan=pengaturan")


# -- groups ------------------------------------------------------------------------------------


def _groups_page(
    request: Request,
    session: Session,
    region: Region,
    *,
    pesan: str | None = None,
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    groups, _total = registry.list_groups(session, region.id, limit=MAX_CHOICES)
    clients, _count = registry.list_clients(session, region.id, now=utcnow(), limit=MAX_CHOICES)
    return page(
        request,
        "groups.html",
        {
            "current": "groups",
            "groups": groups,
            "clients": clients,
            "notice": notice(pesan),
            "form": form,
            "values": values or {},
        },
        error=error,
    )


@router.get(
    "/{region}/admin/integrasi/grup", response_class=HTMLResponse, name="integration_groups"
)
def groups_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    pesan: Pesan = None,
) -> HTMLResponse:
    """Client groups (access can be granted to a whole group) and their members."""
    return _groups_page(request, session, region, pesan=pesan)


@router.post("/{region}/admin/integrasi/grup", response_class=HTMLResponse)
def create_group(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    code: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Create a client group."""
    result = attempt(
        session,
        lambda: registry.create_group(
            session, region, code=code.strip(), name=name.strip(), actor=actor_of(user)
        ),
    )
    if isinstance(result, DomainError):
        values = {"code": code, "name": name}
        return _groups_page(request, session, region, error=result, form="create", values=values)
    return see(f"{area(region)}/grup?pesan=grup-baru#grup-{result.id}")


@router.post("/{region}/admin/integrasi/grup/{group_id}/anggota", response_class=HTMLResponse)
def add_group_member(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    group_id: str,
    client_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Add a client to a group: it gains the group's grants."""
    group = _group_or_404(session, region, group_id)

    def change() -> Any:
        client = parse_id(client_id)
        if client is None:
            raise invalid("client_id", _("Pilih aplikasi klien yang akan ditambahkan."))
        return registry.add_group_member(session, region, group, client, actor_of(user))

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _groups_page(request, session, region, error=result, form=f"group-{group}")
    return see(f"{area(region)}/grup?pesan=anggota#grup-{group}")


@router.post(
    "/{region}/admin/integrasi/grup/{group_id}/anggota/{client_id}/keluarkan",
    response_class=HTMLResponse,
)
def remove_group_member(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    group_id: str,
    client_id: str,
) -> Response:
    """Take a client out of a group: it loses the group's grants."""
    group = _group_or_404(session, region, group_id)
    client = _client_or_404(session, region, client_id).client.id
    result = attempt(
        session,
        lambda: registry.remove_group_member(session, region, group, client, actor_of(user)),
    )
    if isinstance(result, DomainError):
        return _groups_page(request, session, region, error=result, form=f"group-{group}")
    return see(f"{area(region)}/grup?pesan=anggota#grup-{group}")
