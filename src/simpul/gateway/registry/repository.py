"""Every query of the gateway's control plane: providers' services, clients, keys, groups, grants.

Every function takes the region's id and filters by it: an id from another region finds
nothing. Listing functions page with ``limit``/``offset`` and also return the total.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from simpul.catalogue.models import Agency
from simpul.core.kit.queries import get_in_region
from simpul.core.models import AuditEvent
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroup,
    GatewayClientGroupMember,
    GatewayCredential,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.inventory.models import App

#: Audit actions of the gateway all start with this (``gateway.service.register``, ...).
AUDIT_PREFIX = "gateway."


def add(session: Session, row: object) -> None:
    session.add(row)


def remove(session: Session, row: object) -> None:
    session.delete(row)


_Row = TypeVarTuple("_Row")


def _total(session: Session, query: Select[*_Row]) -> int:
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# -- apps of the inventory --------------------------------------------------------------------


def get_app(session: Session, region_id: uuid.UUID, app_id: uuid.UUID) -> App | None:
    return get_in_region(session, App, region_id, app_id)


def get_app_by_code(session: Session, region_id: uuid.UUID, code: str) -> App | None:
    return session.scalars(
        select(App).where(App.region_id == region_id, App.code == code)
    ).one_or_none()


# -- services and endpoints -------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    """A service with its provider app and the app's agency (the GovStack member)."""

    service: GatewayService
    app: App
    agency: Agency
    endpoints: int = 0
    enabled_endpoints: int = 0


@dataclass(frozen=True)
class ServiceDetail:
    service: GatewayService
    app: App
    agency: Agency
    endpoints: list[GatewayEndpoint] = field(default_factory=list)


def get_service(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID
) -> GatewayService | None:
    return get_in_region(session, GatewayService, region_id, service_id)


def get_service_by_code(
    session: Session, region_id: uuid.UUID, app_id: uuid.UUID, code: str
) -> GatewayService | None:
    return session.scalars(
        select(GatewayService).where(
            GatewayService.region_id == region_id,
            GatewayService.app_id == app_id,
            GatewayService.code == code,
        )
    ).one_or_none()


def list_services(
    session: Session,
    region_id: uuid.UUID,
    *,
    app_id: uuid.UUID | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ServiceRow], int]:
    """The region's services (of one provider app if given) by app code and service code."""
    query = (
        select(GatewayService, App, Agency)
        .join(App, and_(App.region_id == GatewayService.region_id, App.id == GatewayService.app_id))
        .join(Agency, and_(Agency.region_id == App.region_id, Agency.id == App.agency_id))
        .where(GatewayService.region_id == region_id)
    )
    if app_id is not None:
        query = query.where(GatewayService.app_id == app_id)
    total = _total(session, query)
    rows = session.execute(
        query.order_by(App.code, GatewayService.code).limit(limit).offset(offset)
    ).all()
    counts = _endpoint_counts(session, region_id, [service.id for service, _a, _g in rows])
    return [
        ServiceRow(service, app, agency, *counts.get(service.id, (0, 0)))
        for service, app, agency in rows
    ], total


def _endpoint_counts(
    session: Session, region_id: uuid.UUID, service_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    if not service_ids:
        return {}
    rows = session.execute(
        select(
            GatewayEndpoint.service_id,
            func.count(),
            func.count().filter(GatewayEndpoint.enabled),
        )
        .where(GatewayEndpoint.region_id == region_id, GatewayEndpoint.service_id.in_(service_ids))
        .group_by(GatewayEndpoint.service_id)
    ).all()
    return {service_id: (int(total), int(enabled)) for service_id, total, enabled in rows}


def get_service_detail(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID
) -> ServiceDetail | None:
    """A service with its provider, agency and endpoints (by path, then method)."""
    row = session.execute(
        select(GatewayService, App, Agency)
        .join(App, and_(App.region_id == GatewayService.region_id, App.id == GatewayService.app_id))
        .join(Agency, and_(Agency.region_id == App.region_id, Agency.id == App.agency_id))
        .where(GatewayService.region_id == region_id, GatewayService.id == service_id)
    ).one_or_none()
    if row is None:
        return None
    service, app, agency = row
    return ServiceDetail(service, app, agency, list_endpoints(session, region_id, service.id))


def list_endpoints(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID
) -> list[GatewayEndpoint]:
    return list(
        session.scalars(
            select(GatewayEndpoint)
            .where(GatewayEndpoint.region_id == region_id, GatewayEndpoint.service_id == service_id)
            .order_by(GatewayEndpoint.path, GatewayEndpoint.method)
        )
    )


def get_endpoint(
    session: Session, region_id: uuid.UUID, endpoint_id: uuid.UUID
) -> GatewayEndpoint | None:
    return get_in_region(session, GatewayEndpoint, region_id, endpoint_id)


def get_endpoint_by_operation(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID, method: str, path: str
) -> GatewayEndpoint | None:
    return session.scalars(
        select(GatewayEndpoint).where(
            GatewayEndpoint.region_id == region_id,
            GatewayEndpoint.service_id == service_id,
            GatewayEndpoint.method == method,
            GatewayEndpoint.path == path,
        )
    ).one_or_none()


def count_enabled_services_of_app(session: Session, region_id: uuid.UUID, app_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count(GatewayService.id)).where(
                GatewayService.region_id == region_id,
                GatewayService.app_id == app_id,
                GatewayService.enabled,
            )
        )
        or 0
    )


