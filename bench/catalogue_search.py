"""Catalogue search benchmark: HTTP throughput and latency of the public catalogue.

What it measures, on a fresh database seeded with the demo region Kota Bandung (27 agencies,
68 services) and a real ``simpul serve`` (one uvicorn worker) on a loopback port:

* ``GET /healthz`` as the baseline: one trivial SQL round trip through the same stack
  (routing, session, middleware);
* the search API ``GET /api/kota-bandung/services?q=...`` and the search page
  ``GET /kota-bandung/layanan?q=...``, rotating over realistic Indonesian queries;
* a service page with its standard and the full catalogue page (every service by agency),
  each three ways: uncached (the request carries a session cookie, so the page is rendered as
  for a logged-in visitor), cached (an anonymous reader: the page cache's copy, checked
  against the catalogue's fingerprint) and revalidated (``If-None-Match``: 304); the cached
  and 304 rates are printed as ratios to the uncached one;
* the search itself without HTTP: ``simpul.catalogue.service.find_services`` in a loop in
  this process, as searches per second.

For each scenario it prints requests, concurrency, requests per second, p50 and p99
latency, errors (any non-200) and the ratio of its requests per second to the baseline of
the same run. Absolute times depend on the machine and its load; compare the ratios. It
also prints the size of the pages, raw and gzip-compressed.

Run it from the repository root::

    .venv/bin/python bench/catalogue_search.py [--requests N] [--concurrency C]

The database server is ``SIMPUL_BENCH_DATABASE_URL`` if set (its database ``simpul_bench``
is dropped and recreated), else the embedded PostgreSQL under ``var/bench-pgdata``, which
keeps running afterwards for fast restarts (``--stop-database`` stops it). Exits non-zero
if any request fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker
from tests.support.devserver import migrate_and_seed_demo, recreate_database, running_server

from simpul.catalogue.service import find_services
from simpul.core.database import make_engine, make_session_factory, sqlalchemy_url
from simpul.core.embedded import start_embedded_server, stop_embedded_server
from simpul.core.regions import get_region_by_slug
from simpul.core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
BENCH_DATABASE = "simpul_bench"
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
REGION = "kota-bandung"
SERVICE_SLUG = "akta-kelahiran"
QUERIES = (
    "akta lahir",
    "izin reklame",
    "kartu keluarga",
    "pbb",
    "reklme",  # a typo: found by trigram similarity
    "surat keterangan penelitian",
    "ktp hilang",
    "bangunan gedung",
)
SERVER_START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


@dataclass(frozen=True)
class Scenario:
    name: str
    paths: tuple[str, ...]  # requests rotate over these
    #: Sent with every request (a session cookie, or the ETag of ``etag_of``'s answer).
    headers: tuple[tuple[str, str], ...] = ()
    #: Revalidate: send ``If-None-Match`` with the ETag the first path answered with.
    revalidate: bool = False
    expected_status: int = 200


@dataclass(frozen=True)
class Result:
    scenario: str
    requests: int
    concurrency: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


#: A session cookie no session has: the page is rendered as for a logged-in visitor (never
#: cached), which is what every request cost before the catalogue's page cache.
NO_CACHE = (("Cookie", "simpul_session=bench-no-such-session"),)


def scenarios() -> list[Scenario]:
    searches = [urllib.parse.quote_plus(q) for q in QUERIES]
    service_page = (f"/{REGION}/layanan/{SERVICE_SLUG}",)
    catalogue_page = (f"/{REGION}/layanan",)
    return [
        Scenario("healthz (baseline)", ("/healthz",)),
        Scenario("API search", tuple(f"/api/{REGION}/services?q={q}" for q in searches)),
        Scenario("search page", tuple(f"/{REGION}/layanan?q={q}" for q in searches)),
        Scenario("service page, uncached", service_page, NO_CACHE),
        Scenario("service page, cached", service_page),
        Scenario("service page, 304", service_page, revalidate=True, expected_status=304),
        Scenario("catalogue page, uncached", catalogue_page, NO_CACHE),
        Scenario("catalogue page, cached", catalogue_page),
        Scenario("catalogue page, 304", catalogue_page, revalidate=True, expected_status=304),
    ]


# -- database -------------------------------------------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to use: the configured one or the embedded one."""
    configured = os.environ.get("SIMPUL_BENCH_DATABASE_URL")
    if configured:
        return configured
    return start_embedded_server(BENCH_PGDATA)


