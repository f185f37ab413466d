"""Officer lists at scale: their query plans and times, as ratios to the demo's size.

Seeds the demo region Kota Bandung inside one transaction of the given database, measures
every officer list (the inbox's views, its service filter and its search by number and by
name, the Registration API's files and tasks, Simpul's own applications API list; first
pages and a page reached by cursor) at the demo's size, then generates ``--applications``
applications (of one citizen per four) with their tasks by SQL in the shapes the services
write (statuses, deadlines, open and decided tasks, ties of the sort keys), runs ANALYZE,
and measures again. Everything is rolled back at the end: nothing stays in the database.

For each list it prints the median and p95 time of the service call (the queries and the
ORM work, no HTTP), their ratio to the same list at the demo's size, and from
``EXPLAIN (ANALYZE, BUFFERS)`` of each statement the call made: the largest sort (rows)
and the temporary blocks written (a list read in its index's order sorts only its page and
writes none), and the indexes used. Absolute times depend on the machine; compare ratios.
The last line is JSON with ``worst_p95_ms``, ``worst_growth``, ``largest_sort_rows`` and
``temp_blocks``.

Run from the repository root against a migrated database (the test database will do; the
test suite empties it anyway)::

    .venv/bin/python bench/list_plans.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/t_lists \\
        [--applications 100000] [--runs 15] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, select, text
from sqlalchemy.orm import Session

from simpul.accounts import repository as accounts_repository
from simpul.accounts.models import User
from simpul.applications import access, registration_service, workflow
from simpul.applications import inbox as inbox_service
from simpul.applications import service as applications
from simpul.core.database import sqlalchemy_url
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from simpul.demo.seed import seed_demo
from simpul.wiring import subscribe_all

OFFICER = "petugas.disdukcapil@example.org"
VERBOSE = False
CITIZEN = "warga@example.org"


@dataclass
class Measured:
    name: str
    median_ms: float
    p95_ms: float
    largest_sort: int
    temp_blocks: int
    indexes: set[str]


@contextmanager
def captured(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The statements (and parameters) executed on the connection inside the block."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(connection, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(connection, "before_cursor_execute", keep)


def _walk(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


def explain(connection: Connection, statements: list[tuple[str, Any]]) -> tuple[int, int, set[str]]:
    """The largest sort's rows, the temporary blocks written and the indexes used."""
    largest, temp, indexes = 0, 0, set()
    for statement, parameters in statements:
        result = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
        ).scalar_one()
        if VERBOSE:
            top = result[0]
            print(f"  {top['Execution Time']:8.2f} ms  {' '.join(statement.split())[:150]}")
        for node in _walk(result[0]["Plan"]):
            if node["Node Type"] in ("Sort", "Incremental Sort"):
                largest = max(largest, int(node["Actual Rows"] * node.get("Actual Loops", 1)))
            temp += int(node.get("Temp Written Blocks", 0))
            if "Index Name" in node:
                indexes.add(node["Index Name"])
    return largest, temp, indexes


def measure(session: Session, name: str, call: Callable[[], object], runs: int) -> Measured:
    connection = session.connection()
    session.expunge_all()
    if VERBOSE:
        print(name)
    with captured(connection) as statements:
        call()
    largest, temp, indexes = explain(connection, statements)
    times = []
    for _ in range(runs):
        session.expunge_all()
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Measured(name, statistics.median(times), p95, largest, temp, indexes)


