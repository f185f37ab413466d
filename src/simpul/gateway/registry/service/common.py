"""What every part of the control plane shares: the actor, keys, checks, lookups, audit."""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.core.security import token_digest
from simpul.gateway.registry import repository
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroup,
    GatewayCredential,
    GatewayGrant,
    GatewayService,
)
from simpul.inventory.models import App

if TYPE_CHECKING:
    from simpul.accounts.models import User

API_KEY_PREFIX: Final = "sgw_"
#: Characters of a key (after the prefix) kept to tell keys apart.
KEY_HINT_LENGTH: Final = 8
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
DEFAULT_MAX_BODY_BYTES: Final = 10 * 1024 * 1024
MAX_BODY_BYTES_LIMIT: Final = 1024 * 1024 * 1024
MAX_TIMEOUT_SECONDS: Final = 600.0
MAX_RATE_LIMIT: Final = 1_000_000
MAX_GRACE_HOURS: Final = 24 * 30
MAX_TEXT: Final = 2000

#: What each audit action means, for the pages that show the trail (translated when shown).
AUDIT_ACTION_LABELS: Final = {
    "gateway.service.register": lazy("Layanan didaftarkan"),
    "gateway.service.update": lazy("Layanan diubah"),
    "gateway.endpoint.enable": lazy("Endpoint diaktifkan"),
    "gateway.endpoint.disable": lazy("Endpoint dinonaktifkan"),
    "gateway.app.integration": lazy("Status integrasi aplikasi berubah"),
    "gateway.client.register": lazy("Klien didaftarkan"),
    "gateway.client.update": lazy("Klien diubah"),
    "gateway.key.issue": lazy("Kunci API diterbitkan"),
    "gateway.key.rotate": lazy("Kunci API dirotasi"),
    "gateway.key.revoke": lazy("Kunci API dicabut"),
    "gateway.group.create": lazy("Kelompok klien dibuat"),
    "gateway.group.member_add": lazy("Anggota kelompok ditambahkan"),
    "gateway.group.member_remove": lazy("Anggota kelompok dikeluarkan"),
    "gateway.grant.request": lazy("Izin akses diminta"),
    "gateway.grant.approve": lazy("Izin akses disetujui"),
    "gateway.grant.reject": lazy("Izin akses ditolak"),
    "gateway.grant.revoke": lazy("Izin akses dicabut"),
}


@dataclass(frozen=True)
class Actor:
    """Who makes a change, as the audit trail names them."""

    label: str  # e-mail of the user, or "cli"
    user_id: uuid.UUID | None = None
    is_region_admin: bool = True  # only region admins may approve/reject grants


def actor_for_user(user: User) -> Actor:
    """The actor for a signed-in account (region admins may decide on grants)."""
    from simpul.accounts.models import AccountKind

    return Actor(
        label=user.email, user_id=user.id, is_region_admin=user.kind is AccountKind.REGION_ADMIN
    )


def key_digest(key: str) -> bytes:
    """SHA-256 of an API key: how keys are stored and how the data plane looks them up."""
    return token_digest(key)


def key_hint(key: str) -> str:
    """The characters of a key kept in the clear (after the ``sgw_`` prefix)."""
    return key.removeprefix(API_KEY_PREFIX)[:KEY_HINT_LENGTH]


def shown_hint(credential: GatewayCredential) -> str:
    """How a key is shown to people: ``sgw_AbCdEfGh…``."""
    return f"{API_KEY_PREFIX}{credential.key_hint}…"


# -- shared checks ----------------------------------------------------------------------------


def problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def actor_label(actor: Actor) -> str:
    return actor.label[:200]


def audit(
    session: Session,
    region: Region,
    actor: Actor,
    action: str,
    target: Any,
    details: dict[str, Any],
) -> None:
    """Append ``action`` on ``target`` (a row: its table names the type) to the audit trail."""
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=actor.user_id,
        actor_label=actor_label(actor),
        action=action,
        target_type=target.__tablename__,
        target_id=str(target.id),
        details=details,
    )


