"""Every query of the decision screen: officers' checks, the applicant panel, document views."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.check_models import CheckTarget, RequirementCheck, Verdict
from simpul.applications.models import Application, ApplicationStatus, Task, TaskOutcome
from simpul.catalogue.models import Service


def upsert_check(
    session: Session,
    *,
    region_id: uuid.UUID,
    application_id: uuid.UUID,
    task_id: uuid.UUID,
    target_kind: CheckTarget,
    target_code: str,
    document_id: uuid.UUID | None,
    verdict: Verdict,
    note: str,
    officer_id: uuid.UUID,
    at: datetime,
) -> None:
    """One current verdict per (task, target): a second check of the same item replaces it."""
    values = {
        "document_id": document_id,
        "verdict": verdict,
        "note": note,
        "officer_id": officer_id,
        "at": at,
    }
    statement = insert(RequirementCheck).values(
        id=uuid.uuid4(),
        region_id=region_id,
        application_id=application_id,
        task_id=task_id,
        target_kind=target_kind,
        target_code=target_code,
        **values,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["task_id", "target_kind", "target_code"], set_=values
        )
    )


def checks_of_task(
    session: Session, region_id: uuid.UUID, task_id: uuid.UUID
) -> Sequence[RequirementCheck]:
    return session.scalars(
        select(RequirementCheck)
        .where(RequirementCheck.region_id == region_id, RequirementCheck.task_id == task_id)
        .order_by(RequirementCheck.at, RequirementCheck.id)
    ).all()


def last_returned_task(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Task | None:
    """The application's latest task that ended in a return (the round the citizen was told of)."""
    return session.scalars(
        select(Task)
        .where(
            Task.region_id == region_id,
            Task.application_id == application_id,
            Task.outcome == TaskOutcome.RETURN,
        )
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(1)
    ).one_or_none()


def get_applicant(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return session.scalars(
        select(User).where(User.region_id == region_id, User.id == user_id)
    ).one_or_none()


def other_applications_at_agency(
    session: Session,
    region_id: uuid.UUID,
    applicant_id: uuid.UUID,
    agency_id: uuid.UUID,
    *,
    excluding: uuid.UUID,
    limit: int,
) -> Sequence[tuple[Application, Service]]:
    """The applicant's submitted applications to the agency, newest first.

    Read through ``ix_application_list_by_applicant`` (region, applicant, created_at, id;
    drafts left out), so the cost follows one citizen's applications, not the agency's.
    """
    rows = session.execute(
        select(Application, Service)
        .join(Service, Service.id == Application.service_id)
        .where(
            Application.region_id == region_id,
            Application.applicant_id == applicant_id,
            Application.status != ApplicationStatus.DRAFT,
            Application.id != excluding,
            Service.region_id == region_id,
            Service.agency_id == agency_id,
        )
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(limit)
    ).all()
    return [(application, service) for application, service in rows]
