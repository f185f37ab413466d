"""A region's token-signing keys (RS256): made on first use, rotated by
``simpul oidc rotate-keys`` once older than ``oidc_key_rotation_days``; a superseded key stays in
the JWKS until the last token it signed has expired (``retire_after``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from joserfc import jwk
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.orm import Session

from simpul.core import security
from simpul.core.models import Region, utcnow
from simpul.core.settings import get_settings
from simpul.identity.models import OidcSigningKey
from simpul.identity.oidc import repository

_PURPOSE = "oidc-signing-key"
#: Clock skew allowed to relying parties when a superseded key leaves the JWKS.
_SKEW = timedelta(minutes=5)


def _new_key(region: Region, now: datetime) -> OidcSigningKey:
    kid = f"{now:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    key = RSAKey.generate_key(
        2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"}, private=True
    )
    public = dict(key.as_dict(private=False))
    return OidcSigningKey(
        region_id=region.id,
        kid=kid,
        alg="RS256",
        private_key_encrypted=security.encrypt(_PURPOSE, key.as_pem(private=True).decode()),
        public_jwk=public,
        created_at=now,
    )


def signing_key(session: Session, region: Region) -> tuple[OidcSigningKey, RSAKey]:
    """The region's current signing key with its private half (made here the first time)."""
    row = repository.get_signing_key(session, region.id)
    if row is None:
        repository.lock_region_keys(session, region.id)
        row = repository.get_signing_key(session, region.id)  # another request may have won
        if row is None:
            row = _new_key(region, utcnow())
            repository.add(session, row)
    return row, _private(row.kid, row.private_key_encrypted)


@lru_cache(maxsize=64)
def _private(kid: str, encrypted: str) -> RSAKey:
    pem = security.decrypt(_PURPOSE, encrypted)
    if pem is None:
        raise RuntimeError(f"signing key {kid} cannot be decrypted with this SIMPUL_SECRET_KEY")
    key = jwk.import_key(pem, "RSA", parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    assert isinstance(key, RSAKey)
    return key


def published_keys(session: Session, region: Region) -> list[dict[str, Any]]:
    """The JWKS ``keys``: the signing key and superseded ones until ``retire_after``."""
    if repository.get_signing_key(session, region.id) is None:
        signing_key(session, region)
    return [
        dict(row.public_jwk) for row in repository.list_published_keys(session, region.id, utcnow())
    ]


def verification_keys(session: Session, region: Region) -> KeySet:
    """The keys a token of this region may be signed with (for our own checks)."""
    return KeySet.import_key_set({"keys": published_keys(session, region)})


def rotate(session: Session, region: Region, *, force: bool = False) -> OidcSigningKey | None:
    """Make a new signing key when the current one is older than ``oidc_key_rotation_days``
    (or at once with ``force``); the old one is kept published until its tokens expired.
    Returns the new key, or None when rotation was not due."""
    settings = get_settings()
    now = utcnow()
    repository.lock_region_keys(session, region.id)
    current = repository.get_signing_key(session, region.id)
    due = current is None or current.created_at <= now - timedelta(
        days=settings.oidc_key_rotation_days
    )
    if not (due or force):
        return None
    if current is not None:
        current.superseded_at = now
        current.retire_after = now + timedelta(minutes=settings.oidc_access_token_minutes) + _SKEW
    fresh = _new_key(region, now + timedelta(microseconds=1))
    repository.add(session, fresh)
    return fresh
