"""Every query about accounts, sessions, tokens and login attempts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import (
    AccountKind,
    ApiToken,
    LoginAttempt,
    OfficerAbsence,
    RegistrationAttempt,
    StaffRole,
    User,
    UserSession,
)
from simpul.core.kit.queries import get_in_region
from simpul.core.models import AuditEvent

_ACTIVATED = User.activated_at.is_not(None)


def get_user_by_email(session: Session, region_id: uuid.UUID, email: str) -> User | None:
    """The account with this e-mail; registrations still waiting for activation are not."""
    return session.scalars(
        select(User).where(User.region_id == region_id, User.email == email.lower(), _ACTIVATED)
    ).one_or_none()


def get_user_by_nik_hash(session: Session, region_id: uuid.UUID, nik_hash: bytes) -> User | None:
    """The activated account with this NIK (keyed hash), if any."""
    return session.scalars(
        select(User).where(User.region_id == region_id, User.nik_hash == nik_hash, _ACTIVATED)
    ).one_or_none()


def get_pending_registration(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> User | None:
    """The account ``user_id`` if it still waits for activation (locked until commit)."""
    return session.scalars(
        select(User)
        .where(User.region_id == region_id, User.id == user_id, User.activated_at.is_(None))
        .with_for_update()
    ).one_or_none()


def delete_pending_registrations(
    session: Session,
    region_id: uuid.UUID,
    *,
    email: str | None = None,
    nik_hash: bytes | None = None,
    created_before: datetime | None = None,
) -> list[uuid.UUID]:
    """Delete registrations waiting for activation that hold ``email`` or ``nik_hash``, or
    were made before ``created_before``; returns their ids."""
    matches = []
    if email is not None:
        matches.append(User.email == email.lower())
    if nik_hash is not None:
        matches.append(User.nik_hash == nik_hash)
    if created_before is not None:
        matches.append(User.created_at < created_before)
    if not matches:
        return []
    return list(
        session.scalars(
            delete(User)
            .where(User.region_id == region_id, User.activated_at.is_(None), or_(*matches))
            .returning(User.id)
        )
    )


def get_user_by_id(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return get_in_region(session, User, region_id, user_id)


def list_users_with_email(session: Session, email: str) -> Sequence[User]:
    """Accounts with this e-mail in every region (for operators' tools, never for pages)."""
    return session.scalars(
        select(User).where(User.email == email.strip().lower(), _ACTIVATED)
    ).all()


def count_users_by_kind(session: Session, region_id: uuid.UUID) -> dict[AccountKind, int]:
    rows = session.execute(
        select(User.kind, func.count(User.id))
        .where(User.region_id == region_id, _ACTIVATED)
        .group_by(User.kind)
    ).all()
    return {kind: int(n) for kind, n in rows}


def list_staff(session: Session, region_id: uuid.UUID) -> Sequence[User]:
    return session.scalars(
        select(User)
        .where(User.region_id == region_id, User.kind != AccountKind.CITIZEN)
        .order_by(User.full_name)
    ).all()


def add_user(session: Session, user: User) -> User:
    session.add(user)
    session.flush()
    return user


def add_staff_role(session: Session, role: StaffRole) -> StaffRole:
    session.add(role)
    return role


def add_user_session(session: Session, user_session: UserSession) -> UserSession:
    session.add(user_session)
    return user_session


def get_user_for_session_token(
    session: Session, region_id: uuid.UUID, token_hash: bytes, now: datetime
) -> tuple[User, UserSession] | None:
    row = session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == token_hash,
            UserSession.region_id == region_id,
            UserSession.expires_at > now,
            User.region_id == region_id,
            User.is_active.is_(True),
            _ACTIVATED,
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def delete_user_session(session: Session, token_hash: bytes) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == token_hash))


def delete_expired_sessions_of_user(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        delete(UserSession).where(UserSession.user_id == user_id, UserSession.expires_at <= now)
    )


