"""Disk per message-log record: what ``gateway_message`` takes per row, and the month at a rate.

Creates a scratch database on the server of ``--database-url`` (dropped afterwards unless
``--keep``), migrates it to head, and inserts ``--records`` rows into this month's partition,
in the shapes the gateway writes: a caller and a service from a few dozen, endpoint templates,
paths whose personal parameters are keyed hashes (``/penduduk/{nik=h:<32 hex>}``), status, sizes,
durations, 32-byte hashes, no bodies (the default; a service that keeps bodies adds their
ciphertext). Then ``VACUUM ANALYZE`` and ``pg_relation_size`` of the heap (with its TOAST,
free-space and visibility maps) and of each index, summed over the partitions, divided by the
rows. It also creates, measures and drops the index on ``(region_id, service, at)`` that the
log had before migration 0020, so both layouts come from the same run. The last line is JSON.

    .venv/bin/python bench/msglog_disk.py --database-url postgresql://postgres@127.0.0.1/postgres \\
        [--records 1000000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import json
import uuid
from typing import Any

import psycopg
from psycopg import sql

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import with_database
from simpul.core.migrate import upgrade_to_head

SCRATCH = "bench_msglog_disk"

INSERT = """
INSERT INTO gateway_message (region_id, seq, at, request_id, client, service, endpoint, method,
    path, status, error, duration_us, request_bytes, response_bytes, bodies_encrypted,
    prev_hash, hash)
SELECT %(region)s, i,
    date_trunc('month', now()) + make_interval(secs => i / 1000.0),
    gen_random_uuid(),
    'kota-bandung/GOV/' || (ARRAY['diskominfo', 'disdukcapil', 'dpmptsp', 'dinkes'])[1 + i %% 4]
        || '/app-' || (i %% 40),
    'kota-bandung/GOV/' || (ARRAY['disdukcapil', 'bapenda', 'dinsos'])[1 + i %% 3]
        || '/sipenduduk/' || (ARRAY['penduduk', 'keluarga', 'pajak', 'bansos'])[1 + i %% 4],
    (ARRAY['GET /penduduk/{nik}', 'GET /keluarga/{no_kk}/anggota', 'POST /pajak/cek',
           'GET /bansos/status'])[1 + i %% 4],
    (ARRAY['GET', 'GET', 'POST', 'GET'])[1 + i %% 4],
    (ARRAY['/penduduk/{nik=h:', '/keluarga/{no_kk=h:', '/pajak/cek?{nop=h:',
           '/bansos/status?{nik=h:'])[1 + i %% 4]
        || md5((i * 7)::text) || '}',
    (ARRAY[200, 200, 200, 200, 200, 200, 200, 404, 403, 502])[1 + i %% 10],
    (ARRAY['', '', '', '', '', '', '', '', 'no_grant', 'upstream_error'])[1 + i %% 10],
    1000 + (i * 37) %% 250000,
    (i * 13) %% 2048,
    200 + (i * 31) %% 16384,
    NULL,
    decode(md5((i - 1)::text) || md5((i + 1000003)::text), 'hex'),
    decode(md5(i::text) || md5((i + 1000004)::text), 'hex')
FROM generate_series(%(first)s, %(last)s) AS i
"""

SIZES = """
SELECT sum(pg_relation_size(i.inhrelid, 'main') + pg_relation_size(i.inhrelid, 'fsm')
           + pg_relation_size(i.inhrelid, 'vm')
           + coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0))
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'gateway_message'::regclass
"""

INDEX_SIZES = """
SELECT parent.relname, sum(pg_relation_size(child.inhrelid))
FROM pg_class parent
JOIN pg_index pi ON pi.indexrelid = parent.oid AND pi.indrelid = 'gateway_message'::regclass
JOIN pg_inherits child ON child.inhparent = parent.oid
GROUP BY parent.relname ORDER BY parent.relname
"""


def measure(conn: psycopg.Connection[Any], rows: int) -> dict[str, float]:
    heap = conn.execute(SIZES).fetchone()
    sizes = {"heap": float(heap[0] if heap else 0) / rows}
    for name, size in conn.execute(INDEX_SIZES).fetchall():
        sizes[name] = float(size) / rows
    sizes["total"] = sum(sizes.values())
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="any database on the server")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=1000, help="calls per second, for a month")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH)))
    url = with_database(args.database_url, SCRATCH)
    try:
        upgrade_to_head(sqlalchemy_url(url))
        with psycopg.connect(url, autocommit=True) as conn:
            region = uuid.uuid4()
            conn.execute(
                "INSERT INTO region (id, slug, name, kind, timezone, created_at, updated_at) "
                "VALUES (%s, 'kota-bench', 'Kota Bench', 'kota', 'Asia/Jakarta', now(), now())",
                (region,),
            )
            step = 200_000
            for first in range(1, args.records + 1, step):
                last = min(first + step - 1, args.records)
                conn.execute(INSERT, {"region": region, "first": first, "last": last})
            conn.execute("VACUUM ANALYZE gateway_message")
            now = measure(conn, args.records)
            conn.execute(
                "CREATE INDEX ix_gateway_message_region_id_service_at "
                "ON gateway_message (region_id, service, at)"
            )
            before = measure(conn, args.records)
            conn.execute("DROP INDEX ix_gateway_message_region_id_service_at")
    finally:
        if not args.keep:
            with psycopg.connect(args.database_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
    month = args.rate * 86400 * 30
    print(f"{args.records} records, bytes per record (heap with TOAST and maps; each index):")
    for label, sizes in (("before 0020 (with the service index)", before), ("now", now)):
        print(f"  {label}:")
        for name, value in sizes.items():
            print(f"    {name:48s} {value:8.1f}")
        print(f"    a 30-day month at {args.rate} calls/s: {sizes['total'] * month / 1e12:.2f} TB")
    print(
        json.dumps(
            {
                "records": args.records,
                "bytes_per_record": round(now["total"], 1),
                "bytes_per_record_before": round(before["total"], 1),
                "ratio_to_before": round(now["total"] / before["total"], 3),
                "month_tb_at_rate": round(now["total"] * month / 1e12, 3),
                "rate": args.rate,
            }
        )
    )


if __name__ == "__main__":
    main()
