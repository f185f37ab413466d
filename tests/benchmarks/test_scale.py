"""``bench/scale.py`` at a tiny size: the generated region has the shapes the services write,
its message log verifies, and every page the benchmark times answers.

The generator runs on a database of its own next to the test database (it commits, and the
servers and commands it starts read it), with foreign-key checks on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from bench import scale, scale_data
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from simpul.core.database import make_engine, sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.core.settings import get_settings
from tests.conftest import _server_url
from tests.support.devserver import libpq_url

APPLICATIONS = 200
LOG_RECORDS = 1500  # one seal per 1000 records: a full one and the tail


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, int]:
    server = _server_url()
    name = f"{make_url(sqlalchemy_url(server)).database}_bench_scale"
    url = scale.drop_and_create(server, name)
    data_dir = tmp_path_factory.mktemp("scale")
    scale.seed_demo(url, data_dir)
    engine = make_engine(sqlalchemy_url(url), get_settings())
    try:
        with Session(engine) as session:
            region = get_region_by_slug(session, scale.REGION)
            assert region is not None
            citizens = scale_data.generate_applications(
                url, session, region.id, APPLICATIONS, check_keys=True, progress=lambda _: None
            )
            seals = scale_data.generate_log(
                url, session, region.id, LOG_RECORDS, progress=lambda _: None
            )
    finally:
        engine.dispose()
    assert citizens == APPLICATIONS // scale_data.APPLICATIONS_PER_CITIZEN
    assert seals == 2
    scale.analyze(url)
    return url, data_dir, APPLICATIONS


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(query).fetchall()


GENERATED = (
    "SELECT a.* FROM application a JOIN user_account u ON u.id = a.applicant_id"
    " WHERE u.email LIKE 'warga.skala%'"
)


def test_the_message_log_verifies(generated: tuple[str, Path, int]) -> None:
    url, data_dir, _ = generated
    ok, words = scale.verify_log(url, data_dir)
    assert ok, words
    assert f"{LOG_RECORDS} catatan mulai dari 1, 2 segel, 0 catatan belum disegel" in words


def test_every_application_has_the_tasks_its_status_implies(
    generated: tuple[str, Path, int],
) -> None:
    url, _, count = generated
    by_status = dict(rows(url, f"SELECT status, count(*) FROM ({GENERATED}) a GROUP BY 1"))
    assert sum(by_status.values()) == count
    assert by_status.get("completed", 0) > count // 2
    wrong = rows(
        url,
        f"""
        SELECT a.id, a.status, a.current_step,
               count(t.*) FILTER (WHERE t.status = 'open') AS open,
               count(t.*) FILTER (WHERE t.outcome = 'approve') AS approved,
               count(t.*) FILTER (WHERE t.outcome = 'reject') AS rejected,
               bool_or(t.status = 'open' AND t.step = a.current_step) AS open_here,
               jsonb_array_length(s.workflow -> 'steps') AS steps,
               max(t.completed_at) FILTER (WHERE t.outcome IS NOT NULL) AS last_done
        FROM ({GENERATED}) a JOIN service s ON s.id = a.service_id
        LEFT JOIN task t ON t.application_id = a.id
        GROUP BY a.id, a.status, a.current_step, a.finished_at, a.paused_at, s.workflow
        HAVING NOT CASE a.status
            WHEN 'submitted' THEN count(t.*) FILTER (WHERE t.status = 'open') = 1
                AND coalesce(bool_or(t.status = 'open' AND t.step = a.current_step), false)
            WHEN 'returned' THEN count(t.*) FILTER (WHERE t.status = 'open') = 0
                AND count(t.*) FILTER (WHERE t.outcome = 'return') = 1
                AND a.paused_at IS NOT NULL
            WHEN 'completed' THEN count(t.*) FILTER (WHERE t.status = 'open') = 0
                AND count(t.*) FILTER (WHERE t.outcome = 'approve')
                    = jsonb_array_length(s.workflow -> 'steps')
                AND max(t.completed_at) = a.finished_at
            WHEN 'rejected' THEN count(t.*) FILTER (WHERE t.status = 'open') = 0
                AND count(t.*) FILTER (WHERE t.outcome = 'reject') = 1
                AND max(t.completed_at) = a.finished_at
            ELSE false END
        """,
    )
    assert wrong == []


def test_history_notifications_and_outcomes_follow_the_workflow(
    generated: tuple[str, Path, int],
) -> None:
    url, _, count = generated
    (events,) = rows(
        url,
        f"""
        SELECT count(*) FILTER (WHERE e.action = 'submit'),
               count(*) FILTER (WHERE e.action = 'complete'),
               count(*) FILTER (WHERE e.action = 'reject'),
               count(*) FILTER (WHERE e.at > now()),
               count(DISTINCT a.id) FILTER (WHERE e.action = 'complete' AND a.status <> 'completed')
        FROM ({GENERATED}) a JOIN application_event e ON e.application_id = a.id
        """,
    )
    statuses = dict(rows(url, f"SELECT status, count(*) FROM ({GENERATED}) a GROUP BY 1"))
    assert events == (count, statuses.get("completed", 0), statuses.get("rejected", 0), 0, 0)
    # Every event the workflow tells the applicant about has its notification and delivery.
    (told,) = rows(
        url,
        f"""
        SELECT (SELECT count(*) FROM application_event e JOIN ({GENERATED}) a
                  ON a.id = e.application_id WHERE e.action <> 'draft'),
               (SELECT count(*) FROM notification n JOIN ({GENERATED}) a
                  ON a.id = n.application_id),
               (SELECT count(*) FROM notification_delivery d JOIN notification n
                  ON n.id = d.notification_id JOIN ({GENERATED}) a ON a.id = n.application_id)
        """,
    )
    assert told[0] == told[1] == told[2]
    (outcomes,) = rows(
        url,
        f"""
        SELECT (SELECT count(*) FROM savings_entry x JOIN ({GENERATED}) a
                  ON a.id = x.application_id),
               (SELECT count(*) FROM ({GENERATED}) a WHERE a.status = 'completed'),
               (SELECT count(*) FROM survey_response x JOIN ({GENERATED}) a
                  ON a.id = x.application_id WHERE a.finished_at IS NULL),
               (SELECT count(*) FROM issued_document x JOIN ({GENERATED}) a
                  ON a.id = x.application_id WHERE a.status <> 'completed'),
               (SELECT count(*) FROM ({GENERATED}) a
                 WHERE NOT EXISTS (SELECT 1 FROM document d WHERE d.application_id = a.id))
        """,
    )
    assert outcomes == (outcomes[1], outcomes[1], 0, 0, 0)
    # The officer read the file before each decision (an audit event per read).
    (reads,) = rows(
        url,
        f"""
        SELECT (SELECT count(*) FROM task t JOIN ({GENERATED}) a ON a.id = t.application_id
                 WHERE t.completed_at IS NOT NULL),
               (SELECT count(*) FROM audit_event x JOIN ({GENERATED}) a
                  ON x.target_id = a.id::text WHERE x.action = 'application.read')
        """,
    )
    assert reads[0] == reads[1] > 0


def test_the_timing_part_answers_every_page_and_disk_is_reported(
    generated: tuple[str, Path, int],
) -> None:
    url, data_dir, count = generated
    timings = scale.time_pages(url, data_dir, samples=1, warmup=0)
    assert [t.page.name for t in timings] == [p.name for p in scale.pages_for(url)]
    assert all(not t.errors and len(t.samples) == 1 for t in timings), [
        (t.page.name, t.errors) for t in timings if t.errors
    ]
    result = scale.report(timings, timings, "tiny")
    assert all(row["growth"] == 1.0 for row in result["pages"])
    disk = scale.disk_use(url)
    assert disk["applications"] >= count and disk["log_records"] == LOG_RECORDS
    assert disk["bytes_per_application"] > 0 and disk["bytes_per_log_record"] > 0
