"""Archives of the audit trail (``audit_event``): months older than the retention go to signed
files, verified after writing, then the month's partition is dropped (decision 0037).

One partition holds every region's events of its month and the deployment's own (``region_id``
NULL: region creation, CLI work). Each region's events of a month go to their own archive
(``audit-trail/<slug>/<YYYY>-<MM>``) signed with the region's Ed25519 key, once the month is
older than that region's retention; the events without a region go to
``audit-trail/_deployment/<YYYY>-<MM>``, signed with the deployment's key (derived from
``SIMPUL_SECRET_KEY``), once the month is older than the longest retention of any region. The
partition is dropped only when all of them are recorded (``simpul_audit_drop_partition`` counts).

**Data file**: gzip of one canonical JSON line per event (keys sorted, no spaces), in (at, id)
order. Audit events are not hash-chained, so the **manifest** carries the number of events and
the SHA-256 of the uncompressed lines (``lines_sha256``) besides the data file's SHA-256; it is
signed like the message log's (the same code: ``archive.sign_manifest``, ``check_manifest``).
A removed, added, changed or reordered event changes the count, the digest or the order, and
the manifest cannot be re-signed without the key.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from simpul.core import security
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import repository
from simpul.gateway.msglog.archive import HashingReader, check_manifest
from simpul.gateway.msglog.models import AuditLogArchive
from simpul.gateway.msglog.retention import (
    ArchiveFailed,
    ArchiveStore,
    cutoff,
    month_start,
    next_month,
    write_signed_archive,
)
from simpul.gateway.msglog.verify import Problem, ProblemKind

FORMAT: Final = "simpul-audit-archive/1"
MANIFEST_FIELDS: Final = (
    "format",
    "scope",
    "region_id",
    "region",
    "month",
    "records",
    "lines_sha256",
    "data_key",
    "data_sha256",
    "data_bytes",
    "public_keys",
    "kid",
    "signed_at",
)
#: The ``region`` of the archive of events without a region.
DEPLOYMENT: Final = "_deployment"
DEPLOYMENT_KEY_PURPOSE: Final = "audit-archive-signing-key"
_DEFAULT_RETENTION: Final = 12


def deployment_signing_key() -> tuple[str, Ed25519PrivateKey]:
    """The deployment's Ed25519 key (kid, key), derived from ``SIMPUL_SECRET_KEY``: it signs
    the archives of events without a region. Its kid names its public key."""
    key = Ed25519PrivateKey.from_private_bytes(security.derived_key(DEPLOYMENT_KEY_PURPOSE))
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"d1-{hashlib.sha256(public).hexdigest()[:16]}", key


def deployment_public_keys() -> dict[str, Ed25519PublicKey]:
    kid, key = deployment_signing_key()
    return {kid: key.public_key()}


def archive_keys(owner: str, month: date) -> tuple[str, str]:
    base = f"audit-trail/{owner}/{month:%Y-%m}"
    return f"{base}.jsonl.gz", f"{base}.manifest.json"


def event_line(row: Any) -> bytes:
    """An ``audit_event`` row as one canonical JSON line."""
    value = {
        "id": str(row.id),
        "at": row.at.isoformat(),
        "region_id": None if row.region_id is None else str(row.region_id),
        "actor_id": None if row.actor_id is None else str(row.actor_id),
        "actor_label": row.actor_label,
        "action": row.action,
        "target_type": row.target_type,
        "target_id": row.target_id,
        "details": row.details,
    }
    return _canonical(value) + b"\n"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose events an archive holds: a region, or the deployment (``region`` None)."""

    region: Region | None

    @property
    def region_id(self) -> uuid.UUID | None:
        return None if self.region is None else self.region.id

    @property
    def name(self) -> str:
        return DEPLOYMENT if self.region is None else self.region.slug


def due_months(session: Session, owner: Owner, now: datetime) -> list[date]:
    """Months with a partition, older than the owner's retention, not archived yet."""
    if owner.region is not None:
        retention = owner.region.log_retention_months
    else:
        retention = repository.longest_log_retention(session) or _DEFAULT_RETENTION
    limit = cutoff(now, retention)
    return [
        month
        for _name, month in repository.audit_partitions(session)
        if month < limit and repository.audit_archive_of(session, owner.region_id, month) is None
    ]