def prepare_database() -> str:
    """A fresh ``simpul_bench`` with the demo region; returns its URL."""
    url = recreate_database(server_url(), BENCH_DATABASE)
    report = migrate_and_seed_demo(url)
    print(f"seeded {report.region.name}: {report.agencies} agencies, {report.services} services")
    return url


# -- HTTP load ------------------------------------------------------------------------------


async def drive(
    client: httpx2.AsyncClient,
    paths: Sequence[str],
    *,
    headers: dict[str, str] | None = None,
    expected_status: int = 200,
    requests: int,
    concurrency: int,
    max_seconds: float,
) -> tuple[int, float, list[float], int]:
    """Send up to ``requests`` GETs with ``concurrency`` in flight, stopping after
    ``max_seconds``; return (sent, elapsed seconds, latencies in s, errors)."""
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            i = next(counter)
            if i >= requests:
                return
            began = time.perf_counter()
            try:
                response = await client.get(paths[i % len(paths)], headers=headers)
                await response.aread()
                ok = response.status_code == expected_status
            except httpx2.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - began)
            if not ok:
                errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), time.perf_counter() - start, latencies, errors


async def run_scenarios(
    base_url: str, *, requests: int, concurrency: int, warmup: int, max_seconds: float
) -> list[Result]:
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[Result] = []
    async with httpx2.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as client:
        for scenario in scenarios():
            headers = dict(scenario.headers)
            if scenario.revalidate:
                first = await client.get(scenario.paths[0])
                headers["If-None-Match"] = first.headers["etag"]
            _, _, _, warm_errors = await drive(
                client,
                scenario.paths,
                requests=warmup,
                concurrency=concurrency,
                max_seconds=max_seconds,
                headers=headers,
                expected_status=scenario.expected_status,
            )
            sent, seconds, latencies, errors = await drive(
                client,
                scenario.paths,
                requests=requests,
                concurrency=concurrency,
                max_seconds=max_seconds,
                headers=headers,
                expected_status=scenario.expected_status,
            )
            results.append(
                Result(scenario.name, sent, concurrency, seconds, latencies, errors + warm_errors)
            )
    return results


# -- the search without HTTP ----------------------------------------------------------------


@dataclass(frozen=True)
class SqlResult:
    searches: int
    seconds: float
    per_query: dict[str, tuple[int, bool, float, float]]  # total, relaxed, mean ms, statements

    @property
    def rate(self) -> float:
        return self.searches / self.seconds if self.seconds > 0 else 0.0


def measure_sql(database_url: str, *, searches: int, max_seconds: float) -> SqlResult:
    """``find_services`` as the search API calls it, one session per search, sequentially."""
    engine = make_engine(sqlalchemy_url(database_url), get_settings())  # the server's pool
    statements = 0

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    factory: sessionmaker[Session] = make_session_factory(engine)
    try:
        with factory() as session:
            region = get_region_by_slug(session, REGION)
        assert region is not None

        def search(query: str) -> tuple[int, bool]:
            with factory() as session:
                page = find_services(session, region, query=query, limit=20)
                session.commit()
                return page.total, page.relaxed

        per_query: dict[str, tuple[int, bool, float, float]] = {}
        for query in QUERIES:  # warm-up, and what each query finds and costs
            search(query)
            before, began = statements, time.perf_counter()
            rounds = 20
            for _ in range(rounds):
                total, relaxed = search(query)
            mean_ms = (time.perf_counter() - began) / rounds * 1000
            per_query[query] = (total, relaxed, mean_ms, (statements - before) / rounds)
        done, start = 0, time.perf_counter()
        deadline = start + max_seconds
        while done < searches and time.perf_counter() < deadline:
            search(QUERIES[done % len(QUERIES)])
            done += 1
        return SqlResult(done, time.perf_counter() - start, per_query)
    finally:
        engine.dispose()


# -- page sizes -----------------------------------------------------------------------------


def page_sizes(base_url: str) -> list[tuple[str, int, int]]:
    """(page, raw bytes, gzip bytes) as sent over the wire."""
    pages = [
        ("search page (kartu keluarga)", f"/{REGION}/layanan?q=kartu+keluarga"),
        ("service page", f"/{REGION}/layanan/{SERVICE_SLUG}"),
        ("full catalogue page", f"/{REGION}/layanan"),
        ("API search (kartu keluarga)", f"/api/{REGION}/services?q=kartu+keluarga"),
    ]
    sizes: list[tuple[str, int, int]] = []
    for label, path in pages:
        measured: list[bytes] = []
        for encoding in ("identity", "gzip"):
            request = urllib.request.Request(base_url + path, headers={"Accept-Encoding": encoding})
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                body = response.read()
                if encoding == "gzip" and response.headers.get("Content-Encoding") != "gzip":
                    raise RuntimeError(f"{path} was not gzip-compressed")
            measured.append(body)
        raw, compressed = measured
        sizes.append((label, len(raw), len(compressed)))
    return sizes


