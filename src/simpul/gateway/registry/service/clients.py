"""Clients, their API keys (shown once, stored as SHA-256) and groups of clients."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.security import new_token
from simpul.gateway.registry import repository
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroup,
    GatewayClientGroupMember,
    GatewayCredential,
)
from simpul.gateway.registry.service.common import (
    API_KEY_PREFIX,
    MAX_GRACE_HOURS,
    MAX_RATE_LIMIT,
    MAX_TEXT,
    Actor,
    actor_label,
    app_code_of,
    audit,
    code_problem,
    key_digest,
    key_hint,
    problem,
    raise_if,
    require_app,
    require_client,
    require_group,
    text_problem,
)

# -- clients and keys -------------------------------------------------------------------------


def _rate_limit_problem(rate_limit_per_minute: int) -> dict[str, str] | None:
    if not 0 < rate_limit_per_minute <= MAX_RATE_LIMIT:
        return problem(
            "rate_limit_per_minute",
            _("Batas permintaan harus antara 1 dan %(max)d per menit.") % {"max": MAX_RATE_LIMIT},
        )
    return None


def register_client(
    session: Session,
    region: Region,
    *,
    app_code: str,
    actor: Actor,
    rate_limit_per_minute: int = 600,
) -> GatewayClient:
    """Let an app of the inventory call services (once granted); one registration per app."""
    raise_if([_rate_limit_problem(rate_limit_per_minute)], _("Klien belum dapat didaftarkan."))
    app = require_app(session, region, app_code)
    if repository.get_client_of_app(session, region.id, app.id) is not None:
        raise Conflict(
            _("Aplikasi %(app)s sudah terdaftar sebagai klien.") % {"app": app.code},
            details=[problem("app_code", _("Sudah terdaftar sebagai klien."))],
        )
    client = GatewayClient(
        region_id=region.id,
        app_id=app.id,
        rate_limit_per_minute=rate_limit_per_minute,
        enabled=True,
    )
    repository.add(session, client)
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.client.register",
        client,
        {"client": app.code, "rate_limit_per_minute": rate_limit_per_minute},
    )
    return client


def update_client(
    session: Session,
    region: Region,
    client_id: uuid.UUID,
    *,
    actor: Actor,
    rate_limit_per_minute: int | None = None,
    enabled: bool | None = None,
) -> GatewayClient:
    """Change a client's rate limit or switch it off (a disabled client is refused everywhere)."""
    client = require_client(session, region, client_id)
    raise_if(
        [_rate_limit_problem(rate_limit_per_minute) if rate_limit_per_minute is not None else None],
        _("Klien belum dapat diubah."),
    )
    changes: dict[str, list[Any]] = {}
    if rate_limit_per_minute is not None and rate_limit_per_minute != client.rate_limit_per_minute:
        changes["rate_limit_per_minute"] = [client.rate_limit_per_minute, rate_limit_per_minute]
        client.rate_limit_per_minute = rate_limit_per_minute
    if enabled is not None and enabled != client.enabled:
        changes["enabled"] = [client.enabled, enabled]
        client.enabled = enabled
    if not changes:
        return client
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.client.update",
        client,
        {"client": app_code_of(session, region, client.app_id), "changes": changes},
    )
    return client


def _new_credential(
    session: Session, region: Region, client: GatewayClient, label: str, actor: Actor
) -> tuple[GatewayCredential, str]:
    key = new_token(API_KEY_PREFIX)
    credential = GatewayCredential(
        region_id=region.id,
        client_id=client.id,
        key_digest=key_digest(key),
        key_hint=key_hint(key),
        label=label,
        created_by=actor_label(actor),
    )
    repository.add(session, credential)
    session.flush()
    return credential, key


def issue_key(
    session: Session, region: Region, client_id: uuid.UUID, actor: Actor, label: str = ""
) -> tuple[GatewayCredential, str]:
    """A new API key for a client. The key is returned once and never stored."""
    label = label.strip()
    raise_if(
        [text_problem("label", label, 100, required=False)], _("Kunci belum dapat diterbitkan.")
    )
    client = require_client(session, region, client_id)
    credential, key = _new_credential(session, region, client, label, actor)
    audit(
        session,
        region,
        actor,
        "gateway.key.issue",
        credential,
        {
            "client": app_code_of(session, region, client.app_id),
            "key_hint": credential.key_hint,
            "label": label,
        },
    )
    return credential, key


