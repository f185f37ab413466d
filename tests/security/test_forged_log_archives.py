"""Attacks on the message log's archives and on the path that drops archived months.

An archive is refused when a record was changed (even with every hash after it recomputed),
removed, or when its manifest was forged; the drop path never removes records that are not
archived, whatever partition it is pointed at.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.gateway.msglog import ProblemKind, canonical_bytes, record_hash
from simpul.gateway.msglog import repository as log_repository
from simpul.gateway.msglog.archive import ArchiveReport, sign_manifest, verify_archive
from simpul.gateway.msglog.keys import public_keys
from simpul.gateway.msglog.retention import archive_month, drop_archived_partitions
from tests.gateway.msglog.archives import (
    add_month,
    archive_paths,
    local_store,
    new_region,
    read_lines,
    write_lines,
)

JAN, FEB = date(2024, 1, 1), date(2024, 2, 1)


@pytest.fixture
def archived(session: Session, tmp_path: Path) -> tuple[Region, Path, Path]:
    region = new_region(session)
    add_month(session, region.id, JAN, 30)
    assert archive_month(session, region, JAN, local_store(tmp_path)) is not None
    data_path, manifest_path = archive_paths(tmp_path, region, JAN)
    return region, data_path, manifest_path


def check(session: Session, region: Region, data: Path, manifest: Path) -> ArchiveReport:
    return verify_archive(
        manifest.read_bytes(), [data.read_bytes()], trusted_keys=public_keys(session, region.id)
    )


def rehash(lines: list[dict[str, Any]], region: Region, start: int) -> None:
    """Recompute every record hash from line ``start`` on, as a forger covering a change."""
    prev_hash = bytes.fromhex(lines[start]["prev_hash"])
    for line in lines[start:]:
        if line["t"] != "r":
            continue
        bodies = None if line["bodies"] is None else base64.b64decode(line["bodies"])
        canonical = canonical_bytes(
            region.id,
            line["seq"],
            at=datetime.fromisoformat(line["at"]),
            request_id=UUID(line["request_id"]),
            client=line["client"],
            service=line["service"],
            endpoint=line["endpoint"],
            method=line["method"],
            path=line["path"],
            status=line["status"],
            error=line["error"],
            duration_us=line["duration_us"],
            request_bytes=line["request_bytes"],
            response_bytes=line["response_bytes"],
            bodies_encrypted=bodies,
        )
        line["prev_hash"] = prev_hash.hex()
        prev_hash = record_hash(prev_hash, canonical)
        line["hash"] = prev_hash.hex()


def test_an_intact_archive_verifies(session: Session, archived: tuple[Region, Path, Path]) -> None:
    region, data, manifest = archived
    report = check(session, region, data, manifest)
    assert report.ok and report.records_checked == 30


def test_a_changed_record_is_named(session: Session, archived: tuple[Region, Path, Path]) -> None:
    region, data, manifest = archived
    lines = read_lines(data)
    record = next(line for line in lines if line["t"] == "r" and line["seq"] == 17)
    record["status"] = 403
    write_lines(data, lines)
    problem = check(session, region, data, manifest).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (17, ProblemKind.CHANGED)


def test_a_changed_record_with_the_chain_recomputed_fails_its_seal(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    region, data, manifest = archived
    lines = read_lines(data)
    index = next(i for i, line in enumerate(lines) if line["t"] == "r" and line["seq"] == 17)
    lines[index]["client"] = "kota-uji/GOV/lain/penyusup"
    rehash(lines, region, index)
    write_lines(data, lines)
    problem = check(session, region, data, manifest).first_problem
    assert problem is not None and problem.kind == ProblemKind.CHANGED
    assert problem.seq == 11  # the seal over 11..20 no longer matches


def test_a_removed_record_is_named(session: Session, archived: tuple[Region, Path, Path]) -> None:
    region, data, manifest = archived
    lines = [line for line in read_lines(data) if not (line["t"] == "r" and line["seq"] == 23)]
    write_lines(data, lines)
    problem = check(session, region, data, manifest).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (23, ProblemKind.REMOVED)


def test_removed_records_at_the_end_are_named(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    region, data, manifest = archived
    lines = read_lines(data)
    cut = next(i for i, line in enumerate(lines) if line["t"] == "r" and line["seq"] == 21)
    write_lines(data, lines[:cut])
    problem = check(session, region, data, manifest).first_problem
    assert problem is not None and (problem.seq, problem.kind) == (21, ProblemKind.REMOVED)


def test_a_manifest_changed_without_the_region_key_is_refused(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    region, data, manifest_path = archived
    manifest = json.loads(manifest_path.read_bytes())
    manifest["last_seq"] = 20  # claim less than was archived
    manifest_path.write_text(json.dumps(manifest))
    problem = check(session, region, data, manifest_path).first_problem
    assert problem is not None and problem.kind == ProblemKind.MANIFEST_INVALID


def test_a_manifest_re_signed_with_another_key_is_refused_by_the_region_keys(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    """A forger who drops records and signs a new manifest with a key of their own, listing
    it as the region's: the archive checks against its own keys, never against the region's."""
    region, data, manifest_path = archived
    lines = read_lines(data)
    cut = next(i for i, line in enumerate(lines) if line["t"] == "r" and line["seq"] == 11)
    write_lines(data, lines[:cut])
    forged_key = Ed25519PrivateKey.generate()
    manifest = json.loads(manifest_path.read_bytes())
    seal = lines[cut - 1]
    manifest.update(
        last_seq=10,
        records=10,
        last_hash=seal["last_hash"],
        last_seal_seq=1,
        data_sha256=hashlib.sha256(data.read_bytes()).hexdigest(),
        public_keys=[
            {
                "kid": manifest["kid"],
                "public_key": base64.b64encode(
                    forged_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
                ).decode(),
            }
        ],
    )
    manifest.pop("signature")
    manifest_path.write_text(json.dumps(sign_manifest(manifest, forged_key)))
    problem = check(session, region, data, manifest_path).first_problem
    assert problem is not None and problem.kind == ProblemKind.MANIFEST_INVALID


def test_the_drop_path_never_drops_records_that_are_not_archived(
    session: Session, tmp_path: Path
) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 10)
    add_month(session, region.id, FEB, 10)
    log_repository.create_month_partition(session, "audit_event", JAN)
    for name in (
        "gateway_message_y2024m01",  # not archived at all
        "region",  # not a partition of the log
        "audit_event_y2024m01",  # the audit trail is not dropped this way
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError):
            log_repository.drop_message_partition(session, name)
        savepoint.rollback()
    # A partition of this month is refused even when it holds nothing.
    now = datetime.now(UTC)
    this_month = f"gateway_message_y{now:%Y}m{now:%m}"
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="too recent"):
        log_repository.drop_message_partition(session, this_month)
    savepoint.rollback()

    # Another region's archive does not cover this region's records in the same month.
    other = new_region(session)
    add_month(session, other.id, JAN, 10)
    archive_month(session, other, JAN, local_store(tmp_path))
    assert "gateway_message_y2024m01" not in drop_archived_partitions(session)
    # A boundary below the partition's last record (January archived, not February).
    archive_month(session, region, JAN, local_store(tmp_path))
    dropped = set(drop_archived_partitions(session))
    assert dropped == {"gateway_message_y2024m01"}  # both regions' January
    assert log_repository.count_messages(session, other.id) == 0
    assert log_repository.count_messages(session, region.id) == 10  # February stays
