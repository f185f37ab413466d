"""Memory of ``simpul audit verify``: the same walk over logs of growing size.

Creates a scratch database on the server of ``--database-url`` (dropped afterwards), migrates
it, and for each size in ``--records`` gives a region of its own that many records with valid
hashes (written with binary COPY) and a seal per ``--seal-every`` records signed with the
region's key. Each region is then verified in a fresh child process (``verify_region``, the
whole live log); the child reports its peak resident memory (``ru_maxrss``) and the peak of
Python allocations during the walk (``tracemalloc``). It prints them per size, and each as a
ratio to the smallest size of the same run: a walk in constant memory stays near 1.0 however
long the log. The last line is JSON.

    SIMPUL_SECRET_KEY=... .venv/bin/python bench/msglog_verify.py \\
        --database-url postgresql://postgres@127.0.0.1/postgres [--records 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import with_database
from simpul.core.migrate import upgrade_to_head
from simpul.gateway.msglog import MessageRecord, verify_region
from simpul.gateway.msglog.keys import generate_signing_key
from simpul.gateway.msglog.records import ZERO_HASH, chained_row
from simpul.gateway.msglog.repository import (
    COPY_MESSAGES_SQL,
    INSERT_KEY_SQL,
    INSERT_SEAL_SQL,
    MESSAGE_COPY_TYPES,
)
from simpul.gateway.msglog.seals import SealFields, build_seal

SCRATCH = "bench_msglog_verify"


def fill(url: str, records: int, seal_every: int) -> uuid.UUID:
    """A region with ``records`` chained records and their seals; returns its id."""
    region = uuid.uuid4()
    key = generate_signing_key()
    start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO region (id, slug, name, kind, timezone, created_at, updated_at) "
            "VALUES (%s, %s, 'Kota Bench', 'kota', 'Asia/Jakarta', now(), now())",
            (region, f"bench-{region.hex[:8]}"),
        )
        conn.execute(
            INSERT_KEY_SQL,
            (uuid.uuid4(), region, key.kid, key.public_key, key.private_key_encrypted),
        )
        prev_hash, previous = ZERO_HASH, None
        seals: list[SealFields] = []
        with conn.cursor() as cursor, cursor.copy(COPY_MESSAGES_SQL) as copy:
            copy.set_types(list(MESSAGE_COPY_TYPES))
            for seq in range(1, records + 1):
                record = MessageRecord(
                    region_id=region,
                    at=start + timedelta(microseconds=seq * 500),
                    request_id=uuid.uuid4(),
                    client="kota-bandung/GOV/diskominfo/portal-warga",
                    service="kota-bandung/GOV/disdukcapil/sipenduduk/penduduk",
                    endpoint="GET /penduduk/{nik}",
                    method="GET",
                    path=f"/penduduk/{{nik=h:{seq:032x}}}",
                    status=200,
                    error="",
                    duration_us=1000 + seq % 5000,
                    request_bytes=0,
                    response_bytes=512,
                )
                row = chained_row(record, None, seq, prev_hash)
                copy.write_row(row)
                prev_hash = row[-1]
                if seq % seal_every == 0 or seq == records:
                    seal = build_seal(
                        region, previous, (seq, prev_hash), key.kid, key.private_key, start
                    )
                    assert seal is not None
                    seals.append(seal)
                    previous = seal
        with conn.cursor() as cursor:
            cursor.executemany(
                INSERT_SEAL_SQL,
                [
                    (
                        s.region_id,
                        s.seq,
                        s.first_seq,
                        s.last_seq,
                        s.last_hash,
                        s.prev_seal_hash,
                        s.sealed_at,
                        s.kid,
                        s.signature,
                    )
                    for s in seals
                ],
            )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE gateway_message")
    return region


def child(url: str, region: str) -> None:
    """Verify one region and print the walk's figures (run in a fresh process)."""
    engine = create_engine(sqlalchemy_url(url))
    with Session(engine) as session:
        tracemalloc.start()
        report = verify_region(session, uuid.UUID(region))
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "ok": report.ok,
                "records": report.records_checked,
                "seals": report.seals_checked,
                "python_peak_bytes": peak,
                "max_rss_kib": usage.ru_maxrss,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="any database on the server")
    parser.add_argument("--records", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seal-every", type=int, default=1000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "REGION"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with psycopg.connect(args.database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(SCRATCH)))
    url = with_database(args.database_url, SCRATCH)
    results = []
    try:
        upgrade_to_head(sqlalchemy_url(url))
        for size in sorted(args.records):
            region = fill(url, size, args.seal_every)
            # This very script, with values it made itself.
            done = subprocess.run(
                [sys.executable, __file__, "--database-url", url, "--child", url, str(region)],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    finally:
        with psycopg.connect(args.database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(SCRATCH)))
    base = results[0]
    header = ("records", "seals", "python peak", "ratio", "max RSS", "ratio")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (10, 7, 12, 6, 10, 6), strict=True)))
    for r in results:
        print(
            f"{r['records']:>10} {r['seals']:>7} {r['python_peak_bytes'] / 1e6:>10.1f}MB "
            f"{r['python_peak_bytes'] / base['python_peak_bytes']:>6.2f} "
            f"{r['max_rss_kib'] / 1024:>8.1f}MB {r['max_rss_kib'] / base['max_rss_kib']:>6.2f}"
        )
    last = results[-1]
    print(
        json.dumps(
            {
                "records": [r["records"] for r in results],
                "all_ok": all(r["ok"] for r in results),
                "python_peak_ratio": round(
                    last["python_peak_bytes"] / base["python_peak_bytes"], 3
                ),
                "max_rss_ratio": round(last["max_rss_kib"] / base["max_rss_kib"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
