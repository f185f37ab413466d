"""Every query of the upload limits and of the clean-up of abandoned uploads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, ApplicationStatus, Document
from simpul.applications.upload_models import UploadAttempt


def lock_uploader(session: Session, account_id: uuid.UUID) -> None:
    """Serialise one account's uploads until the transaction ends, so its rate and quota are
    counted one upload at a time (parallel requests wait here, they cannot overshoot)."""
    session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"simpul.upload:{account_id}", 0)))
    )


def add_attempt(session: Session, attempt: UploadAttempt) -> None:
    session.add(attempt)
    session.flush()


def attempts_of_account_since(
    session: Session, account_id: uuid.UUID, since: datetime
) -> tuple[int, datetime | None]:
    """How many uploads the account tried since ``since``, and when the oldest of them was."""
    row = session.execute(
        select(func.count(UploadAttempt.id), func.min(UploadAttempt.at)).where(
            UploadAttempt.account_id == account_id, UploadAttempt.at >= since
        )
    ).one()
    return int(row[0]), row[1]


def attempts_from_address_since(
    session: Session, address_hash: bytes, since: datetime
) -> tuple[int, datetime | None]:
    """How many uploads came from the address (every account, every region) since ``since``."""
    row = session.execute(
        select(func.count(UploadAttempt.id), func.min(UploadAttempt.at)).where(
            UploadAttempt.address_hash == address_hash, UploadAttempt.at >= since
        )
    ).one()
    return int(row[0]), row[1]


def delete_attempts_before(session: Session, before: datetime) -> None:
    session.execute(delete(UploadAttempt).where(UploadAttempt.at < before))


def pending_upload_bytes(session: Session, region_id: uuid.UUID, owner_id: uuid.UUID) -> int:
    """The size of the owner's documents no submitted application uses: not attached yet, or
    attached to a draft (replaced ones included: they are still stored)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Document.size), 0))
        .select_from(Document)
        .outerjoin(Application, Application.id == Document.application_id)
        .where(
            Document.region_id == region_id,
            Document.owner_id == owner_id,
            or_(
                Document.application_id.is_(None),
                Application.status == ApplicationStatus.DRAFT,
            ),
        )
    )
    return int(total or 0)


def claim_abandoned_documents(
    session: Session, uploaded_before: datetime, limit: int
) -> Sequence[Document]:
    """Documents of every region never attached and uploaded before ``uploaded_before``,
    locked; one a submission is attaching right now is skipped (and attached)."""
    return session.scalars(
        select(Document)
        .where(Document.application_id.is_(None), Document.created_at < uploaded_before)
        .order_by(Document.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def delete_documents(session: Session, document_ids: Sequence[uuid.UUID]) -> None:
    session.execute(delete(Document).where(Document.id.in_(document_ids)))
