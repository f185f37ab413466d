"""Monthly partitions, retention into signed archive files, and verification that continues
from an archive or from the last verified seal."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.core import jobs
from simpul.core.audit import ensure_log_partitions
from simpul.gateway.msglog import ProblemKind, append_records, verify_region
from simpul.gateway.msglog import repository as log_repository
from simpul.gateway.msglog.archive import archive_keys, verify_archive
from simpul.gateway.msglog.cli import audit_app
from simpul.gateway.msglog.keys import public_keys
from simpul.gateway.msglog.retention import (
    ArchiveFailed,
    archive_month,
    drop_archived_partitions,
    due_months,
    seal_month,
    store_for,
)
from tests.gateway.msglog.archives import (
    add_month,
    archive_paths,
    local_store,
    new_region,
    record_at,
)

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)


def partitions_of(session: Session, table: str) -> set[str]:
    return set(
        session.scalars(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:t AS regclass)"
            ),
            {"t": table},
        )
    )


def test_both_log_tables_are_partitioned_by_month_with_months_made_ahead(
    session: Session,
) -> None:
    now = datetime.now(UTC)
    last_month = date(now.year - (now.month == 1), (now.month - 2) % 12 + 1, 1)
    ensure_log_partitions(session, 3)
    for table in ("gateway_message", "audit_event"):
        names = partitions_of(session, table)
        assert f"{table}_y{now:%Y}m{now:%m}" in names
        assert f"{table}_y{last_month:%Y}m{last_month:%m}" in names  # clocks a bit behind
        assert len(names) >= 5  # last month, this month and three ahead
    assert ensure_log_partitions(session, 3) == 0  # nothing twice


def test_every_partition_keeps_the_append_only_rule(session: Session) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 3)
    for statement in (
        "UPDATE gateway_message_y2024m01 SET status = 500",
        "DELETE FROM gateway_message_y2024m01",
        "TRUNCATE gateway_message_y2024m01",
        "TRUNCATE gateway_message",
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        savepoint.rollback()
    assert log_repository.count_messages(session, region.id) == 3


def test_months_are_archived_dropped_and_the_chain_continues(
    session: Session, tmp_path: Path
) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 30)
    add_month(session, region.id, FEB, 20)
    add_month(session, region.id, MAR, 5)  # left unsealed
    store = local_store(tmp_path)
    assert due_months(session, region, datetime.now(UTC))[:3] == [JAN, FEB, MAR]

    january = archive_month(session, region, JAN, store)
    assert january is not None
    assert (january.first_seq, january.last_seq, january.records) == (1, 30, 30)
    data_path, manifest_path = archive_paths(tmp_path, region, JAN)
    report = verify_archive(
        manifest_path.read_bytes(),
        [data_path.read_bytes()],
        trusted_keys=public_keys(session, region.id),
    )
    assert report.ok and report.records_checked == 30 and report.seals_checked == 3

    # Only January is archived: only its partition goes.
    dropped = set(drop_archived_partitions(session))
    assert "gateway_message_y2024m01" in dropped
    assert {"gateway_message_y2024m02", "gateway_message_y2024m03"} <= partitions_of(
        session, "gateway_message"
    )
    live = verify_region(session, region.id)
    assert live.ok, live.first_problem
    assert (live.started_from, live.first_seq, live.records_checked) == ("archive", 31, 25)

    # March's tail is unsealed: archiving it needs a seal first (which the command makes).
    with pytest.raises(ArchiveFailed):
        archive_month(session, region, MAR, store)
    assert seal_month(session, region.id, MAR) is True
    for month in (FEB, MAR):
        archive_month(session, region, month, store)
    drop_archived_partitions(session)
    assert log_repository.count_messages(session, region.id) == 0

    # Every live record is archived: new records continue the archived chain.
    assert append_records(session, [record_at(region.id, datetime.now(UTC), 99)]) == [56]
    live = verify_region(session, region.id)
    assert live.ok and live.first_seq == 56 and live.records_checked == 1


def test_an_unsealed_tail_is_sealed_before_it_is_archived(session: Session, tmp_path: Path) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 14)  # one seal over 1..10, 11..14 unsealed
    assert seal_month(session, region.id, JAN) is True
    row = archive_month(session, region, JAN, local_store(tmp_path))
    assert row is not None and (row.last_seq, row.last_seal_seq) == (14, 2)


def test_a_month_whose_records_reach_into_the_next_is_archived_up_to_a_seal(
    session: Session, tmp_path: Path
) -> None:
    """Seals do not follow months: an archive ends at the seal covering the month's last
    record, and the next month's archive starts after it."""
    region = new_region(session)
    add_month(session, region.id, JAN, 5, seal_every=100)
    add_month(session, region.id, FEB, 5, seal_every=100)
    seal_month(session, region.id, JAN)  # one seal over 1..10, across both months
    store = local_store(tmp_path)
    january = archive_month(session, region, JAN, store)
    assert january is not None and (january.first_seq, january.last_seq) == (1, 10)
    assert archive_month(session, region, FEB, store) is None  # nothing left of February
    assert set(drop_archived_partitions(session)) >= {
        "gateway_message_y2024m01",
        "gateway_message_y2024m02",
    }


