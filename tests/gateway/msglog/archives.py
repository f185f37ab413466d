"""What the archive tests share: a region with records in past months, and archiving it."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.gateway.msglog import MessageRecord, append_records, seal_pending
from simpul.gateway.msglog import repository as log_repository
from simpul.gateway.msglog.archive import archive_keys
from simpul.gateway.msglog.retention import ArchiveStore, store_for
from tests.factories import make_region


def record_at(region_id: uuid.UUID, at: datetime, number: int) -> MessageRecord:
    return MessageRecord(
        region_id=region_id,
        at=at,
        request_id=uuid.uuid4(),
        client="kota-uji/GOV/diskominfo/portal",
        service="kota-uji/GOV/disdukcapil/sipenduduk/penduduk",
        endpoint="GET /penduduk/{nik}",
        method="GET",
        path=f"/penduduk/{number}",
        status=200,
        error="",
        duration_us=1000 + number,
        request_bytes=0,
        response_bytes=512,
        bodies=b'{"nama": "uji"}' if number % 7 == 0 else None,
    )


def add_month(
    session: Session, region_id: uuid.UUID, month: date, count: int, *, seal_every: int = 10
) -> None:
    """``count`` records spread over ``month`` (its partition made), sealed every
    ``seal_every`` records (the rest left unsealed)."""
    log_repository.create_month_partition(session, "gateway_message", month)
    start = datetime(month.year, month.month, 2, tzinfo=UTC)
    for first in range(0, count, seal_every):
        batch = range(first, min(first + seal_every, count))
        append_records(
            session, [record_at(region_id, start + timedelta(hours=i), i) for i in batch]
        )
        if len(batch) == seal_every:
            seal_pending(session, region_id)


def new_region(session: Session) -> Region:
    slug = f"arsip-{uuid.uuid4().hex[:8]}"
    return make_region(session, slug, f"Kota Arsip {slug}")


def local_store(path: Path) -> ArchiveStore:
    return store_for(str(path), settings=None)


def archive_paths(root: Path, region: Region, month: date) -> tuple[Path, Path]:
    data_key, manifest_key = archive_keys(region.slug, month)
    return root / data_key, root / manifest_key


def read_lines(data_path: Path) -> list[dict[str, Any]]:
    with gzip.open(data_path, "rb") as lines:
        return [json.loads(line) for line in lines]


def write_lines(data_path: Path, lines: list[dict[str, Any]]) -> None:
    with gzip.open(data_path, "wb") as out:
        for line in lines:
            out.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")


def add_events(
    session: Session, region_id: uuid.UUID | None, month: date, count: int
) -> list[uuid.UUID]:
    """``count`` audit events of ``region_id`` (None: the deployment's) in ``month`` (its
    partition made); their ids."""
    from simpul.core.audit import record_audit_event

    log_repository.create_month_partition(session, "audit_event", month)
    start = datetime(month.year, month.month, 2, tzinfo=UTC)
    ids = []
    for number in range(count):
        event = record_audit_event(
            session,
            region_id=region_id,
            actor_id=None,
            actor_label="petugas@example.org",
            action="application.decide",
            target_type="application",
            target_id=str(number),
            details={"decision": "approved", "number": number, "note": "Catatan – ü"},
        )
        event.at = start + timedelta(hours=number)
        ids.append(event.id)
    session.flush()
    return ids


def trail_paths(root: Path, owner: str, month: date) -> tuple[Path, Path]:
    from simpul.gateway.msglog.trail import archive_keys as trail_keys

    data_key, manifest_key = trail_keys(owner, month)
    return root / data_key, root / manifest_key
