"""Complaints benchmark: HTTP throughput and latency of the public complaint pages and Open311.

What it measures, on a fresh database seeded with the demo region Kota Bandung and its year
of past complaints (``simpul.demo.complaints.seed_demo_complaints``: about 400 plus merges,
splits and the demo citizen's) and a real ``simpul serve`` (one uvicorn worker) on a loopback
port:

* ``GET /healthz`` as the baseline: one trivial SQL round trip through the same stack;
* the public list page ``GET /kota-bandung/pengaduan`` (first page, no filter);
* the map's GeoJSON ``GET /kota-bandung/pengaduan/peta.json`` (every public complaint with a
  point);
* one complaint's public page ``GET /kota-bandung/pengaduan/{number}``, rotating over a few
  public complaints taken from the map;
* Open311 GeoReport v2 ``GET /open311/kota-bandung/v2/requests.json`` and ``.xml`` with no
  filter: the default 90-day window;
* Open311 ``POST /open311/kota-bandung/v2/requests.json`` with an API key: a new complaint
  filed per request. Posts are limited to 60 a minute per key (a token bucket in the server's
  memory, ``simpul.complaints.open311.POSTS_PER_MINUTE``), so the script issues enough extra
  keys through ``simpul.complaints.service.issue_open311_key`` that no key is used more than
  50 times, and rotates over them and the demo's published key. It runs last, so the reads
  see the seeded data only.

For each scenario it prints requests, concurrency, requests per second, p50 and p99
latency, errors (any answer but the expected 200 or 201) and the ratio of its requests per
second to the baseline of the same run. Absolute times depend on the machine and its load;
compare the ratios. It also prints the size of the list page, peta.json and the Open311
answers, raw and gzip-compressed, and how many complaints each carries.

Run it from the repository root::

    .venv/bin/python bench/complaints.py [--requests N] [--concurrency C]

The database server is ``SIMPUL_BENCH_DATABASE_URL`` if set (its database
``simpul_bench_complaints`` is dropped and recreated), else the embedded PostgreSQL under
``var/bench-pgdata``, which keeps running afterwards for fast restarts (``--stop-database``
stops it). Exits non-zero if any request fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import math
import os
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx2
from bench.catalogue_search import BENCH_PGDATA, Result, print_table, server_url
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from tests.support.devserver import migrate_and_seed_demo, recreate_database, running_server

from simpul.complaints.open311 import POSTS_PER_MINUTE
from simpul.complaints.service import issue_open311_key
from simpul.core.database import sqlalchemy_url
from simpul.core.embedded import stop_embedded_server
from simpul.core.regions import get_region_by_slug
from simpul.demo.complaints import DEMO_OPEN311_KEY, seed_demo_complaints

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "simpul_bench_complaints"
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
REGION = "kota-bandung"
OPEN311 = f"/open311/{REGION}/v2"
SERVER_START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0
#: Posts per key at most: below the key's burst of 60, so no post waits for its bucket.
POSTS_PER_KEY = POSTS_PER_MINUTE - 10
#: Complaint pages rotated over.
COMPLAINT_PAGES = 8
#: What the Open311 posts say and where (categories that need a point, and two that do not).
POSTS = (
    ("jalan-rusak", "Jalan berlubang besar di depan sekolah, sudah dua minggu.", -6.8905, 107.617),
    ("sampah", "Sampah menumpuk di pinggir jalan dekat pasar, bau sekali.", -6.9175, 107.6191),
    ("drainase", "Saluran air tersumbat, air meluap ke jalan saat hujan.", -6.9147, 107.6098),
    ("penerangan-jalan", "Lampu jalan mati tiga titik sejak minggu lalu.", -6.885, 107.6135),
    ("adminduk", "Antrean perekaman KTP-el sangat lama, mohon ditambah petugas.", None, None),
    ("aspirasi", "Usul taman kota ditambah bangku dan tempat sampah terpilah.", None, None),
)


#: A request to send: the i-th request of a scenario, as (method, path, form body).
Maker = Callable[[int], tuple[str, str, dict[str, str] | None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    make: Maker
    expected_status: int = 200


def get(*paths: str) -> Maker:
    """GETs rotating over ``paths``."""
    return lambda i: ("GET", paths[i % len(paths)], None)


def open311_post(keys: Sequence[str]) -> Maker:
    """Open311 posts rotating over the keys (so each stays below its burst) and the texts."""

    def make(i: int) -> tuple[str, str, dict[str, str] | None]:
        code, description, lat, lng = POSTS[i % len(POSTS)]
        form = {
            "api_key": keys[i % len(keys)],
            "service_code": code,
            "description": f"{description} (bench {i})",
            "address_string": "Kota Bandung",
            "first_name": "Bench",
            "device_id": "bench-complaints",
        }
        if lat is not None and lng is not None:
            # Spread over a few hundred metres, as reports of one street would be.
            form["lat"] = f"{lat + (i % 50) * 0.0007:.5f}"
            form["long"] = f"{lng + (i % 37) * 0.0007:.5f}"
        return "POST", f"{OPEN311}/requests.json", form

    return make


def scenarios(numbers: Sequence[str], keys: Sequence[str]) -> list[Scenario]:
    pages = tuple(f"/{REGION}/pengaduan/{n}" for n in numbers)
    return [
        Scenario("healthz (baseline)", get("/healthz")),
        Scenario("list page", get(f"/{REGION}/pengaduan")),
        Scenario("peta.json", get(f"/{REGION}/pengaduan/peta.json")),
        Scenario("complaint page", get(*pages)),
        Scenario("Open311 requests.json", get(f"{OPEN311}/requests.json")),
        Scenario("Open311 requests.xml", get(f"{OPEN311}/requests.xml")),
        Scenario("Open311 POST (filing)", open311_post(keys), expected_status=201),
    ]


# -- database -------------------------------------------------------------------------------


def prepare_database(posts: int) -> tuple[str, list[str]]:
    """A fresh database with the demo region and its year of complaints, and enough Open311
    keys for ``posts`` posts; returns its URL and the keys (the demo's first)."""
    url = recreate_database(server_url(), BENCH_DATABASE)
    report = migrate_and_seed_demo(url)
    engine = create_engine(sqlalchemy_url(url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            complaints = seed_demo_complaints(session, region)
            keys = [DEMO_OPEN311_KEY] + [
                issue_open311_key(session, region, f"Bench {n}", "bench")
                for n in range(1, math.ceil(posts / POSTS_PER_KEY))
            ]
    finally:
        engine.dispose()
    print(
        f"seeded {report.region.name}: {report.agencies} agencies, {report.services} services, "
        f"{complaints} past complaints; {len(keys)} Open311 keys (the demo's + "
        f"{len(keys) - 1} issued)"
    )
    return url, keys


# -- HTTP load ------------------------------------------------------------------------------


async def drive(
    client: httpx2.AsyncClient,
    make: Maker,
    *,
    first: int,
    requests: int,
    concurrency: int,
    max_seconds: float,
    expected_status: int,
) -> tuple[int, float, list[float], int]:
    """Send up to ``requests`` requests (``make(first)``, ``make(first + 1)``...) with
    ``concurrency`` in flight, stopping after ``max_seconds``; return (sent, elapsed seconds,
    latencies in s, errors)."""
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
            method, path, form = make(first + i)
            began = time.perf_counter()
            try:
                response = await client.request(method, path, data=form)
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
    base_url: str,
    chosen: list[Scenario],
    *,
    requests: int,
    posts: int,
    concurrency: int,
    warmup: int,
    max_seconds: float,
) -> list[Result]:
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[Result] = []
    async with httpx2.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
    ) as client:
        for scenario in chosen:
            count = posts if scenario.expected_status == 201 else requests
            _, _, _, warm_errors = await drive(
                client,
                scenario.make,
                first=0,
                requests=warmup,
                concurrency=concurrency,
                max_seconds=max_seconds,
                expected_status=scenario.expected_status,
            )
            sent, seconds, latencies, errors = await drive(
                client,
                scenario.make,
                first=warmup,
                requests=count,
                concurrency=concurrency,
                max_seconds=max_seconds,
                expected_status=scenario.expected_status,
            )
            results.append(
                Result(scenario.name, sent, concurrency, seconds, latencies, errors + warm_errors)
            )
    return results


# -- what the pages carry -------------------------------------------------------------------


def fetch(base_url: str, path: str, encoding: str = "identity") -> tuple[int, bytes, str]:
    """(status, body as sent, Content-Encoding) of one GET."""
    request = urllib.request.Request(base_url + path, headers={"Accept-Encoding": encoding})
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
        return response.status, response.read(), response.headers.get("Content-Encoding", "")


def complaint_numbers(base_url: str) -> tuple[list[str], int]:
    """A few public complaints whose page answers 200 (spread over the map's list), and how
    many points the map has."""
    _, body, _ = fetch(base_url, f"/{REGION}/pengaduan/peta.json")
    features = json.loads(body)["features"]
    if not features:
        raise RuntimeError("peta.json has no complaint: was the year of complaints seeded?")
    step = max(1, len(features) // COMPLAINT_PAGES)
    numbers = []
    for feature in features[::step]:
        number = feature["properties"]["number"]
        if fetch(base_url, f"/{REGION}/pengaduan/{number}")[0] == 200:
            numbers.append(number)
        if len(numbers) == COMPLAINT_PAGES:
            break
    return numbers, len(features)


def page_sizes(base_url: str) -> list[tuple[str, int, int, int]]:
    """(response, complaints in it, raw bytes, gzip bytes) as sent over the wire."""
    pages = [
        ("list page", f"/{REGION}/pengaduan"),
        ("peta.json", f"/{REGION}/pengaduan/peta.json"),
        ("Open311 requests.json", f"{OPEN311}/requests.json"),
        ("Open311 requests.xml", f"{OPEN311}/requests.xml"),
    ]
    sizes: list[tuple[str, int, int, int]] = []
    for label, path in pages:
        _, raw, _ = fetch(base_url, path)
        _, compressed, content_encoding = fetch(base_url, path, "gzip")
        if content_encoding != "gzip":
            raise RuntimeError(f"{path} was not gzip-compressed")
        if label == "peta.json":
            carried = len(json.loads(raw)["features"])
        elif label == "Open311 requests.json":
            carried = len(json.loads(raw))
        elif label == "Open311 requests.xml":
            carried = raw.count(b"<request>")
        else:
            carried = raw.count(f'<h2><a href="/{REGION}/pengaduan/'.encode())
        sizes.append((label, carried, len(raw), len(compressed)))
    return sizes


# -- report ---------------------------------------------------------------------------------


def print_sizes(sizes: list[tuple[str, int, int, int]]) -> None:
    print()
    print(f"{'response':<22} {'items':>6} {'raw bytes':>10} {'gzip bytes':>10} {'gzip/raw':>8}")
    for label, carried, raw, compressed in sizes:
        print(f"{label:<22} {carried:>6} {raw:>10} {compressed:>10} {compressed / raw:>8.2f}")
    print("(items: complaints carried: rows, features, requests)")


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=1000, help="requests per scenario")
    parser.add_argument(
        "--posts", type=int, default=None, help="Open311 posts (default: --requests)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument(
        "--max-seconds", type=float, default=15.0, help="time limit of each scenario"
    )
    parser.add_argument(
        "--stop-database", action="store_true", help="stop the embedded PostgreSQL at the end"
    )
    args = parser.parse_args(argv)
    if args.posts is None:
        args.posts = args.requests
    if (
        args.requests < 1
        or args.posts < 1
        or args.concurrency < 1
        or args.warmup < 0
        or args.max_seconds <= 0
    ):
        parser.error("--requests, --posts, --concurrency, --max-seconds must be > 0; --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="simpul-bench-") as tmp:
        data_dir = Path(tmp)
        os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
        os.environ["SIMPUL_DATA_DIR"] = str(data_dir)
        try:
            url, keys = prepare_database(args.warmup + args.posts)
            with running_server(
                url, secret_key=BENCH_SECRET, data_dir=data_dir, timeout=SERVER_START_TIMEOUT
            ) as base_url:
                load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                print(f"simpul serve at {base_url}; {os.cpu_count()} CPUs, load average {load}")
                numbers, points = complaint_numbers(base_url)
                print(f"peta.json: {points} points; complaint pages: {', '.join(numbers)}")
                sizes = page_sizes(base_url)  # before the posts add complaints
                results = asyncio.run(
                    run_scenarios(
                        base_url,
                        scenarios(numbers, keys),
                        requests=args.requests,
                        posts=args.posts,
                        concurrency=args.concurrency,
                        warmup=args.warmup,
                        max_seconds=args.max_seconds,
                    )
                )
        finally:
            if args.stop_database and not os.environ.get("SIMPUL_BENCH_DATABASE_URL"):
                stop_embedded_server(BENCH_PGDATA)
    print()
    print_table(results)
    print_sizes(sizes)
    errors = sum(r.errors for r in results)
    if errors:
        print(f"\n{errors} requests failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
