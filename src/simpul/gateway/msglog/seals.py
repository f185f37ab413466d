"""Seals: signed statements that a region's records ``first_seq..last_seq`` ended in a hash."""

from __future__ import annotations

import dataclasses
import hashlib
import struct
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from simpul.core.models import utcnow
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.models import GatewayLogSeal
from simpul.gateway.msglog.records import ZERO_HASH, epoch_us

_SEAL: Final = struct.Struct(">4s16sqqq32s32sq")


def seal_message(
    region_id: uuid.UUID,
    seal_seq: int,
    first_seq: int,
    last_seq: int,
    last_hash: bytes,
    prev_seal_hash: bytes,
    sealed_at: datetime,
) -> bytes:
    """The bytes a seal's signature covers (format described in the module docstring)."""
    if len(last_hash) != 32 or len(prev_seal_hash) != 32:
        raise ValueError("seal hashes must be 32 bytes")
    return _SEAL.pack(
        b"SGS1",
        region_id.bytes,
        seal_seq,
        first_seq,
        last_seq,
        last_hash,
        prev_seal_hash,
        epoch_us(sealed_at),
    )


def seal_hash(message: bytes, signature: bytes) -> bytes:
    """What the next seal's ``prev_seal_hash`` must be."""
    return hashlib.sha256(message + signature).digest()


@dataclass(frozen=True, slots=True)
class SealFields:
    """The columns of a ``gateway_log_seal`` row."""

    region_id: uuid.UUID
    seq: int
    first_seq: int
    last_seq: int
    last_hash: bytes
    prev_seal_hash: bytes
    sealed_at: datetime
    kid: str
    signature: bytes

    @classmethod
    def of(cls, seal: GatewayLogSeal) -> SealFields:
        return cls(
            region_id=seal.region_id,
            seq=seal.seq,
            first_seq=seal.first_seq,
            last_seq=seal.last_seq,
            last_hash=seal.last_hash,
            prev_seal_hash=seal.prev_seal_hash,
            sealed_at=seal.sealed_at,
            kid=seal.kid,
            signature=seal.signature,
        )

    def message(self) -> bytes:
        return seal_message(
            self.region_id,
            self.seq,
            self.first_seq,
            self.last_seq,
            self.last_hash,
            self.prev_seal_hash,
            self.sealed_at,
        )


def build_seal(
    region_id: uuid.UUID,
    previous: SealFields | None,
    tip: tuple[int, bytes],
    kid: str,
    key: Ed25519PrivateKey,
    sealed_at: datetime,
) -> SealFields | None:
    """The next seal, covering everything after ``previous`` up to ``tip``; None if nothing is."""
    tip_seq, tip_hash = tip
    first_seq = 1 if previous is None else previous.last_seq + 1
    if tip_seq < first_seq:
        return None
    seq = 1 if previous is None else previous.seq + 1
    prev_seal_hash = (
        ZERO_HASH if previous is None else seal_hash(previous.message(), previous.signature)
    )
    message = seal_message(region_id, seq, first_seq, tip_seq, tip_hash, prev_seal_hash, sealed_at)
    return SealFields(
        region_id=region_id,
        seq=seq,
        first_seq=first_seq,
        last_seq=tip_seq,
        last_hash=tip_hash,
        prev_seal_hash=prev_seal_hash,
        sealed_at=sealed_at,
        kid=kid,
        signature=key.sign(message),
    )


def seal_pending(session: Session, region_id: uuid.UUID) -> GatewayLogSeal | None:
    """Seal the region's unsealed records (flushed, not committed); None when there are none.

    Holds the region's log lock until the caller's transaction ends, like the writer does.
    """
    repository.lock_region_log(session, region_id)
    tip = repository.log_tip(session, region_id)
    previous = repository.last_seal(session, region_id)
    if tip is None or (previous is not None and tip[0] <= previous.last_seq):
        return None
    kid, key = region_keys.region_signing_key(session, region_id)
    fields = build_seal(
        region_id, None if previous is None else SealFields.of(previous), tip, kid, key, utcnow()
    )
    if fields is None:
        return None
    seal = GatewayLogSeal(**{f.name: getattr(fields, f.name) for f in dataclasses.fields(fields)})
    repository.add(session, seal)
    session.flush()
    return seal
