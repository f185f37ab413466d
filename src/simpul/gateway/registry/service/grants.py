"""Grants: access asked for, decided by the region admin, revoked when no longer due."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.gateway.registry import repository
from simpul.gateway.registry.models import GRANT_STATUS_LABELS, GatewayGrant, GrantStatus
from simpul.gateway.registry.service.common import (
    MAX_TEXT,
    Actor,
    actor_label,
    app_code_of,
    audit,
    problem,
    raise_if,
    require_client,
    require_grant,
    require_group,
    require_service,
    service_name,
    text_problem,
)

# -- grants -----------------------------------------------------------------------------------


def _grant_details(session: Session, region: Region, grant: GatewayGrant) -> dict[str, Any]:
    """What a grant names, readable in the audit trail."""
    service = require_service(session, region, grant.service_id)
    details: dict[str, Any] = {"service": service_name(session, region, service)}
    if grant.endpoint_id is not None:
        endpoint = repository.get_endpoint(session, region.id, grant.endpoint_id)
        details["endpoint"] = f"{endpoint.method} {endpoint.path}" if endpoint else None
    if grant.client_id is not None:
        client = repository.get_client(session, region.id, grant.client_id)
        details["client"] = app_code_of(session, region, client.app_id) if client else None
    if grant.group_id is not None:
        group = repository.get_group(session, region.id, grant.group_id)
        details["group"] = group.code if group else None
    return details


def request_grant(
    session: Session,
    region: Region,
    *,
    service_id: uuid.UUID,
    actor: Actor,
    reason: str,
    client_id: uuid.UUID | None = None,
    group_id: uuid.UUID | None = None,
    endpoint_id: uuid.UUID | None = None,
) -> GatewayGrant:
    """Ask for a client (or a group) to call a service, or one endpoint of it.

    The grant starts pending: it opens nothing until the region admin approves it.
    """
    reason = reason.strip()
    raise_if(
        [
            text_problem("reason", reason, MAX_TEXT, required=True),
            problem(
                "grantee",
                _("Pilih tepat satu penerima: satu klien atau satu kelompok klien."),
            )
            if (client_id is None) == (group_id is None)
            else None,
        ],
        _("Permintaan izin belum dapat dikirim."),
    )
    service = require_service(session, region, service_id)
    if client_id is not None:
        require_client(session, region, client_id)
    if group_id is not None:
        require_group(session, region, group_id)
    if endpoint_id is not None:
        endpoint = repository.get_endpoint(session, region.id, endpoint_id)
        if endpoint is None:
            raise NotFound(_("Endpoint tidak ditemukan."))
        if endpoint.service_id != service.id:
            raise InvalidInput(
                _("Endpoint itu bukan bagian dari layanan ini."),
                details=[problem("endpoint_id", _("Pilih endpoint dari layanan yang sama."))],
            )
    duplicate = repository.find_open_grant(
        session,
        region.id,
        service_id=service.id,
        endpoint_id=endpoint_id,
        client_id=client_id,
        group_id=group_id,
    )
    if duplicate is not None:
        raise Conflict(
            _("Izin yang sama sudah %(status)s.")
            % {"status": _(GRANT_STATUS_LABELS[duplicate.status.value]).lower()}
        )
    grant = GatewayGrant(
        region_id=region.id,
        service_id=service.id,
        endpoint_id=endpoint_id,
        client_id=client_id,
        group_id=group_id,
        status=GrantStatus.PENDING,
        reason=reason,
        requested_by=actor_label(actor),
    )
    repository.add(session, grant)
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.grant.request",
        grant,
        {**_grant_details(session, region, grant), "reason": reason},
    )
    return grant


def _decide(
    session: Session,
    region: Region,
    grant_id: uuid.UUID,
    actor: Actor,
    *,
    status: GrantStatus,
    note: str,
    allowed_from: GrantStatus,
    action: str,
) -> GatewayGrant:
    grant = require_grant(session, region, grant_id)
    if grant.status is not allowed_from:
        current = _(GRANT_STATUS_LABELS[grant.status.value]).lower()
        if allowed_from is GrantStatus.PENDING:
            message = _(
                "Izin ini sudah %(status)s; hanya izin yang menunggu persetujuan dapat diputuskan."
            )
        else:
            message = _("Izin ini %(status)s; hanya izin yang disetujui dapat dicabut.")
        raise Conflict(message % {"status": current})
    before = grant.status
    grant.status = status
    grant.decided_by = actor_label(actor)
    grant.decided_at = utcnow()
    grant.decision_note = note
    session.flush()
    audit(
        session,
        region,
        actor,
        action,
        grant,
        {
            **_grant_details(session, region, grant),
            "from": before.value,
            "to": status.value,
            "note": note,
        },
    )
    return grant


def _require_admin(actor: Actor) -> None:
    if not actor.is_region_admin:
        raise Forbidden(_("Hanya admin wilayah yang dapat menyetujui atau menolak izin akses."))


def _note(note: str, *, required: bool) -> str:
    note = note.strip()
    raise_if(
        [text_problem("note", note, MAX_TEXT, required=required)],
        _("Sebutkan alasannya."),
    )
    return note


def approve_grant(
    session: Session, region: Region, grant_id: uuid.UUID, actor: Actor, note: str = ""
) -> GatewayGrant:
    """The region admin opens the access a pending grant asks for."""
    _require_admin(actor)
    return _decide(
        session,
        region,
        grant_id,
        actor,
        status=GrantStatus.APPROVED,
        note=_note(note, required=False),
        allowed_from=GrantStatus.PENDING,
        action="gateway.grant.approve",
    )


def reject_grant(
    session: Session, region: Region, grant_id: uuid.UUID, actor: Actor, note: str
) -> GatewayGrant:
    """The region admin refuses a pending grant, saying why."""
    _require_admin(actor)
    return _decide(
        session,
        region,
        grant_id,
        actor,
        status=GrantStatus.REJECTED,
        note=_note(note, required=True),
        allowed_from=GrantStatus.PENDING,
        action="gateway.grant.reject",
    )


def revoke_grant(
    session: Session, region: Region, grant_id: uuid.UUID, actor: Actor, note: str
) -> GatewayGrant:
    """Close an approved grant, saying why.

    Any actor may revoke (closing access is always safe). The decision fields then describe
    the revocation; the approval stays in the audit trail.
    """
    return _decide(
        session,
        region,
        grant_id,
        actor,
        status=GrantStatus.REVOKED,
        note=_note(note, required=True),
        allowed_from=GrantStatus.APPROVED,
        action="gateway.grant.revoke",
    )