def rotate_key(
    session: Session,
    region: Region,
    credential_id: uuid.UUID,
    actor: Actor,
    grace_hours: int = 24,
) -> tuple[GatewayCredential, str]:
    """Issue a replacement key; the old one keeps working for ``grace_hours`` (0: stops now)."""
    if not 0 <= grace_hours <= MAX_GRACE_HOURS:
        raise InvalidInput(
            _("Masa tenggang belum dapat dipakai."),
            details=[
                problem(
                    "grace_hours",
                    _("Masa tenggang antara 0 dan %(max)d jam.") % {"max": MAX_GRACE_HOURS},
                )
            ],
        )
    old = repository.get_credential(session, region.id, credential_id)
    if old is None:
        raise NotFound(_("Kunci API tidak ditemukan."))
    now = utcnow()
    if old.revoked_at is not None:
        raise Conflict(_("Kunci ini sudah dicabut; terbitkan kunci baru."))
    if old.expires_at is not None and old.expires_at <= now:
        raise Conflict(_("Kunci ini sudah kedaluwarsa; terbitkan kunci baru."))
    if old.expires_at is not None:
        raise Conflict(
            _("Kunci ini sudah dirotasi dan berhenti berlaku %(at)s; rotasi kunci penggantinya.")
            % {"at": old.expires_at.isoformat(timespec="minutes")}
        )
    client = require_client(session, region, old.client_id)
    new, key = _new_credential(session, region, client, old.label, actor)
    old.expires_at = now + timedelta(hours=grace_hours)
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.key.rotate",
        old,
        {
            "client": app_code_of(session, region, client.app_id),
            "old_key_hint": old.key_hint,
            "new_credential_id": str(new.id),
            "new_key_hint": new.key_hint,
            "grace_hours": grace_hours,
            "old_expires_at": old.expires_at.isoformat(),
        },
    )
    return new, key


def revoke_key(
    session: Session, region: Region, credential_id: uuid.UUID, actor: Actor, reason: str
) -> GatewayCredential:
    """Stop a key at once, for good (for a leaked key; rotation is for routine changes)."""
    reason = reason.strip()
    raise_if(
        [text_problem("reason", reason, MAX_TEXT, required=True)],
        _("Sebutkan alasan pencabutan kunci."),
    )
    credential = repository.get_credential(session, region.id, credential_id)
    if credential is None:
        raise NotFound(_("Kunci API tidak ditemukan."))
    if credential.revoked_at is not None:
        raise Conflict(_("Kunci ini sudah dicabut."))
    credential.revoked_at = utcnow()
    credential.revoked_reason = reason
    session.flush()
    client = require_client(session, region, credential.client_id)
    audit(
        session,
        region,
        actor,
        "gateway.key.revoke",
        credential,
        {
            "client": app_code_of(session, region, client.app_id),
            "key_hint": credential.key_hint,
            "reason": reason,
        },
    )
    return credential


# -- groups of clients ------------------------------------------------------------------------


def create_group(
    session: Session, region: Region, *, code: str, name: str, actor: Actor
) -> GatewayClientGroup:
    """A named set of clients that can be granted access together."""
    code = code.strip()
    name = " ".join(name.split())
    raise_if(
        [code_problem("code", code), text_problem("name", name, 200, required=True)],
        _("Kelompok klien belum dapat dibuat."),
    )
    if repository.get_group_by_code(session, region.id, code) is not None:
        raise Conflict(
            _("Kelompok dengan kode '%(code)s' sudah ada.") % {"code": code},
            details=[problem("code", _("Kode kelompok sudah dipakai."))],
        )
    group = GatewayClientGroup(region_id=region.id, code=code, name=name)
    repository.add(session, group)
    session.flush()
    audit(session, region, actor, "gateway.group.create", group, {"group": code, "name": name})
    return group


def add_group_member(
    session: Session, region: Region, group_id: uuid.UUID, client_id: uuid.UUID, actor: Actor
) -> None:
    """Put a client in a group: it gains what the group is granted (approved grants only)."""
    group = require_group(session, region, group_id)
    client = require_client(session, region, client_id)
    if repository.get_group_member(session, region.id, group.id, client.id) is not None:
        raise Conflict(_("Klien ini sudah anggota kelompok %(group)s.") % {"group": group.code})
    repository.add(
        session,
        GatewayClientGroupMember(region_id=region.id, group_id=group.id, client_id=client.id),
    )
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.group.member_add",
        group,
        {"group": group.code, "client": app_code_of(session, region, client.app_id)},
    )


def remove_group_member(
    session: Session, region: Region, group_id: uuid.UUID, client_id: uuid.UUID, actor: Actor
) -> None:
    """Take a client out of a group: it loses what it had only through the group."""
    group = require_group(session, region, group_id)
    client = require_client(session, region, client_id)
    member = repository.get_group_member(session, region.id, group.id, client.id)
    if member is None:
        raise NotFound(_("Klien ini bukan anggota kelompok %(group)s.") % {"group": group.code})
    repository.remove(session, member)
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.group.member_remove",
        group,
        {"group": group.code, "client": app_code_of(session, region, client.app_id)},
    )