def scenarios(
    session: Session, region: Region, officer: User, citizen: User
) -> dict[str, Callable[[], object]]:
    def deep(call: Callable[[str | None], tuple[Any, str | None]]) -> Callable[[], object]:
        """The third page, reached by following two cursors (found once, then timed)."""
        cursor: str | None = None
        for _ in range(2):
            _rows, cursor = call(cursor)
        return lambda: call(cursor)

    def inbox(view: str, service: Any = None) -> Callable[[str | None], tuple[Any, str | None]]:
        def call(cursor: str | None) -> tuple[Any, str | None]:
            page = workflow.inbox(
                session, region, officer, view=view, service_id=service, cursor=cursor
            )
            return page.rows, page.next_cursor

        return call

    def inbox_filtered(**chosen: Any) -> Callable[[str | None], tuple[Any, str | None]]:
        """The inbox page as the officer's form asks for it (search and filters, 0044)."""

        def call(cursor: str | None) -> tuple[Any, str | None]:
            page = inbox_service.inbox_page(
                session, region, officer, inbox_service.InboxFilters(**chosen), cursor=cursor
            )
            return page.rows, page.next_cursor

        return call

    def files(user: User, order: str = "desc") -> Callable[[str | None], tuple[Any, str | None]]:
        def call(cursor: str | None) -> tuple[Any, str | None]:
            page = registration_service.list_files(
                session,
                region,
                user,
                service_id=None,
                applicant_id=None,
                page=registration_service.paging(None, 20, "created", order, cursor),
            )
            return page.rows, page.next_cursor

        return call

    def tasks(order: str = "desc") -> Callable[[str | None], tuple[Any, str | None]]:
        def call(cursor: str | None) -> tuple[Any, str | None]:
            page = registration_service.list_tasks(
                session,
                region,
                officer,
                main_task_id=None,
                file_id=None,
                assignee_id=None,
                page=registration_service.paging(None, 20, "created", order, cursor),
            )
            return page.rows, page.next_cursor

        return call

    def api_list(cursor: str | None) -> tuple[Any, str | None]:
        return applications.visible_application_rows(
            session, region, officer, limit=50, cursor=cursor
        )

    agencies = {agency for agency, _role in access.agency_roles(officer)}
    service_id = session.scalar(
        text(
            "SELECT s.id FROM service s JOIN task t ON t.application_id IN "
            "(SELECT a.id FROM application a WHERE a.service_id = s.id LIMIT 1) "
            "WHERE s.region_id = :r AND s.agency_id = ANY(:a) LIMIT 1"
        ),
        {"r": region.id, "a": list(agencies)},
    )
    # The newest application of the officer's agencies, not the demo citizen's: its number
    # and the rarest word of its applicant's name (the demo alone has none: a number and a
    # name nobody has, searched all the same).
    found = session.execute(
        text(
            "SELECT a.tracking_number, u.full_name, s.slug FROM application a"
            " JOIN service s ON s.id = a.service_id JOIN user_account u ON u.id = a.applicant_id"
            " WHERE a.region_id = :r AND s.agency_id = ANY(:a) AND a.status <> 'draft'"
            " AND a.applicant_id <> :c ORDER BY a.created_at DESC LIMIT 1"
        ),
        {"r": region.id, "a": list(agencies), "c": citizen.id},
    ).first()
    number, applicant, slug = found or ("2612-AAAA-AAAA", "Tidak Ada", "")
    if not slug:
        slug = session.scalar(
            text("SELECT slug FROM service WHERE agency_id = ANY(:a) ORDER BY slug LIMIT 1"),
            {"a": list(agencies)},
        )
    name_word = applicant.split()[-1]
    return {
        "inbox search, number": lambda: inbox_filtered(view="selesai", search=number)(None),
        "inbox search, number prefix": lambda: inbox_filtered(view="selesai", search=number[:9])(
            None
        ),
        "inbox search, name": lambda: inbox_filtered(view="selesai", search=name_word)(None),
        "inbox page, one service": lambda: inbox_filtered(view="terbuka", service=slug)(None),
        "inbox page, one service, selesai": lambda: inbox_filtered(view="selesai", service=slug)(
            None
        ),
        "inbox dikembalikan": lambda: inbox_filtered(view="dikembalikan")(None),
        "inbox terbuka": lambda: inbox("terbuka")(None),
        "inbox terbuka, page 3": deep(inbox("terbuka")),
        "inbox saya": lambda: inbox("saya")(None),
        "inbox selesai": lambda: inbox("selesai")(None),
        "inbox selesai, page 3": deep(inbox("selesai")),
        "inbox terbuka, one service": lambda: inbox("terbuka", service_id)(None),
        "registration /applications": lambda: files(officer)(None),
        "registration /applications, page 3": deep(files(officer)),
        "registration /applications asc": lambda: files(officer, "asc")(None),
        "registration /applications, citizen": lambda: files(citizen)(None),
        "registration /tasks": lambda: tasks()(None),
        "registration /tasks, page 3": deep(tasks()),
        "registration /tasks asc": lambda: tasks("asc")(None),
        "api /applications": lambda: api_list(None),
        "api /applications, page 3": deep(api_list),
    }


