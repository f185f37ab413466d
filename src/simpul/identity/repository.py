"""Every query of the identity domain's provider tables (relying parties, tokens, consents,
releases). Other domains reach these only through ``identity.service``."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from simpul.identity.models import (
    OidcAuthorizationCode,
    OidcClient,
    OidcConsent,
    OidcRelease,
    OidcSigningKey,
    OidcToken,
)


def get_client_by_client_id(
    session: Session, region_id: uuid.UUID, client_id: str
) -> OidcClient | None:
    return session.scalars(
        select(OidcClient).where(
            OidcClient.region_id == region_id, OidcClient.client_id == client_id
        )
    ).one_or_none()


def get_client(session: Session, region_id: uuid.UUID, client_pk: uuid.UUID) -> OidcClient | None:
    return session.scalars(
        select(OidcClient).where(OidcClient.region_id == region_id, OidcClient.id == client_pk)
    ).one_or_none()


def get_client_of_app(
    session: Session, region_id: uuid.UUID, app_id: uuid.UUID
) -> OidcClient | None:
    return session.scalars(
        select(OidcClient).where(OidcClient.region_id == region_id, OidcClient.app_id == app_id)
    ).one_or_none()


def list_clients(session: Session, region_id: uuid.UUID) -> Sequence[OidcClient]:
    return session.scalars(
        select(OidcClient).where(OidcClient.region_id == region_id).order_by(OidcClient.name)
    ).all()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def get_active_consent(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, client_pk: uuid.UUID
) -> OidcConsent | None:
    return session.scalars(
        select(OidcConsent).where(
            OidcConsent.region_id == region_id,
            OidcConsent.user_id == user_id,
            OidcConsent.client_pk == client_pk,
            OidcConsent.revoked_at.is_(None),
        )
    ).one_or_none()


def get_consent_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, consent_id: uuid.UUID
) -> OidcConsent | None:
    return session.scalars(
        select(OidcConsent).where(
            OidcConsent.region_id == region_id,
            OidcConsent.user_id == user_id,
            OidcConsent.id == consent_id,
        )
    ).one_or_none()


def list_consents_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, active_only: bool
) -> Sequence[tuple[OidcConsent, OidcClient]]:
    query = (
        select(OidcConsent, OidcClient)
        .join(OidcClient, OidcClient.id == OidcConsent.client_pk)
        .where(OidcConsent.region_id == region_id, OidcConsent.user_id == user_id)
        .order_by(OidcConsent.granted_at.desc())
    )
    if active_only:
        query = query.where(OidcConsent.revoked_at.is_(None))
    return [(consent, client) for consent, client in session.execute(query).all()]


def revoke_tokens(
    session: Session,
    region_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    client_pk: uuid.UUID | None,
    at: datetime,
    reason: str,
) -> int:
    """Revoke the user's live tokens (of one client, or of all when ``client_pk`` is None);
    returns how many rows were revoked."""
    statement = (
        update(OidcToken)
        .where(
            OidcToken.region_id == region_id,
            OidcToken.user_id == user_id,
            OidcToken.revoked_at.is_(None),
        )
        .values(revoked_at=at, revoked_reason=reason)
    )
    if client_pk is not None:
        statement = statement.where(OidcToken.client_pk == client_pk)
    return session.execute(statement).rowcount  # type: ignore[attr-defined, no-any-return]


def list_releases_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, limit: int | None = None
) -> Sequence[tuple[OidcRelease, OidcClient]]:
    query = (
        select(OidcRelease, OidcClient)
        .join(OidcClient, OidcClient.id == OidcRelease.client_pk)
        .where(OidcRelease.region_id == region_id, OidcRelease.user_id == user_id)
        .order_by(OidcRelease.at.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [(release, client) for release, client in session.execute(query).all()]


def revoke_client_tokens(
    session: Session, region_id: uuid.UUID, client_pk: uuid.UUID, *, at: datetime, reason: str
) -> int:
    """Revoke every live token of one client (all its users); returns how many."""
    statement = (
        update(OidcToken)
        .where(
            OidcToken.region_id == region_id,
            OidcToken.client_pk == client_pk,
            OidcToken.revoked_at.is_(None),
        )
        .values(revoked_at=at, revoked_reason=reason)
    )
    return session.execute(statement).rowcount  # type: ignore[attr-defined, no-any-return]


def last_release_per_client(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> dict[uuid.UUID, datetime]:
    query = (
        select(OidcRelease.client_pk, func.max(OidcRelease.at).label("last"))
        .where(OidcRelease.region_id == region_id, OidcRelease.user_id == user_id)
        .group_by(OidcRelease.client_pk)
    )
    return {row.client_pk: row.last for row in session.execute(query).all()}


# -- the gateway's view (gateway.dataplane, issue 18) -------------------------------------


def published_signing_keys(session: Session, now: datetime) -> Sequence[OidcSigningKey]:
    """Every region's keys still in its JWKS (``retire_after`` unset or ahead)."""
    return session.scalars(
        select(OidcSigningKey).where(
            or_(OidcSigningKey.retire_after.is_(None), OidcSigningKey.retire_after > now)
        )
    ).all()


