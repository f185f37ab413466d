"""The region's Ed25519 signing key, used to seal the gateway's message log.

The private half is stored encrypted (Fernet under a key derived from the deployment's secret
key for the purpose ``region-signing-key``); the public half is stored in clear so anyone with
read access can check a seal. Old keys stay in ``region_key`` after rotation (``retired_at``) so
seals signed with them still verify.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from simpul.core import security
from simpul.core.models import utcnow
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.models import RegionKey

KEY_PURPOSE = "region-signing-key"


class SigningKeyUnavailable(Exception):
    """The stored private key cannot be decrypted (the deployment's secret key changed)."""


@dataclass(frozen=True, slots=True)
class NewSigningKey:
    """A freshly generated key: the values of its ``region_key`` row and the usable key."""

    kid: str
    public_key: bytes
    private_key_encrypted: str
    private_key: Ed25519PrivateKey


def new_kid(now: datetime) -> str:
    """A key id such as ``r1-20250314-9f2c1a7b``: the date helps operators, the rest is random."""
    return f"r1-{now:%Y%m%d}-{secrets.token_hex(4)}"


def generate_signing_key(now: datetime | None = None) -> NewSigningKey:
    private_key = Ed25519PrivateKey.generate()
    raw = private_key.private_bytes_raw()
    return NewSigningKey(
        kid=new_kid(now or utcnow()),
        public_key=private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        private_key_encrypted=security.encrypt(KEY_PURPOSE, base64.b64encode(raw).decode()),
        private_key=private_key,
    )


def decrypt_private_key(kid: str, encrypted: str) -> Ed25519PrivateKey:
    plain = security.decrypt(KEY_PURPOSE, encrypted)
    if plain is None:
        raise SigningKeyUnavailable(
            f"region key {kid} cannot be decrypted: was SIMPUL_SECRET_KEY changed?"
        )
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(plain))


def region_signing_key(session: Session, region_id: uuid.UUID) -> tuple[str, Ed25519PrivateKey]:
    """The region's current key (kid, private key), created and flushed if it has none.

    Call it holding the region's log lock (``repository.lock_region_log``), as sealing
    does, so that two callers never both create a key.
    """
    row = repository.current_region_key(session, region_id)
    if row is not None:
        return row.kid, decrypt_private_key(row.kid, row.private_key_encrypted)
    key = generate_signing_key()
    repository.add(
        session,
        RegionKey(
            region_id=region_id,
            kid=key.kid,
            public_key=key.public_key,
            private_key_encrypted=key.private_key_encrypted,
        ),
    )
    session.flush()
    return key.kid, key.private_key


def public_keys(session: Session, region_id: uuid.UUID) -> dict[str, Ed25519PublicKey]:
    """Every key the region ever had (retired ones too), by kid: what seals are checked with."""
    return {
        row.kid: Ed25519PublicKey.from_public_bytes(row.public_key)
        for row in repository.list_region_keys(session, region_id)
    }
