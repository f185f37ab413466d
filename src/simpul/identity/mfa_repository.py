"""Queries of second factors, pending logins and a user's browser sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import StaffRole, StaffRoleName, UserSession
from simpul.identity.mfa_models import PendingLogin, RecoveryCode, TotpFactor


def totp_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> TotpFactor | None:
    query = select(TotpFactor).where(
        TotpFactor.region_id == region_id, TotpFactor.user_id == user_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def add(session: Session, row: TotpFactor | RecoveryCode | PendingLogin) -> None:
    session.add(row)
    session.flush()


def delete_totp(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        delete(TotpFactor).where(TotpFactor.region_id == region_id, TotpFactor.user_id == user_id)
    )


def delete_recovery_codes(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        delete(RecoveryCode).where(
            RecoveryCode.region_id == region_id, RecoveryCode.user_id == user_id
        )
    )


def use_recovery_code(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, code_hash: bytes, now: datetime
) -> bool:
    """Mark the unused code with ``code_hash`` used; False when there is none. Atomic: of two
    parallel uses of one code, the second finds it used (the row lock orders them)."""
    used = session.scalar(
        update(RecoveryCode)
        .where(
            RecoveryCode.region_id == region_id,
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
    )
    return used is not None


def unused_recovery_codes(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.region_id == region_id,
                RecoveryCode.user_id == user_id,
                RecoveryCode.used_at.is_(None),
            )
        ).all()
    )


def pending_login(
    session: Session, region_id: uuid.UUID, token_hash: bytes, now: datetime
) -> PendingLogin | None:
    """The unexpired pending login with this token in this region, locked."""
    return session.scalars(
        select(PendingLogin)
        .where(
            PendingLogin.region_id == region_id,
            PendingLogin.token_hash == token_hash,
            PendingLogin.expires_at > now,
        )
        .with_for_update()
    ).one_or_none()


def delete_pending_login(session: Session, pending_id: uuid.UUID) -> bool:
    result = session.scalar(
        delete(PendingLogin).where(PendingLogin.id == pending_id).returning(PendingLogin.id)
    )
    return result is not None


def delete_expired_pending_logins(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        delete(PendingLogin).where(PendingLogin.user_id == user_id, PendingLogin.expires_at <= now)
    )


def holds_role(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, role: StaffRoleName
) -> bool:
    return (
        session.scalar(
            select(StaffRole.id)
            .where(
                StaffRole.region_id == region_id,
                StaffRole.user_id == user_id,
                StaffRole.role == role,
            )
            .limit(1)
        )
        is not None
    )


# -- sessions -----------------------------------------------------------------------------


def sessions_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> Sequence[UserSession]:
    return session.scalars(
        select(UserSession)
        .where(
            UserSession.region_id == region_id,
            UserSession.user_id == user_id,
            UserSession.expires_at > now,
        )
        .order_by(UserSession.created_at.desc())
    ).all()


def session_by_token(
    session: Session, region_id: uuid.UUID, token_hash: bytes
) -> UserSession | None:
    return session.scalars(
        select(UserSession).where(
            UserSession.region_id == region_id, UserSession.token_hash == token_hash
        )
    ).one_or_none()


def sessions_of_user_except(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, keep_id: uuid.UUID | None
) -> Sequence[UserSession]:
    """The user's stored sessions (expired ones too), but ``keep_id``; locked for ending."""
    query = select(UserSession).where(
        UserSession.region_id == region_id, UserSession.user_id == user_id
    )
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    return session.scalars(query.with_for_update()).all()


def delete_session_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, session_id: uuid.UUID
) -> UserSession | None:
    """Delete the user's own session ``session_id``; None when it is not theirs."""
    return session.scalars(
        delete(UserSession)
        .where(
            UserSession.region_id == region_id,
            UserSession.user_id == user_id,
            UserSession.id == session_id,
        )
        .returning(UserSession)
    ).one_or_none()


def delete_sessions_except(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, keep_id: uuid.UUID | None
) -> Sequence[uuid.UUID]:
    query = delete(UserSession).where(
        UserSession.region_id == region_id, UserSession.user_id == user_id
    )
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    return session.scalars(query.returning(UserSession.id)).all()