GENERATE = """
CREATE TEMP TABLE bench_service ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY s.id) - 1 AS n, s.id, s.agency_id,
       s.workflow->'steps'->0->>'code' AS first_code,
       s.workflow->'steps'->0->>'name' AS first_name,
       s.workflow->'steps'->0->>'role' AS first_role,
       s.workflow->'steps'->(jsonb_array_length(s.workflow->'steps') - 1)->>'code' AS last_code,
       s.workflow->'steps'->(jsonb_array_length(s.workflow->'steps') - 1)->>'name' AS last_name,
       s.workflow->'steps'->(jsonb_array_length(s.workflow->'steps') - 1)->>'role' AS last_role,
       jsonb_array_length(s.workflow->'steps') AS steps
FROM service s WHERE s.region_id = :region;

-- One citizen per four applications, named from a few common names (the inbox's search).
CREATE TEMP TABLE bench_citizen ON COMMIT DROP AS
SELECT c, gen_random_uuid() AS id FROM generate_series(0, :n / 4) AS c;

INSERT INTO user_account (id, region_id, kind, email, full_name, phone, password_hash,
    nik_hash, locale, is_active, activated_at)
SELECT c.id, :region, 'citizen', 'bench' || c.c || '@bench.example.org',
       (ARRAY['Siti', 'Budi', 'Dewi', 'Agus', 'Rina', 'Asep', 'Nur', 'Dedi'])[1 + c.c % 8]
           || ' ' || (ARRAY['Rahmawati', 'Santoso', 'Lestari', 'Hidayat', 'Saputra'])
           [1 + (c.c / 8) % 5]
           || ' ' || 'Bench' || translate(to_hex(c.c), '0123456789', 'ghijklmnop'),
       '', 'x', decode('be' || lpad(to_hex(c.c), 62, '0'), 'hex'), 'id', true, now()
FROM bench_citizen c;

CREATE TEMP TABLE bench_app ON COMMIT DROP AS
SELECT g, gen_random_uuid() AS id, s.id AS service_id, s.agency_id, s.first_code,
       s.first_name, s.first_role, s.last_code, s.last_name, s.last_role, s.steps,
       CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 20 <= 12 THEN 'completed'
            WHEN g % 20 = 13 THEN 'rejected' WHEN g % 20 = 14 THEN 'returned'
            ELSE 'submitted' END AS status,
       -- three applications share each creation time: ties of the sort key
       now() - (g / 3) * interval '5 minutes' AS created
FROM generate_series(1, :n) AS g
JOIN bench_service s ON s.n = g % (SELECT count(*) FROM bench_service);

INSERT INTO application (id, region_id, service_id, applicant_id, tracking_number, status,
    current_step, data, application_name, submitted_at, due_date, paused_working_days,
    finished_at, channel, created_at, updated_at, paused_at)
SELECT a.id, :region, a.service_id, c.id,
       to_char(a.created, 'YYMM') || '-' || upper(substr(lpad(to_hex(a.g), 8, '0'), 1, 4))
           || '-' || upper(substr(lpad(to_hex(a.g), 8, '0'), 5, 4)),
       a.status::application_status,
       CASE WHEN a.status IN ('submitted', 'returned') THEN a.first_code END,
       jsonb_build_object('nama_lengkap', 'Warga Uji ' || a.g, 'nik', '3273••••••••0001',
           'alamat', jsonb_build_object('jalan', 'Jl. Asia Afrika No. ' || a.g,
               'kelurahan', 'Braga', 'kecamatan', 'Sumur Bandung', 'kota', 'Bandung'),
           'keterangan', repeat('Permohonan layanan untuk keperluan administrasi. ', 6)),
       'Permohonan ' || a.g,
       CASE WHEN a.status <> 'draft' THEN a.created END,
       CASE WHEN a.status <> 'draft'
            THEN (a.created AT TIME ZONE 'Asia/Jakarta')::date + 10 + a.g % 9 END,
       0,
       CASE WHEN a.status IN ('completed', 'rejected') THEN a.created + interval '4 days' END,
       'web', a.created, a.created,
       CASE WHEN a.status = 'returned' THEN a.created + interval '1 day' END
FROM bench_app a JOIN bench_citizen c ON c.c = a.g % (:n / 4 + 1);

INSERT INTO task (id, region_id, application_id, agency_id, service_id, step, step_name, role,
    status, assignee_id, claimed_at, created_at, completed_at, outcome, note, due_date)
SELECT gen_random_uuid(), :region, a.id, a.agency_id, a.service_id, a.first_code, a.first_name,
       a.first_role::staff_role_name,
       CASE WHEN a.status = 'submitted' AND (a.steps = 1 OR a.g % 2 = 0) THEN 'open'
            ELSE 'completed' END::task_status,
       CASE WHEN a.g % 4 = 0 AND a.agency_id = ANY(:agencies) THEN :officer END,
       CASE WHEN a.g % 4 = 0 AND a.agency_id = ANY(:agencies) THEN a.created END,
       a.created,
       CASE WHEN a.status = 'submitted' AND (a.steps = 1 OR a.g % 2 = 0) THEN NULL
            ELSE a.created + interval '1 day' END,
       CASE WHEN a.status = 'submitted' AND (a.steps = 1 OR a.g % 2 = 0) THEN NULL
            WHEN a.status = 'rejected' THEN 'reject' WHEN a.status = 'returned' THEN 'return'
            ELSE 'approve' END::task_outcome,
       '', (a.created AT TIME ZONE 'Asia/Jakarta')::date + 10 + a.g % 9
FROM bench_app a
WHERE a.status <> 'draft';

INSERT INTO task (id, region_id, application_id, agency_id, service_id, step, step_name, role,
    status, assignee_id, claimed_at, created_at, completed_at, outcome, note, due_date)
SELECT gen_random_uuid(), :region, a.id, a.agency_id, a.service_id, a.last_code, a.last_name,
       a.last_role::staff_role_name,
       CASE WHEN a.status = 'submitted' THEN 'open' ELSE 'completed' END::task_status,
       NULL, NULL, a.created + interval '1 day',
       CASE WHEN a.status = 'completed' THEN a.created + interval '4 days' END,
       CASE WHEN a.status = 'completed' THEN 'approve' END::task_outcome,
       '', (a.created AT TIME ZONE 'Asia/Jakarta')::date + 10 + a.g % 9
FROM bench_app a
WHERE a.steps > 1 AND (a.status = 'completed' OR (a.status = 'submitted' AND a.g % 2 = 1));
"""