def delete_other_sessions(session: Session, user_id: uuid.UUID, keep_hash: bytes | None) -> None:
    """End every browser login of the user except the one with ``keep_hash``."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_hash is not None:
        query = query.where(UserSession.token_hash != keep_hash)
    session.execute(query)


def count_active_sessions(session: Session, user_id: uuid.UUID, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count(UserSession.id)).where(
                UserSession.user_id == user_id, UserSession.expires_at > now
            )
        )
        or 0
    )


def delete_login_attempts_before(
    session: Session, region_id: uuid.UUID, email_hash: bytes, before: datetime
) -> None:
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.region_id == region_id,
            LoginAttempt.email_hash == email_hash,
            LoginAttempt.at < before,
        )
    )


def list_audit_events_of_actor(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[AuditEvent]:
    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.region_id == region_id, AuditEvent.actor_id == user_id)
        .order_by(AuditEvent.at)
    ).all()


def add_api_token(session: Session, token: ApiToken) -> ApiToken:
    session.add(token)
    session.flush()
    return token


def list_api_tokens(session: Session, user_id: uuid.UUID) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc())
    ).all()


def list_active_api_tokens(session: Session, user_id: uuid.UUID) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at)
    ).all()


def get_api_token_of_user(
    session: Session, user_id: uuid.UUID, token_id: uuid.UUID
) -> ApiToken | None:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.id == token_id)
    ).one_or_none()


def get_active_api_token(
    session: Session, region_id: uuid.UUID, token_hash: bytes
) -> tuple[ApiToken, User] | None:
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.region_id == region_id,
            ApiToken.revoked_at.is_(None),
            User.region_id == region_id,
            User.is_active.is_(True),
            _ACTIVATED,
        )
    ).one_or_none()
    return (row[0], row[1]) if row else None


def add_login_attempt(session: Session, attempt: LoginAttempt) -> None:
    session.add(attempt)


def try_lock(session: Session, purpose: str, key: bytes) -> bool:
    """Take the transaction's advisory lock on (``purpose``, ``key``) if nobody holds it.

    Held until the transaction ends. Never waits: a request that would wait holds a pooled
    connection meanwhile, and many of them could take the whole pool.
    """
    name = f"{purpose}:{key.hex()}"
    return bool(
        session.scalar(select(func.pg_try_advisory_xact_lock(func.hashtextextended(name, 0))))
    )


def failed_logins_since(
    session: Session,
    region_id: uuid.UUID,
    email_hash: bytes,
    since: datetime,
    source: str | None = None,
) -> tuple[int, datetime | None]:
    """How many failed logins for this e-mail (from ``source`` only, if given) since ``since``,
    and the earliest of them."""
    query = select(func.count(LoginAttempt.id), func.min(LoginAttempt.at)).where(
        LoginAttempt.region_id == region_id,
        LoginAttempt.email_hash == email_hash,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.at >= since,
    )
    if source is not None:
        query = query.where(LoginAttempt.ip == source)
    count, first = session.execute(query).one()
    return int(count), first


def failed_logins_from_ip_since(
    session: Session, source: str, since: datetime
) -> tuple[int, datetime | None]:
    count, first = session.execute(
        select(func.count(LoginAttempt.id), func.min(LoginAttempt.at)).where(
            LoginAttempt.ip == source, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since
        )
    ).one()
    return int(count), first


def last_successful_login(
    session: Session, region_id: uuid.UUID, email_hash: bytes, source: str | None = None
) -> datetime | None:
    query = select(func.max(LoginAttempt.at)).where(
        LoginAttempt.region_id == region_id,
        LoginAttempt.email_hash == email_hash,
        LoginAttempt.succeeded.is_(True),
    )
    if source is not None:
        query = query.where(LoginAttempt.ip == source)
    return session.scalar(query)


def add_registration_attempt(session: Session, attempt: RegistrationAttempt) -> None:
    session.add(attempt)


def delete_registration_attempts_before(session: Session, before: datetime) -> None:
    session.execute(delete(RegistrationAttempt).where(RegistrationAttempt.at < before))


def registrations_since(
    session: Session,
    since: datetime,
    *,
    region_id: uuid.UUID | None = None,
    nik_hash: bytes | None = None,
    email_hash: bytes | None = None,
    source: str | None = None,
) -> tuple[int, datetime | None]:
    """How many registrations matched (NIK or e-mail in the region, or source address
    anywhere) since ``since``, and the earliest of them."""
    query = select(func.count(RegistrationAttempt.id), func.min(RegistrationAttempt.at)).where(
        RegistrationAttempt.at >= since
    )
    if region_id is not None:
        query = query.where(RegistrationAttempt.region_id == region_id)
    if nik_hash is not None:
        query = query.where(RegistrationAttempt.nik_hash == nik_hash)
    if email_hash is not None:
        query = query.where(RegistrationAttempt.email_hash == email_hash)
    if source is not None:
        query = query.where(RegistrationAttempt.source == source)
    count, first = session.execute(query).one()
    return int(count), first


def list_officers_with_role(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID, role: str
) -> Sequence[User]:
    """Active staff holding ``role`` in the agency, by name."""
    return session.scalars(
        select(User)
        .join(StaffRole, StaffRole.user_id == User.id)
        .where(
            User.region_id == region_id,
            User.is_active.is_(True),
            StaffRole.agency_id == agency_id,
            StaffRole.role == role,
        )
        .order_by(User.full_name)
    ).all()


# -- an agency's staff and their absences (``accounts.staff``) ------------------------------


def list_agency_staff(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID
) -> Sequence[User]:
    """Staff holding any role in the agency, by name."""
    holders = select(StaffRole.user_id).where(
        StaffRole.region_id == region_id, StaffRole.agency_id == agency_id
    )
    return session.scalars(
        select(User)
        .where(User.region_id == region_id, User.id.in_(holders))
        .order_by(User.full_name, User.email)
    ).all()


def get_staff_role(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> StaffRole | None:
    return session.scalars(
        select(StaffRole).where(
            StaffRole.region_id == region_id,
            StaffRole.agency_id == agency_id,
            StaffRole.user_id == user_id,
            StaffRole.role == role,
        )
    ).first()


def lock_agency_admin_roles(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID
) -> Sequence[StaffRole]:
    """The agency's admin OPD roles, locked until the transaction ends: two admins removing
    each other at once cannot both see another admin left."""
    return session.scalars(
        select(StaffRole)
        .where(
            StaffRole.region_id == region_id,
            StaffRole.agency_id == agency_id,
            StaffRole.role == "admin_opd",
        )
        .order_by(StaffRole.id)
        .with_for_update()
    ).all()


def delete_staff_role(session: Session, role: StaffRole) -> None:
    session.delete(role)
    session.flush()


def add_absence(session: Session, absence: OfficerAbsence) -> OfficerAbsence:
    session.add(absence)
    session.flush()
    return absence


def get_absence(
    session: Session, region_id: uuid.UUID, absence_id: uuid.UUID, *, for_update: bool = False
) -> OfficerAbsence | None:
    query = select(OfficerAbsence).where(
        OfficerAbsence.region_id == region_id, OfficerAbsence.id == absence_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_absences_of_agency(
    session: Session, region_id: uuid.UUID, agency_id: uuid.UUID, since: date
) -> Sequence[OfficerAbsence]:
    """The agency's absences that have not ended before ``since``, earliest first."""
    return session.scalars(
        select(OfficerAbsence)
        .where(
            OfficerAbsence.region_id == region_id,
            OfficerAbsence.agency_id == agency_id,
            OfficerAbsence.ends_on >= since,
            OfficerAbsence.ended_at.is_(None),
        )
        .order_by(OfficerAbsence.starts_on, OfficerAbsence.id)
    ).all()


