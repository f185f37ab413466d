"""The traffic rollup the monitor reads equals a recount of the message log rows: written by
the asynchronous writer (pipelined INSERTs and binary COPY), by ``append_records``, and by the
backfill of migration 0021; and the monitor's numbers for each window equal a recount."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import random
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import utcnow
from simpul.gateway.monitor import rollup
from simpul.gateway.monitor import service as monitor
from simpul.gateway.monitor.pages import LATENCY_THRESHOLDS_US, WINDOWS, window_bounds
from simpul.gateway.msglog.records import MessageRecord, append_records
from simpul.gateway.msglog.writer import LogWriter
from tests.factories import make_region
from tests.gateway.conftest import GatewayWorld

SERVICES = ["kota/GOV/a/sipenduduk/penduduk", "kota/GOV/a/sipenduduk/arsip", ""]
CLIENTS = ["kota/GOV/b/portal", "kota/GOV/b/anjungan", "kota/GOV/c/kiosk", ""]
STATUSES = [200, 200, 200, 201, 204, 301, 400, 403, 404, 429, 500, 502, 504]

#: The rollup recounted from the log, per row key, in SQL written independently of the code.
RECOUNT_SQL = text(
    """
    SELECT s.span, to_timestamp(floor(extract(epoch FROM m.at) / s.span) * s.span) AS start,
        d.kind, d.name, count(*) AS requests,
        count(*) FILTER (WHERE m.status >= 400 AND m.status < 500) AS client_errors,
        count(*) FILTER (WHERE m.status >= 500) AS server_errors,
        count(*) FILTER (WHERE m.error <> '') AS gateway_errors,
        sum(m.request_bytes) AS request_bytes, sum(m.response_bytes) AS response_bytes,
        array_agg(m.duration_us ORDER BY m.duration_us) AS durations
    FROM gateway_message m
    CROSS JOIN (VALUES (300), (3600)) AS s(span)
    CROSS JOIN LATERAL (VALUES ('s', m.service), ('c', m.client)) AS d(kind, name)
    WHERE m.region_id = :region
    GROUP BY 1, 2, 3, 4
    """
)
ROLLUP_SQL = text(
    "SELECT span, start, kind, name, requests, client_errors, server_errors, gateway_errors, "
    "request_bytes, response_bytes, ARRAY["
    + ", ".join(rollup.duration_column(b) for b in range(rollup.DURATION_BUCKETS))
    + "] AS durations FROM gateway_traffic WHERE region_id = :region"
)


def random_records(region_id: uuid.UUID, count: int, seed: int) -> list[MessageRecord]:
    rng = random.Random(seed)
    now = utcnow()
    records = []
    for _ in range(count):
        status = rng.choice(STATUSES)
        records.append(
            MessageRecord(
                region_id=region_id,
                at=now - dt.timedelta(seconds=rng.uniform(0, 9 * 86400)),
                request_id=uuid.uuid4(),
                client=rng.choice(CLIENTS),
                service=rng.choice(SERVICES),
                endpoint="GET /x",
                method="GET",
                path="/x",
                status=status,
                error=rng.choice(["", "no_grant"]) if status >= 400 else "",
                # Log-uniform from 50 µs to 90 s, bucket edges included now and then.
                duration_us=rng.choice(
                    [int(10 ** rng.uniform(1.7, 7.95)), rng.choice(rollup.DURATION_EDGES_US)]
                ),
                request_bytes=rng.randrange(0, 5000),
                response_bytes=rng.randrange(0, 50_000),
            )
        )
    return records


def recount(session: Session, region_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    counted = {}
    for row in session.execute(RECOUNT_SQL, {"region": region_id}):
        histogram = [0] * rollup.DURATION_BUCKETS
        for duration in row.durations:
            histogram[rollup.duration_bucket(duration)] += 1
        counted[(row.span, row.start, row.kind, row.name)] = (*row[4:10], histogram)
    return counted


def rolled_up(session: Session, region_id: uuid.UUID) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {
        tuple(row[:4]): (*row[4:10], list(row.durations))
        for row in session.execute(ROLLUP_SQL, {"region": region_id})
    }


def test_bucket_edges_hold_the_pages_thresholds() -> None:
    assert set(LATENCY_THRESHOLDS_US) <= set(rollup.DURATION_EDGES_US)
    assert rollup.duration_bucket(99) == 0
    assert rollup.duration_bucket(100) == 1
    assert rollup.duration_bucket(100_000_000) == len(rollup.DURATION_EDGES_US)
    assert rollup.MAX_BUCKET_RATIO < 1.15


def test_the_writer_adds_to_the_rollup_in_the_transaction_of_the_records(
    committed_url: str, committed_sessions: sessionmaker[Session], gateway_world: GatewayWorld
) -> None:
    region_id = gateway_world.region.id
    records = random_records(region_id, 900, seed=1)

    async def main() -> None:
        # Bursts of hundreds (binary COPY) and batches of a few (pipelined INSERTs) at once.
        big = LogWriter(committed_url, max_batch=500)
        small = LogWriter(committed_url, max_batch=8, max_delay=0)
        await big.start()
        await small.start()
        try:

            async def one_by_one(batch: list[MessageRecord]) -> None:
                for record in batch:
                    await small.append(record)

            await asyncio.gather(
                *(big.append(record) for record in records[:700]), one_by_one(records[700:])
            )
        finally:
            await big.close()
            await small.close()
        assert big.written + small.written == 900

    asyncio.run(main())
    with committed_sessions() as session:
        counted = recount(session, region_id)
        assert sum(v[0] for k, v in counted.items() if k[0] == 3600 and k[2] == "s") == 900
        assert rolled_up(session, region_id) == counted


def test_append_records_and_the_migrations_backfill_equal_a_recount(session: Session) -> None:
    region = make_region(session, "kota-rollup", "Kota Rollup")
    records = random_records(region.id, 400, seed=2)
    for start in range(0, 400, 57):
        append_records(session, records[start : start + 57])
    counted = recount(session, region.id)
    assert rolled_up(session, region.id) == counted

    # Migration 0021 fills the rollup from the log already written: the same rows.
    migration = importlib.import_module("migrations.versions.0021_gateway_traffic_rollup")
    session.execute(text("DELETE FROM gateway_traffic"))
    session.execute(text(migration._backfill_sql()))
    assert rolled_up(session, region.id) == counted
    # And so does the recount a tool can run for records written around the writers.
    session.execute(text("DELETE FROM gateway_traffic"))
    monitor.recount_traffic(session, region.id)
    assert rolled_up(session, region.id) == counted


@pytest.mark.parametrize("window_key", ["1j", "24j", "7h"])
def test_the_monitors_numbers_equal_a_recount_of_the_log(session: Session, window_key: str) -> None:
    region = make_region(session, f"kota-{window_key}", "Kota Hitung")
    append_records(session, random_records(region.id, 1500, seed=3))
    window = WINDOWS[window_key]
    tz = ZoneInfo("Asia/Makassar")  # WITA, UTC+8
    since, until = window_bounds(utcnow(), tz, window)
    traffic = monitor.gateway_traffic(
        session,
        region.id,
        since,
        until,
        top=50,
        slot_seconds=window.slot_seconds,
        latency_thresholds_us=LATENCY_THRESHOLDS_US,
    )
    where = "region_id = :region AND at >= :since AND at < :until"
    values = {"region": region.id, "since": since, "until": until}
    exact = session.execute(
        text(
            f"""
            SELECT {{group}} AS name, count(*) AS requests,
                count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS client_errors,
                count(*) FILTER (WHERE status >= 500) AS server_errors,
                count(*) FILTER (WHERE error <> '') AS gateway_errors,
                sum(request_bytes) AS request_bytes, sum(response_bytes) AS response_bytes,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_us) AS p95
            FROM gateway_message WHERE {where} GROUP BY 1
            """.replace("{group}", "service")  # the f-string doubled its braces
        ),
        values,
    ).all()
    assert exact, "the window holds records"
    shown = {row.name: row for row in traffic.breakdown.services}
    assert set(shown) == {row.name for row in exact}
    for row in exact:
        got = shown[row.name]
        assert (
            got.requests,
            got.client_errors,
            got.server_errors,
            got.gateway_errors,
            got.request_bytes,
            got.response_bytes,
        ) == tuple(row[1:7])
        for estimate, value in ((got.p50_us, row.p50), (got.p95_us, row.p95)):
            assert estimate is not None
            assert estimate == pytest.approx(value, rel=monitor.PERCENTILE_ERROR, abs=100)
    total = traffic.breakdown.total
    assert total.requests == sum(row.requests for row in exact)
    clients = session.execute(
        text(f"SELECT client, count(*) FROM gateway_message WHERE {where} GROUP BY 1"),
        values,
    ).all()
    assert {row.name: row.requests for row in traffic.breakdown.clients} == dict(clients)  # type: ignore[arg-type]

    slot = window.slot_seconds
    per_slot = session.execute(
        text(
            f"""
            SELECT floor(extract(epoch FROM at - :since) / {slot})::int AS slot, count(*),
                count(*) FILTER (WHERE status >= 400)
            FROM gateway_message WHERE {where} GROUP BY 1
            """
        ),
        values,
    ).all()
    expected_requests = [0] * len(traffic.series.requests)
    expected_errors = [0] * len(traffic.series.requests)
    for index, requests, errors in per_slot:
        expected_requests[index] += requests
        expected_errors[index] += errors
    assert traffic.series.requests == expected_requests
    assert traffic.series.errors == expected_errors
    buckets = session.execute(
        text(
            f"""
            SELECT width_bucket(duration_us, CAST(:edges AS bigint[])), count(*)
            FROM gateway_message WHERE {where} GROUP BY 1
            """
        ),
        {**values, "edges": list(LATENCY_THRESHOLDS_US)},
    ).all()
    expected_latency = [0] * (len(LATENCY_THRESHOLDS_US) + 1)
    for bucket, count in buckets:
        expected_latency[bucket] += count
    assert traffic.series.latency == expected_latency
