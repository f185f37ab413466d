"""Every query of the savings ledger: rates, service profiles, entries and their totals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Agency, Service
from simpul.core.kit.queries import get_in_region
from simpul.evaluation.online import issued_electronically
from simpul.evaluation.savings.models import SavingsEntry, SavingsRate, ServiceSavingsProfile


def get_rate(session: Session, region_id: uuid.UUID) -> SavingsRate | None:
    return session.scalars(select(SavingsRate).where(SavingsRate.region_id == region_id)).first()


def get_profile(
    session: Session, region_id: uuid.UUID, service_id: uuid.UUID
) -> ServiceSavingsProfile | None:
    return session.scalars(
        select(ServiceSavingsProfile).where(
            ServiceSavingsProfile.region_id == region_id,
            ServiceSavingsProfile.service_id == service_id,
        )
    ).first()


def get_service(session: Session, region_id: uuid.UUID, service_id: uuid.UUID) -> Service | None:
    return get_in_region(session, Service, region_id, service_id)


def get_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Application | None:
    application = session.get(Application, application_id)
    return application if application and application.region_id == region_id else None


def get_entry_for_application(session: Session, application_id: uuid.UUID) -> SavingsEntry | None:
    return session.scalars(
        select(SavingsEntry).where(SavingsEntry.application_id == application_id)
    ).first()


def insert_entry_once(session: Session, values: dict[str, Any]) -> None:
    """Insert an entry unless the application already has one (a retry, a concurrent call)."""
    statement = (
        insert(SavingsEntry)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["application_id"])
    )
    session.execute(statement)


@dataclass(frozen=True)
class Totals:
    """Sums over a group of entries."""

    applications: int = 0
    sheets: int = 0
    printed_copies: int = 0
    courier_trips: int = 0
    citizen_trips: int = 0
    sheet_rupiah: int = 0
    printed_copy_rupiah: int = 0
    courier_rupiah: int = 0
    citizen_trip_rupiah: int = 0
    total_rupiah: int = 0


_SUMMED = (
    "sheets",
    "printed_copies",
    "courier_trips",
    "citizen_trips",
    "sheet_rupiah",
    "printed_copy_rupiah",
    "courier_rupiah",
    "citizen_trip_rupiah",
    "total_rupiah",
)


def _sums() -> list[ColumnElement[Any]]:
    columns: list[ColumnElement[Any]] = [func.count(SavingsEntry.id).label("applications")]
    for name in _SUMMED:
        column = getattr(SavingsEntry, name)
        columns.append(func.coalesce(func.sum(column), 0).label(name))
    return columns


def _totals(row: Any) -> Totals:
    return Totals(
        applications=int(row.applications), **{name: int(getattr(row, name)) for name in _SUMMED}
    )


def _in_range(
    statement: Select[Any], region_id: uuid.UUID, start: datetime, end: datetime
) -> Select[Any]:
    """The region's entries completed in [start, end) that count as completed online (the
    one definition of ``simpul.evaluation.online``, which the KPI dashboard uses too)."""
    return statement.where(
        SavingsEntry.region_id == region_id,
        SavingsEntry.completed_at >= start,
        SavingsEntry.completed_at < end,
        issued_electronically(region_id, SavingsEntry.application_id),
    )


def _month(timezone: str) -> ColumnElement[datetime]:
    """The first instant of the entry's month on the region's wall clock."""
    return func.date_trunc("month", func.timezone(timezone, SavingsEntry.completed_at))


def totals(session: Session, region_id: uuid.UUID, start: datetime, end: datetime) -> Totals:
    """Sums of the region's entries completed in [start, end)."""
    row = session.execute(_in_range(select(*_sums()), region_id, start, end)).one()
    return _totals(row)


@dataclass(frozen=True)
class MonthTotals:
    month: datetime  # naive: the first day of the month in the region's time zone
    totals: Totals


def totals_by_month(
    session: Session, region_id: uuid.UUID, timezone: str, start: datetime, end: datetime
) -> list[MonthTotals]:
    """Sums per calendar month in the region's time zone, months with entries only."""
    month = _month(timezone).label("month")
    statement = _in_range(select(month, *_sums()), region_id, start, end)
    rows = session.execute(statement.group_by(month).order_by(month)).all()
    return [MonthTotals(row.month, _totals(row)) for row in rows]


@dataclass(frozen=True)
class NamedTotals:
    id: uuid.UUID
    name: str
    totals: Totals
    agency_name: str = ""


