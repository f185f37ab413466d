"""Queries of core's own tables: the regions (the tenants every other table is scoped by)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.core.models import Region


def get_region_by_slug(session: Session, slug: str) -> Region | None:
    return session.scalars(select(Region).where(Region.slug == slug)).one_or_none()


def list_regions(session: Session) -> Sequence[Region]:
    return session.scalars(select(Region).order_by(Region.name)).all()


def list_regions_with_status(session: Session, status: str) -> Sequence[Region]:
    return session.scalars(
        select(Region).where(Region.status == status).order_by(Region.name)
    ).all()


def add_region(session: Session, region: Region) -> Region:
    """Insert the region now (flush), so its id exists for what is written with it."""
    session.add(region)
    session.flush()
    return region