def test_incremental_verify_starts_after_the_last_verified_seal(
    session: Session,
) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 30)
    first = verify_region(session, region.id, full=False, save_checkpoint=True)
    assert first.ok and first.records_checked == 30 and first.started_from == "beginning"

    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(
        text("UPDATE gateway_message SET status = 418 WHERE region_id = :r AND seq = 5"),
        {"r": region.id},
    )
    session.execute(text("SET LOCAL session_replication_role = origin"))
    again = verify_region(session, region.id, full=False)
    assert again.ok and again.started_from == "checkpoint" and again.records_checked == 0
    full = verify_region(session, region.id, full=True)
    assert full.first_problem is not None
    assert (full.first_problem.seq, full.first_problem.kind) == (5, ProblemKind.CHANGED)

    # Tampering after the checkpoint is found by the incremental run.
    add_month(session, region.id, FEB, 10)
    session.execute(text("SET LOCAL session_replication_role = replica"))
    session.execute(
        text("UPDATE gateway_message SET path = '/x' WHERE region_id = :r AND seq = 33"),
        {"r": region.id},
    )
    session.execute(text("SET LOCAL session_replication_role = origin"))
    later = verify_region(session, region.id, full=False)
    assert later.first_problem is not None and later.first_problem.seq == 33
    assert later.records_checked <= 10


def test_the_verifier_reads_seals_in_pages(session: Session) -> None:
    """Seals are streamed too: a walk over many seals fetches them a page at a time."""
    region = new_region(session)
    add_month(session, region.id, JAN, 60, seal_every=2)
    newest = log_repository.last_seal(session, region.id)
    assert newest is not None
    pages = list(log_repository.stream_seals(session, region.id, up_to_seq=newest.seq, chunk=7))
    assert [s.seq for s in pages] == list(range(1, 31))
    assert verify_region(session, region.id).seals_checked == 30


@pytest.fixture
def run_audit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(sessions: sessionmaker[Session], *args: str):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(cli, "session_factory", lambda: sessions)
        return runner.invoke(audit_app, list(args))

    return invoke


def test_audit_archive_and_offline_verify(  # type: ignore[no-untyped-def]
    run_audit, session_factory: sessionmaker[Session], session: Session, tmp_path: Path
) -> None:
    region = new_region(session)
    add_month(session, region.id, JAN, 25)
    session.commit()
    archived = run_audit(session_factory, "archive", "--region", region.slug, "--to", str(tmp_path))
    assert archived.exit_code == 0, archived.output
    assert "2024-01" in archived.stdout and "gateway_message_y2024m01" in archived.stdout

    keys = run_audit(session_factory, "keys", "--region", region.slug)
    keys_file = tmp_path / "keys.jsonl"
    keys_file.write_text(keys.stdout)
    data_path, manifest_path = archive_paths(tmp_path, region, JAN)
    offline = run_audit(
        session_factory, "verify", "--archive", str(manifest_path), "--keys", str(keys_file)
    )
    assert offline.exit_code == 0, offline.output
    report = json.loads(offline.stdout.splitlines()[0])
    assert report["ok"] and report["records_checked"] == 25 and report["keys_pinned"]

    # The live chain continues from the archive.
    live = run_audit(session_factory, "verify", "--region", region.slug, "--full")
    assert live.exit_code == 0, live.output
    assert json.loads(live.stdout.splitlines()[0])["started_from"] == "archive"

    damaged = data_path.read_bytes()
    data_path.write_bytes(damaged[:-20])
    broken = run_audit(session_factory, "verify", "--archive", str(data_path))
    assert broken.exit_code == 1
    wrong = run_audit(session_factory, "verify", "--archive", str(tmp_path / "keys.jsonl"))
    assert wrong.exit_code == 2


