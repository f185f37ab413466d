"""Every query of the documents domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.models import Region
from simpul.documents.models import (
    DocumentJob,
    DocumentJobStatus,
    DocumentNumberCounter,
    IssuedDocument,
    SigningCredential,
)

#: The PostgreSQL NOTIFY channel that wakes workers when document jobs are queued.
DOCUMENT_JOBS_CHANNEL: Final = "simpul_document_jobs"


def get_issued_document_by_code(
    session: Session, region_id: uuid.UUID, code: str
) -> IssuedDocument | None:
    """The region's issued document with this verification code, revoked or not."""
    return session.scalar(
        select(IssuedDocument).where(
            IssuedDocument.region_id == region_id, IssuedDocument.code == code
        )
    )


def get_issued_document_by_codes(
    session: Session, region_id: uuid.UUID, codes: list[str]
) -> IssuedDocument | None:
    """The region's issued document whose code is one of ``codes`` (the readings of what a
    person typed), revoked or not."""
    if not codes:
        return None
    return session.scalar(
        select(IssuedDocument)
        .where(IssuedDocument.region_id == region_id, IssuedDocument.code.in_(codes))
        .limit(1)
    )


def get_issued_documents_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> list[IssuedDocument]:
    """The application's issued documents, newest first (a re-issue follows a revocation)."""
    return list(
        session.scalars(
            select(IssuedDocument)
            .where(
                IssuedDocument.region_id == region_id,
                IssuedDocument.application_id == application_id,
            )
            .order_by(IssuedDocument.created_at.desc())
        )
    )


def add(session: Session, row: object) -> None:
    session.add(row)


def active_credentials_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> list[SigningCredential]:
    """The officer's credentials that are not disabled (at most one, by a unique index)."""
    return list(
        session.scalars(
            select(SigningCredential).where(
                SigningCredential.region_id == region_id,
                SigningCredential.user_id == user_id,
                SigningCredential.disabled_at.is_(None),
            )
        )
    )


def region_has_active_credential(session: Session, region_id: uuid.UUID) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    SigningCredential.region_id == region_id,
                    SigningCredential.disabled_at.is_(None),
                )
            )
        )
    )


def get_credential(
    session: Session, region_id: uuid.UUID, credential_id: uuid.UUID
) -> SigningCredential | None:
    return session.scalar(
        select(SigningCredential).where(
            SigningCredential.region_id == region_id, SigningCredential.id == credential_id
        )
    )


def next_document_number(session: Session, region_id: uuid.UUID, year: int) -> int:
    """The next number of the region's year, taken atomically (the row stays locked until the
    transaction ends, so numbers are given in commit order without gaps from races)."""
    statement = (
        insert(DocumentNumberCounter)
        .values(region_id=region_id, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["region_id", "year"],
            set_={"last": DocumentNumberCounter.last + 1},
        )
        .returning(DocumentNumberCounter.last)
    )
    return int(session.execute(statement).scalar_one())


def notify_document_jobs(session: Session) -> None:
    """Wake idle workers when the transaction commits (PostgreSQL NOTIFY)."""
    session.execute(select(func.pg_notify(DOCUMENT_JOBS_CHANNEL, "")))


def claim_due_jobs(session: Session, now: datetime, limit: int) -> list[DocumentJob]:
    """Queued jobs that are due, and working ones whose worker's lease ran out; locked, and
    skipped by other workers until this transaction ends."""
    return list(
        session.scalars(
            select(DocumentJob)
            .where(
                DocumentJob.status.in_([DocumentJobStatus.QUEUED, DocumentJobStatus.WORKING]),
                DocumentJob.next_attempt_at <= now,
            )
            .order_by(DocumentJob.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def get_job_for_update(session: Session, job_id: uuid.UUID) -> DocumentJob | None:
    return session.scalar(select(DocumentJob).where(DocumentJob.id == job_id).with_for_update())


def latest_job_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> DocumentJob | None:
    return session.scalar(
        select(DocumentJob)
        .where(DocumentJob.region_id == region_id, DocumentJob.application_id == application_id)
        .order_by(DocumentJob.created_at.desc())
        .limit(1)
    )


def issued_document_ids_of(
    session: Session, region_id: uuid.UUID, application_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these applications have an issued (unrevoked) document."""
    if not application_ids:
        return set()
    return set(
        session.scalars(
            select(IssuedDocument.application_id).where(
                IssuedDocument.region_id == region_id,
                IssuedDocument.application_id.in_(application_ids),
                IssuedDocument.revoked_at.is_(None),
            )
        )
    )


def get_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return session.scalar(select(User).where(User.region_id == region_id, User.id == user_id))


def find_user_by_email(session: Session, region_id: uuid.UUID, email: str) -> User | None:
    return session.scalar(
        select(User).where(User.region_id == region_id, func.lower(User.email) == email.lower())
    )


def get_job(session: Session, job_id: uuid.UUID) -> DocumentJob | None:
    return session.get(DocumentJob, job_id)


def get_region(session: Session, region_id: uuid.UUID) -> Region | None:
    return session.get(Region, region_id)