def overlapping_absences(
    session: Session,
    region_id: uuid.UUID,
    officer_id: uuid.UUID,
    starts_on: date,
    ends_on: date,
    *,
    agency_id: uuid.UUID | None = None,
) -> Sequence[OfficerAbsence]:
    """The officer's running absences (not ended early) that overlap the period."""
    query = select(OfficerAbsence).where(
        OfficerAbsence.region_id == region_id,
        OfficerAbsence.officer_id == officer_id,
        OfficerAbsence.starts_on <= ends_on,
        OfficerAbsence.ends_on >= starts_on,
        OfficerAbsence.ended_at.is_(None),
    )
    if agency_id is not None:
        query = query.where(OfficerAbsence.agency_id == agency_id)
    return session.scalars(query.order_by(OfficerAbsence.starts_on)).all()


def list_sessions_of_user(session: Session, user_id: uuid.UUID) -> Sequence[UserSession]:
    """Every browser login of the user still stored (expired ones until they are cleaned)."""
    return session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id)
        .order_by(UserSession.created_at, UserSession.id)
    ).all()


# -- closing accounts (identity.closure) ---------------------------------------------------


def lock_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The account, its row locked until the transaction ends (re-read from the database)."""
    return session.scalars(
        select(User)
        .where(User.region_id == region_id, User.id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def list_closed_users(
    session: Session, region_id: uuid.UUID, closed_before: datetime | None = None
) -> Sequence[User]:
    query = select(User).where(User.region_id == region_id, User.closed_at.is_not(None))
    if closed_before is not None:
        query = query.where(User.closed_at < closed_before)
    return session.scalars(query.order_by(User.closed_at)).all()


def list_users_by_ids(
    session: Session, region_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> Sequence[User]:
    if not user_ids:
        return []
    return session.scalars(
        select(User)
        .where(User.region_id == region_id, User.id.in_(user_ids))
        .order_by(User.created_at, User.id)
    ).all()


def list_users_created_between(
    session: Session, region_id: uuid.UUID, since: datetime | None, until: datetime | None
) -> Sequence[User]:
    query = select(User).where(User.region_id == region_id, User.closed_at.is_(None))
    if since is not None:
        query = query.where(User.updated_at >= since)
    if until is not None:
        query = query.where(User.created_at < until)
    return session.scalars(query.order_by(User.created_at, User.id)).all()


def revoke_api_tokens_of(session: Session, user_id: uuid.UUID, at: datetime) -> int:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_sessions_of(session: Session, user_id: uuid.UUID) -> int:
    result = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return int(result.rowcount)  # type: ignore[attr-defined]