def generate(session: Session, region: Region, officer: User, citizen: User, n: int) -> None:
    agencies = sorted({agency for agency, _role in access.agency_roles(officer)})
    params = {
        "region": region.id,
        "n": n,
        "applicant": citizen.id,
        "officer": officer.id,
        "agencies": agencies,
    }
    # The rows are made consistent by construction; foreign-key checks planned while the
    # tables were tiny would scan them for every row (superuser only, undone after).
    session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement in GENERATE.split(";\n"):
        if statement.strip():
            session.execute(text(statement), params)
    session.execute(text("SET LOCAL session_replication_role = origin"))
    session.execute(text("ANALYZE application"))
    session.execute(text("ANALYZE task"))
    session.execute(text("ANALYZE user_account"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--verbose", action="store_true", help="each statement's time and SQL")
    args = parser.parse_args(argv)
    global VERBOSE  # noqa: PLW0603 - a switch for the whole run
    VERBOSE = args.verbose

    subscribe_all()
    engine = create_engine(sqlalchemy_url(args.database_url))
    with engine.connect() as connection, tempfile.TemporaryDirectory() as folder:
        outer = connection.begin()
        try:
            with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
                region = seed_demo(session, LocalStorage(Path(folder))).region
                officer = accounts_repository.get_user_by_email(session, region.id, OFFICER)
                citizen = accounts_repository.get_user_by_email(session, region.id, CITIZEN)
                assert officer is not None
                assert citizen is not None
                session.execute(text("ANALYZE application"))
                session.execute(text("ANALYZE task"))
                small = {
                    name: measure(session, name, call, args.runs)
                    for name, call in scenarios(session, region, officer, citizen).items()
                }
                started = time.perf_counter()
                generate(session, region, officer, citizen, args.applications)
                made = session.scalar(select(text("count(*)")).select_from(text("application")))
                tasks = session.scalar(select(text("count(*)")).select_from(text("task")))
                print(
                    f"generated {args.applications} applications ({made} in the database, "
                    f"{tasks} tasks) in {time.perf_counter() - started:.0f} s"
                )
                large = {
                    name: measure(session, name, call, args.runs)
                    for name, call in scenarios(session, region, officer, citizen).items()
                }
        finally:
            outer.rollback()
    engine.dispose()

    print(
        f"{'list':38} {'demo p95':>9} {'p50':>8} {'p95':>8} {'growth':>7} {'sort':>6}"
        f" {'temp':>5}  indexes"
    )
    worst_p95, worst_growth, worst_sort, temp = 0.0, 0.0, 0, 0
    for name, big in large.items():
        base = small[name]
        growth = big.p95_ms / base.p95_ms if base.p95_ms else 0.0
        worst_p95, worst_growth = max(worst_p95, big.p95_ms), max(worst_growth, growth)
        worst_sort, temp = max(worst_sort, big.largest_sort), temp + big.temp_blocks
        print(
            f"{name:38} {base.p95_ms:9.2f} {big.median_ms:8.2f} {big.p95_ms:8.2f} {growth:6.2f}x"
            f" {big.largest_sort:6d} {big.temp_blocks:5d}  {', '.join(sorted(big.indexes))}"
        )
    print(
        json.dumps(
            {
                "applications": args.applications,
                "worst_p95_ms": round(worst_p95, 2),
                "worst_growth": round(worst_growth, 2),
                "largest_sort_rows": worst_sort,
                "temp_blocks": temp,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