def archive_month(
    session: Session, owner: Owner, month: date, store: ArchiveStore
) -> AuditLogArchive | None:
    """Write, read back, check and record the archive of the owner's events of ``month``
    (flushed, not committed); None when the owner has no event that month. Raises
    ``ArchiveFailed`` when what the store gives back does not verify."""
    start, end = month_start(month), month_start(next_month(month))
    if owner.region is None:
        kid, key = deployment_signing_key()
        trusted = deployment_public_keys()
    else:
        if repository.current_region_key(session, owner.region.id) is None:
            # Only to make the region's first key exactly once: the gateway's writer takes
            # this lock for every append, so it is never held through a whole archive else.
            repository.lock_region_log(session, owner.region.id)
        kid, key = region_keys.region_signing_key(session, owner.region.id)
        trusted = region_keys.public_keys(session, owner.region.id)
    data_key, manifest_key = archive_keys(owner.name, month)
    events = map(event_line, repository.stream_audit_events(session, owner.region_id, start, end))
    first = next(events, None)
    if first is None:
        return None
    written = write_signed_archive(
        store,
        data_key,
        manifest_key,
        _chain(first, events),
        lambda records, lines_sha256: {
            "format": FORMAT,
            "scope": "deployment" if owner.region is None else "region",
            "region_id": None if owner.region_id is None else str(owner.region_id),
            "region": owner.name,
            "month": f"{month:%Y-%m}",
            "records": records,
            "lines_sha256": lines_sha256.hex(),
            "public_keys": [
                {
                    "kid": key_id,
                    "public_key": base64.b64encode(
                        public.public_bytes(Encoding.Raw, PublicFormat.Raw)
                    ).decode(),
                }
                for key_id, public in trusted.items()
            ],
        },
        (kid, key),
        is_record=lambda _line: True,
    )
    with store.storage.open(manifest_key) as stream:
        manifest_data = stream.read_all()
    with store.storage.open(data_key) as stream:
        report = verify_audit_archive(manifest_data, stream, trusted_keys=trusted)
    if not report.ok or report.records_checked != written.records:
        problem = report.first_problem.message if report.first_problem else "count differs"
        raise ArchiveFailed(f"the archive written to {store.where(data_key)} fails: {problem}")
    row = AuditLogArchive(
        region_id=owner.region_id,
        month=month,
        records=written.records,
        location=store.where(data_key),
        sha256=written.sha256,
    )
    repository.add(session, row)
    session.flush()
    return row


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def drop_archived_partitions(session: Session) -> list[str]:
    """Drop every audit-trail partition whose events are all archived; their names. Each
    attempt runs in a savepoint: a partition the database refuses stays, untouched."""
    dropped: list[str] = []
    for name, _month in repository.audit_partitions(session):
        savepoint = session.begin_nested()
        try:
            repository.drop_audit_partition(session, name)
        except DBAPIError:
            savepoint.rollback()
            continue
        savepoint.commit()
        dropped.append(name)
    return dropped


# -- Checking an archive offline ------------------------------------------------------------


@dataclass(slots=True)
class AuditArchiveReport:
    """What checking an audit-trail archive found; ``first_problem`` None means intact.
    A problem's ``seq`` is the line number in the data file."""

    region: str = ""
    month: str = ""
    records_checked: int = 0
    keys_pinned: bool = False
    manifest: dict[str, Any] = field(default_factory=dict)
    first_problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.first_problem is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "audit-trail",
            "region": self.region,
            "month": self.month,
            "ok": self.ok,
            "records_checked": self.records_checked,
            "keys_pinned": self.keys_pinned,
            "first_problem": None if self.first_problem is None else self.first_problem.as_dict(),
        }


