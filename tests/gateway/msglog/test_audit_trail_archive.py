"""The audit trail's retention: months go to signed archive files (per region, and one for the
events without a region signed with the deployment's key), are verified, then dropped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.gateway.msglog import repository as log_repository
from simpul.gateway.msglog import trail
from simpul.gateway.msglog.cli import audit_app
from simpul.gateway.msglog.keys import public_keys
from tests.gateway.msglog.archives import add_events, local_store, new_region, trail_paths

JAN = date(2024, 1, 1)
NOW = datetime(2025, 6, 15, tzinfo=UTC)


def exists(session: Session, name: str) -> bool:
    return bool(session.scalar(text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}))


def test_every_owner_is_archived_before_the_month_is_dropped(
    session: Session, tmp_path: Path
) -> None:
    first, second = new_region(session), new_region(session)
    add_events(session, first.id, JAN, 5)
    add_events(session, second.id, JAN, 3)
    add_events(session, None, JAN, 2)
    store = local_store(tmp_path)
    owner = trail.Owner(first)
    assert JAN in trail.due_months(session, owner, NOW)
    row = trail.archive_month(session, owner, JAN, store)
    assert row is not None and row.records == 5
    assert JAN not in trail.due_months(session, owner, NOW)
    # The second region and the deployment's events are still only in the partition.
    assert "audit_event_y2024m01" not in trail.drop_archived_partitions(session)
    assert exists(session, "audit_event_y2024m01")

    for other in (trail.Owner(second), trail.Owner(None)):
        assert trail.archive_month(session, other, JAN, store) is not None
    assert "audit_event_y2024m01" in trail.drop_archived_partitions(session)
    assert not exists(session, "audit_event_y2024m01")

    # Each archive checks out offline, with the keys an auditor keeps.
    for name, keys, count in (
        (first.slug, public_keys(session, first.id), 5),
        (second.slug, public_keys(session, second.id), 3),
        (trail.DEPLOYMENT, trail.deployment_public_keys(), 2),
    ):
        data, manifest = trail_paths(tmp_path, name, JAN)
        report = trail.verify_audit_archive(
            manifest.read_bytes(), [data.read_bytes()], trusted_keys=keys
        )
        assert report.ok, report.first_problem
        assert report.records_checked == count and report.keys_pinned


def test_a_region_is_archived_after_its_own_retention(session: Session, tmp_path: Path) -> None:
    region = new_region(session)
    add_events(session, region.id, JAN, 1)
    region.log_retention_months = 12 * 3  # until 2027: January 2024 is not due in mid-2025
    session.flush()
    assert JAN not in trail.due_months(session, trail.Owner(region), NOW)
    # The deployment's events wait for the longest retention of any region.
    assert JAN not in trail.due_months(session, trail.Owner(None), NOW)


def test_the_drop_function_counts_what_is_archived(session: Session, tmp_path: Path) -> None:
    region = new_region(session)
    add_events(session, region.id, JAN, 4)
    assert trail.archive_month(session, trail.Owner(region), JAN, local_store(tmp_path))
    add_events(session, region.id, JAN, 1)  # a late event stamped in the archived month
    for name in ("audit_event_y2024m01", "gateway_message_y2024m01", "region"):
        log_repository.create_month_partition(session, "gateway_message", JAN)
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError):
            log_repository.drop_audit_partition(session, name)
        savepoint.rollback()
    now = datetime.now(UTC)
    this_month = f"audit_event_y{now:%Y}m{now:%m}"
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="too recent"):
        log_repository.drop_audit_partition(session, this_month)
    savepoint.rollback()
    assert exists(session, "audit_event_y2024m01") and exists(session, this_month)


def test_cli_archives_the_audit_trail_and_verifies_it_offline(
    monkeypatch: pytest.MonkeyPatch,
    session_factory: sessionmaker[Session],
    session: Session,
    tmp_path: Path,
) -> None:
    region = new_region(session)
    add_events(session, region.id, JAN, 6)
    add_events(session, None, JAN, 2)
    session.commit()
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()
    archived = runner.invoke(audit_app, ["archive", "--to", str(tmp_path)])
    assert archived.exit_code == 0, archived.output
    assert "audit_event_y2024m01" in archived.stdout
    assert not exists(session, "audit_event_y2024m01")

    keys = runner.invoke(audit_app, ["keys", "--region", region.slug])
    keys_file = tmp_path / "keys.jsonl"
    keys_file.write_text(keys.stdout)
    data, manifest = trail_paths(tmp_path, region.slug, JAN)
    offline = runner.invoke(
        audit_app, ["verify", "--archive", str(manifest), "--keys", str(keys_file)]
    )
    assert offline.exit_code == 0, offline.output
    report = json.loads(offline.stdout.splitlines()[0])
    assert report["ok"] and report["records_checked"] == 6 and report["keys_pinned"]

    deployment_keys = tmp_path / "deployment.jsonl"
    deployment_keys.write_text(runner.invoke(audit_app, ["keys", "--deployment"]).stdout)
    _data, deployment_manifest = trail_paths(tmp_path, trail.DEPLOYMENT, JAN)
    pinned = runner.invoke(
        audit_app,
        ["verify", "--archive", str(deployment_manifest), "--keys", str(deployment_keys)],
    )
    assert pinned.exit_code == 0, pinned.output
    assert json.loads(pinned.stdout.splitlines()[0])["records_checked"] == 2
    # The region's keys do not vouch for the deployment's archive.
    wrong = runner.invoke(
        audit_app, ["verify", "--archive", str(deployment_manifest), "--keys", str(keys_file)]
    )
    assert wrong.exit_code == 1

    lines = data.read_bytes()
    data.write_bytes(lines[:-20])
    broken = runner.invoke(audit_app, ["verify", "--archive", str(data)])
    assert broken.exit_code == 1
