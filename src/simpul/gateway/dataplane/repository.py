"""Queries of the data plane: the rows a configuration snapshot is built from.

The snapshot covers every region in one read-only pass, so these read whole tables (a region's
gateway configuration is small) and, unlike the rest of Simpul's repositories, are not scoped
to one region. They read the inventory's apps and the catalogue's agencies directly: the data
plane is its own process with the fewest layers on the hot path (decisions 0013, 0033).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.core.models import Region
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroupMember,
    GatewayConfigState,
    GatewayCredential,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.inventory.models import App


def config_versions(session: Session) -> dict[uuid.UUID, int]:
    """The config version per region."""
    rows = session.execute(select(GatewayConfigState.region_id, GatewayConfigState.version))
    return {row.region_id: row.version for row in rows}


def all_regions(session: Session) -> Sequence[Region]:
    return session.scalars(select(Region)).all()


def all_agencies(session: Session) -> Sequence[Agency]:
    return session.scalars(select(Agency)).all()


def all_services(session: Session) -> Sequence[GatewayService]:
    return session.scalars(select(GatewayService)).all()


def all_clients(session: Session) -> Sequence[GatewayClient]:
    return session.scalars(select(GatewayClient)).all()


def apps_by_ids(session: Session, app_ids: Collection[uuid.UUID]) -> Sequence[App]:
    return session.scalars(select(App).where(App.id.in_(app_ids))).all()


def all_endpoints(session: Session) -> Sequence[GatewayEndpoint]:
    """Every endpoint, ordered by path."""
    return session.scalars(select(GatewayEndpoint).order_by(GatewayEndpoint.path)).all()


def live_credentials(session: Session) -> Sequence[GatewayCredential]:
    """The keys not revoked (expiry is checked per call, against the clock then)."""
    return session.scalars(
        select(GatewayCredential).where(GatewayCredential.revoked_at.is_(None))
    ).all()


def all_group_members(session: Session) -> Sequence[GatewayClientGroupMember]:
    return session.scalars(select(GatewayClientGroupMember)).all()


def approved_grants(session: Session) -> Sequence[GatewayGrant]:
    return session.scalars(
        select(GatewayGrant).where(GatewayGrant.status == GrantStatus.APPROVED)
    ).all()