def totals_by_agency(
    session: Session, region_id: uuid.UUID, start: datetime, end: datetime
) -> list[NamedTotals]:
    """Sums per agency, the biggest saving first."""
    name = func.coalesce(Agency.name, "").label("name")
    statement = _in_range(
        select(SavingsEntry.agency_id, name, *_sums()).outerjoin(
            Agency, (Agency.id == SavingsEntry.agency_id) & (Agency.region_id == region_id)
        ),
        region_id,
        start,
        end,
    ).group_by(SavingsEntry.agency_id, Agency.name)
    rows = session.execute(statement).all()
    result = [NamedTotals(row.agency_id, row.name, _totals(row)) for row in rows]
    return sorted(result, key=lambda r: (-r.totals.total_rupiah, r.name))


def totals_by_service(
    session: Session, region_id: uuid.UUID, start: datetime, end: datetime
) -> list[NamedTotals]:
    """Sums per service (with its agency's name), the biggest saving first."""
    service_name = func.coalesce(Service.name, "").label("name")
    agency_name = func.coalesce(Agency.name, "").label("agency_name")
    statement = (
        _in_range(
            select(SavingsEntry.service_id, service_name, agency_name, *_sums())
            .outerjoin(
                Service,
                (Service.id == SavingsEntry.service_id) & (Service.region_id == region_id),
            )
            .outerjoin(
                Agency, (Agency.id == SavingsEntry.agency_id) & (Agency.region_id == region_id)
            ),
            region_id,
            start,
            end,
        )
    ).group_by(SavingsEntry.service_id, Service.name, Agency.name)
    rows = session.execute(statement).all()
    result = [
        NamedTotals(row.service_id, row.name, _totals(row), agency_name=row.agency_name)
        for row in rows
    ]
    return sorted(result, key=lambda r: (-r.totals.total_rupiah, r.name))


@dataclass(frozen=True)
class DetailTotals:
    month: datetime
    agency_name: str
    service_name: str
    totals: Totals


def totals_by_month_agency_service(
    session: Session, region_id: uuid.UUID, timezone: str, start: datetime, end: datetime
) -> Sequence[DetailTotals]:
    """Sums per month, agency and service: the export's rows, in that order."""
    month = _month(timezone).label("month")
    agency_name = func.coalesce(Agency.name, "").label("agency_name")
    service_name = func.coalesce(Service.name, "").label("service_name")
    statement = (
        _in_range(
            select(month, agency_name, service_name, *_sums())
            .outerjoin(
                Service,
                (Service.id == SavingsEntry.service_id) & (Service.region_id == region_id),
            )
            .outerjoin(
                Agency, (Agency.id == SavingsEntry.agency_id) & (Agency.region_id == region_id)
            ),
            region_id,
            start,
            end,
        )
        .group_by(month, SavingsEntry.agency_id, Agency.name, SavingsEntry.service_id, Service.name)
        .order_by(month, Agency.name, Service.name)
    )
    return [
        DetailTotals(row.month, row.agency_name, row.service_name, _totals(row))
        for row in session.execute(statement).all()
    ]


def list_services(session: Session, region_id: uuid.UUID) -> Sequence[tuple[Service, str]]:
    """The region's services with their agency's name, by agency then service name."""
    rows = session.execute(
        select(Service, Agency.name)
        .join(Agency, (Agency.id == Service.agency_id) & (Agency.region_id == Service.region_id))
        .where(Service.region_id == region_id)
        .order_by(Agency.name, Service.name)
    ).all()
    return [(service, name) for service, name in rows]


def get_service_by_slug(session: Session, region_id: uuid.UUID, slug: str) -> Service | None:
    return session.scalars(
        select(Service).where(Service.region_id == region_id, Service.slug == slug)
    ).first()


def profiles_by_service(
    session: Session, region_id: uuid.UUID
) -> dict[uuid.UUID, ServiceSavingsProfile]:
    rows = session.scalars(
        select(ServiceSavingsProfile).where(ServiceSavingsProfile.region_id == region_id)
    )
    return {row.service_id: row for row in rows}


def completed_applications_without_entry(
    session: Session, region_id: uuid.UUID
) -> Sequence[Application]:
    """The region's completed applications the ledger has not recorded yet, oldest first."""
    recorded = select(SavingsEntry.application_id).where(SavingsEntry.region_id == region_id)
    return session.scalars(
        select(Application)
        .where(
            Application.region_id == region_id,
            Application.status == ApplicationStatus.COMPLETED,
            Application.id.not_in(recorded),
        )
        .order_by(Application.finished_at)
    ).all()
