"""Every query of the documents domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region
from simpul.core.queue import Queue
from simpul.documents.models import (
    DocumentJob,
    DocumentJobStatus,
    DocumentNumberCounter,
    IssuedDocument,
    SigningCredential,
)

#: The PostgreSQL NOTIFY channel that wakes workers when document jobs are queued.
DOCUMENT_JOBS_CHANNEL: Final = "simpul_document_jobs"

#: Document jobs as a job queue (``simpul.core.queue``): ``queued`` until due, ``working``
#: while a worker holds the lease, ``dead`` once given up (``done`` is never claimed).
DOCUMENT_JOBS: Final = Queue(
    DocumentJob,
    channel=DOCUMENT_JOBS_CHANNEL,
    waiting=(DocumentJobStatus.QUEUED,),
    working=DocumentJobStatus.WORKING,
    retry=DocumentJobStatus.QUEUED,
    dead=DocumentJobStatus.DEAD,
)


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
    return get_in_region(session, SigningCredential, region_id, credential_id)


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
    DOCUMENT_JOBS.wake(session)


def claim_due_jobs(session: Session, now: datetime, limit: int) -> list[DocumentJob]:
    """Queued jobs that are due, and working ones whose worker's lease ran out; locked, and
    skipped by other workers until this transaction ends."""
    return DOCUMENT_JOBS.claim(session, now, limit)


def held_job(session: Session, job_id: uuid.UUID, attempt: int) -> DocumentJob | None:
    """The job, locked, if it is still attempt ``attempt``'s (None: its lease ran out and
    another worker took it over)."""
    return DOCUMENT_JOBS.held(session, job_id, attempt)


def jobs_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> list[DocumentJob]:
    """The application's document jobs, newest first (one or more per product)."""
    return list(
        session.scalars(
            select(DocumentJob)
            .where(DocumentJob.region_id == region_id, DocumentJob.application_id == application_id)
            .order_by(DocumentJob.created_at.desc())
        )
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
    return get_in_region(session, User, region_id, user_id)


def find_user_by_email(session: Session, region_id: uuid.UUID, email: str) -> User | None:
    return session.scalar(
        select(User).where(User.region_id == region_id, func.lower(User.email) == email.lower())
    )


def get_job(session: Session, job_id: uuid.UUID) -> DocumentJob | None:
    return session.get(DocumentJob, job_id)


def get_region(session: Session, region_id: uuid.UUID) -> Region | None:
    return session.get(Region, region_id)


def get_issued_documents_of_applications(
    session: Session, region_id: uuid.UUID, application_ids: Sequence[uuid.UUID]
) -> list[IssuedDocument]:
    """The issued documents of these applications, oldest first (the data export)."""
    if not application_ids:
        return []
    return list(
        session.scalars(
            select(IssuedDocument)
            .where(
                IssuedDocument.region_id == region_id,
                IssuedDocument.application_id.in_(application_ids),
            )
            .order_by(IssuedDocument.created_at, IssuedDocument.id)
        )
    )