def is_audit_manifest(manifest_data: bytes) -> bool:
    try:
        manifest = json.loads(manifest_data)
    except ValueError:
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def verify_audit_archive(
    manifest_data: bytes,
    data_chunks: Iterable[bytes],
    *,
    trusted_keys: dict[str, Ed25519PublicKey] | None = None,
) -> AuditArchiveReport:
    """Check an audit-trail archive offline, streaming (constant memory): the manifest's
    signature; every line canonical JSON of an event of the manifest's month and region, in
    strictly increasing (at, id) order; the count, the SHA-256 of the lines and of the file."""
    report = AuditArchiveReport(keys_pinned=trusted_keys is not None)
    manifest, problem = check_manifest(
        manifest_data, trusted_keys, format_=FORMAT, fields=MANIFEST_FIELDS
    )
    report.manifest = manifest
    if problem is not None:
        report.first_problem = problem
        return report
    report.region, report.month = str(manifest["region"]), str(manifest["month"])
    try:
        expected_region = manifest["region_id"]
        if expected_region is not None:
            expected_region = str(uuid.UUID(str(expected_region)))
        month = date.fromisoformat(f"{manifest['month']}-01")
        records_expected = int(manifest["records"])
        lines_sha256 = bytes.fromhex(str(manifest["lines_sha256"]))
        data_sha256 = bytes.fromhex(str(manifest["data_sha256"]))
    except (ValueError, TypeError) as error:
        report.first_problem = Problem(
            0,
            ProblemKind.MANIFEST_INVALID,
            _("Manifes arsip tidak terbaca: %(error)s.") % {"error": str(error)},
        )
        return report
    start, end = month_start(month), month_start(next_month(month))
    reader = HashingReader(data_chunks)
    digest = hashlib.sha256()
    previous: tuple[datetime, str] | None = None
    found: Problem | None = None
    number = 0
    try:
        with gzip.GzipFile(fileobj=reader, mode="rb") as lines:
            for number, raw in enumerate(lines, start=1):
                digest.update(raw)
                reason = _line_problem(raw, expected_region, start, end, previous)
                if isinstance(reason, str):
                    found = Problem(
                        number,
                        ProblemKind.CHANGED,
                        _("Arsip jejak audit rusak di baris %(line)d: %(error)s.")
                        % {"line": number, "error": reason},
                    )
                    break
                previous = reason
        reader.drain()
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        found = Problem(
            number + 1,
            ProblemKind.CHANGED,
            _("Berkas data arsip rusak: %(error)s.") % {"error": str(error)},
        )
    report.records_checked = number if found is None else number - 1
    if found is None and number < records_expected:
        found = Problem(
            number + 1,
            ProblemKind.REMOVED,
            _(
                "Arsip jejak audit memuat %(found)d peristiwa, manifesnya menjamin %(expected)d: "
                "ada yang dihapus."
            )
            % {"found": number, "expected": records_expected},
        )
    elif found is None and number > records_expected:
        found = Problem(
            records_expected + 1,
            ProblemKind.INSERTED,
            _(
                "Arsip jejak audit memuat %(found)d peristiwa, manifesnya menjamin %(expected)d: "
                "ada yang ditambahkan."
            )
            % {"found": number, "expected": records_expected},
        )
    elif found is None and (
        digest.digest() != lines_sha256 or reader.digest.digest() != data_sha256
    ):
        found = Problem(
            1,
            ProblemKind.CHANGED,
            _("Isi arsip jejak audit tidak cocok dengan manifesnya (SHA-256 berbeda)."),
        )
    report.first_problem = found
    return report


def _line_problem(
    raw: bytes,
    expected_region: str | None,
    start: datetime,
    end: datetime,
    previous: tuple[datetime, str] | None,
) -> tuple[datetime, str] | str:
    """The line's (at, id) if it is a sound event of the archive, else what is wrong."""
    try:
        event = json.loads(raw)
        at = datetime.fromisoformat(str(event["at"]))
        event_id = str(uuid.UUID(str(event["id"])))
    except (ValueError, TypeError, KeyError) as error:
        return str(error)
    problem = None
    if _canonical(event) + b"\n" != raw:
        problem = "not canonical JSON"
    elif at.tzinfo is None or not start <= at < end:
        problem = "event outside the archive's month"
    elif event.get("region_id") != expected_region:
        problem = "event of another region"
    elif previous is not None and (at, event_id) <= previous:
        problem = "events out of order or repeated"
    if problem is not None:
        return problem
    return at, event_id


__all__ = [
    "DEPLOYMENT",
    "FORMAT",
    "AuditArchiveReport",
    "Owner",
    "archive_month",
    "deployment_public_keys",
    "deployment_signing_key",
    "drop_archived_partitions",
    "due_months",
    "event_line",
    "is_audit_manifest",
    "verify_audit_archive",
]
