"""Scale benchmark: officer, admin and API pages of a region after years of use, against the demo.

It makes two databases on one PostgreSQL server, both seeded with the demo region Kota Bandung
by the real seeding code (``simpul migrate`` and ``simpul seed-demo``):

* ``simpul_scale_demo``: the demo only (the baseline);
* ``simpul_scale_<N>_<M>``: the demo plus ``--applications N`` applications and
  ``--log-records M`` gateway message log records, generated through SQL in the shapes the
  services write (``bench/scale_data.py`` says how). Then ``simpul rollups rebuild`` when that
  command exists, ``simpul audit verify`` (must pass), and ANALYZE.

Then, against a real ``simpul serve`` (one worker) on each database in turn, logged in as the
demo officer, the demo admin and the demo citizen (web sessions through the login form; API
tokens made through ``accounts.service``), it times every page of the list below with
sequential requests: ``--warmup`` unmeasured, then ``--samples`` measured. It prints, per page,
median and p95 at the demo's size and at N, and ``growth = p95 at N / p95 at demo``, then the
disk used per application and per log record (``pg_total_relation_size`` of the tables, per
row) and what a month at 1,000 calls/s would take. The last line is JSON with
``worst_p95_ms``, ``worst_growth`` and the figures.

Run it from the repository root::

    .venv/bin/python -m bench.scale --applications 100000 --log-records 1000000 [--reuse]

``--reuse`` keeps a generated database that already holds the data (generation at 1M+ takes a
while); without it both databases are made afresh. The PostgreSQL server is
``SIMPUL_BENCH_DATABASE_URL`` if set, else the embedded one under ``var/bench-pgdata``.
Exits 1 if a page fails or the log does not verify.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import httpx2
import psycopg
from bench import scale_data
from psycopg import sql
from sqlalchemy.orm import Session
from tests.support.devserver import libpq_url, server_process

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.core.database import make_engine, make_session_factory, sqlalchemy_url
from simpul.core.embedded import start_embedded_server, with_database
from simpul.core.kit.periods import today_in
from simpul.core.regions import get_region_by_slug
from simpul.core.settings import get_settings
from simpul.gateway.monitor import service as monitor_service

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
DATA_ROOT = ROOT / "var" / "scale-data"
DEMO_DATABASE: Final = "simpul_scale_demo"
BENCH_SECRET: Final = "bench-secret-key-not-for-production-0123456789"
REGION: Final = scale_data.REGION
IMC: Final = "kota-bandung/GOV/diskominfo/simpul-bench-scale"
OFFICER: Final = ("petugas.disdukcapil@example.org", "petugas-demo")
ADMIN: Final = ("admin@example.org", "admin-demo")
CITIZEN: Final = ("warga@example.org", "warga-demo")
CALLS_PER_SECOND: Final = 1000
SECONDS_PER_MONTH: Final = 30 * 86400
REQUEST_TIMEOUT: Final = 600.0
#: Tables that grow with applications (what one application costs on disk).
APPLICATION_TABLES: Final = (
    "application",
    "application_event",
    "application_identifier",
    "task",
    "document",
    "notification",
    "notification_delivery",
    "savings_entry",
    "survey_response",
    "document_job",
    "issued_document",
    "audit_event",
)
LOG_TABLES: Final = ("gateway_message", "gateway_log_seal")
#: Lifted for the run: one loopback client stands for everyone.
SERVER_ENV: Final = {
    "SIMPUL_PUBLIC_STATISTICS_PER_MINUTE": "1000000",
    "SIMPUL_LOGIN_MAX_FAILURES_PER_IP": "1000",
}


@dataclass(frozen=True)
class Page:
    name: str
    who: str  # officer, admin, citizen (web session); officer_api, citizen_api (token)
    path: str


def pages(today: date, ids: dict[str, str]) -> list[Page]:
    """Every page the issue lists (``ids``: the demo applications the citizen and task pages
    show, found in each database)."""
    one_year = f"dari={today - timedelta(days=365):%Y-%m-%d}&sampai={today:%Y-%m-%d}"
    three_years = f"dari={today - timedelta(days=3 * 365):%Y-%m-%d}&sampai={today:%Y-%m-%d}"
    kpi = f"/{REGION}/admin/kinerja"
    registration = f"/api/{REGION}/registration"
    return [
        Page("KPI dashboard 1 year", "admin", f"{kpi}?{one_year}"),
        Page("KPI dashboard 3 years", "admin", f"{kpi}?{three_years}"),
        Page("KPI CSV 1 year", "admin", f"{kpi}.csv?{one_year}"),
        Page("KPI XLSX 1 year", "admin", f"{kpi}.xlsx?{one_year}"),
        Page("KPI CSV 3 years", "admin", f"{kpi}.csv?{three_years}"),
        Page("comparison", "admin", f"/{REGION}/admin/perbandingan"),
        Page("IKM report", "admin", f"/{REGION}/admin/ikm"),
        Page("savings", "admin", f"/{REGION}/admin/penghematan"),
        Page("API /data/statistics", "citizen_api", f"{registration}/data/statistics"),
        Page("inbox terbuka", "officer", f"/{REGION}/petugas/kotak-masuk?tampil=terbuka"),
        Page("inbox saya", "officer", f"/{REGION}/petugas/kotak-masuk?tampil=saya"),
        Page("inbox selesai", "officer", f"/{REGION}/petugas/kotak-masuk?tampil=selesai"),
        Page("API /applications (officer)", "officer_api", f"/api/{REGION}/applications"),
        Page("Registration /applications", "officer_api", f"{registration}/applications"),
        Page("Registration /tasks", "officer_api", f"{registration}/tasks"),
        Page("gateway monitor 24 h", "admin", f"/{REGION}/admin/integrasi/pantau?jendela=24j"),
        Page("gateway monitor 7 days", "admin", f"/{REGION}/admin/integrasi/pantau?jendela=7h"),
        Page("task page (officer)", "officer", f"/{REGION}/petugas/permohonan/{ids['task']}"),
        Page("citizen: my applications", "citizen", f"/{REGION}/permohonan"),
        Page("citizen: application", "citizen", f"/{REGION}/permohonan/{ids['own']}"),
        Page("citizen: notifications", "citizen", f"/{REGION}/notifikasi"),
        Page("catalogue", "citizen", f"/{REGION}/layanan"),
    ]


# -- databases -------------------------------------------------------------------------------


def server_url() -> str:
    configured = os.environ.get("SIMPUL_BENCH_DATABASE_URL")
    if configured:
        return configured
    return start_embedded_server(BENCH_PGDATA)


def database_exists(server: str, name: str) -> bool:
    with psycopg.connect(libpq_url(server), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def drop_and_create(server: str, name: str) -> str:
    with psycopg.connect(libpq_url(server), autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
    return with_database(server, name)


def secret() -> str:
    """The server secret of this process: the commands and servers it starts use it too (the
    generator encrypts NIKs with it in this process)."""
    return get_settings().resolved_secret_key()


def simpul(
    url: str, data_dir: Path, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the ``simpul`` command against ``url``."""
    env = {
        **os.environ,
        "SIMPUL_DATABASE_URL": url,
        "SIMPUL_SECRET_KEY": secret(),
        "SIMPUL_DATA_DIR": str(data_dir),
    }
    program = Path(sys.executable).parent / "simpul"
    done = subprocess.run(
        [str(program), *args], env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"simpul {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def seed_demo(url: str, data_dir: Path) -> None:
    """The demo region through the real seeding code (what ``make demo`` runs)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    simpul(url, data_dir, "migrate")
    simpul(url, data_dir, "seed-demo")


def rebuild_rollups(url: str, data_dir: Path) -> str:
    """``simpul rollups rebuild`` when this version has it; what happened, in words."""
    probe = simpul(url, data_dir, "rollups", "--help", check=False)
    if probe.returncode != 0:
        return "no `simpul rollups` in this version: skipped"
    began = time.perf_counter()
    simpul(url, data_dir, "rollups", "rebuild")
    return f"simpul rollups rebuild: {time.perf_counter() - began:.1f} s"


def verify_log(url: str, data_dir: Path) -> tuple[bool, str]:
    began = time.perf_counter()
    done = simpul(url, data_dir, "audit", "verify", "--region", REGION, check=False)
    took = time.perf_counter() - began
    said = done.stderr.strip().splitlines()
    return done.returncode == 0, f"{said[-1] if said else ''} ({took:.1f} s)"


def analyze(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def generated_counts(url: str) -> tuple[int, int]:
    """(applications, log records) a database holds."""
    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM application), (SELECT count(*) FROM gateway_message)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def generate(
    url: str,
    data_dir: Path,
    applications: int,
    log_records: int,
    log_days: float,
    years: int,
    *,
    check_keys: bool = False,
) -> dict[str, Any]:
    """Seed the demo, then add the generated data; returns timings and findings."""
    began = time.perf_counter()
    seed_demo(url, data_dir)
    print(f"  demo seeded in {time.perf_counter() - began:.1f} s")
    engine = make_engine(sqlalchemy_url(url), get_settings())
    factory = make_session_factory(engine)
    info: dict[str, Any] = {}
    try:
        with factory() as session:
            region = get_region_by_slug(session, REGION)
            assert region is not None
            started = time.perf_counter()
            citizens = scale_data.generate_applications(
                url, session, region.id, applications, years=years, check_keys=check_keys
            )
            info["generate_applications_s"] = round(time.perf_counter() - started, 1)
            info["citizens"] = citizens
            started = time.perf_counter()
            info["seals"] = scale_data.generate_log(
                url, session, region.id, log_records, days=log_days
            )
            info["generate_log_s"] = round(time.perf_counter() - started, 1)
            # The monitor reads its traffic rollup, which the log writer keeps; rows COPYed
            # here bypass the writer, so the rollup is recounted from them (as an import would).
            started = time.perf_counter()
            monitor_service.recount_traffic(session, region.id)
            session.commit()
            info["recount_traffic_s"] = round(time.perf_counter() - started, 1)
    finally:
        engine.dispose()
    info["rollups"] = rebuild_rollups(url, data_dir)
    print(f"  {info['rollups']}")
    started = time.perf_counter()
    analyze(url)
    info["analyze_s"] = round(time.perf_counter() - started, 1)
    return info


# -- disk ------------------------------------------------------------------------------------


def disk_use(url: str) -> dict[str, Any]:
    """Bytes per application and per log record (every table that grows with them)."""
    with psycopg.connect(libpq_url(url)) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM application), (SELECT count(*) FROM gateway_message)"
        ).fetchone()
        assert counts is not None
        # A partitioned table (the audit trail, the message log) holds nothing itself: its
        # size is its partitions'.
        per_table = {
            table: int(size)
            for table, size in conn.execute(
                "SELECT t, pg_total_relation_size(t::regclass)"
                " + (SELECT coalesce(sum(pg_total_relation_size(p.relid)), 0)"
                " FROM pg_partition_tree(t::regclass) p WHERE p.relid <> t::regclass)"
                " FROM unnest(%s::text[]) t",
                (list(APPLICATION_TABLES + LOG_TABLES),),
            )
        }
        applications, messages = int(counts[0]), int(counts[1])
        app_bytes = sum(per_table[table] for table in APPLICATION_TABLES)
        log_bytes = sum(per_table[table] for table in LOG_TABLES)
    per_application = app_bytes / applications if applications else 0.0
    per_record = log_bytes / messages if messages else 0.0
    month = per_record * CALLS_PER_SECOND * SECONDS_PER_MONTH
    return {
        "applications": applications,
        "log_records": messages,
        "bytes_per_application": round(per_application),
        "bytes_per_log_record": round(per_record),
        "log_month_at_1000_per_s_gb": round(month / 1e9, 1),
        "tables_bytes": per_table,
    }


# -- timing ----------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def median(values: Sequence[float]) -> float:
    return percentile(values, 0.5)


def web_login(base_url: str, email: str, password: str) -> httpx2.Client:
    """A client holding a web session, logged in through the login form (with its CSRF token)."""
    client = httpx2.Client(base_url=base_url, timeout=REQUEST_TIMEOUT, trust_env=False)
    form = client.get(f"/{REGION}/masuk")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    data = {"email": email, "password": password}
    if found:
        data["csrf_token"] = found.group(1)
    answer = client.post(f"/{REGION}/masuk", data=data)
    if answer.status_code != 303:
        raise RuntimeError(f"login as {email} failed: {answer.status_code} {answer.text[:300]}")
    return client


def api_tokens(url: str) -> dict[str, str]:
    """Fresh API tokens of the demo officer and citizen (committed)."""
    engine = make_engine(sqlalchemy_url(url), get_settings())
    try:
        with Session(engine) as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            tokens = {}
            for who, (email, _password) in (("officer_api", OFFICER), ("citizen_api", CITIZEN)):
                user = session.query(User).filter_by(region_id=region.id, email=email).one()
                _token, raw = accounts_service.create_api_token(session, user, "bench-scale")
                tokens[who] = raw
            return tokens
    finally:
        engine.dispose()


def page_ids(url: str) -> tuple[dict[str, str], date]:
    """The demo citizen's waiting application (its task page and its own page), and today."""
    engine = make_engine(sqlalchemy_url(url), get_settings())
    try:
        with Session(engine) as session:
            region = get_region_by_slug(session, REGION)
            assert region is not None
            today = today_in(region)
        with psycopg.connect(libpq_url(url)) as conn:
            row = conn.execute(
                "SELECT a.id FROM application a JOIN user_account u ON u.id = a.applicant_id"
                " JOIN service s ON s.id = a.service_id"
                " WHERE u.email = %s AND s.slug = 'akta-kelahiran' AND a.status = 'submitted'",
                (CITIZEN[0],),
            ).fetchone()
        assert row is not None, "the demo citizen's waiting application is missing"
        return {"task": str(row[0]), "own": str(row[0])}, today
    finally:
        engine.dispose()


def pages_for(url: str) -> list[Page]:
    """The pages to time on the database at ``url``."""
    ids, today = page_ids(url)
    return pages(today, ids)


@dataclass
class Timing:
    page: Page
    samples: list[float]
    errors: list[str]


def time_pages(url: str, data_dir: Path, *, samples: int, warmup: int) -> list[Timing]:
    """Start ``simpul serve`` on ``url`` and time every page, one request at a time."""
    tokens = api_tokens(url)
    listed = pages_for(url)
    results: list[Timing] = []
    with server_process(
        url, secret_key=secret(), data_dir=data_dir, workers=1, timeout=120, env=SERVER_ENV
    ) as server:
        averages = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"  simpul serve at {server.base_url}; {os.cpu_count()} CPUs, load average {averages}"
        )
        clients: dict[str, httpx2.Client] = {
            "officer": web_login(server.base_url, *OFFICER),
            "admin": web_login(server.base_url, *ADMIN),
            "citizen": web_login(server.base_url, *CITIZEN),
        }
        for who, token in tokens.items():
            clients[who] = httpx2.Client(
                base_url=server.base_url,
                timeout=REQUEST_TIMEOUT,
                trust_env=False,
                headers={"Authorization": f"Bearer {token}", "Information-Mediator-Client": IMC},
            )
        try:
            for page in listed:
                client = clients[page.who]
                timing = Timing(page, [], [])
                for n in range(warmup + samples):
                    began = time.perf_counter()
                    answer = client.get(page.path)
                    answer.read()
                    took = time.perf_counter() - began
                    if answer.status_code != 200:
                        timing.errors.append(f"{answer.status_code} {answer.text[:200]}")
                    elif n >= warmup:
                        timing.samples.append(took)
                results.append(timing)
                print(
                    f"    {page.name:<30} median {median(timing.samples) * 1000:9.1f} ms"
                    f"  p95 {percentile(timing.samples, 0.95) * 1000:9.1f} ms"
                    + (
                        f"  ERRORS {len(timing.errors)}: {timing.errors[0]}"
                        if timing.errors
                        else ""
                    )
                )
        finally:
            for client in clients.values():
                client.close()
    return results


