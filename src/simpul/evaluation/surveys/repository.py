"""Every query of the IKM survey: responses, their answers per period, and the population."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Agency, Service
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region
from simpul.evaluation.surveys.models import SurveyResponse

ANSWER_COLUMNS = tuple(getattr(SurveyResponse, f"u{n}") for n in range(1, 10))


def get_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Application | None:
    return get_in_region(session, Application, region_id, application_id)


def get_region(session: Session, region_id: uuid.UUID) -> Region | None:
    return session.get(Region, region_id)


def get_service(session: Session, region_id: uuid.UUID, service_id: uuid.UUID) -> Service | None:
    return get_in_region(session, Service, region_id, service_id)


def get_response_for_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> SurveyResponse | None:
    return session.scalars(
        select(SurveyResponse).where(
            SurveyResponse.region_id == region_id,
            SurveyResponse.application_id == application_id,
        )
    ).one_or_none()


def insert_response_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert a response unless the application already has one; True when a row was added."""
    statement = (
        insert(SurveyResponse)
        .values(id=uuid.uuid4(), **values)
        .on_conflict_do_nothing(index_elements=["region_id", "application_id"])
        .returning(SurveyResponse.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def _completed_in(
    region_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[ColumnElement[bool], ...]:
    """The region's applications completed in [start, end)."""
    return (
        Application.region_id == region_id,
        Application.status == ApplicationStatus.COMPLETED,
        Application.finished_at >= start,
        Application.finished_at < end,
    )


@dataclass(frozen=True)
class AnswerTotals:
    """One service's answers summed per element (U1..U9) over its respondents."""

    service_id: uuid.UUID
    agency_id: uuid.UUID
    respondents: int
    totals: tuple[int, ...]


def answer_totals_in_period(
    session: Session,
    region_id: uuid.UUID,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
    service_ids: Collection[uuid.UUID] | None = None,
) -> list[AnswerTotals]:
    """The answers about applications completed in [start, end), summed in the database per
    service (and the agency they were given to): what the IKM needs, without a row per
    respondent. Responses count in the period their application was completed in, so the
    respondents of a period are always part of its population."""
    statement = (
        select(
            SurveyResponse.service_id,
            SurveyResponse.agency_id,
            func.count(),
            *(func.sum(column) for column in ANSWER_COLUMNS),
        )
        .join(
            Application,
            (Application.region_id == SurveyResponse.region_id)
            & (Application.id == SurveyResponse.application_id),
        )
        .where(SurveyResponse.region_id == region_id, *_completed_in(region_id, start, end))
        .group_by(SurveyResponse.service_id, SurveyResponse.agency_id)
        .order_by(SurveyResponse.service_id, SurveyResponse.agency_id)
    )
    if agency_ids is not None:
        statement = statement.where(SurveyResponse.agency_id.in_(agency_ids))
    if service_ids is not None:
        statement = statement.where(SurveyResponse.service_id.in_(service_ids))
    return [
        AnswerTotals(row[0], row[1], int(row[2]), tuple(int(total) for total in row[3:]))
        for row in session.execute(statement)
    ]


def completed_per_service(
    session: Session,
    region_id: uuid.UUID,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> dict[uuid.UUID, int]:
    """How many applications of each service were completed in [start, end) (the population)."""
    statement = (
        select(Application.service_id, func.count(Application.id))
        .where(*_completed_in(region_id, start, end))
        .group_by(Application.service_id)
    )
    if agency_ids is not None:
        statement = statement.join(
            Service,
            (Service.region_id == Application.region_id) & (Service.id == Application.service_id),
        ).where(Service.agency_id.in_(agency_ids))
    return {service_id: int(count) for service_id, count in session.execute(statement)}


@dataclass(frozen=True)
class ServiceName:
    id: uuid.UUID
    name: str
    agency_id: uuid.UUID
    agency_name: str


def service_names(
    session: Session, region_id: uuid.UUID, service_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ServiceName]:
    """Names of the given services of the region and of their current agencies."""
    if not service_ids:
        return {}
    rows = session.execute(
        select(Service.id, Service.name, Agency.id, Agency.name)
        .join(Agency, (Agency.region_id == Service.region_id) & (Agency.id == Service.agency_id))
        .where(Service.region_id == region_id, Service.id.in_(service_ids))
    ).all()
    return {row[0]: ServiceName(row[0], row[1], row[2], row[3]) for row in rows}


def agency_names(
    session: Session, region_id: uuid.UUID, agency_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not agency_ids:
        return {}
    rows = session.execute(
        select(Agency.id, Agency.name).where(
            Agency.region_id == region_id, Agency.id.in_(agency_ids)
        )
    ).all()
    return {row[0]: row[1] for row in rows}


def completed_applications_without_response(
    session: Session, region_id: uuid.UUID
) -> Sequence[Application]:
    """The region's completed applications nobody has rated yet, oldest first."""
    rated = select(SurveyResponse.application_id).where(SurveyResponse.region_id == region_id)
    return session.scalars(
        select(Application)
        .where(
            Application.region_id == region_id,
            Application.status == ApplicationStatus.COMPLETED,
            Application.id.not_in(rated),
        )
        .order_by(Application.finished_at, Application.id)
    ).all()


@dataclass(frozen=True)
class GroupTotals:
    """The answers of one profile group (``key`` None: the question was not answered)."""

    key: str | None
    respondents: int
    totals: tuple[int, ...]


def answer_totals_per_profile(
    session: Session,
    region_id: uuid.UUID,
    column: str,
    start: datetime,
    end: datetime,
    agency_ids: Collection[uuid.UUID] | None = None,
) -> list[GroupTotals]:
    """The answers of the period summed per value of one profile column (gender, age_group,
    education, occupation), counted like ``answer_totals_in_period``."""
    group = getattr(SurveyResponse, column)
    statement = (
        select(group, func.count(), *(func.sum(c) for c in ANSWER_COLUMNS))
        .join(
            Application,
            (Application.region_id == SurveyResponse.region_id)
            & (Application.id == SurveyResponse.application_id),
        )
        .where(SurveyResponse.region_id == region_id, *_completed_in(region_id, start, end))
        .group_by(group)
    )
    if agency_ids is not None:
        statement = statement.where(SurveyResponse.agency_id.in_(agency_ids))
    return [
        GroupTotals(row[0], int(row[1]), tuple(int(total) for total in row[2:]))
        for row in session.execute(statement)
    ]


def get_response(
    session: Session, region_id: uuid.UUID, response_id: uuid.UUID
) -> SurveyResponse | None:
    return get_in_region(session, SurveyResponse, region_id, response_id)


@dataclass(frozen=True)
class SuggestionRow:
    response: SurveyResponse
    service_name: str
    agency_name: str


def suggestions_for_review(
    session: Session,
    region_id: uuid.UUID,
    agency_ids: Collection[uuid.UUID] | None,
    reviewed: bool | None,
    limit: int = 200,
) -> list[SuggestionRow]:
    """The region's responses with a suggestion, newest first; ``reviewed`` None for all."""
    statement = (
        select(SurveyResponse, Service.name, Agency.name)
        .join(
            Service,
            (Service.region_id == SurveyResponse.region_id)
            & (Service.id == SurveyResponse.service_id),
        )
        .join(
            Agency,
            (Agency.region_id == SurveyResponse.region_id)
            & (Agency.id == SurveyResponse.agency_id),
        )
        .where(SurveyResponse.region_id == region_id, SurveyResponse.suggestion != "")
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id)
        .limit(limit)
    )
    if agency_ids is not None:
        statement = statement.where(SurveyResponse.agency_id.in_(agency_ids))
    if reviewed is True:
        statement = statement.where(SurveyResponse.reviewed_at.is_not(None))
    elif reviewed is False:
        statement = statement.where(SurveyResponse.reviewed_at.is_(None))
    return [SuggestionRow(row[0], row[1], row[2]) for row in session.execute(statement)]


@dataclass(frozen=True)
class PublishedSuggestion:
    suggestion: str
    reply: str


def published_suggestions(
    session: Session,
    region_id: uuid.UUID,
    service_id: uuid.UUID,
    start: datetime,
    end: datetime,
    limit: int = 100,
) -> list[PublishedSuggestion]:
    """The masked suggestions and replies an agency published for a service, about
    applications completed in [start, end), newest first. Only the masked copies are read."""
    rows = session.execute(
        select(SurveyResponse.public_suggestion, SurveyResponse.public_reply)
        .join(
            Application,
            (Application.region_id == SurveyResponse.region_id)
            & (Application.id == SurveyResponse.application_id),
        )
        .where(
            SurveyResponse.region_id == region_id,
            SurveyResponse.service_id == service_id,
            SurveyResponse.published.is_(True),
            SurveyResponse.public_suggestion != "",
            *_completed_in(region_id, start, end),
        )
        .order_by(SurveyResponse.reviewed_at.desc(), SurveyResponse.id)
        .limit(limit)
    ).all()
    return [PublishedSuggestion(row[0], row[1]) for row in rows]


def published_service_by_slug(session: Session, region_id: uuid.UUID, slug: str) -> Service | None:
    return session.scalars(
        select(Service).where(
            Service.region_id == region_id, Service.slug == slug, Service.published.is_(True)
        )
    ).one_or_none()


@dataclass(frozen=True)
class ServiceLink:
    id: uuid.UUID
    slug: str
    name: str
    name_en: str


def published_services(
    session: Session, region_id: uuid.UUID, service_ids: Collection[uuid.UUID]
) -> list[ServiceLink]:
    """The given services of the region that are published in the catalogue, by name."""
    if not service_ids:
        return []
    rows = session.execute(
        select(Service.id, Service.slug, Service.name, Service.name_en)
        .where(
            Service.region_id == region_id,
            Service.id.in_(service_ids),
            Service.published.is_(True),
        )
        .order_by(Service.name)
    ).all()
    return [ServiceLink(row[0], row[1], row[2], row[3]) for row in rows]


def responses_of_applications(
    session: Session, region_id: uuid.UUID, application_ids: Collection[uuid.UUID]
) -> Sequence[SurveyResponse]:
    """The responses rating these applications, oldest first (a respondent's data export)."""
    if not application_ids:
        return []
    return session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.region_id == region_id,
            SurveyResponse.application_id.in_(list(application_ids)),
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    ).all()