def enabled_clients(session: Session) -> Sequence[OidcClient]:
    """Every region's enabled relying parties."""
    return session.scalars(select(OidcClient).where(OidcClient.enabled.is_(True))).all()


def revoked_live_access_tokens(session: Session, now: datetime) -> Sequence[tuple[uuid.UUID, str]]:
    """``(region id, jti)`` of access tokens revoked before they expire."""
    rows = session.execute(
        select(OidcToken.region_id, OidcToken.access_jti).where(
            OidcToken.revoked_at.is_not(None), OidcToken.access_expires_at > now
        )
    )
    return [(row.region_id, row.access_jti) for row in rows]


def tokens_by_access_jti(
    session: Session, jtis: Collection[str]
) -> Sequence[tuple[uuid.UUID, str, uuid.UUID, uuid.UUID]]:
    """``(region id, jti, user id, client pk)`` of the tokens with these ``jti``."""
    if not jtis:
        return []
    rows = session.execute(
        select(
            OidcToken.region_id, OidcToken.access_jti, OidcToken.user_id, OidcToken.client_pk
        ).where(OidcToken.access_jti.in_(list(jtis)))
    )
    return [(r.region_id, r.access_jti, r.user_id, r.client_pk) for r in rows]


def add_all(session: Session, rows: Iterable[object]) -> None:
    session.add_all(rows)


def revoke_consents_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, at: datetime
) -> int:
    result = session.execute(
        update(OidcConsent)
        .where(
            OidcConsent.region_id == region_id,
            OidcConsent.user_id == user_id,
            OidcConsent.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_codes_of_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> None:
    session.execute(
        delete(OidcAuthorizationCode).where(
            OidcAuthorizationCode.region_id == region_id,
            OidcAuthorizationCode.user_id == user_id,
        )
    )


def clients_with_scopes(session: Session, region_id: uuid.UUID) -> Sequence[OidcClient]:
    return session.scalars(
        select(OidcClient).where(OidcClient.region_id == region_id).order_by(OidcClient.name)
    ).all()


def consented_subjects(
    session: Session,
    region_id: uuid.UUID,
    client_pk: uuid.UUID,
    since: datetime | None,
    until: datetime | None,
) -> Sequence[tuple[uuid.UUID, list[str]]]:
    """(user, scopes) of every consent to the client (revoked ones too: the app may still
    hold what it was given), granted before ``until`` and not revoked before ``since``."""
    query = select(OidcConsent.user_id, OidcConsent.scopes).where(
        OidcConsent.region_id == region_id, OidcConsent.client_pk == client_pk
    )
    if until is not None:
        query = query.where(OidcConsent.granted_at < until)
    if since is not None:
        query = query.where((OidcConsent.revoked_at.is_(None)) | (OidcConsent.revoked_at >= since))
    return [(user_id, list(scopes)) for user_id, scopes in session.execute(query).all()]


def revoke_tokens_of_sessions(
    session: Session,
    region_id: uuid.UUID,
    session_ids: Sequence[uuid.UUID],
    *,
    at: datetime,
    reason: str,
) -> int:
    """Revoke the live tokens issued in these browser sessions; returns how many."""
    if not session_ids:
        return 0
    statement = (
        update(OidcToken)
        .where(
            OidcToken.region_id == region_id,
            OidcToken.session_id.in_(session_ids),
            OidcToken.revoked_at.is_(None),
        )
        .values(revoked_at=at, revoked_reason=reason)
    )
    return session.execute(statement).rowcount  # type: ignore[attr-defined, no-any-return]
