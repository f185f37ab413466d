"""Queries of second factors, pending logins and a user's browser sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import StaffRole, StaffRoleName, UserSession
from simpul.identity.mfa_models import (
    PendingLogin,
    RecoveryCode,
    TotpFactor,
    WebauthnChallenge,
    WebauthnCredential,
)


def totp_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> TotpFactor | None:
    query = select(TotpFactor).where(
        TotpFactor.region_id == region_id, TotpFactor.user_id == user_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def add(
    session: Session,
    row: TotpFactor | RecoveryCode | PendingLogin | WebauthnCredential | WebauthnChallenge,
) -> None:
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


def delete_pending_logins(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        delete(PendingLogin).where(
            PendingLogin.region_id == region_id, PendingLogin.user_id == user_id
        )
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


# -- passkeys -----------------------------------------------------------------------------


def passkeys_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[WebauthnCredential]:
    return session.scalars(
        select(WebauthnCredential)
        .where(WebauthnCredential.region_id == region_id, WebauthnCredential.user_id == user_id)
        .order_by(WebauthnCredential.created_at)
    ).all()


def has_passkey(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(WebauthnCredential.id)
            .where(WebauthnCredential.region_id == region_id, WebauthnCredential.user_id == user_id)
            .limit(1)
        )
        is not None
    )


def passkey_by_credential_id(
    session: Session, region_id: uuid.UUID, credential_id: bytes
) -> WebauthnCredential | None:
    """The region's credential with this id (of any user), locked for its counter."""
    return session.scalars(
        select(WebauthnCredential)
        .where(
            WebauthnCredential.region_id == region_id,
            WebauthnCredential.credential_id == credential_id,
        )
        .with_for_update()
    ).one_or_none()


def passkey_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, passkey_id: uuid.UUID
) -> WebauthnCredential | None:
    return session.scalars(
        select(WebauthnCredential).where(
            WebauthnCredential.region_id == region_id,
            WebauthnCredential.user_id == user_id,
            WebauthnCredential.id == passkey_id,
        )
    ).one_or_none()


def delete_passkey(session: Session, row: WebauthnCredential) -> None:
    session.delete(row)
    session.flush()


def delete_passkeys(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return len(
        session.scalars(
            delete(WebauthnCredential)
            .where(WebauthnCredential.region_id == region_id, WebauthnCredential.user_id == user_id)
            .returning(WebauthnCredential.id)
        ).all()
    )


def _challenge_owner(user_id: uuid.UUID | None) -> ColumnElement[bool]:
    return (
        WebauthnChallenge.user_id.is_(None)
        if user_id is None
        else WebauthnChallenge.user_id == user_id
    )


def take_challenge(
    session: Session,
    region_id: uuid.UUID,
    user_id: uuid.UUID | None,
    purpose: str,
    challenge_hash: bytes,
    now: datetime,
) -> bool:
    """Use up the unexpired challenge (single use: of two parallel uses one finds nothing)."""
    taken = session.scalar(
        delete(WebauthnChallenge)
        .where(
            WebauthnChallenge.region_id == region_id,
            _challenge_owner(user_id),
            WebauthnChallenge.purpose == purpose,
            WebauthnChallenge.challenge_hash == challenge_hash,
            WebauthnChallenge.expires_at > now,
        )
        .returning(WebauthnChallenge.id)
    )
    return taken is not None


def delete_stale_challenges(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID | None, now: datetime
) -> None:
    session.execute(
        delete(WebauthnChallenge).where(
            WebauthnChallenge.region_id == region_id,
            _challenge_owner(user_id),
            WebauthnChallenge.expires_at <= now,
        )
    )


def delete_challenges(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        delete(WebauthnChallenge).where(
            WebauthnChallenge.region_id == region_id, WebauthnChallenge.user_id == user_id
        )
    )
