"""Gateway monitor benchmark: the monitor's reads at a given size of the message log.

On a fresh database migrated to 0017 (before the traffic rollup), it writes ``--records``
message log records of one region through SQL (``generate_series``), spread over the last
``--days`` days across ``--services`` services and ``--clients`` clients, with statuses and
log-normal durations; the hash chain is not computed (nothing here verifies it). Then it
upgrades to head, so migration 0021 fills ``gateway_traffic`` from those records (timed), and
times, for the 24-hour and 7-day windows of the page:

* the baseline: the monitor as it was before decision 0039, the same aggregates read from
  ``gateway_message`` directly (``GROUPING SETS`` with ``percentile_cont``, and the series);
* the rollup: ``simpul.gateway.monitor.service.gateway_traffic``, what the page calls now.

It prints median and p95 of each, and the rollup's time as a ratio to the baseline's in the
same run. Absolute times depend on the machine and its load; compare the ratios. The rollup's
time depends on (hours in the window) x (services + clients), not on the number of records.

Run it from the repository root::

    .venv/bin/python -m bench.gateway_monitor [--records N] [--services S] [--clients C]

The database server is ``SIMPUL_BENCH_DATABASE_URL`` if set (its database
``simpul_bench_monitor`` is dropped and recreated), else the embedded PostgreSQL under
``var/bench-pgdata``. The database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from tests.factories import make_region
from tests.support.devserver import recreate_database

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import start_embedded_server
from simpul.core.migrate import migrate_to, upgrade_to_head
from simpul.core.models import utcnow
from simpul.gateway.monitor import service as monitor
from simpul.gateway.monitor.pages import LATENCY_THRESHOLDS_US, TOP, WINDOWS, window_bounds

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
BENCH_DATABASE = "simpul_bench_monitor"
TZ = ZoneInfo("Asia/Jakarta")

#: The records, in the shapes the data plane writes (hash fields filled, not chained).
GENERATE_SQL = """
INSERT INTO gateway_message (
    region_id, seq, at, request_id, client, service, endpoint, method, path, status, error,
    duration_us, request_bytes, response_bytes, bodies_encrypted, prev_hash, hash
)
SELECT :region, g, now() - (:days * 86400.0 * (g::float8 / :records)) * interval '1 second',
    gen_random_uuid(),
    'kota-bench/GOV/klien/app-' || (g * 7919 % :clients),
    'kota-bench/GOV/dinas/app/layanan-' || (g * 104729 % :services),
    'GET /data/{id}', 'GET', '/data/' || g,
    CASE WHEN g % 50 = 0 THEN 500 WHEN g % 23 = 0 THEN 404 WHEN g % 97 = 0 THEN 403
        ELSE 200 END,
    CASE WHEN g % 97 = 0 THEN 'no_grant' ELSE '' END,
    greatest(50, (exp(8.5 + 1.2 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::bigint),
    200 + g % 300, 1000 + g % 5000, NULL,
    '\\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
    sha256(g::text::bytea)
FROM generate_series(1::bigint, :records) AS g
"""

#: The monitor before decision 0039: both of its queries over the log itself.
BASELINE_BREAKDOWN_SQL = """
SELECT * FROM (
    SELECT grouping(service, client) AS kind, service, client, count(*) AS requests,
        count(*) FILTER (WHERE status BETWEEN 400 AND 499), count(*) FILTER (WHERE status >= 500),
        count(*) FILTER (WHERE error <> ''),
        percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_us),
        percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_us),
        sum(request_bytes), sum(response_bytes),
        row_number() OVER (PARTITION BY grouping(service, client)
                           ORDER BY count(*) DESC, service, client) AS rank,
        count(*) OVER (PARTITION BY grouping(service, client))
    FROM gateway_message WHERE region_id = :region AND at >= :since AND at < :until
    GROUP BY GROUPING SETS ((service), (client), ())
) g WHERE rank <= :top
"""
BASELINE_SERIES_SQL = """
SELECT grouping(slot, bucket), slot, bucket, count(*), count(*) FILTER (WHERE status >= 400)
FROM (
    SELECT floor(extract(epoch FROM at - :since) / :slot)::int AS slot,
        width_bucket(duration_us, CAST(:edges AS bigint[])) AS bucket, status
    FROM gateway_message WHERE region_id = :region AND at >= :since AND at < :until
) w GROUP BY GROUPING SETS ((slot), (bucket))
"""


def drop_database() -> None:
    """The records take gigabytes at 10M: do not leave them behind."""
    admin = create_engine(sqlalchemy_url(server_url()), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def server_url() -> str:
    return os.environ.get("SIMPUL_BENCH_DATABASE_URL") or start_embedded_server(BENCH_PGDATA)


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=40)
    parser.add_argument("--clients", type=int, default=60)
    parser.add_argument("--days", type=float, default=7.5)
    parser.add_argument("--repeat", type=int, default=20, help="timed reads of the rollup")
    parser.add_argument("--baseline-repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)

    url = recreate_database(server_url(), BENCH_DATABASE)
    migrate_to(sqlalchemy_url(url), "0017")
    engine = create_engine(sqlalchemy_url(url))
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        region_id = make_region(session, "kota-bench", "Kota Bench").id
    with engine.begin() as conn:
        conn.execute(
            text(GENERATE_SQL),
            {
                "region": region_id,
                "records": args.records,
                "days": args.days,
                "services": args.services,
                "clients": args.clients,
            },
        )
    generated = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE gateway_message"))
    started = time.perf_counter()
    upgrade_to_head(sqlalchemy_url(url))  # migration 0021 fills the rollup
    backfilled = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE gateway_traffic"))
        rollup_rows = conn.execute(text("SELECT count(*) FROM gateway_traffic")).scalar_one()
    print(
        f"{args.records:,} records, {args.services} services, {args.clients} clients, "
        f"{args.days} days; generated in {generated:.1f} s; migration 0021 backfilled "
        f"{rollup_rows:,} rollup rows in {backfilled:.1f} s"
    )

    results = {}
    print(f"{'window':<8} {'reader':<10} {'median ms':>10} {'p95 ms':>10} {'ratio':>8}")
    with Session(engine) as session:
        for key in ("24j", "7h"):
            window = WINDOWS[key]
            since, until = window_bounds(utcnow(), TZ, window)
            values = {"region": region_id, "since": since, "until": until}

            slot_seconds = window.slot_seconds

            def baseline(values: dict[str, object] = values, slot: int = slot_seconds) -> None:
                session.execute(text(BASELINE_BREAKDOWN_SQL), {**values, "top": TOP}).all()
                session.execute(
                    text(BASELINE_SERIES_SQL),
                    {
                        **values,
                        "slot": slot,
                        "edges": list(LATENCY_THRESHOLDS_US),
                    },
                ).all()

            def rollup(
                since: dt.datetime = since, until: dt.datetime = until, slot: int = slot_seconds
            ) -> None:
                monitor.gateway_traffic(
                    session,
                    region_id,
                    since,
                    until,
                    top=TOP,
                    slot_seconds=slot,
                    latency_thresholds_us=LATENCY_THRESHOLDS_US,
                )

            rollup()  # warm
            base = timed(baseline, args.baseline_repeat)
            new = timed(rollup, args.repeat)
            ratio = statistics.median(new) / statistics.median(base)
            print(f"{key:<8} {'log':<10} {statistics.median(base):>10.1f} {p95(base):>10.1f}")
            print(
                f"{key:<8} {'rollup':<10} {statistics.median(new):>10.1f} {p95(new):>10.1f}"
                f" {ratio:>8.4f}"
            )
            results[key] = {
                "baseline_median_ms": round(statistics.median(base), 1),
                "rollup_median_ms": round(statistics.median(new), 1),
                "rollup_p95_ms": round(p95(new), 1),
                "rollup_vs_baseline": round(ratio, 4),
            }
    engine.dispose()
    if not args.keep:
        drop_database()
    print(json.dumps({"records": args.records, "rollup_rows": rollup_rows, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
