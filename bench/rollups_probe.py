"""Probe of the KPI rollups on a database that already holds the demo (``simpul seed-demo``).

Times, in this process (no HTTP), the reports the rollups serve, then adds ``--applications``
generated applications to the demo region by SQL (the shapes the services write: the row,
its submit and final history steps, its decided tasks), runs ``simpul rollups rebuild``'s
function, and times them again, with the recount from the source rows as the baseline of the
same run. It prints medians and the ratio of each to its time before the generation.

    SIMPUL_DATABASE_URL=postgresql://... .venv/bin/python bench/rollups_probe.py \\
        --applications 200000

The figures are observations for a decision (0034), not targets: ``bench/scale.py`` is the
benchmark of issue 14.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session
from tests.evaluation.rollups import recount

from simpul.applications.statistics import service_statistics
from simpul.core.database import get_engine, make_session_factory
from simpul.core.kit.periods import Period, today_in
from simpul.core.models import Region
from simpul.evaluation.kpis import repository as kpis_repository
from simpul.evaluation.kpis.report import build_report
from simpul.evaluation.rollups import service as rollups
from simpul.evaluation.savings.report import build_report as savings_report
from simpul.evaluation.surveys.report import build_report as ikm_report
from simpul.wiring import subscribe_all

GENERATE = """
WITH made AS (
    INSERT INTO application (id, region_id, service_id, applicant_id, tracking_number, status,
        current_step, data, application_name, submitted_at, due_date, paused_working_days,
        finished_at, channel, created_at, updated_at)
    SELECT gen_random_uuid(), :region, services[1 + (i % cardinality(services))], :applicant,
        'G' || lpad(i::text, 12, '0') || substr(md5(random()::text), 1, 6),
        status::application_status,
        'persetujuan', '{}'::jsonb, '', submitted, (submitted + interval '6 days')::date, 0,
        CASE WHEN status IN ('completed', 'rejected')
             THEN submitted + random() * interval '14 days' END,
        CASE WHEN i % 3 = 0 THEN 'counter' ELSE 'web' END, submitted, submitted
    FROM (
        SELECT i, now() - random() * interval '1095 days' AS submitted,
            CASE WHEN r < 0.7 THEN 'completed' WHEN r < 0.8 THEN 'rejected'
                 WHEN r < 0.85 THEN 'returned' ELSE 'submitted' END AS status,
            (SELECT array_agg(id ORDER BY id) FROM service WHERE region_id = :region) AS services
        FROM (SELECT i, random() AS r FROM generate_series(1, :n) AS i) AS numbered
    ) AS planned
    RETURNING id, region_id, service_id, status, submitted_at, finished_at, due_date
), submitted AS (
    INSERT INTO application_event (id, region_id, application_id, at, actor_label, action,
        from_status, to_status, note)
    SELECT gen_random_uuid(), region_id, id, submitted_at, 'warga', 'submit', 'draft',
        'submitted', '' FROM made
), decided AS (
    INSERT INTO application_event (id, region_id, application_id, at, actor_label, action,
        from_status, to_status, note)
    SELECT gen_random_uuid(), region_id, id, coalesce(finished_at, submitted_at
        + interval '1 day'), 'petugas', status::text, 'submitted', status::text, ''
    FROM made WHERE status <> 'submitted'
)
INSERT INTO task (id, region_id, application_id, agency_id, service_id, step, step_name, role,
    status, assignee_id, created_at, completed_at, outcome, note, due_date)
SELECT gen_random_uuid(), made.region_id, made.id, service.agency_id, service.id, 'persetujuan',
    'Persetujuan', 'penyetuju', 'completed', :officer, made.submitted_at,
    coalesce(made.finished_at, made.submitted_at + interval '1 day'),
    (CASE made.status WHEN 'completed' THEN 'approve' WHEN 'rejected' THEN 'reject'
        ELSE 'return' END)::task_outcome, '', made.due_date
FROM made JOIN service ON service.id = made.service_id WHERE made.status <> 'submitted'
"""


def _median_ms(call: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _recount_kpis(session: Session, region: Region, period: Period) -> None:
    """What the dashboard read before the rollups (every finished application, in Python)."""
    start, end = period.bounds(region.timezone)
    recount.received_by_service(session, region.id, start, end)
    recount.finished_applications(session, region.id, start, end)
    kpis_repository.backlog_by_service(session, region.id, end, today_in(region))
    recount.counts_by_month(session, region.id, region.timezone, start, end)


def _recount_statistics(session: Session, region: Region) -> None:
    recount.count_decisions(
        session,
        region.id,
        since=None,
        until=None,
        timezone=region.timezone,
        unit=None,
        service_name=None,
        operator_name=None,
        role=None,
    )
    recount.count_received(
        session,
        region.id,
        since=None,
        until=None,
        timezone=region.timezone,
        unit=None,
        service_name=None,
    )


def measure(session: Session, region: Region, runs: int) -> dict[str, float]:
    today = today_in(region)
    year = Period(today - dt.timedelta(days=364), today)
    three = Period(today - dt.timedelta(days=3 * 365), today)
    found = {
        "kpi_1y": _median_ms(lambda: build_report(session, region, year, today), runs),
        "kpi_3y": _median_ms(lambda: build_report(session, region, three, today), runs),
        "kpi_3y_recount": _median_ms(
            lambda: _recount_kpis(session, region, three), max(1, runs // 3)
        ),
        "statistics": _median_ms(lambda: service_statistics(session, region), runs),
        "statistics_recount": _median_ms(
            lambda: _recount_statistics(session, region), max(1, runs // 3)
        ),
        "ikm_1y": _median_ms(lambda: ikm_report(session, region, year), runs),
        "savings_1y": _median_ms(lambda: savings_report(session, region, year), runs),
    }
    return {name: round(ms, 1) for name, ms in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--applications", type=int, default=200_000, help="0: only time the reports"
    )
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    subscribe_all()
    session = make_session_factory(get_engine())()
    region = session.query(Region).filter_by(slug="kota-bandung").one()
    demo = measure(session, region, args.runs)
    print("before:", json.dumps(demo))
    if not args.applications:
        return
    applicant = session.execute(
        text("SELECT id FROM user_account WHERE region_id = :r AND kind = 'citizen' LIMIT 1"),
        {"r": region.id},
    ).scalar_one()
    officer = session.execute(
        text("SELECT id FROM user_account WHERE region_id = :r AND kind = 'staff' LIMIT 1"),
        {"r": region.id},
    ).scalar_one()
    started = time.perf_counter()
    session.execute(
        text(GENERATE),
        {"region": region.id, "applicant": applicant, "officer": officer, "n": args.applications},
    )
    session.commit()
    generated = time.perf_counter() - started
    started = time.perf_counter()
    counted = rollups.rebuild_region(session, region.id)
    session.commit()
    rebuilt = time.perf_counter() - started
    session.execute(text("ANALYZE"))
    session.commit()
    print(
        f"generated {args.applications} in {generated:.0f} s; rebuild of {counted}: {rebuilt:.0f} s"
    )
    large = measure(session, region, args.runs)
    print(f"{counted} applications:", json.dumps(large))
    ratios = {name: round(large[name] / demo[name], 2) for name in demo if demo[name]}
    print("ratio to before:", json.dumps(ratios))


if __name__ == "__main__":
    main()
