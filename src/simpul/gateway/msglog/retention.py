"""Retention: months of the message log older than a region's ``log_retention_months`` go to
signed archive files (``archive``), then their partitions are dropped.

Per region and month, in month order: make sure a seal covers the month's last record
(``seal_month``), write the records from the region's archived boundary up to the end of that
seal, and the seals, to a data file and a signed manifest in the archive store; read both back
and check them as an auditor would; only then record the boundary in ``gateway_log_archive``.
A partition holds every region's records of its month: ``drop_archived_partitions`` drops it
only once each region's records in it are at or below that region's boundary (the database
function refuses otherwise). The caller commits between steps (``simpul audit archive``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from simpul.core.models import Region, utcnow
from simpul.core.storage import LocalStorage, S3Storage, Storage
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.archive import (
    FORMAT,
    DataFileWriter,
    archive_keys,
    record_line,
    seal_line,
    sign_manifest,
    verify_archive,
)
from simpul.gateway.msglog.models import GatewayLogArchive
from simpul.gateway.msglog.records import ZERO_HASH
from simpul.gateway.msglog.seals import SealFields, seal_hash, seal_pending


class ArchiveFailed(Exception):
    """The archive could not be written or did not check out: nothing was recorded or dropped."""


@dataclass(frozen=True, slots=True)
class ArchiveStore:
    """Where archives go: a ``Storage`` and how to name its location for people."""

    storage: Storage
    location: str

    def where(self, key: str) -> str:
        return f"{self.location.rstrip('/')}/{key}"


def store_for(destination: str, settings: Any) -> ArchiveStore:
    """``DIR`` or ``s3://bucket/prefix`` (credentials and endpoint from the settings)."""
    if destination.startswith("s3://"):
        bucket, _sep, prefix = destination.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError("s3://bucket/prefix needs a bucket")
        return ArchiveStore(
            S3Storage(
                bucket,
                endpoint_url=settings.s3_endpoint_url or None,
                region=settings.s3_region or None,
                access_key=settings.s3_access_key or None,
                secret_key=settings.s3_secret_key or None,
                prefix=prefix,
            ),
            destination,
        )
    root = Path(destination).resolve()
    return ArchiveStore(LocalStorage(root), str(root))


@dataclass(frozen=True, slots=True)
class WrittenArchive:
    manifest: dict[str, Any]
    records: int
    sha256: bytes


