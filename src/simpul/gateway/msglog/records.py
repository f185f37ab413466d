"""Records of the message log: what is kept, its canonical bytes and hash, encrypted bodies,
and appending from a session (the data plane uses ``writer.LogWriter``)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from simpul.core import security
from simpul.gateway.monitor import repository as traffic
from simpul.gateway.msglog import repository

ZERO_HASH: Final = bytes(32)
BODIES_PURPOSE: Final = "gateway-bodies"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND: Final = timedelta(microseconds=1)
_MESSAGE_HEAD: Final = struct.Struct(">4s16sqq16s")
_LENGTH: Final = struct.Struct(">I")
_INT64: Final = struct.Struct(">q")
_SIZES: Final = struct.Struct(">qqq")
_INT64_MAX: Final = 2**63 - 1
#: Column limits of ``gateway_message`` (characters); longer values are cut, not refused.
_TEXT_LIMITS: Final = (
    ("client", 300),
    ("service", 300),
    ("endpoint", 600),
    ("method", 10),
    ("path", None),
    ("error", 40),
)


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One exchange through the gateway, as the data plane reports it."""

    region_id: uuid.UUID
    at: datetime
    request_id: uuid.UUID
    #: ``INSTANCE/CLASS/MEMBER/APPLICATION`` as the caller identified itself ("" if none).
    client: str
    #: ``INSTANCE/CLASS/MEMBER/APPLICATION/SERVICE`` ("" when the address named none).
    service: str
    #: ``METHOD /template`` of the matched endpoint ("" when none matched).
    endpoint: str
    method: str
    #: Path below the service, without the query string.
    path: str
    status: int
    #: Why the gateway answered itself ("" when the provider answered).
    error: str
    duration_us: int
    request_bytes: int
    response_bytes: int
    #: Request and response bodies (plaintext) when the service keeps them; encrypted on write.
    bodies: bytes | None = None


def epoch_us(at: datetime) -> int:
    return (at - _EPOCH) // _ONE_MICROSECOND


def canonical_bytes(
    region_id: uuid.UUID,
    seq: int,
    *,
    at: datetime,
    request_id: uuid.UUID,
    client: str,
    service: str,
    endpoint: str,
    method: str,
    path: str,
    status: int,
    error: str,
    duration_us: int,
    request_bytes: int,
    response_bytes: int,
    bodies_encrypted: bytes | None,
) -> bytes:
    """The record's bytes as hashed (format v1, described in the module docstring)."""
    parts = [_MESSAGE_HEAD.pack(b"SGM1", region_id.bytes, seq, epoch_us(at), request_id.bytes)]
    for value in (client, service, endpoint, method, path):
        data = value.encode()
        parts += (_LENGTH.pack(len(data)), data)
    error_data = error.encode()
    parts += (
        _INT64.pack(status),
        _LENGTH.pack(len(error_data)),
        error_data,
        _SIZES.pack(duration_us, request_bytes, response_bytes),
        b"\x00"
        if bodies_encrypted is None
        else b"\x01" + hashlib.sha256(bodies_encrypted).digest(),
    )
    return b"".join(parts)


def bodies_digest(bodies_encrypted: bytes | None) -> bytes | None:
    """SHA-256 of the stored (encrypted) bodies: what the canonical bytes hold of them."""
    return None if bodies_encrypted is None else hashlib.sha256(bodies_encrypted).digest()


def record_hash(prev_hash: bytes, canonical: bytes) -> bytes:
    """SHA-256(prev_hash || canonical): the link of a record to everything before it."""
    return hashlib.sha256(prev_hash + canonical).digest()


@lru_cache
def _bodies_cipher() -> AESGCM:
    return AESGCM(security.derived_key(BODIES_PURPOSE))


def encrypt_bodies(region_id: uuid.UUID, request_id: uuid.UUID, plaintext: bytes) -> bytes:
    """``0x01 || nonce (12) || AES-256-GCM ciphertext``, bound to the record's region and id."""
    nonce = os.urandom(12)
    sealed = _bodies_cipher().encrypt(nonce, plaintext, region_id.bytes + request_id.bytes)
    return b"\x01" + nonce + sealed