# -- report ---------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    baseline = results[0].rate
    header = (
        f"{'scenario':<22} {'requests':>8} {'conc.':>5} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6} {'ratio to baseline':>17}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r.rate / baseline if baseline else 0.0
        print(
            f"{r.scenario:<22} {r.requests:>8} {r.concurrency:>5} {r.rate:>8.1f} "
            f"{percentile(r.latencies, 0.50) * 1000:>8.1f} "
            f"{percentile(r.latencies, 0.99) * 1000:>8.1f} {r.errors:>6} {ratio:>17.3f}"
        )


def print_sql(sql_result: SqlResult, results: list[Result]) -> None:
    print()
    print("find_services in-process (one session per search, sequential):")
    print(f"  {'query':<30} {'found':>5} {'relaxed':>7} {'mean ms':>8} {'statements':>10}")
    for query, (total, relaxed, mean_ms, statements) in sql_result.per_query.items():
        print(
            f"  {query:<30} {total:>5} {'yes' if relaxed else 'no':>7} "
            f"{mean_ms:>8.2f} {statements:>10.1f}"
        )
    print(
        f"  {sql_result.searches} searches in {sql_result.seconds:.1f} s: "
        f"{sql_result.rate:.1f} searches/s"
    )
    by_name = {r.scenario: r for r in results}
    baseline = results[0].rate
    for name in ("API search", "search page"):
        r = by_name[name]
        print(
            f"  {name}: {r.rate / sql_result.rate:.3f} x in-process searches/s, "
            f"{r.rate / baseline:.3f} x healthz"
        )


def print_cache(results: list[Result]) -> None:
    """The page cache's figures: each cached scenario's rate over its uncached one."""
    by_name = {r.scenario: r for r in results}
    print()
    print("catalogue page cache (anonymous readers), req/s as a ratio to the uncached page:")
    for page in ("service page", "catalogue page"):
        uncached = by_name[f"{page}, uncached"].rate
        for variant in ("cached", "304"):
            rate = by_name[f"{page}, {variant}"].rate
            ratio = rate / uncached if uncached else 0.0
            print(f"  {page}, {variant}: {ratio:.2f} x uncached")


def print_sizes(sizes: list[tuple[str, int, int]]) -> None:
    print()
    print(f"{'page':<28} {'raw bytes':>10} {'gzip bytes':>10} {'gzip/raw':>8}")
    for label, raw, compressed in sizes:
        print(f"{label:<28} {raw:>10} {compressed:>10} {compressed / raw:>8.2f}")


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=1000, help="requests per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument(
        "--max-seconds", type=float, default=15.0, help="time limit of each scenario"
    )
    parser.add_argument(
        "--sql-searches", type=int, default=1000, help="in-process searches (time-limited too)"
    )
    parser.add_argument(
        "--stop-database", action="store_true", help="stop the embedded PostgreSQL at the end"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--requests, --concurrency, --max-seconds must be > 0; --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="simpul-bench-") as tmp:
        data_dir = Path(tmp)
        # This process seeds (encrypting the demo NIK) with the key the server will use.
        os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
        os.environ["SIMPUL_DATA_DIR"] = str(data_dir)
        try:
            url = prepare_database()
            with running_server(
                url, secret_key=BENCH_SECRET, data_dir=data_dir, timeout=SERVER_START_TIMEOUT
            ) as base_url:
                load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"simpul serve at {base_url}; {os.cpu_count()} CPUs, load average {load}")
                results = asyncio.run(
                    run_scenarios(
                        base_url,
                        requests=args.requests,
                        concurrency=args.concurrency,
                        warmup=args.warmup,
                        max_seconds=args.max_seconds,
                    )
                )
                sizes = page_sizes(base_url)
            sql_result = measure_sql(url, searches=args.sql_searches, max_seconds=args.max_seconds)
        finally:
            if args.stop_database and not os.environ.get("SIMPUL_BENCH_DATABASE_URL"):
                stop_embedded_server(BENCH_PGDATA)
    print()
    print_table(results)
    print_sql(sql_result, results)
    print_cache(results)
    print_sizes(sizes)
    errors = sum(r.errors for r in results)
    if errors:
        print(f"\n{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