def test_archives_go_to_an_s3_bucket(session: Session) -> None:
    """The same archive through a real S3-protocol server (moto) on loopback."""
    from types import SimpleNamespace

    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        settings = SimpleNamespace(
            s3_endpoint_url=f"http://{host}:{port}",
            s3_region="us-east-1",
            s3_access_key="testing",
            s3_secret_key="testing",
        )
        boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket="arsip-log")
        store = store_for("s3://arsip-log/simpul/log", settings)
        region = new_region(session)
        add_month(session, region.id, JAN, 12)
        seal_month(session, region.id, JAN)
        row = archive_month(session, region, JAN, store)
        assert row is not None and row.records == 12
        assert row.location.startswith("s3://arsip-log/simpul/log/gateway-log/")
        data_key, manifest_key = archive_keys(region.slug, JAN)
        with store.storage.open(manifest_key) as manifest, store.storage.open(data_key) as data:
            report = verify_archive(
                manifest.read_all(), data, trusted_keys=public_keys(session, region.id)
            )
        assert report.ok and report.records_checked == 12
    finally:
        server.stop()


def test_a_record_stamped_in_the_next_month_does_not_pull_the_tip_back(
    session: Session, tmp_path: Path
) -> None:
    """Record 5 stamped just after midnight of 1 February, record 6 just before (two gateways'
    clocks): once January (up to 6) is archived and dropped, only record 5 is live, and the
    next record is still 7."""
    region = new_region(session)
    log_repository.create_month_partition(session, "gateway_message", JAN)
    log_repository.create_month_partition(session, "gateway_message", FEB)
    night = datetime(2024, 2, 1, tzinfo=UTC)
    stamps = [datetime(2024, 1, 10 + i, tzinfo=UTC) for i in range(4)]
    stamps += [night + timedelta(milliseconds=1), night - timedelta(milliseconds=1)]
    append_records(session, [record_at(region.id, at, i) for i, at in enumerate(stamps)])
    seal_month(session, region.id, JAN)
    row = archive_month(session, region, JAN, local_store(tmp_path))
    assert row is not None and row.last_seq == 6
    log_repository.drop_message_partition(session, "gateway_message_y2024m01")
    assert log_repository.count_messages(session, region.id) == 1  # record 5

    tips = session.connection().exec_driver_sql(log_repository.TIPS_SQL, ([region.id],)).all()
    assert [(t[1], t[2]) for t in tips] == [(6, row.last_hash)]
    assert append_records(session, [record_at(region.id, datetime.now(UTC), 7)]) == [7]
    report = verify_region(session, region.id)
    assert report.ok and report.first_seq == 7 and report.records_checked == 1


def test_the_worker_loop_makes_missing_months(committed_engine: Engine) -> None:
    """``simpul worker`` (core.jobs.run_loop) creates the coming months' partitions."""
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 + 3
    name = f"gateway_message_y{index // 12}m{index % 12 + 1:02d}"
    with committed_engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE gateway_message DETACH PARTITION {name}"))
        conn.execute(text(f"DROP TABLE {name}"))
    stop = threading.Event()
    stop.set()  # one pass: the partitions are made before the first step
    jobs.run_loop(committed_engine, [], [], poll_seconds=0.1, stop=stop)
    with committed_engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() == name
