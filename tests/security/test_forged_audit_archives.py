"""Attacks on the audit trail's archives: audit events are not hash-chained, so the signed
manifest's count and digests must catch a removed, changed, added, repeated or reordered
event, even when the attacker rewrites the data file (and its gzip) consistently; a manifest
re-signed with another key is refused when the auditor pins the region's keys."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.gateway.msglog import ProblemKind
from simpul.gateway.msglog.archive import sign_manifest
from simpul.gateway.msglog.keys import public_keys
from simpul.gateway.msglog.trail import (
    AuditArchiveReport,
    Owner,
    archive_month,
    verify_audit_archive,
)
from tests.gateway.msglog.archives import add_events, local_store, new_region, trail_paths

JAN = date(2024, 1, 1)


@pytest.fixture
def archived(session: Session, tmp_path: Path) -> tuple[Region, Path, Path]:
    region = new_region(session)
    add_events(session, region.id, JAN, 8)
    assert archive_month(session, Owner(region), JAN, local_store(tmp_path)) is not None
    data, manifest = trail_paths(tmp_path, region.slug, JAN)
    return region, data, manifest


def check(session: Session, region: Region, data: Path, manifest: Path) -> AuditArchiveReport:
    return verify_audit_archive(
        manifest.read_bytes(), [data.read_bytes()], trusted_keys=public_keys(session, region.id)
    )


def rewrite(data: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    """Rewrite the data file's lines as an attacker with write access to the store would."""
    with gzip.open(data, "rb") as stream:
        lines = list(stream)
    with gzip.open(data, "wb") as out:
        out.writelines(change(lines))


def canonical(event: dict[str, object]) -> bytes:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def test_an_intact_archive_verifies(session: Session, archived: tuple[Region, Path, Path]) -> None:
    report = check(session, *archived)
    assert report.ok and report.records_checked == 8


def test_a_removed_event_is_refused(session: Session, archived: tuple[Region, Path, Path]) -> None:
    region, data, manifest = archived
    rewrite(data, lambda lines: lines[:3] + lines[4:])
    report = check(session, region, data, manifest)
    assert report.first_problem is not None
    assert report.first_problem.kind is ProblemKind.REMOVED


def test_a_changed_event_is_refused_even_in_canonical_form(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    region, data, manifest = archived

    def change(lines: list[bytes]) -> list[bytes]:
        event = json.loads(lines[2])
        event["details"]["decision"] = "rejected"
        event["actor_label"] = "orang-lain@example.org"
        return [*lines[:2], canonical(event) + b"\n", *lines[3:]]

    rewrite(data, change)
    report = check(session, region, data, manifest)
    assert report.first_problem is not None
    assert report.first_problem.kind is ProblemKind.CHANGED


def test_a_repeated_or_swapped_event_is_refused(
    session: Session, archived: tuple[Region, Path, Path], tmp_path: Path
) -> None:
    region, data, manifest = archived
    original = data.read_bytes()
    for change in (
        lambda lines: [*lines[:-1], lines[0]],  # the last one replaced by a copy of the first
        lambda lines: [lines[1], lines[0], *lines[2:]],
    ):
        data.write_bytes(original)
        rewrite(data, change)
        report = check(session, region, data, manifest)
        assert report.first_problem is not None
        assert report.first_problem.kind is ProblemKind.CHANGED


def test_an_added_event_is_refused(session: Session, archived: tuple[Region, Path, Path]) -> None:
    region, data, manifest = archived

    def add(lines: list[bytes]) -> list[bytes]:
        event = json.loads(lines[-1])
        event["id"] = "ffffffff-ffff-4fff-8fff-ffffffffffff"
        return [*lines, canonical(event) + b"\n"]

    rewrite(data, add)
    report = check(session, region, data, manifest)
    assert report.first_problem is not None
    assert report.first_problem.kind is ProblemKind.INSERTED


def test_a_manifest_resigned_with_another_key_is_refused(
    session: Session, archived: tuple[Region, Path, Path]
) -> None:
    """The attacker removes an event and fixes the count and digests in the manifest, signed
    with a key of their own (and their key put in the manifest)."""
    region, data, manifest_path = archived
    rewrite(data, lambda lines: lines[1:])
    manifest = json.loads(manifest_path.read_bytes())
    with gzip.open(data, "rb") as stream:
        lines_digest = hashlib.sha256(stream.read()).hexdigest()
    forged_key = Ed25519PrivateKey.generate()
    forged = sign_manifest(
        {
            **{k: v for k, v in manifest.items() if k != "signature"},
            "records": 7,
            "lines_sha256": lines_digest,
            "data_sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        },
        forged_key,
    )
    manifest_path.write_text(json.dumps(forged))
    report = check(session, region, data, manifest_path)
    assert report.first_problem is not None
    assert report.first_problem.kind is ProblemKind.MANIFEST_INVALID