def count_grants_of_endpoints(
    session: Session, region_id: uuid.UUID, endpoint_ids: Sequence[uuid.UUID]
) -> int:
    """Grants (any status) naming one of these endpoints: they go when the endpoints go."""
    if not endpoint_ids:
        return 0
    return (
        session.scalar(
            select(func.count(GatewayGrant.id)).where(
                GatewayGrant.region_id == region_id, GatewayGrant.endpoint_id.in_(endpoint_ids)
            )
        )
        or 0
    )


# -- clients and their keys -------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRow:
    """A client with its app, the app's agency and its keys that still work."""

    client: GatewayClient
    app: App
    agency: Agency
    credentials: list[GatewayCredential] = field(default_factory=list)


def get_client(
    session: Session, region_id: uuid.UUID, client_id: uuid.UUID
) -> GatewayClient | None:
    return get_in_region(session, GatewayClient, region_id, client_id)


def get_client_of_app(
    session: Session, region_id: uuid.UUID, app_id: uuid.UUID
) -> GatewayClient | None:
    return session.scalars(
        select(GatewayClient).where(
            GatewayClient.region_id == region_id, GatewayClient.app_id == app_id
        )
    ).one_or_none()


def _active(now: datetime) -> list[ColumnElement[bool]]:
    return [
        GatewayCredential.revoked_at.is_(None),
        or_(GatewayCredential.expires_at.is_(None), GatewayCredential.expires_at > now),
    ]


def _client_query(region_id: uuid.UUID) -> Select[GatewayClient, App, Agency]:
    return (
        select(GatewayClient, App, Agency)
        .join(App, and_(App.region_id == GatewayClient.region_id, App.id == GatewayClient.app_id))
        .join(Agency, and_(Agency.region_id == App.region_id, Agency.id == App.agency_id))
        .where(GatewayClient.region_id == region_id)
    )


def _client_rows(
    session: Session,
    region_id: uuid.UUID,
    rows: Sequence[tuple[GatewayClient, App, Agency]],
    now: datetime,
) -> list[ClientRow]:
    keys: dict[uuid.UUID, list[GatewayCredential]] = {}
    if rows:
        for credential in session.scalars(
            select(GatewayCredential)
            .where(
                GatewayCredential.region_id == region_id,
                GatewayCredential.client_id.in_([client.id for client, _a, _g in rows]),
                *_active(now),
            )
            .order_by(GatewayCredential.created_at)
        ):
            keys.setdefault(credential.client_id, []).append(credential)
    return [ClientRow(client, app, agency, keys.get(client.id, [])) for client, app, agency in rows]


def list_clients(
    session: Session, region_id: uuid.UUID, *, now: datetime, limit: int = 50, offset: int = 0
) -> tuple[list[ClientRow], int]:
    """The region's clients by app code, each with its keys that work at ``now``."""
    query = _client_query(region_id)
    total = _total(session, query)
    rows = session.execute(query.order_by(App.code).limit(limit).offset(offset)).all()
    return _client_rows(session, region_id, rows, now), total


def get_client_row(
    session: Session, region_id: uuid.UUID, client_id: uuid.UUID, *, now: datetime
) -> ClientRow | None:
    """One client as ``list_clients`` shows it."""
    row = session.execute(
        _client_query(region_id).where(GatewayClient.id == client_id)
    ).one_or_none()
    return _client_rows(session, region_id, [row], now)[0] if row else None


def list_credentials(
    session: Session, region_id: uuid.UUID, client_id: uuid.UUID
) -> list[GatewayCredential]:
    """Every key of a client, revoked and expired ones too, newest first."""
    return list(
        session.scalars(
            select(GatewayCredential)
            .where(
                GatewayCredential.region_id == region_id, GatewayCredential.client_id == client_id
            )
            .order_by(GatewayCredential.created_at.desc())
        )
    )


