"""Queries of payments (``applications.payments``)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application
from simpul.applications.payment_models import ApplicationPayment


def lock_reference(session: Session, region_id: uuid.UUID, reference: str) -> None:
    """Serialise the recording of one payment reference in a region until the transaction
    ends: two copies of one notification arriving together are recorded once."""
    session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtextextended(f"payment:{region_id}:{reference}", 0))
        )
    )


def get_payment_by_reference(
    session: Session, region_id: uuid.UUID, reference: str
) -> ApplicationPayment | None:
    return session.scalars(
        select(ApplicationPayment).where(
            ApplicationPayment.region_id == region_id, ApplicationPayment.reference == reference
        )
    ).one_or_none()


def get_payment_of_step(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID, step: str
) -> ApplicationPayment | None:
    return session.scalars(
        select(ApplicationPayment).where(
            ApplicationPayment.region_id == region_id,
            ApplicationPayment.application_id == application_id,
            ApplicationPayment.step == step,
        )
    ).one_or_none()


def get_application_by_bill(
    session: Session, region_id: uuid.UUID, bill: str
) -> Application | None:
    """The application whose tracking number is the bill, locked for the payment."""
    return session.scalars(
        select(Application)
        .where(Application.region_id == region_id, Application.tracking_number == bill)
        .with_for_update()
    ).one_or_none()


def add_payment(session: Session, payment: ApplicationPayment) -> ApplicationPayment:
    session.add(payment)
    session.flush()
    return payment
