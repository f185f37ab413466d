"""Every query behind the service KPIs. Each one filters by region (and optionally agencies)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationEvent, ApplicationStatus
from simpul.catalogue.models import Agency, Service

_FINAL = (ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED)
_Row = TypeVarTuple("_Row")


@dataclass(frozen=True)
class ServiceInfo:
    service_id: uuid.UUID
    service_name: str
    agency_id: uuid.UUID
    agency_name: str


def list_services(
    session: Session, region_id: uuid.UUID, agency_ids: Collection[uuid.UUID] | None
) -> list[ServiceInfo]:
    """The region's services (of the given agencies) with their agency, by agency then name."""
    statement = (
        select(Service.id, Service.name, Agency.id.label("agency_id"), Agency.name.label("agency"))
        .join(Agency, (Agency.id == Service.agency_id) & (Agency.region_id == Service.region_id))
        .where(Service.region_id == region_id)
        .order_by(Agency.name, Service.name)
    )
    if agency_ids is not None:
        statement = statement.where(Service.agency_id.in_(agency_ids))
    return [
        ServiceInfo(row.id, row.name, row.agency_id, row.agency)
        for row in session.execute(statement).all()
    ]


def _scoped(
    statement: Select[*_Row], region_id: uuid.UUID, agency_ids: Collection[uuid.UUID] | None
) -> Select[*_Row]:
    """Applications of the region, joined to their service, limited to the given agencies."""
    statement = statement.join(
        Service,
        (Service.id == Application.service_id) & (Service.region_id == Application.region_id),
    ).where(Application.region_id == region_id)
    if agency_ids is not None:
        statement = statement.where(Service.agency_id.in_(agency_ids))
    return statement


@dataclass(frozen=True)
class Backlog:
    open: int = 0
    #: Of the open ones, how many waited on the citizen (returned) at that moment.
    returned: int = 0
    overdue: int = 0


def _status_at(region_id: uuid.UUID, moment: datetime) -> ColumnElement[Any]:
    """The application's status at ``moment``, from its append-only history."""
    return (
        select(ApplicationEvent.to_status)
        .where(
            ApplicationEvent.region_id == region_id,
            ApplicationEvent.application_id == Application.id,
            ApplicationEvent.at < moment,
        )
        .order_by(ApplicationEvent.at.desc(), ApplicationEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def backlog_by_service(
    session: Session,
    region_id: uuid.UUID,
    moment: datetime,
    overdue_before: date,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> dict[uuid.UUID, Backlog]:
    """Applications submitted before ``moment`` and not finished by then, per service.

    One is returned if its last status change before ``moment`` sent it back to the citizen;
    one that is not returned is overdue if its deadline is before ``overdue_before``.
    """
    status = func.coalesce(_status_at(region_id, moment), "")
    returned = status == ApplicationStatus.RETURNED.value
    overdue = and_(~returned, Application.due_date < overdue_before)
    statement = _scoped(
        select(
            Application.service_id,
            func.count(Application.id).label("open"),
            func.count(case((returned, 1))).label("returned"),
            func.count(case((overdue, 1))).label("overdue"),
        ),
        region_id,
        agency_ids,
    ).where(
        Application.submitted_at < moment,
        Application.status != ApplicationStatus.DRAFT,
        or_(Application.finished_at.is_(None), Application.finished_at >= moment),
    )
    rows = session.execute(statement.group_by(Application.service_id)).all()
    return {
        row.service_id: Backlog(int(row.open), int(row.returned), int(row.overdue)) for row in rows
    }