def write_signed_archive(
    store: ArchiveStore,
    data_key: str,
    manifest_key: str,
    lines: Iterable[bytes],
    describe: Callable[[int, bytes], dict[str, Any]],
    signing_key: tuple[str, Ed25519PrivateKey],
    *,
    is_record: Callable[[bytes], bool],
) -> WrittenArchive:
    """Write ``lines`` gzip'd to ``data_key`` (spooled to a temporary file: constant memory)
    and the signed manifest to ``manifest_key``: ``describe(records, lines_sha256)`` gives the
    manifest's own fields; the data file's key, SHA-256 and size, the kid and the signing time
    are added here. Both the message log and the audit trail archive this way."""
    kid, key = signing_key
    lines_digest = hashlib.sha256()
    with tempfile.TemporaryFile() as spool:
        writer = DataFileWriter(spool)
        records = 0
        for line in lines:
            writer.add(line)
            lines_digest.update(line)
            records += is_record(line)
        sha256 = writer.close()
        manifest = sign_manifest(
            {
                **describe(records, lines_digest.digest()),
                "data_key": data_key,
                "data_sha256": sha256.hex(),
                "data_bytes": writer.size,
                "kid": kid,
                "signed_at": utcnow().isoformat(),
            },
            key,
        )
        spool.seek(0)
        store.storage.put(data_key, spool, content_type="application/gzip")
    store.storage.put(
        manifest_key,
        json.dumps(manifest, indent=1, sort_keys=True).encode(),
        content_type="application/json",
    )
    return WrittenArchive(manifest, records, sha256)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def cutoff(now: datetime, retention_months: int) -> date:
    """Months before this one are archived: this month minus the retention."""
    index = now.year * 12 + (now.month - 1) - retention_months
    return date(index // 12, index % 12 + 1, 1)


def due_months(session: Session, region: Region, now: datetime) -> list[date]:
    """Months with a partition, older than the region's retention, not archived yet."""
    limit = cutoff(now, region.log_retention_months)
    done = repository.archived_months(session, region.id)
    return [
        month
        for _name, month in repository.message_partitions(session)
        if month < limit and month not in done
    ]


def month_tail(session: Session, region_id: uuid.UUID, month: date) -> int | None:
    """The region's last record of ``month`` still to archive (None: nothing to do)."""
    last = repository.last_seq_in_month(
        session, region_id, month_start(month), month_start(next_month(month))
    )
    archived = repository.last_archive(session, region_id)
    if last is None or (archived is not None and last <= archived.last_seq):
        return None
    return last


def seal_month(session: Session, region_id: uuid.UUID, month: date) -> bool:
    """Seal the region's records if the month's tail is not sealed yet (flushed; the caller
    commits at once: the seal holds the region's log lock). Whether a seal was made."""
    tail = month_tail(session, region_id, month)
    if tail is None or repository.seal_covering(session, region_id, tail) is not None:
        return False
    return seal_pending(session, region_id) is not None


def _lines(
    session: Session, region_id: uuid.UUID, start: int, seals: Iterator[SealFields], end: int
) -> Iterator[bytes]:
    """Record lines from ``start`` to ``end``, each seal right after the record it ends at."""
    seal = next(seals, None)
    for row in repository.stream_messages(session, region_id, first_seq=start, last_seq=end):
        yield record_line(row)
        while seal is not None and seal.last_seq == row.seq:
            yield seal_line(seal)
            seal = next(seals, None)


def archive_month(
    session: Session, region: Region, month: date, store: ArchiveStore
) -> GatewayLogArchive | None:
    """Write, check and record the archive of the region's ``month`` (flushed, not
    committed); None when the month holds nothing of the region not archived already.

    Raises ``ArchiveFailed`` when the tail is unsealed (call ``seal_month`` first) or the file
    read back does not verify."""
    tail = month_tail(session, region.id, month)
    if tail is None:
        return None
    last_seal = repository.seal_covering(session, region.id, tail)
    if last_seal is None:
        raise ArchiveFailed(f"records up to {tail} of {region.slug} are not sealed")
    previous = repository.last_archive(session, region.id)
    first_seq = 1 if previous is None else previous.last_seq + 1
    first_prev_hash = ZERO_HASH if previous is None else previous.last_hash
    first_seal_seq = 1 if previous is None else previous.last_seal_seq + 1
    first_prev_seal_hash = ZERO_HASH if previous is None else previous.last_seal_hash
    last = SealFields.of(last_seal)
    # Seals are streamed as well: a busy month has millions (one per ``seal_every`` records).
    seals = map(
        SealFields.of,
        repository.stream_seals(
            session, region.id, after_seq=first_seal_seq - 1, up_to_seq=last.seq
        ),
    )
    kid, key = region_keys.region_signing_key(session, region.id)
    trusted = region_keys.public_keys(session, region.id)
    data_key, manifest_key = archive_keys(region.slug, month)
    written = write_signed_archive(
        store,
        data_key,
        manifest_key,
        _lines(session, region.id, first_seq, seals, last.last_seq),
        lambda records, _digest: {
            "format": FORMAT,
            "region_id": str(region.id),
            "region": region.slug,
            "month": f"{month:%Y-%m}",
            "first_seq": first_seq,
            "last_seq": last.last_seq,
            "records": records,
            "first_prev_hash": first_prev_hash.hex(),
            "last_hash": last.last_hash.hex(),
            "first_seal_seq": first_seal_seq,
            "last_seal_seq": last.seq,
            "first_prev_seal_hash": first_prev_seal_hash.hex(),
            "last_seal_hash": seal_hash(last.message(), last.signature).hex(),
            "public_keys": [
                {"kid": row.kid, "public_key": _b64(row.public_key)}
                for row in repository.list_region_keys(session, region.id)
            ],
        },
        (kid, key),
        is_record=lambda line: line.startswith(b'{"t":"r"'),
    )
    manifest, records, sha256 = written.manifest, written.records, written.sha256
    # Read back what the store holds, and check it as an auditor would.
    with store.storage.open(manifest_key) as stream:
        manifest_data = stream.read_all()
    with store.storage.open(data_key) as stream:
        report = verify_archive(manifest_data, stream, trusted_keys=trusted)
    if not report.ok or report.last_seq != last.last_seq or report.first_seq != first_seq:
        problem = report.first_problem.message if report.first_problem else "boundaries differ"
        raise ArchiveFailed(f"the archive written to {store.where(data_key)} fails: {problem}")
    row = GatewayLogArchive(
        region_id=region.id,
        month=month,
        first_seq=first_seq,
        last_seq=last.last_seq,
        first_prev_hash=first_prev_hash,
        last_hash=last.last_hash,
        first_seal_seq=first_seal_seq,
        last_seal_seq=last.seq,
        last_seal_hash=bytes.fromhex(manifest["last_seal_hash"]),
        records=records,
        location=store.where(data_key),
        sha256=sha256,
    )
    repository.add(session, row)
    session.flush()
    return row


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def drop_archived_partitions(session: Session) -> list[str]:
    """Drop every message-log partition whose records are all archived; their names.

    Each attempt runs in a savepoint: a partition the database refuses stays, untouched."""
    dropped: list[str] = []
    for name, _month in repository.message_partitions(session):
        savepoint = session.begin_nested()
        try:
            repository.drop_message_partition(session, name)
        except DBAPIError:
            savepoint.rollback()
            continue
        savepoint.commit()
        dropped.append(name)
    return dropped