def get_credential(
    session: Session, region_id: uuid.UUID, credential_id: uuid.UUID
) -> GatewayCredential | None:
    return get_in_region(session, GatewayCredential, region_id, credential_id)


def find_credentials_by_hint(
    session: Session, region_id: uuid.UUID, hint: str
) -> list[GatewayCredential]:
    return list(
        session.scalars(
            select(GatewayCredential)
            .where(GatewayCredential.region_id == region_id, GatewayCredential.key_hint == hint)
            .order_by(GatewayCredential.created_at.desc())
        )
    )


def get_credential_by_digest(
    session: Session, region_id: uuid.UUID, digest: bytes
) -> GatewayCredential | None:
    return session.scalars(
        select(GatewayCredential).where(
            GatewayCredential.region_id == region_id, GatewayCredential.key_digest == digest
        )
    ).one_or_none()


# -- groups -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupMember:
    client: GatewayClient
    app: App


@dataclass(frozen=True)
class GroupRow:
    group: GatewayClientGroup
    members: list[GroupMember] = field(default_factory=list)


def get_group(
    session: Session, region_id: uuid.UUID, group_id: uuid.UUID
) -> GatewayClientGroup | None:
    return get_in_region(session, GatewayClientGroup, region_id, group_id)


def get_group_by_code(
    session: Session, region_id: uuid.UUID, code: str
) -> GatewayClientGroup | None:
    return session.scalars(
        select(GatewayClientGroup).where(
            GatewayClientGroup.region_id == region_id, GatewayClientGroup.code == code
        )
    ).one_or_none()


def get_group_member(
    session: Session, region_id: uuid.UUID, group_id: uuid.UUID, client_id: uuid.UUID
) -> GatewayClientGroupMember | None:
    return session.scalars(
        select(GatewayClientGroupMember).where(
            GatewayClientGroupMember.region_id == region_id,
            GatewayClientGroupMember.group_id == group_id,
            GatewayClientGroupMember.client_id == client_id,
        )
    ).one_or_none()


def _group_rows(
    session: Session, region_id: uuid.UUID, groups: Sequence[GatewayClientGroup]
) -> list[GroupRow]:
    members: dict[uuid.UUID, list[GroupMember]] = {}
    if groups:
        for group_id, client, app in session.execute(
            select(GatewayClientGroupMember.group_id, GatewayClient, App)
            .join(
                GatewayClient,
                and_(
                    GatewayClient.region_id == GatewayClientGroupMember.region_id,
                    GatewayClient.id == GatewayClientGroupMember.client_id,
                ),
            )
            .join(
                App, and_(App.region_id == GatewayClient.region_id, App.id == GatewayClient.app_id)
            )
            .where(
                GatewayClientGroupMember.region_id == region_id,
                GatewayClientGroupMember.group_id.in_([g.id for g in groups]),
            )
            .order_by(App.code)
        ):
            members.setdefault(group_id, []).append(GroupMember(client, app))
    return [GroupRow(group, members.get(group.id, [])) for group in groups]


def list_groups(
    session: Session, region_id: uuid.UUID, *, limit: int = 50, offset: int = 0
) -> tuple[list[GroupRow], int]:
    """The region's client groups by code, each with its members by app code."""
    query = select(GatewayClientGroup).where(GatewayClientGroup.region_id == region_id)
    total = _total(session, query)
    groups = list(
        session.scalars(query.order_by(GatewayClientGroup.code).limit(limit).offset(offset))
    )
    return _group_rows(session, region_id, groups), total


def get_group_row(session: Session, region_id: uuid.UUID, group_id: uuid.UUID) -> GroupRow | None:
    """One group with its members."""
    group = get_group(session, region_id, group_id)
    return _group_rows(session, region_id, [group])[0] if group else None


# -- grants -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    """A grant with what it names: the service and its provider, the endpoint, the grantee."""

    grant: GatewayGrant
    service: GatewayService
    provider: App
    endpoint: GatewayEndpoint | None
    client: GatewayClient | None
    client_app: App | None
    group: GatewayClientGroup | None


@dataclass(frozen=True)
class GrantFilter:
    status: GrantStatus | None = None
    service_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None


def get_grant(session: Session, region_id: uuid.UUID, grant_id: uuid.UUID) -> GatewayGrant | None:
    return get_in_region(session, GatewayGrant, region_id, grant_id)


