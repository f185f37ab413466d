"""Queries of the app inventory and the roadmap (the gateway's own are in registry_repository)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from simpul.gateway.registry.models import GatewayService
from simpul.inventory.models import App, RoadmapTarget


def add(session: Session, row: object) -> None:
    session.add(row)


def list_all_apps(session: Session, region_id: uuid.UUID) -> Sequence[App]:
    return session.scalars(select(App).where(App.region_id == region_id).order_by(App.code)).all()


@dataclass(frozen=True)
class AppFilter:
    text: str | None = None
    agency_id: uuid.UUID | None = None
    status: str | None = None
    integration_state: str | None = None
    hosting: str | None = None
    spbe_area: str | None = None


def find_apps(
    session: Session, region_id: uuid.UUID, where: AppFilter, *, limit: int, offset: int
) -> tuple[Sequence[App], int]:
    """Apps matching every filter given, by name, and how many there are."""
    query = select(App).where(App.region_id == region_id)
    if where.text:
        pattern = f"%{where.text.lower()}%"
        query = query.where(
            or_(func.lower(App.name).like(pattern), func.lower(App.code).like(pattern))
        )
    if where.agency_id:
        query = query.where(App.agency_id == where.agency_id)
    if where.status:
        query = query.where(App.status == where.status)
    if where.integration_state:
        query = query.where(App.integration_state == where.integration_state)
    if where.hosting:
        query = query.where(App.hosting == where.hosting)
    if where.spbe_area:
        query = query.where(App.spbe_area == where.spbe_area)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(App.name, App.code).limit(limit).offset(offset)).all()
    return items, total


def get_app_by_code(session: Session, region_id: uuid.UUID, code: str) -> App | None:
    return session.scalars(
        select(App).where(App.region_id == region_id, App.code == code)
    ).one_or_none()


def count_apps_by(session: Session, region_id: uuid.UUID, column: str) -> dict[str, int]:
    """How many apps per value of ``column`` (status, integration_state, ...)."""
    attribute = getattr(App, column)
    rows = session.execute(
        select(attribute, func.count(App.id)).where(App.region_id == region_id).group_by(attribute)
    ).all()
    return {str(getattr(k, "value", k)): int(n) for k, n in rows}


# -- the integration roadmap -----------------------------------------------------------------


def list_roadmap_apps(session: Session, region_id: uuid.UUID) -> Sequence[App]:
    """Apps planned for a year or already integrated, by name (what the roadmap counts)."""
    return session.scalars(
        select(App)
        .where(
            App.region_id == region_id,
            App.integration_state.in_(["planned", "integrated"]),
        )
        .order_by(App.name, App.code)
    ).all()


def list_roadmap_targets(session: Session, region_id: uuid.UUID) -> Sequence[RoadmapTarget]:
    return session.scalars(
        select(RoadmapTarget)
        .where(RoadmapTarget.region_id == region_id)
        .order_by(RoadmapTarget.year)
    ).all()


def get_roadmap_target(session: Session, region_id: uuid.UUID, year: int) -> RoadmapTarget | None:
    return session.scalars(
        select(RoadmapTarget).where(
            RoadmapTarget.region_id == region_id, RoadmapTarget.year == year
        )
    ).one_or_none()


def count_apps(session: Session, region_id: uuid.UUID) -> int:
    """How many apps the region's inventory holds."""
    return session.scalar(select(func.count(App.id)).where(App.region_id == region_id)) or 0


def apps_reachable_through_gateway(session: Session, region_id: uuid.UUID) -> set[uuid.UUID]:
    """Apps with at least one enabled service on the gateway."""
    rows = session.scalars(
        select(GatewayService.app_id)
        .where(GatewayService.region_id == region_id, GatewayService.enabled)
        .distinct()
    )
    return set(rows)
