"""Queries of account recovery and verification: single-use links, phone codes and the
counts that throttle the requests sending them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import (
    AccountLink,
    AccountLinkPurpose,
    ApiToken,
    PhoneVerification,
    RecoveryAttempt,
)


def add(session: Session, row: AccountLink | PhoneVerification | RecoveryAttempt) -> None:
    session.add(row)
    session.flush()


def attempts_since(
    session: Session,
    action: str,
    since: datetime,
    *,
    region_id: uuid.UUID | None = None,
    subject_hash: bytes | None = None,
    source: str | None = None,
) -> tuple[int, datetime | None]:
    """How many ``action`` requests since ``since`` (of one subject in a region, or from one
    source) and when the oldest of them was."""
    query = select(func.count(RecoveryAttempt.id), func.min(RecoveryAttempt.at)).where(
        RecoveryAttempt.action == action, RecoveryAttempt.at >= since
    )
    if region_id is not None:
        query = query.where(RecoveryAttempt.region_id == region_id)
    if subject_hash is not None:
        query = query.where(RecoveryAttempt.subject_hash == subject_hash)
    if source is not None:
        query = query.where(RecoveryAttempt.source == source)
    count, first = session.execute(query).one()
    return int(count or 0), first


def delete_attempts_before(session: Session, before: datetime) -> None:
    session.execute(delete(RecoveryAttempt).where(RecoveryAttempt.at < before))


def link_by_token_hash(
    session: Session, region_id: uuid.UUID, token_hash: bytes, purpose: AccountLinkPurpose
) -> AccountLink | None:
    """The link with this token's digest in the region, locked until the transaction ends so
    two requests with one link cannot both use it."""
    return session.scalars(
        select(AccountLink)
        .where(
            AccountLink.region_id == region_id,
            AccountLink.token_hash == token_hash,
            AccountLink.purpose == purpose,
        )
        .with_for_update()
    ).one_or_none()


def get_link(session: Session, region_id: uuid.UUID, link_id: uuid.UUID) -> AccountLink | None:
    return session.scalars(
        select(AccountLink).where(AccountLink.region_id == region_id, AccountLink.id == link_id)
    ).one_or_none()


def retire_links(
    session: Session, user_id: uuid.UUID, purpose: AccountLinkPurpose, now: datetime
) -> None:
    """Make the user's unused links of ``purpose`` unusable (a newer one replaces them)."""
    session.execute(
        update(AccountLink)
        .where(
            AccountLink.user_id == user_id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now)
    )


def delete_expired_links(session: Session, before: datetime) -> None:
    session.execute(delete(AccountLink).where(AccountLink.expires_at < before))


def latest_phone_verification(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> PhoneVerification | None:
    """The user's newest unused code, locked until the transaction ends (tries are counted
    one at a time)."""
    return session.scalars(
        select(PhoneVerification)
        .where(
            PhoneVerification.region_id == region_id,
            PhoneVerification.user_id == user_id,
            PhoneVerification.used_at.is_(None),
        )
        .order_by(PhoneVerification.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()


def get_phone_verification(
    session: Session, region_id: uuid.UUID, verification_id: uuid.UUID
) -> PhoneVerification | None:
    return session.scalars(
        select(PhoneVerification).where(
            PhoneVerification.region_id == region_id, PhoneVerification.id == verification_id
        )
    ).one_or_none()


def retire_phone_verifications(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(PhoneVerification)
        .where(PhoneVerification.user_id == user_id, PhoneVerification.used_at.is_(None))
        .values(used_at=now)
    )


def revoke_api_tokens(session: Session, user_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
    """Revoke every working API token of the user; the ids of those revoked."""
    return list(
        session.scalars(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(ApiToken.id)
        )
    )
