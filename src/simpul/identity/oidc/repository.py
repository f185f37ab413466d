"""Every query of the OpenID Connect provider: signing keys, codes, tokens and the
back-channel logout outbox. Only ``identity.oidc`` modules use it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.identity.models import (
    BackchannelLogout,
    OidcAuthorizationCode,
    OidcClient,
    OidcSigningKey,
    OidcToken,
)
from simpul.inventory.models import App

#: The NOTIFY channel that wakes ``simpul worker`` for a logout token to deliver.
BACKCHANNEL_CHANNEL = "simpul_oidc_backchannel"


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# -- signing keys ------------------------------------------------------------------------


def lock_region_keys(session: Session, region_id: uuid.UUID) -> None:
    """Serialise key creation and rotation of one region (until the transaction ends)."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"oidc-keys:{region_id}"))))


def get_signing_key(session: Session, region_id: uuid.UUID) -> OidcSigningKey | None:
    """The key that signs now (the newest not superseded)."""
    return session.scalars(
        select(OidcSigningKey)
        .where(OidcSigningKey.region_id == region_id, OidcSigningKey.superseded_at.is_(None))
        .order_by(OidcSigningKey.created_at.desc())
        .limit(1)
    ).first()


def list_published_keys(
    session: Session, region_id: uuid.UUID, now: datetime
) -> Sequence[OidcSigningKey]:
    """The signing key and the superseded ones not yet retired, newest first."""
    return session.scalars(
        select(OidcSigningKey)
        .where(
            OidcSigningKey.region_id == region_id,
            or_(OidcSigningKey.superseded_at.is_(None), OidcSigningKey.retire_after > now),
        )
        .order_by(OidcSigningKey.created_at.desc())
    ).all()


def list_regions_with_keys(session: Session) -> Sequence[uuid.UUID]:
    return session.scalars(select(OidcSigningKey.region_id).distinct()).all()


# -- codes -------------------------------------------------------------------------------


def lock_code(
    session: Session, region_id: uuid.UUID, code_hash: bytes
) -> OidcAuthorizationCode | None:
    """The code row, locked: of two parallel redemptions the second waits and sees it used."""
    return session.scalars(
        select(OidcAuthorizationCode)
        .where(
            OidcAuthorizationCode.region_id == region_id,
            OidcAuthorizationCode.code_hash == code_hash,
        )
        .with_for_update()
    ).one_or_none()


# -- tokens ------------------------------------------------------------------------------


def get_token_by_jti(session: Session, region_id: uuid.UUID, jti: str) -> OidcToken | None:
    return session.scalars(
        select(OidcToken).where(OidcToken.region_id == region_id, OidcToken.access_jti == jti)
    ).one_or_none()


def lock_token_by_refresh(
    session: Session, region_id: uuid.UUID, refresh_hash: bytes
) -> OidcToken | None:
    return session.scalars(
        select(OidcToken)
        .where(OidcToken.region_id == region_id, OidcToken.refresh_token_hash == refresh_hash)
        .with_for_update()
    ).one_or_none()


def revoke_family(
    session: Session, region_id: uuid.UUID, family_id: uuid.UUID, at: datetime, reason: str
) -> int:
    """Revoke every token of a family still live; returns how many."""
    result = session.execute(
        update(OidcToken)
        .where(
            OidcToken.region_id == region_id,
            OidcToken.family_id == family_id,
            OidcToken.revoked_at.is_(None),
        )
        .values(revoked_at=at, revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def live_tokens_of_session(
    session: Session, region_id: uuid.UUID, session_id: uuid.UUID
) -> Sequence[tuple[OidcToken, OidcClient]]:
    """The tokens issued in a browser session not revoked yet, with their clients."""
    rows = session.execute(
        select(OidcToken, OidcClient)
        .join(
            OidcClient,
            (OidcClient.id == OidcToken.client_pk) & (OidcClient.region_id == OidcToken.region_id),
        )
        .where(
            OidcToken.region_id == region_id,
            OidcToken.session_id == session_id,
            OidcToken.revoked_at.is_(None),
        )
    ).all()
    return [(token, client) for token, client in rows]


def get_client(session: Session, region_id: uuid.UUID, client_pk: uuid.UUID) -> OidcClient | None:
    return session.scalars(
        select(OidcClient).where(OidcClient.region_id == region_id, OidcClient.id == client_pk)
    ).one_or_none()


# -- back-channel logout outbox -----------------------------------------------------------


def wake_backchannel(session: Session) -> None:
    session.execute(select(func.pg_notify(BACKCHANNEL_CHANNEL, "")))


def claim_backchannel(
    session: Session, now: datetime, limit: int
) -> Sequence[tuple[BackchannelLogout, OidcClient]]:
    """Due logout tokens, locked (``SKIP LOCKED``: several workers never take the same one)."""
    rows = session.scalars(
        select(BackchannelLogout)
        .where(
            BackchannelLogout.delivered_at.is_(None),
            BackchannelLogout.gave_up_at.is_(None),
            BackchannelLogout.next_attempt_at <= now,
        )
        .order_by(BackchannelLogout.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed: list[tuple[BackchannelLogout, OidcClient]] = []
    for row in rows:
        client = get_client(session, row.region_id, row.client_pk)
        if client is not None:
            claimed.append((row, client))
    return claimed


def get_backchannel(session: Session, row_id: uuid.UUID) -> BackchannelLogout | None:
    return session.get(BackchannelLogout, row_id, with_for_update=True)


def agency_name_of_app(session: Session, region_id: uuid.UUID, app_id: uuid.UUID) -> str | None:
    """The name of the agency that owns an inventory app (the consent screen shows it)."""
    return session.scalars(
        select(Agency.name)
        .join(App, (App.agency_id == Agency.id) & (App.region_id == Agency.region_id))
        .where(App.region_id == region_id, App.id == app_id)
    ).first()
