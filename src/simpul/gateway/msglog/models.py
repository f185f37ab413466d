"""The message log's tables: region signing keys, the hash-chained messages, their seals, and the
per-minute counts of refused calls."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, utcnow


class RegionKey(IdMixin, RegionScoped, Base):
    """The region's Ed25519 signing key (seals of the message log). Private half encrypted."""

    __tablename__ = "region_key"
    __table_args__ = (UniqueConstraint("region_id", "kid"),)

    kid: Mapped[str] = mapped_column(String(40))
    algorithm: Mapped[str] = mapped_column(String(20), default="ed25519")
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    #: Fernet ciphertext of the raw private key, under a key derived from the secret key.
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    retired_at: Mapped[datetime | None]


class GatewayMessage(Base):
    """One exchange through the gateway. Hash-chained per region, append-only (trigger).

    ``hash = SHA-256(prev_hash || canonical bytes of the record)``; see ``gateway.msglog``.
    Partitioned by month of ``at`` (``at`` is in the key for that; seq stays unique per region
    because one writer at a time appends under the region's lock, decision 0037).
    """

    __tablename__ = "gateway_message"
    __table_args__ = (
        Index("ix_gateway_message_region_id_at", "region_id", "at"),
        {"postgresql_partition_by": "RANGE (at)"},
    )

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    #: 1, 2, 3 ... per region with no gaps: a missing number is a removed record.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID]
    #: The caller as it identified itself: ``INSTANCE/CLASS/MEMBER/APPLICATION`` ("" if none).
    client: Mapped[str] = mapped_column(String(300))
    #: ``INSTANCE/CLASS/MEMBER/APPLICATION/SERVICE`` ("" when the address named none).
    service: Mapped[str] = mapped_column(String(300))
    #: The matched endpoint, ``METHOD /template`` ("" when none matched).
    endpoint: Mapped[str] = mapped_column(String(600))
    method: Mapped[str] = mapped_column(String(10))
    #: Path below the service, without the query string (it may hold personal data).
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int]
    #: Why the gateway answered itself ("" when the provider answered), e.g. ``no_grant``.
    error: Mapped[str] = mapped_column(String(40))
    duration_us: Mapped[int] = mapped_column(BigInteger)
    request_bytes: Mapped[int] = mapped_column(BigInteger)
    response_bytes: Mapped[int] = mapped_column(BigInteger)
    #: Request and response bodies, encrypted, only for services that ask for it.
    bodies_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class GatewayLogSeal(Base):
    """A signed statement that a region's records ``first_seq..last_seq`` ended in ``last_hash``.

    Seals are chained too (``prev_seal_hash``), so removing a seal is noticed.
    """

    __tablename__ = "gateway_log_seal"
    __table_args__ = (Index("ix_gateway_log_seal_region_id_last_seq", "region_id", "last_seq"),)

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    prev_seal_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_at: Mapped[datetime]
    kid: Mapped[str] = mapped_column(String(40))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class GatewayRefusal(Base):
    """Calls refused before their caller was identified, counted per region, minute and reason.

    Beside the message log, not in it: such calls are not logged one by one, so junk traffic
    cannot fill the log (``gateway.msglog.refusals``). Gateway processes add to the counts.
    """

    __tablename__ = "gateway_refusal"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    #: The minute (UTC) the calls were refused in.
    minute: Mapped[datetime] = mapped_column(primary_key=True)
    #: The error code the callers got, e.g. ``key_invalid`` or ``too_many_refusals``.
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    refusals: Mapped[int] = mapped_column(BigInteger)


class GatewayLogArchive(Base):
    """A month of a region's records that went to a signed archive file, and where the live
    chain continues: records ``first_seq..last_seq`` and seals ``first_seal_seq..last_seal_seq``
    (the last seal ends exactly at ``last_seq``). Written only after the file was verified;
    ``simpul_log_drop_partition`` drops a partition only below these boundaries."""

    __tablename__ = "gateway_log_archive"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True
    )
    #: The first day of the month (UTC) whose partition the records were archived from.
    month: Mapped[date] = mapped_column(primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    #: ``prev_hash`` of the first record: the hash of the record before it (or zeros).
    first_prev_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    first_seal_seq: Mapped[int] = mapped_column(BigInteger)
    last_seal_seq: Mapped[int] = mapped_column(BigInteger)
    #: ``seal_hash`` of the last seal: what the next seal's ``prev_seal_hash`` must be.
    last_seal_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    records: Mapped[int] = mapped_column(BigInteger)
    #: Where the archive was written (a path or ``s3://bucket/key``), the data file's SHA-256.
    location: Mapped[str] = mapped_column(Text)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    archived_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)


class GatewayLogVerification(Base):
    """The last seal ``simpul audit verify`` found intact: the next run starts after it."""

    __tablename__ = "gateway_log_verification"

    region_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), primary_key=True
    )
    seal_seq: Mapped[int] = mapped_column(BigInteger)
    seal_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    verified_at: Mapped[datetime]


class AuditLogArchive(IdMixin, Base):
    """A month of the audit trail that went to a signed archive file: one per region and month,
    and one (``region_id`` NULL) for the deployment's own events, signed with the deployment's
    key. Written only after the file was verified; ``simpul_audit_drop_partition`` drops a
    month only when every region's (and the NULL region's) rows in it have an archive here
    holding exactly as many rows."""

    __tablename__ = "audit_log_archive"
    __table_args__ = (
        Index(
            "uq_audit_log_archive_region_id_month",
            "region_id",
            "month",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    region_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("region.id", ondelete="RESTRICT")
    )
    #: The first day of the month (UTC) whose partition the events were archived from.
    month: Mapped[date]
    records: Mapped[int] = mapped_column(BigInteger)
    #: Where the archive was written (a path or ``s3://bucket/key``), the data file's SHA-256.
    location: Mapped[str] = mapped_column(Text)
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    archived_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
