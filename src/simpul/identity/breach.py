"""Whose data a breach touched (UU 27/2022 Pasal 46: tell the data subjects and the Lembaga
PDP within 3 x 24 hours): ``simpul pdp breach-scope``.

The operator describes what leaked: a service's applications, an agency's records, an app of
the inventory (what its OIDC client was given), tables, a period. The answer lists each data
subject once, with the contact to notify them and the kinds of their data in scope. It is
personal data itself: the operator keeps it only for the notification and deletes it after.
Each run is recorded in the audit trail (the filters and the count, never the list).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.applications import service as applications_service
from simpul.catalogue import service as catalogue_service
from simpul.complaints import service as complaints_service
from simpul.core.audit import record_audit_event
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.identity import repository
from simpul.identity.models import SCOPE_CLAIMS, OidcClient
from simpul.inventory import service as inventory_service

#: The tables ``--table`` names, and the kinds of data a leak of each exposes.
TABLES: Final = {
    "user_account": ("account",),
    "application": ("account", "application_answers"),
    "document": ("account", "uploads"),
    "complaint": ("account", "complaint"),
}

#: What each kind of data is (for the notice and the operator).
KINDS: Final = {
    "account": "nama, e-mail, nomor HP, NIK (terenkripsi/hash)",
    "application_answers": "jawaban formulir permohonan",
    "uploads": "berkas unggahan permohonan",
    "complaint": "pengaduan dan kontak pelapor",
}


@dataclass(frozen=True)
class Scope:
    """What leaked. Empty: every account of the region."""

    services: list[str] = field(default_factory=list)
    agency: str | None = None
    app: str | None = None
    tables: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Affected:
    account_id: uuid.UUID
    email: str
    phone: str
    closed: bool
    kinds: list[str]


@dataclass
class _Resolved:
    service_ids: list[uuid.UUID]
    agency_id: uuid.UUID | None
    client: OidcClient | None


def _resolve(session: Session, region: Region, scope: Scope) -> _Resolved:
    """The scope's names as rows of the region; InvalidInput naming each unknown one."""
    errors: list[dict[str, str]] = []
    service_ids: list[uuid.UUID] = []
    for slug in scope.services:
        found = catalogue_service.service_by_slug(session, region, slug)
        if found is None:
            errors.append({"field": "service", "message": _("Layanan tidak ditemukan.")})
        else:
            service_ids.append(found.id)
    agency_id: uuid.UUID | None = None
    if scope.agency:
        agency = catalogue_service.find_agency(session, region, scope.agency)
        if agency is None:
            errors.append({"field": "agency", "message": _("Perangkat daerah tidak ditemukan.")})
        else:
            agency_id = agency.id
    client = None
    if scope.app:
        app = inventory_service.get_app_by_code(session, region, scope.app)
        client = repository.get_client_of_app(session, region.id, app.id) if app else None
        if client is None:
            errors.append(
                {"field": "app", "message": _("Aplikasi tidak ditemukan atau tanpa klien OIDC.")}
            )
    unknown = [t for t in scope.tables if t not in TABLES]
    if unknown:
        errors.append(
            {
                "field": "table",
                "message": _("Tabel tidak dikenal: %(t)s") % {"t": ", ".join(unknown)},
            }
        )
    if errors:
        raise InvalidInput(_("Cakupan kebocoran tidak valid."), details=errors)
    return _Resolved(service_ids, agency_id, client)


def _applications(
    session: Session,
    region: Region,
    scope: Scope,
    resolved: _Resolved,
    tables: set[str],
    kinds: dict[uuid.UUID, set[str]],
) -> None:
    """Add the applicants in scope, with their answers and uploads where those leaked."""
    service_ids, agency_id = list(resolved.service_ids), resolved.agency_id
    by_service = bool(service_ids) or agency_id is not None
    want_answers = by_service or "application" in tables
    want_uploads = by_service or "document" in tables
    if want_answers or want_uploads:
        if agency_id is not None:
            service_ids += [
                s.id
                for s in catalogue_service.every_service(session, region)
                if s.agency_id == agency_id
            ]
        for row in applications_service.applications_in_scope(
            session,
            region,
            service_ids=service_ids if by_service else None,
            since=scope.since,
            until=scope.until,
        ):
            got: set[str] = set()
            if want_answers and row.has_answers:
                got.add("application_answers")
            if want_uploads and row.has_uploads:
                got.add("uploads")
            if by_service or got:
                kinds[row.applicant_id].update({"account", *got})


def breach_scope(session: Session, region: Region, scope: Scope) -> list[Affected]:
    """The data subjects a breach of ``scope`` touched, each once, with the kinds of their
    data in scope; ordered by account. Raises InvalidInput naming an unknown service,
    agency, app or table."""
    resolved = _resolve(session, region, scope)
    service_ids, agency_id, client = resolved.service_ids, resolved.agency_id, resolved.client
    kinds: dict[uuid.UUID, set[str]] = defaultdict(set)
    tables = set(scope.tables)
    if not (service_ids or agency_id or client or tables):
        tables = {"user_account"}
    if "user_account" in tables:
        for user in accounts_service.accounts_active_between(
            session, region, scope.since, scope.until
        ):
            kinds[user.id].add("account")
    _applications(session, region, scope, resolved, tables, kinds)
    if agency_id is not None or "complaint" in tables:
        for reporter in complaints_service.reporters_in_scope(
            session,
            region.id,
            agency_ids=[agency_id] if agency_id is not None else None,
            since=scope.since,
            until=scope.until,
        ):
            kinds[reporter].update(("account", "complaint"))
    if client is not None:
        for user_id, scopes in repository.consented_subjects(
            session, region.id, client.id, scope.since, scope.until
        ):
            claims = {c for s in scopes for c in SCOPE_CLAIMS.get(s, ())} - {"sub"}
            kinds[user_id].update(f"oidc:{c}" for c in sorted(claims))
            kinds[user_id].add(f"oidc_app:{client.client_id}")
    users = accounts_service.accounts_by_ids(session, region, list(kinds))
    affected = [
        Affected(
            account_id=user.id,
            email="" if user.closed_at else user.email,
            phone="" if user.closed_at else user.phone,
            closed=user.closed_at is not None,
            kinds=sorted(kinds[user.id]),
        )
        for user in users
    ]
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label="cli",
        action="pdp.breach_scope",
        target_type="region",
        target_id=region.slug,
        details={
            "services": scope.services,
            "agency": scope.agency,
            "app": scope.app,
            "tables": sorted(tables),
            "since": scope.since.isoformat() if scope.since else None,
            "until": scope.until.isoformat() if scope.until else None,
            "subjects": len(affected),
        },
    )
    return affected
