"""Every query of the message log: the verifier's and the CLI's (SQLAlchemy), and the SQL the
asynchronous writer sends through psycopg directly (one round trip per step, no ORM on the
gateway's hot path)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Generator, Sequence
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Row, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent, Region
from simpul.gateway.msglog.models import (
    AuditLogArchive,
    GatewayLogArchive,
    GatewayLogSeal,
    GatewayLogVerification,
    GatewayMessage,
    GatewayRefusal,
    RegionKey,
)


def region_log_lock_key(region_id: uuid.UUID) -> int:
    """The advisory-lock key that serialises appends and seals of one region's log.

    Every writer (each gateway process, ``simpul audit seal``) takes it for the length of its
    transaction, so a region's chain stays linear whoever writes.
    """
    digest = hashlib.sha256(b"simpul:gateway-log:" + region_id.bytes).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# -- SQLAlchemy (verification, sealing from the CLI, tests) ----------------------------------


def add(session: Session, row: object) -> None:
    session.add(row)


def lock_region_log(session: Session, region_id: uuid.UUID) -> None:
    """Wait for and hold the region's log lock until the session's transaction ends."""
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": region_log_lock_key(region_id)}
    )


def current_region_key(session: Session, region_id: uuid.UUID) -> RegionKey | None:
    """The newest key that is not retired: the one new seals are signed with."""
    return session.scalars(
        select(RegionKey)
        .where(RegionKey.region_id == region_id, RegionKey.retired_at.is_(None))
        .order_by(RegionKey.created_at.desc(), RegionKey.kid.desc())
        .limit(1)
    ).one_or_none()


def list_region_keys(session: Session, region_id: uuid.UUID) -> Sequence[RegionKey]:
    return session.scalars(
        select(RegionKey).where(RegionKey.region_id == region_id).order_by(RegionKey.created_at)
    ).all()


def log_tip(session: Session, region_id: uuid.UUID) -> tuple[int, bytes] | None:
    """Seq and hash of the region's newest record (live, else the archived boundary), or None
    when it has none."""
    row = session.execute(
        select(GatewayMessage.seq, GatewayMessage.hash)
        .where(GatewayMessage.region_id == region_id)
        .order_by(GatewayMessage.seq.desc())
        .limit(1)
    ).one_or_none()
    archived = last_archive(session, region_id)
    if archived is not None and (row is None or row.seq < archived.last_seq):
        return archived.last_seq, archived.last_hash
    return None if row is None else (row.seq, row.hash)


def last_archive(session: Session, region_id: uuid.UUID) -> GatewayLogArchive | None:
    """The region's newest archived month: where its live chain continues from."""
    return session.scalars(
        select(GatewayLogArchive)
        .where(GatewayLogArchive.region_id == region_id)
        .order_by(GatewayLogArchive.last_seq.desc())
        .limit(1)
    ).one_or_none()


def last_seal(session: Session, region_id: uuid.UUID) -> GatewayLogSeal | None:
    return session.scalars(
        select(GatewayLogSeal)
        .where(GatewayLogSeal.region_id == region_id)
        .order_by(GatewayLogSeal.seq.desc())
        .limit(1)
    ).one_or_none()


def list_seals(session: Session, region_id: uuid.UUID) -> Sequence[GatewayLogSeal]:
    """All seals of the region in order (one per thousand records or so: small enough)."""
    return session.scalars(
        select(GatewayLogSeal)
        .where(GatewayLogSeal.region_id == region_id)
        .order_by(GatewayLogSeal.seq)
    ).all()


def verification_checkpoint(
    session: Session, region_id: uuid.UUID
) -> GatewayLogVerification | None:
    return session.get(GatewayLogVerification, region_id)


def save_verification_checkpoint(session: Session, values: dict[str, Any]) -> None:
    """Store where the next incremental verification starts (keys: the table's columns)."""
    statement = pg_insert(GatewayLogVerification).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id"],
            set_={k: statement.excluded[k] for k in values if k != "region_id"},
        )
    )


def stream_seals(
    session: Session,
    region_id: uuid.UUID,
    *,
    after_seq: int = 0,
    up_to_seq: int,
    chunk: int = 1000,
) -> Generator[GatewayLogSeal]:
    """The region's seals ``after_seq + 1 .. up_to_seq`` in order, ``chunk`` at a time (keyset
    pages); each is let go of by the session once the caller moved past it."""
    while True:
        page = session.scalars(
            select(GatewayLogSeal)
            .where(
                GatewayLogSeal.region_id == region_id,
                GatewayLogSeal.seq > after_seq,
                GatewayLogSeal.seq <= up_to_seq,
            )
            .order_by(GatewayLogSeal.seq)
            .limit(chunk)
        ).all()
        for seal in page:
            yield seal
            session.expunge(seal)
        if len(page) < chunk:
            return
        after_seq = page[-1].seq


def count_messages(session: Session, region_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(GatewayMessage)
            .where(GatewayMessage.region_id == region_id)
        )
        or 0
    )