# -- report ----------------------------------------------------------------------------------


def report(demo: list[Timing], big: list[Timing], label: str) -> dict[str, Any]:
    header = (
        f"{'page':<30} {'demo p50':>9} {'demo p95':>9} {label + ' p50':>12} "
        f"{label + ' p95':>12} {'growth':>7}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    for small, large in zip(demo, big, strict=True):
        d50, d95 = median(small.samples) * 1000, percentile(small.samples, 0.95) * 1000
        n50, n95 = median(large.samples) * 1000, percentile(large.samples, 0.95) * 1000
        growth = n95 / d95 if d95 else 0.0
        rows.append(
            {
                "page": large.page.name,
                "demo_median_ms": round(d50, 1),
                "demo_p95_ms": round(d95, 1),
                "median_ms": round(n50, 1),
                "p95_ms": round(n95, 1),
                "growth": round(growth, 2),
                "errors": len(small.errors) + len(large.errors),
            }
        )
        print(
            f"{large.page.name:<30} {d50:>9.1f} {d95:>9.1f} {n50:>12.1f} {n95:>12.1f} "
            f"{growth:>7.2f}"
        )
    return {"pages": rows}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--log-records", type=int, default=1_000_000)
    parser.add_argument("--log-days", type=float, default=7.0, help="the log spans these days")
    parser.add_argument("--years", type=int, default=3, help="applications span these years")
    parser.add_argument("--samples", type=int, default=20, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests per page")
    parser.add_argument(
        "--check-keys",
        action="store_true",
        help="keep foreign-key checks while loading (slower; the test does)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep a generated database")
    parser.add_argument(
        "--database", help="name of the generated database (default simpul_scale_<N>_<M>)"
    )
    args = parser.parse_args(argv)
    if args.applications < 0 or args.log_records < 0 or args.samples < 1 or args.warmup < 0:
        parser.error("sizes must be >= 0, --samples >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
    get_settings.cache_clear()
    server = server_url()
    name = args.database or f"simpul_scale_{args.applications}_{args.log_records}"
    data_dir = DATA_ROOT / name
    demo_dir = DATA_ROOT / DEMO_DATABASE
    info: dict[str, Any] = {"database": name}
    url = with_database(server, name)
    reuse = args.reuse and database_exists(server, name)
    if reuse:
        print(f"reusing {name}")
    else:
        print(f"generating {name}: {args.applications} applications, {args.log_records} records")
        url = drop_and_create(server, name)
        info |= generate(
            url,
            data_dir,
            args.applications,
            args.log_records,
            args.log_days,
            args.years,
            check_keys=args.check_keys,
        )
    applications, records_held = generated_counts(url)
    info["applications_held"], info["log_records_held"] = applications, records_held
    verified, words = verify_log(url, data_dir)
    info["audit_verify"] = words
    print(f"  simpul audit verify: {'passed' if verified else 'FAILED'}: {words}")
    disk = disk_use(url)
    demo_url = with_database(server, DEMO_DATABASE)
    if not (args.reuse and database_exists(server, DEMO_DATABASE)):
        print(f"seeding {DEMO_DATABASE}")
        demo_url = drop_and_create(server, DEMO_DATABASE)
        seed_demo(demo_url, demo_dir)
        analyze(demo_url)
    print(f"timing at the demo's size ({DEMO_DATABASE})")
    small = time_pages(demo_url, demo_dir, samples=args.samples, warmup=args.warmup)
    print(f"timing at {applications} applications, {records_held} log records ({name})")
    big = time_pages(url, data_dir, samples=args.samples, warmup=args.warmup)
    print()
    label = f"{applications // 1000}k" if applications < 1_000_000 else f"{applications / 1e6:g}M"
    result = report(small, big, label)
    print()
    print(
        f"disk: {disk['bytes_per_application']} bytes per application "
        f"({', '.join(APPLICATION_TABLES)}), {disk['bytes_per_log_record']} bytes per log record "
        f"with its seals; a month at {CALLS_PER_SECOND} calls/s: "
        f"{disk['log_month_at_1000_per_s_gb']} GB"
    )
    errors = sum(row["errors"] for row in result["pages"])
    worst_p95 = max(row["p95_ms"] for row in result["pages"])
    worst_growth = max(row["growth"] for row in result["pages"])
    summary = {
        "applications": applications,
        "log_records": records_held,
        "worst_p95_ms": worst_p95,
        "worst_p95_page": max(result["pages"], key=lambda r: r["p95_ms"])["page"],
        "worst_growth": worst_growth,
        "worst_growth_page": max(result["pages"], key=lambda r: r["growth"])["page"],
        "audit_verify_ok": verified,
        "errors": errors,
        **{k: v for k, v in disk.items() if k != "tables_bytes"},
        "tables_bytes": disk["tables_bytes"],
        **info,
        "pages": result["pages"],
    }
    print(json.dumps(summary, default=str))
    return 0 if verified and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