def find_open_grant(
    session: Session,
    region_id: uuid.UUID,
    *,
    service_id: uuid.UUID,
    endpoint_id: uuid.UUID | None,
    client_id: uuid.UUID | None,
    group_id: uuid.UUID | None,
) -> GatewayGrant | None:
    """A pending or approved grant for exactly this service, endpoint and grantee."""
    return session.scalars(
        select(GatewayGrant)
        .where(
            GatewayGrant.region_id == region_id,
            GatewayGrant.service_id == service_id,
            GatewayGrant.endpoint_id.is_not_distinct_from(endpoint_id),
            GatewayGrant.client_id.is_not_distinct_from(client_id),
            GatewayGrant.group_id.is_not_distinct_from(group_id),
            GatewayGrant.status.in_([GrantStatus.PENDING, GrantStatus.APPROVED]),
        )
        .limit(1)
    ).first()


def grant_query(
    region_id: uuid.UUID,
) -> Select[
    GatewayGrant,
    GatewayService,
    App,
    GatewayEndpoint | None,
    GatewayClient | None,
    App | None,
    GatewayClientGroup | None,
]:
    client_app = aliased(App)
    return (
        select(
            GatewayGrant,
            GatewayService,
            App,
            GatewayEndpoint,
            GatewayClient,
            client_app,
            GatewayClientGroup,
        )
        .join(
            GatewayService,
            and_(
                GatewayService.region_id == GatewayGrant.region_id,
                GatewayService.id == GatewayGrant.service_id,
            ),
        )
        .join(App, and_(App.region_id == GatewayService.region_id, App.id == GatewayService.app_id))
        .outerjoin(
            GatewayEndpoint,
            and_(
                GatewayEndpoint.region_id == GatewayGrant.region_id,
                GatewayEndpoint.id == GatewayGrant.endpoint_id,
            ),
        )
        .outerjoin(
            GatewayClient,
            and_(
                GatewayClient.region_id == GatewayGrant.region_id,
                GatewayClient.id == GatewayGrant.client_id,
            ),
        )
        .outerjoin(
            client_app,
            and_(
                client_app.region_id == GatewayClient.region_id,
                client_app.id == GatewayClient.app_id,
            ),
        )
        .outerjoin(
            GatewayClientGroup,
            and_(
                GatewayClientGroup.region_id == GatewayGrant.region_id,
                GatewayClientGroup.id == GatewayGrant.group_id,
            ),
        )
        .where(GatewayGrant.region_id == region_id)
    )


def list_grants(
    session: Session,
    region_id: uuid.UUID,
    where: GrantFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[GrantRow], int]:
    """Grants matching the filter, newest first, with what they name."""
    where = where or GrantFilter()
    query = grant_query(region_id)
    if where.status is not None:
        query = query.where(GatewayGrant.status == where.status)
    if where.service_id is not None:
        query = query.where(GatewayGrant.service_id == where.service_id)
    if where.client_id is not None:
        query = query.where(GatewayGrant.client_id == where.client_id)
    if where.group_id is not None:
        query = query.where(GatewayGrant.group_id == where.group_id)
    total = _total(session, query)
    rows = session.execute(
        query.order_by(GatewayGrant.created_at.desc(), GatewayGrant.id).limit(limit).offset(offset)
    ).all()
    return [GrantRow(*row) for row in rows], total


def get_grant_row(session: Session, region_id: uuid.UUID, grant_id: uuid.UUID) -> GrantRow | None:
    """One grant as ``list_grants`` shows it."""
    row = session.execute(grant_query(region_id).where(GatewayGrant.id == grant_id)).one_or_none()
    return GrantRow(*row) if row else None


def count_grants_by_status(session: Session, region_id: uuid.UUID) -> dict[str, int]:
    rows = session.execute(
        select(GatewayGrant.status, func.count(GatewayGrant.id))
        .where(GatewayGrant.region_id == region_id)
        .group_by(GatewayGrant.status)
    ).all()
    return {str(getattr(status, "value", status)): int(n) for status, n in rows}


# -- the audit trail of the gateway -------------------------------------------------------------


def list_gateway_audit_events(
    session: Session,
    region_id: uuid.UUID,
    *,
    target_id: str | None = None,
    except_action: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """The region's gateway events (``gateway.*``), newest first; of one target if given,
    leaving out ``except_action`` (bookkeeping a reader need not see) if given."""
    query = select(AuditEvent).where(
        AuditEvent.region_id == region_id,
        # A literal, not a parameter: the partial index on this condition serves it only when
        # the planner sees the pattern (also in a prepared statement's generic plan).
        AuditEvent.action.like(literal_column(f"'{AUDIT_PREFIX}%'")),
    )
    if except_action is not None:
        query = query.where(AuditEvent.action != except_action)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    total = _total(session, query)
    events = list(
        session.scalars(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
        )
    )
    return events, total