def code_problem(field: str, code: str) -> dict[str, str] | None:
    if not CODE_PATTERN.fullmatch(code):
        return problem(
            field,
            _(
                "Kode 1-60 karakter: huruf, angka, titik, - atau _, diawali huruf atau angka "
                "(misalnya data-penduduk)."
            ),
        )
    return None


def text_problem(field: str, value: str, limit: int, *, required: bool) -> dict[str, str] | None:
    if required and not value.strip():
        return problem(field, _("Wajib diisi."))
    if len(value) > limit:
        return problem(field, _("Maksimal %(n)d karakter.") % {"n": limit})
    return None


def upstream_url_problem(url: str) -> str | None:  # noqa: PLR0911 - one answer per rule
    """Why ``url`` cannot be a service's upstream, or None: http(s), a host, no credentials."""
    if not url:
        return _("Wajib diisi.")
    if len(url) > 500:
        return _("Maksimal %(n)d karakter.") % {"n": 500}
    if any(c.isspace() for c in url):
        return _("Alamat tidak boleh berisi spasi.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return _("Alamat harus diawali http:// atau https://.")
    if not parts.hostname:
        return _("Alamat harus memuat nama host, misalnya http://10.0.3.7:8080/api.")
    if parts.username or parts.password:
        return _("Jangan menaruh nama pengguna atau kata sandi di alamat.")
    if parts.query or parts.fragment:
        return _("Alamat dasar tidak boleh memuat ? atau #.")
    try:
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return _("Nomor port tidak valid.")
    return None


def timeout_problem(timeout_seconds: float) -> dict[str, str] | None:
    if not (
        isinstance(timeout_seconds, int | float)
        and math.isfinite(timeout_seconds)
        and 0 < timeout_seconds <= MAX_TIMEOUT_SECONDS
    ):
        return problem(
            "timeout_seconds",
            _("Batas waktu harus lebih dari 0 dan paling lama %(max)d detik.")
            % {"max": int(MAX_TIMEOUT_SECONDS)},
        )
    return None


def max_body_problem(max_body_bytes: int) -> dict[str, str] | None:
    if not 0 < max_body_bytes <= MAX_BODY_BYTES_LIMIT:
        return problem(
            "max_body_bytes",
            _("Ukuran isi maksimum harus antara 1 bita dan %(max)d bita.")
            % {"max": MAX_BODY_BYTES_LIMIT},
        )
    return None


def raise_if(problems: list[dict[str, str] | None], message: str) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise InvalidInput(message, details=found)


def require_app(session: Session, region: Region, app_code: str) -> App:
    app = repository.get_app_by_code(session, region.id, app_code.strip())
    if app is None:
        raise NotFound(
            _("Aplikasi '%(code)s' tidak ada di inventaris wilayah ini.") % {"code": app_code},
            details=[problem("app_code", _("Tidak ada di inventaris wilayah ini."))],
        )
    return app


def require_service(session: Session, region: Region, service_id: uuid.UUID) -> GatewayService:
    service = repository.get_service(session, region.id, service_id)
    if service is None:
        raise NotFound(_("Layanan gateway tidak ditemukan."))
    return service


def require_client(session: Session, region: Region, client_id: uuid.UUID) -> GatewayClient:
    client = repository.get_client(session, region.id, client_id)
    if client is None:
        raise NotFound(_("Klien gateway tidak ditemukan."))
    return client


def require_group(session: Session, region: Region, group_id: uuid.UUID) -> GatewayClientGroup:
    group = repository.get_group(session, region.id, group_id)
    if group is None:
        raise NotFound(_("Kelompok klien tidak ditemukan."))
    return group


def require_grant(session: Session, region: Region, grant_id: uuid.UUID) -> GatewayGrant:
    grant = repository.get_grant(session, region.id, grant_id)
    if grant is None:
        raise NotFound(_("Izin akses tidak ditemukan."))
    return grant


def app_code_of(session: Session, region: Region, app_id: uuid.UUID) -> str:
    app = repository.get_app(session, region.id, app_id)
    return app.code if app else str(app_id)


def service_name(session: Session, region: Region, service: GatewayService) -> str:
    """``app/service``: how the audit trail names a service."""
    return f"{app_code_of(session, region, service.app_id)}/{service.code}"
