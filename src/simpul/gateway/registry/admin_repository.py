"""Queries of the region admin's gateway pages that ``repository`` does not offer:
the overview's counts, a client's groups, every endpoint
of the region at once, grants with those waiting for approval first (optionally those of
a client directly or through its groups), the audit trail as the pages show it, and whether
a key form was already used. Every query is scoped to one region.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroupMember,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.gateway.registry.repository import GrantRow, grant_query

#: The audit action that marks a key form's one-time token as used (target: the client), so
#: that a browser sending the form again issues no second key. It records no change of the
#: gateway, so the audit trail page leaves it out.
KEY_FORM_ACTION: Final = "gateway.key.form"


@dataclass(frozen=True)
class Overview:
    providers: int
    services: int
    clients: int
    pending_grants: int


def count_overview(session: Session, region_id: uuid.UUID) -> Overview:
    """How many provider apps, services, clients and grants waiting for approval there are."""
    services, providers = session.execute(
        select(
            func.count(GatewayService.id), func.count(func.distinct(GatewayService.app_id))
        ).where(GatewayService.region_id == region_id)
    ).one()
    clients = session.scalar(
        select(func.count(GatewayClient.id)).where(GatewayClient.region_id == region_id)
    )
    pending = session.scalar(
        select(func.count(GatewayGrant.id)).where(
            GatewayGrant.region_id == region_id, GatewayGrant.status == GrantStatus.PENDING
        )
    )
    return Overview(
        providers=int(providers),
        services=int(services),
        clients=int(clients or 0),
        pending_grants=int(pending or 0),
    )


def list_group_ids_of_client(
    session: Session, region_id: uuid.UUID, client_id: uuid.UUID
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(GatewayClientGroupMember.group_id).where(
                GatewayClientGroupMember.region_id == region_id,
                GatewayClientGroupMember.client_id == client_id,
            )
        )
    )


def list_endpoints_by_service(
    session: Session, region_id: uuid.UUID
) -> dict[uuid.UUID, list[GatewayEndpoint]]:
    """Every endpoint of the region, grouped by service, by path then method."""
    grouped: dict[uuid.UUID, list[GatewayEndpoint]] = {}
    for endpoint in session.scalars(
        select(GatewayEndpoint)
        .where(GatewayEndpoint.region_id == region_id)
        .order_by(GatewayEndpoint.path, GatewayEndpoint.method)
    ):
        grouped.setdefault(endpoint.service_id, []).append(endpoint)
    return grouped


@dataclass(frozen=True)
class GrantQuery:
    status: GrantStatus | None = None
    service_id: uuid.UUID | None = None
    #: grants to this client directly or to any of ``group_ids``
    client_id: uuid.UUID | None = None
    group_ids: tuple[uuid.UUID, ...] = ()


def list_grants_for_review(
    session: Session, region_id: uuid.UUID, where: GrantQuery, *, limit: int, offset: int = 0
) -> tuple[list[GrantRow], int]:
    """Grants matching ``where``: those waiting for approval first, then the newest; and the
    total. A client's grants include those given to its groups."""
    query = grant_query(region_id)
    if where.status is not None:
        query = query.where(GatewayGrant.status == where.status)
    if where.service_id is not None:
        query = query.where(GatewayGrant.service_id == where.service_id)
    if where.client_id is not None:
        grantee = GatewayGrant.client_id == where.client_id
        if where.group_ids:
            grantee = or_(grantee, GatewayGrant.group_id.in_(where.group_ids))
        query = query.where(grantee)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pending_first = case((GatewayGrant.status == GrantStatus.PENDING, 0), else_=1)
    rows = session.execute(
        query.order_by(pending_first, GatewayGrant.created_at.desc(), GatewayGrant.id)
        .limit(limit)
        .offset(offset)
    )
    return [GrantRow(*row) for row in rows], total


def key_form_was_used(
    session: Session, region_id: uuid.UUID, client_id: uuid.UUID, token: str
) -> bool:
    """Whether a key form of this client carrying ``token`` was already acted on.

    First locks the token until the transaction ends: a double click waits for the first
    submission to commit, then finds it.
    """
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{KEY_FORM_ACTION}:{token}", 0)))
    )
    found = session.scalar(
        select(AuditEvent.id)
        .where(
            AuditEvent.region_id == region_id,
            AuditEvent.action == KEY_FORM_ACTION,
            AuditEvent.target_id == str(client_id),
            AuditEvent.details.contains({"token": token}),
        )
        .limit(1)
    )
    return found is not None