_MESSAGE_TABLE = GatewayMessage.__table__


def stream_messages(
    session: Session,
    region_id: uuid.UUID,
    *,
    first_seq: int | None = None,
    last_seq: int | None = None,
    chunk: int = 2000,
) -> Generator[Row[Any]]:
    """The region's records in seq order, fetched ``chunk`` rows at a time (server-side cursor).

    Rows are plain tuples with the table's columns as attributes, not ORM objects: the verifier
    reads millions of them.
    """
    query = select(*_MESSAGE_TABLE.columns).where(_MESSAGE_TABLE.c.region_id == region_id)
    if first_seq is not None:
        query = query.where(_MESSAGE_TABLE.c.seq >= first_seq)
    if last_seq is not None:
        query = query.where(_MESSAGE_TABLE.c.seq <= last_seq)
    result = session.execute(
        query.order_by(_MESSAGE_TABLE.c.seq).execution_options(yield_per=chunk)
    )
    try:
        yield from result
    finally:  # also when the caller stops early: the server-side cursor must not linger
        result.close()


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert already chained records (keys: the table's columns) in one statement."""
    if rows:
        session.execute(insert(GatewayMessage), rows)


def add_refusal_counts(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add counts of refused calls (keys: ``gateway_refusal``'s columns) to what is there.

    ``rows`` in key order, so two gateways adding at once never wait for each other in a cycle.
    """
    if not rows:
        return
    statement = pg_insert(GatewayRefusal).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["region_id", "minute", "reason"],
            set_={"refusals": GatewayRefusal.refusals + statement.excluded.refusals},
        )
    )


# -- raw SQL of the asynchronous writer (psycopg, used by msglog.LogWriter) -------------------

LOCK_SQL: Final = "SELECT pg_advisory_xact_lock(%s)"

#: The newest record of each region asked for. A region that does not exist gives no row (its
#: records are refused instead of failing the whole batch on the foreign key). The archived
#: boundary counts too: the live records may all be archived, or be only a few stragglers
#: below it (records stamped in the next month, archived with the month before).
TIPS_SQL: Final = """
SELECT r.id,
    CASE WHEN t.seq >= coalesce(a.last_seq, 0) THEN t.seq ELSE a.last_seq END,
    CASE WHEN t.seq >= coalesce(a.last_seq, 0) THEN t.hash ELSE a.last_hash END
FROM region r
LEFT JOIN LATERAL (
    SELECT m.seq, m.hash FROM gateway_message m
    WHERE m.region_id = r.id ORDER BY m.seq DESC LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    SELECT g.last_seq, g.last_hash FROM gateway_log_archive g
    WHERE g.region_id = r.id ORDER BY g.last_seq DESC LIMIT 1
) a ON true
WHERE r.id = ANY(%s)
"""
#: Fails with unique_violation when the region has records after the given seq (fast path).
EXPECT_TIP_SQL: Final = "SELECT simpul_log_expect_tip(%s, %s)"
#: Create this month's and the next months' partitions of the log tables if missing.
ENSURE_PARTITIONS_SQL: Final = "SELECT simpul_log_ensure_partitions(%s)"

MESSAGE_COLUMNS: Final = (
    "region_id",
    "seq",
    "at",
    "request_id",
    "client",
    "service",
    "endpoint",
    "method",
    "path",
    "status",
    "error",
    "duration_us",
    "request_bytes",
    "response_bytes",
    "bodies_encrypted",
    "prev_hash",
    "hash",
)
#: PostgreSQL types of ``MESSAGE_COLUMNS`` for binary COPY.
MESSAGE_COPY_TYPES: Final = (
    "uuid",
    "int8",
    "timestamptz",
    "uuid",
    "text",
    "text",
    "text",
    "text",
    "text",
    "int4",
    "text",
    "int8",
    "int8",
    "int8",
    "bytea",
    "bytea",
    "bytea",
)
INSERT_MESSAGE_SQL: Final = """
INSERT INTO gateway_message (
    region_id, seq, at, request_id, client, service, endpoint, method, path, status, error,
    duration_us, request_bytes, response_bytes, bodies_encrypted, prev_hash, hash
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
COPY_MESSAGES_SQL: Final = (
    f"COPY gateway_message ({', '.join(MESSAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
)

LAST_SEAL_SQL: Final = """
SELECT seq, first_seq, last_seq, last_hash, prev_seal_hash, sealed_at, kid, signature
FROM gateway_log_seal WHERE region_id = %s ORDER BY seq DESC LIMIT 1
"""
TIP_SQL: Final = """
SELECT seq, hash FROM (
    (SELECT seq, hash FROM gateway_message WHERE region_id = %(r)s ORDER BY seq DESC LIMIT 1)
    UNION ALL
    (SELECT last_seq, last_hash FROM gateway_log_archive WHERE region_id = %(r)s
     ORDER BY last_seq DESC LIMIT 1)
) tips ORDER BY seq DESC LIMIT 1
"""
HASH_AT_SQL: Final = "SELECT hash FROM gateway_message WHERE region_id = %s AND seq = %s"
CURRENT_KEY_SQL: Final = """
SELECT kid, private_key_encrypted FROM region_key
WHERE region_id = %s AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1
"""
INSERT_KEY_SQL: Final = """
INSERT INTO region_key (id, region_id, kid, algorithm, public_key, private_key_encrypted)
VALUES (%s, %s, %s, 'ed25519', %s, %s)
"""
INSERT_SEAL_SQL: Final = """
INSERT INTO gateway_log_seal
    (region_id, seq, first_seq, last_seq, last_hash, prev_seal_hash, sealed_at, kid, signature)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


# -- partitions, archives and retention --------------------------------------------------------


def ensure_partitions(session: Session, ahead: int) -> int:
    """Create this month's and the next ``ahead`` months' partitions of both log tables."""
    return int(
        session.execute(
            text("SELECT simpul_log_ensure_partitions(:ahead)"), {"ahead": ahead}
        ).scalar_one()
    )


def create_month_partition(session: Session, table: str, month: date) -> bool:
    """Create the partition of ``table`` for ``month`` if missing (imports, tests)."""
    return bool(
        session.execute(
            text("SELECT simpul_log_partition(:table, :month)"), {"table": table, "month": month}
        ).scalar_one()
    )


def message_partitions(session: Session) -> list[tuple[str, date]]:
    """The message log's partitions as (name, first day of the month), oldest first."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'gateway_message'::regclass ORDER BY c.relname"
        )
    ).all()
    return [(name, date(int(name[-7:-3]), int(name[-2:]), 1)) for name in names]


def last_seq_in_month(
    session: Session, region_id: uuid.UUID, start: datetime, end: datetime
) -> int | None:
    """The region's highest seq among records with ``start <= at < end`` (one partition)."""
    return session.scalar(
        select(func.max(GatewayMessage.seq)).where(
            GatewayMessage.region_id == region_id,
            GatewayMessage.at >= start,
            GatewayMessage.at < end,
        )
    )


def seal_covering(session: Session, region_id: uuid.UUID, seq: int) -> GatewayLogSeal | None:
    """The seal whose range holds record ``seq`` (None while it is unsealed)."""
    return session.scalars(
        select(GatewayLogSeal)
        .where(GatewayLogSeal.region_id == region_id, GatewayLogSeal.last_seq >= seq)
        .order_by(GatewayLogSeal.last_seq)
        .limit(1)
    ).one_or_none()


def archived_months(session: Session, region_id: uuid.UUID) -> set[date]:
    return set(
        session.scalars(
            select(GatewayLogArchive.month).where(GatewayLogArchive.region_id == region_id)
        ).all()
    )


def drop_message_partition(session: Session, name: str) -> None:
    """Drop a partition through ``simpul_log_drop_partition``, which refuses unless every
    record in it is archived."""
    session.execute(text("SELECT simpul_log_drop_partition(:name)"), {"name": name})


# -- The audit trail's archives (``audit_event`` is core's table; its retention lives here) --

_AUDIT_TABLE = AuditEvent.__table__


def audit_partitions(session: Session) -> list[tuple[str, date]]:
    """The audit trail's partitions as (name, first day of the month), oldest first."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audit_event'::regclass ORDER BY c.relname"
        )
    ).all()
    return [(name, date(int(name[-7:-3]), int(name[-2:]), 1)) for name in names]


def stream_audit_events(
    session: Session,
    region_id: uuid.UUID | None,
    start: datetime,
    end: datetime,
    chunk: int = 2000,
) -> Generator[Row[Any]]:
    """The events of a region (None: those without a region) with ``start <= at < end``, in
    (at, id) order, ``chunk`` rows at a time (server-side cursor)."""
    columns = _AUDIT_TABLE.c
    query = select(*columns).where(columns.at >= start, columns.at < end)
    query = query.where(
        columns.region_id.is_(None) if region_id is None else columns.region_id == region_id
    )
    result = session.execute(
        query.order_by(columns.at, columns.id).execution_options(yield_per=chunk)
    )
    try:
        yield from result
    finally:
        result.close()


def audit_archive_of(
    session: Session, region_id: uuid.UUID | None, month: date
) -> AuditLogArchive | None:
    owner = (
        AuditLogArchive.region_id.is_(None)
        if region_id is None
        else AuditLogArchive.region_id == region_id
    )
    return session.scalars(
        select(AuditLogArchive).where(owner, AuditLogArchive.month == month)
    ).one_or_none()


def longest_log_retention(session: Session) -> int | None:
    return session.scalar(select(func.max(Region.log_retention_months)))


def drop_audit_partition(session: Session, name: str) -> None:
    """Drop a partition through ``simpul_audit_drop_partition``, which refuses unless every
    region's events in it are archived."""
    session.execute(text("SELECT simpul_audit_drop_partition(:name)"), {"name": name})