def decrypt_bodies(region_id: uuid.UUID, request_id: uuid.UUID, stored: bytes) -> bytes:
    """The plaintext bodies; raises ``cryptography.exceptions.InvalidTag`` if altered."""
    if stored[:1] != b"\x01":
        raise ValueError("unknown format of encrypted bodies")
    return _bodies_cipher().decrypt(stored[1:13], stored[13:], region_id.bytes + request_id.bytes)


def _clean_text(value: str, limit: int | None) -> str:
    # Cut to the column's size and drop what PostgreSQL cannot store (NUL, lone surrogates):
    # one caller's odd header must never fail the batch it shares with others.
    if limit is not None and len(value) > limit:
        value = value[:limit]
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode()
    return value


def storable(record: MessageRecord) -> MessageRecord:
    """``record`` as it will be stored: text cut to the column sizes; bad numbers refused."""
    if not isinstance(record.region_id, uuid.UUID) or not isinstance(record.request_id, uuid.UUID):
        raise TypeError("MessageRecord.region_id and request_id must be UUIDs")
    if record.at.tzinfo is None:
        raise ValueError("MessageRecord.at must be timezone-aware (UTC)")
    if any(
        not isinstance(n, int)
        for n in (record.status, record.duration_us, record.request_bytes, record.response_bytes)
    ):
        raise TypeError("MessageRecord.status, duration_us and the sizes must be integers")
    if not 0 <= record.status <= 999:
        raise ValueError(f"MessageRecord.status must be 0..999, not {record.status}")
    for name in ("duration_us", "request_bytes", "response_bytes"):
        number = getattr(record, name)
        if not 0 <= number <= _INT64_MAX:
            raise ValueError(f"MessageRecord.{name} must be 0..2**63-1, not {number}")
    changes: dict[str, Any] = {}
    for name, limit in _TEXT_LIMITS:
        value = getattr(record, name)
        cleaned = _clean_text(value, limit)
        if cleaned is not value:
            changes[name] = cleaned
    return dataclasses.replace(record, **changes) if changes else record


def chained_row(
    record: MessageRecord, bodies_encrypted: bytes | None, seq: int, prev_hash: bytes
) -> tuple[Any, ...]:
    """The ``gateway_message`` row (``repository.MESSAGE_COLUMNS`` order)."""
    canonical = canonical_bytes(
        record.region_id,
        seq,
        at=record.at,
        request_id=record.request_id,
        client=record.client,
        service=record.service,
        endpoint=record.endpoint,
        method=record.method,
        path=record.path,
        status=record.status,
        error=record.error,
        duration_us=record.duration_us,
        request_bytes=record.request_bytes,
        response_bytes=record.response_bytes,
        bodies_encrypted=bodies_encrypted,
    )
    return (
        record.region_id,
        seq,
        record.at,
        record.request_id,
        record.client,
        record.service,
        record.endpoint,
        record.method,
        record.path,
        record.status,
        record.error,
        record.duration_us,
        record.request_bytes,
        record.response_bytes,
        bodies_encrypted,
        prev_hash,
        record_hash(prev_hash, canonical),
    )


def encrypted_bodies_of(record: MessageRecord) -> bytes | None:
    if record.bodies is None:
        return None
    return encrypt_bodies(record.region_id, record.request_id, record.bodies)


def append_records(session: Session, records: Sequence[MessageRecord]) -> list[int]:
    """Append records in the caller's transaction (sync; for seeds, tools and tests).

    Holds each region's log lock until the transaction ends. The data plane uses ``LogWriter``.
    """
    cleaned = [storable(record) for record in records]
    regions = sorted({record.region_id for record in cleaned}, key=repository.region_log_lock_key)
    tips: dict[uuid.UUID, tuple[int, bytes]] = {}
    for region_id in regions:
        repository.lock_region_log(session, region_id)
        tips[region_id] = repository.log_tip(session, region_id) or (0, ZERO_HASH)
    rows: list[dict[str, Any]] = []
    chained: list[tuple[Any, ...]] = []
    seqs: list[int] = []
    for record in cleaned:
        seq, prev_hash = tips[record.region_id]
        row = chained_row(record, encrypted_bodies_of(record), seq + 1, prev_hash)
        tips[record.region_id] = (seq + 1, row[-1])
        chained.append(row)
        rows.append(dict(zip(repository.MESSAGE_COLUMNS, row, strict=True)))
        seqs.append(seq + 1)
    repository.insert_messages(session, rows)
    traffic.add_traffic_sync(session, chained)  # the monitor's rollup, same transaction
    return seqs
