"""The data generator of ``bench/scale.py``: a region after years of use, in Simpul's shapes.

On a database already seeded with the demo region by the real seeding code (``simpul
seed-demo``), it adds:

* citizens (one per ``APPLICATIONS_PER_CITIZEN`` applications) with a valid Kota Bandung NIK,
  its keyed hash and its encryption computed by ``accounts.service`` / ``core.security``,
  written with COPY;
* ``N`` applications to the services of the demo history, in its proportions (service
  weights, 12 % returned once for revision, how long they take against the SLA, 8 % of the
  finished rejected, open ones still in the inbox), over ``--years`` years, by set-based
  ``INSERT ... SELECT`` from ``generate_series`` in chunks: each with what the workflow
  writes for it (``submission.submit``, ``workflow.act_on_task``, the savings ledger, the
  issuing job): tasks per step (claimed and completed, the open one at its current step),
  history events, in-app notifications with their e-mail delivery, the uploaded documents of
  its required list, identifier hashes of its personal answers, the audit events of the
  officers' reads of the file before each decision, the masked and encrypted
  answers of a real demo application of the service, a savings entry per completed one, an
  issued document (and its finished job) per completed one at an agency that signs, a survey
  response for the share of finished ones the demo history has;
* ``M`` gateway message log records over the last ``--log-days`` days, hash-chained with
  ``gateway.msglog.records`` (the functions the writer uses) and sealed every 1000 records
  like ``LogWriter``, written with binary COPY, so ``simpul audit verify`` passes.

Deadlines are in working days of the region's calendar (``applications.sla``), looked up from
a table of working days made in Python.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.orm import Session
from tests.support.devserver import libpq_url

from simpul.accounts import service as accounts_service
from simpul.applications.sla import WorkingCalendar
from simpul.core.security import encrypt, hash_password
from simpul.demo.history import SERVICES as HISTORY_SERVICES
from simpul.gateway.msglog import keys as region_keys
from simpul.gateway.msglog import records
from simpul.gateway.msglog import repository as msglog_repository
from simpul.gateway.msglog.models import GatewayLogSeal
from simpul.gateway.msglog.seals import SealFields, build_seal

REGION: Final = "kota-bandung"
APPLICATIONS_PER_CITIZEN: Final = 4
CHUNK: Final = 50_000
SEAL_EVERY: Final = 1000  # LogWriter's default seal_every
RETURNED_SHARE: Final = 0.12  # demo.history._plan
REJECTED_SHARE: Final = 0.08
STUCK_SHARE: Final = 0.04
#: demo.history._plan: share of the SLA an application takes, and how often.
TAKEN_SHARES: Final = ((0.4, 25), (0.7, 35), (1.0, 22), (1.4, 12), (2.0, 6))
SCALE_PASSWORD: Final = "sandi-warga-skala"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Generated:
    applications: int
    citizens: int
    log_records: int
    seals: int
    seconds_applications: float
    seconds_log: float


def _connect(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(libpq_url(url))
    conn.execute("SET synchronous_commit = off")
    return conn


# -- helper tables ---------------------------------------------------------------------------


def _working_days(conn: psycopg.Connection[Any], region_id: uuid.UUID, years: int) -> date:
    """Fill ``scale_day`` (every calendar day: how many working days up to it) and
    ``scale_wd`` (the k-th working day); returns today in the region."""
    tz = conn.execute("SELECT timezone FROM region WHERE id = %s", (region_id,)).fetchone()
    assert tz is not None
    today = datetime.now(ZoneInfo(tz[0])).date()
    leave = [
        row[0]
        for row in conn.execute(
            "SELECT day FROM collective_leave_day WHERE region_id = %s", (region_id,)
        )
    ]
    calendar = WorkingCalendar(leave)
    first = date(today.year - years - 1, 1, 1)
    last = date(today.year + 2, 12, 31)
    days: list[tuple[date, int]] = []
    working: list[tuple[int, date]] = []
    count = 0
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            count += 1
            working.append((count, day))
        days.append((day, count))
        day += timedelta(days=1)
    conn.execute("DROP TABLE IF EXISTS scale_day, scale_wd")
    conn.execute("CREATE UNLOGGED TABLE scale_day (day date PRIMARY KEY, cnt int NOT NULL)")
    conn.execute("CREATE UNLOGGED TABLE scale_wd (k int PRIMARY KEY, day date NOT NULL)")
    with conn.cursor() as cur:
        with cur.copy("COPY scale_day (day, cnt) FROM STDIN") as copy:
            for row in days:
                copy.write_row(row)
        with cur.copy("COPY scale_wd (k, day) FROM STDIN") as copy:
            for numbered in working:
                copy.write_row(numbered)
    return today


SERVICE_SQL: Final = """
CREATE UNLOGGED TABLE scale_service AS
WITH chosen AS (
    SELECT s.*, w.weight, w.ord
    FROM service s JOIN unnest(%(slugs)s::text[], %(weights)s::int[])
        WITH ORDINALITY AS w(slug, weight, ord) ON w.slug = s.slug
    WHERE s.region_id = %(region)s
), sample AS (  -- a real application of the service: its answers as the services stored them
    SELECT DISTINCT ON (a.service_id) a.service_id, a.id AS app_id, a.data, a.data_encrypted
    FROM application a JOIN chosen c ON c.id = a.service_id
    ORDER BY a.service_id, a.created_at
), officer AS (  -- the agency's demo officer, if it has one
    SELECT DISTINCT ON (r.agency_id) r.agency_id, u.id, u.full_name, u.email
    FROM staff_role r JOIN user_account u ON u.id = r.user_id
    WHERE r.region_id = %(region)s ORDER BY r.agency_id, u.email
), signer AS (  -- agencies that sign: a finished job and its document as templates
    SELECT DISTINCT ON (t.agency_id) t.agency_id, j.signer_id, j.credential_id,
           d.signer_name, d.signer_position, d.agency_name, d.signer_fingerprint
    FROM document_job j JOIN issued_document d ON d.application_id = j.application_id
    JOIN application a ON a.id = j.application_id
    JOIN service t ON t.id = a.service_id
    WHERE j.status = 'done' AND j.region_id = %(region)s
    ORDER BY t.agency_id, j.created_at
), saving AS (
    SELECT DISTINCT ON (service_id) *
    FROM savings_entry WHERE region_id = %(region)s ORDER BY service_id, recorded_at
)
SELECT row_number() OVER (ORDER BY c.ord)::int AS idx, c.id, c.agency_id, c.name, c.weight,
       c.sla_working_days AS sla,
       c.workflow -> 'steps' AS steps, jsonb_array_length(c.workflow -> 'steps') AS nsteps,
       ARRAY(SELECT d ->> 'code' FROM jsonb_array_elements(c.required_documents) d
             WHERE coalesce((d ->> 'required')::boolean, true)) AS doc_codes,
       sample.data, sample.data_encrypted,
       ARRAY(SELECT i.field FROM application_identifier i WHERE i.application_id = sample.app_id
             ORDER BY i.field) AS ident_fields,
       ARRAY(SELECT i.kind FROM application_identifier i WHERE i.application_id = sample.app_id
             ORDER BY i.field) AS ident_kinds,
       ag.short_name, officer.id AS officer_id,
       coalesce(officer.full_name, 'Petugas ' || ag.short_name) AS officer_name,
       coalesce(officer.email, 'petugas.' || ag.slug || '@example.org') AS officer_email,
       signer.signer_id, signer.credential_id, signer.signer_name, signer.signer_position,
       signer.agency_name, signer.signer_fingerprint,
       saving.sheets, saving.printed_copies, saving.courier_trips, saving.citizen_trips,
       saving.sheet_rupiah, saving.printed_copy_rupiah, saving.courier_rupiah,
       saving.citizen_trip_rupiah, saving.total_rupiah,
       0.0::float8 AS cum_lo, 0.0::float8 AS cum_hi
FROM chosen c
JOIN agency ag ON ag.id = c.agency_id
JOIN sample ON sample.service_id = c.id
LEFT JOIN officer ON officer.agency_id = c.agency_id
LEFT JOIN signer ON signer.agency_id = c.agency_id
LEFT JOIN saving ON saving.service_id = c.id
"""


def _services(conn: psycopg.Connection[Any], region_id: uuid.UUID) -> int:
    conn.execute("DROP TABLE IF EXISTS scale_service")
    conn.execute(
        SERVICE_SQL,
        {
            "slugs": [slug for slug, _ in HISTORY_SERVICES],
            "weights": [weight for _, weight in HISTORY_SERVICES],
            "region": region_id,
        },
    )
    conn.execute(
        """
        WITH w AS (
            SELECT idx, sum(weight) OVER (ORDER BY idx) AS upto, sum(weight) OVER () AS total,
                   weight FROM scale_service)
        UPDATE scale_service s SET cum_lo = (w.upto - w.weight)::float8 / w.total,
                                   cum_hi = w.upto::float8 / w.total
        FROM w WHERE w.idx = s.idx
        """
    )
    row = conn.execute("SELECT count(*) FROM scale_service").fetchone()
    assert row is not None
    return int(row[0])


def bench_nik(n: int) -> str:
    """The ``n``-th structurally valid Kota Bandung NIK of the generator (sequence from 5001,
    apart from the demo's and the other benches')."""
    district = 1 + n % 30
    born = date(1950, 1, 1) + timedelta(days=(n // 30) % 18000)
    day = born.day + (40 if n % 2 else 0)
    return f"3273{district:02d}{day:02d}{born:%m%y}{5001 + n // (30 * 18000):04d}"


def _citizens(
    conn: psycopg.Connection[Any], session: Session, region_id: uuid.UUID, count: int
) -> None:
    """``count`` citizens (``scale_citizen`` maps their index to their id)."""
    from simpul.core.models import Region

    region = session.get_one(Region, region_id)
    shared_hash = hash_password(SCALE_PASSWORD)  # one argon2 hash: they share the password
    now = datetime.now(UTC)
    conn.execute("DROP TABLE IF EXISTS scale_citizen")
    conn.execute("CREATE UNLOGGED TABLE scale_citizen (idx int PRIMARY KEY, id uuid, name text)")
    row = conn.execute("SELECT count(*) FROM user_account WHERE email LIKE 'warga.skala%%'")
    existing = int(row.fetchone()[0])  # type: ignore[index]
    columns = (
        "id, region_id, kind, email, full_name, phone, password_hash, nik_hash, nik_encrypted, "
        "locale, is_active, created_at, updated_at, activated_at"
    )
    with conn.cursor() as cur:
        with cur.copy(f"COPY user_account ({columns}) FROM STDIN") as copy:
            for n in range(existing, count):
                nik = bench_nik(n)
                copy.write_row(
                    (
                        uuid.uuid5(uuid.NAMESPACE_URL, f"simpul-scale-citizen-{n}"),
                        region_id,
                        "citizen",
                        f"warga.skala{n:07d}@example.org",
                        f"Warga Skala {n}",
                        "",
                        shared_hash,
                        accounts_service.nik_hash(region, nik),
                        encrypt("nik", nik),
                        "id",
                        True,
                        now,
                        now,
                        now,
                    )
                )
        with cur.copy("COPY scale_citizen (idx, id, name) FROM STDIN") as copy:
            for n in range(count):
                copy.write_row(
                    (
                        n,
                        uuid.uuid5(uuid.NAMESPACE_URL, f"simpul-scale-citizen-{n}"),
                        f"Warga Skala {n}",
                    )
                )


# -- applications ----------------------------------------------------------------------------

#: One chunk's plan: per application its service, applicant, dates and fate (demo.history._plan).
PLAN_SQL: Final = """
CREATE TEMP TABLE p ON COMMIT DROP AS
WITH b AS (
    SELECT n, random() AS r_svc, random() AS r_cit, random() AS r_age, random() AS r_ret,
           random() AS r_pause, random() AS r_share, random() AS r_stuck, random() AS r_rej,
           random() AS r_hour, random() AS r_step, random() AS r_surv, random() AS r_read
    FROM generate_series(%(lo)s::int, %(hi)s::int - 1) AS n
), s AS (
    SELECT b.*, sv.idx AS svc, sv.sla, sv.nsteps,
           (SELECT w.day FROM scale_wd w WHERE w.k = d.cnt + 1) AS sub_day
    FROM b
    JOIN scale_service sv ON b.r_svc >= sv.cum_lo AND b.r_svc < sv.cum_hi
    JOIN scale_day d ON d.day = %(today)s::date - 2 - floor(b.r_age * %(span)s)::int - 1
), t AS (
    SELECT s.*, (SELECT cnt FROM scale_day WHERE day = s.sub_day) AS w0,
           r_ret < %(returned)s AS returned,
           CASE WHEN r_ret < %(returned)s THEN 1 + floor(r_pause * 4)::int ELSE 0 END AS paused,
           CASE WHEN r_share < 0.25 THEN 0.4 WHEN r_share < 0.60 THEN 0.7
                WHEN r_share < 0.82 THEN 1.0 WHEN r_share < 0.94 THEN 1.4 ELSE 2.0 END AS share
    FROM s
), u AS (
    SELECT t.*,
           (SELECT day FROM scale_wd WHERE k = w0 + sla + paused) AS due_day,
           (SELECT day FROM scale_wd WHERE k = w0 + 1 + floor(r_pause * 2)::int) AS ret_day,
           (SELECT day FROM scale_wd
             WHERE k = w0 + greatest(1, round(sla * share))::int + paused) AS fin_day
    FROM t
), v AS (
    SELECT u.*,
           (SELECT day FROM scale_wd w WHERE w.k = (SELECT cnt FROM scale_day
                 WHERE day = u.ret_day) + u.paused) AS resub_day,
           (u.fin_day >= %(today)s::date
            OR (u.r_stuck < %(stuck)s AND u.sub_day > %(today)s::date - 60)) AS open
    FROM u
)
SELECT v.n, md5('simpul-scale-application-' || v.n)::uuid AS id, v.svc, v.nsteps,
       c.id AS applicant_id, c.name AS applicant_name,
       least((v.sub_day + time '07:00' + v.r_hour * interval '13 hours') AT TIME ZONE %(tz)s,
             now() - interval '1 hour') AS sub_at,
       v.due_day, v.paused, v.r_surv, v.r_read, v.r_step,
       CASE WHEN v.returned THEN (v.ret_day + time '10:00') AT TIME ZONE %(tz)s END AS ret_at,
       CASE WHEN v.returned THEN (v.resub_day + time '19:30') AT TIME ZONE %(tz)s END AS resub_at,
       CASE WHEN NOT v.open THEN (v.fin_day + time '08:00' + v.r_hour * interval '7 hours')
            AT TIME ZONE %(tz)s END AS fin_at,
       CASE WHEN NOT v.open AND v.r_rej < %(rejected)s THEN 'rejected'
            WHEN NOT v.open THEN 'completed'
            WHEN v.returned AND (v.resub_day + time '19:30') AT TIME ZONE %(tz)s > now()
                 AND (v.ret_day + time '10:00') AT TIME ZONE %(tz)s < now() THEN 'returned'
            ELSE 'submitted' END AS status
FROM v JOIN scale_citizen c ON c.idx = floor(v.r_cit * %(citizens)s)::int
"""

#: The plan completed: how far through the workflow, and when each step happened.
STEPS_SQL: Final = """
ALTER TABLE p ADD COLUMN done int, ADD COLUMN start_at timestamptz, ADD COLUMN end_at timestamptz,
    ADD COLUMN tracking text;
UPDATE p SET
    -- a return that had not happened yet by now did not happen
    ret_at = CASE WHEN ret_at < coalesce(fin_at, now()) - interval '2 hours' THEN ret_at END,
    resub_at = CASE WHEN ret_at < coalesce(fin_at, now()) - interval '2 hours'
                         AND status <> 'returned'
                    THEN least(resub_at, coalesce(fin_at, now()) - interval '1 hour') END;
UPDATE p SET
    done = CASE status WHEN 'completed' THEN nsteps WHEN 'rejected' THEN 0
                       WHEN 'returned' THEN 0
                       ELSE CASE WHEN nsteps > 1 AND r_step < 0.4 THEN 1 ELSE 0 END END,
    start_at = coalesce(resub_at, sub_at),
    end_at = coalesce(fin_at, now()),
    tracking = to_char(sub_at AT TIME ZONE %(tz)s, 'YYMM') || '-' || (
        SELECT string_agg(substr('ABCDEFGHJKMNPQRSTUVWXYZ23456789',
                   ((n::bigint * 387420489 + 7654321) %% 852891037441 / (31::bigint ^ i)::bigint
                    %% 31)::int + 1, 1), '' ORDER BY i)
        FROM generate_series(0, 7) i);
UPDATE p SET tracking = substr(tracking, 1, 9) || '-' || substr(tracking, 10);
"""

APPLICATION_SQL: Final = """
INSERT INTO application (id, region_id, service_id, applicant_id, tracking_number, status,
    current_step, data, data_encrypted, application_name, submitted_at, due_date, paused_at,
    paused_working_days, finished_at, idempotency_key, channel, client_identity, created_at,
    updated_at)
SELECT p.id, %(region)s, s.id, p.applicant_id, p.tracking, p.status::application_status,
    CASE WHEN p.status IN ('submitted', 'returned') THEN s.steps -> p.done ->> 'code'
         WHEN p.status = 'rejected' THEN s.steps -> 0 ->> 'code'
         ELSE s.steps -> (s.nsteps - 1) ->> 'code' END,
    s.data, s.data_encrypted, s.name, p.sub_at, p.due_day,
    CASE WHEN p.status = 'returned' THEN p.ret_at END, p.paused, p.fin_at, NULL, 'web', NULL,
    p.sub_at - interval '12 minutes', coalesce(p.fin_at, p.resub_at, p.ret_at, p.sub_at)
FROM p JOIN scale_service s ON s.idx = p.svc
"""

#: Every history event of the chunk (application_event rows, and what notifications follow).
EVENTS_SQL: Final = """
CREATE TEMP TABLE ev ON COMMIT DROP AS
SELECT p.id AS app_id, p.applicant_id AS user_id, x.*
FROM p JOIN scale_service s ON s.idx = p.svc
CROSS JOIN LATERAL (
    SELECT p.sub_at - interval '12 minutes' AS at, p.applicant_id AS actor_id,
           p.applicant_name AS actor_label, 'draft' AS action, NULL AS from_status,
           'draft' AS to_status, NULL AS step, '' AS note, NULL AS notice
    UNION ALL
    SELECT p.sub_at, p.applicant_id, p.applicant_name, 'submit', 'draft', 'submitted',
           s.steps -> 0 ->> 'code', '',
           jsonb_build_object('kind', 'submitted', 'service', s.name,
                              'due', to_char(p.due_day, 'DD-MM-YYYY'))
    UNION ALL
    SELECT p.ret_at, s.officer_id, s.officer_name, 'return', 'submitted', 'returned',
           s.steps -> 0 ->> 'code', 'Foto dokumen kurang jelas; unggah ulang.',
           jsonb_build_object('kind', 'returned',
                              'note', 'Foto dokumen kurang jelas; unggah ulang.')
    WHERE p.ret_at IS NOT NULL
    UNION ALL
    SELECT p.resub_at, p.applicant_id, p.applicant_name, 'resubmit', 'returned', 'submitted',
           s.steps -> 0 ->> 'code', '',
           jsonb_build_object('kind', 'resubmitted', 'due', to_char(p.due_day, 'DD-MM-YYYY'))
    WHERE p.resub_at IS NOT NULL
    UNION ALL
    SELECT p.start_at + (p.end_at - p.start_at) * (k + 1) / s.nsteps, s.officer_id,
           s.officer_name, 'approve', 'submitted', 'submitted', s.steps -> k ->> 'code', '',
           jsonb_build_object('kind', 'advanced', 'step', s.steps -> k ->> 'name')
    FROM generate_series(0, least(p.done, s.nsteps - 1) - 1) k
    UNION ALL
    SELECT p.fin_at, s.officer_id, s.officer_name, 'complete', 'submitted', 'completed',
           s.steps -> (s.nsteps - 1) ->> 'code', '', jsonb_build_object('kind', 'completed')
    WHERE p.status = 'completed'
    UNION ALL
    SELECT p.fin_at, s.officer_id, s.officer_name, 'reject', 'submitted', 'rejected',
           s.steps -> 0 ->> 'code', 'Persyaratan tidak terpenuhi.',
           jsonb_build_object('kind', 'rejected', 'note', 'Persyaratan tidak terpenuhi.')
    WHERE p.status = 'rejected'
    UNION ALL
    SELECT p.fin_at + interval '2 minutes', NULL, s.officer_name, 'document_issued',
           'completed', 'completed', s.steps -> (s.nsteps - 1) ->> 'code', '',
           jsonb_build_object('kind', 'document_issued',
                              'document', 'S' || p.n || '/' || upper(s.short_name) || '/'
                                          || to_char(p.fin_at, 'YYYY'))
    WHERE p.status = 'completed' AND s.signer_id IS NOT NULL
) x;
INSERT INTO application_event (id, region_id, application_id, at, actor_id, actor_label, action,
    from_status, to_status, step, note)
SELECT gen_random_uuid(), %(region)s, app_id, at, actor_id, actor_label, action, from_status,
       to_status, step, note FROM ev;
CREATE TEMP TABLE nt ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, ev.user_id, ev.app_id, ev.notice ->> 'kind' AS kind,
       (ev.notice - 'kind') || jsonb_build_object('number', a.tracking_number) AS params,
       ev.at, p.r_read
FROM ev JOIN p ON p.id = ev.app_id JOIN application a ON a.id = ev.app_id
WHERE ev.notice IS NOT NULL;
INSERT INTO notification (id, region_id, user_id, application_id, kind, params, created_at, read_at)
SELECT id, %(region)s, user_id, app_id, kind, params, at,
       CASE WHEN r_read < 0.7 AND at < now() - interval '1 day' THEN at + interval '5 hours' END
FROM nt;
INSERT INTO notification_delivery (id, region_id, notification_id, user_id, channel, recipient,
    status, attempts, next_attempt_at, last_error, delivered_at, created_at)
SELECT gen_random_uuid(), %(region)s, nt.id, nt.user_id, 'email', u.email,
       CASE WHEN nt.at < now() - interval '1 hour' THEN 'delivered' ELSE 'pending' END
           ::delivery_status,
       CASE WHEN nt.at < now() - interval '1 hour' THEN 1 ELSE 0 END, nt.at, '',
       CASE WHEN nt.at < now() - interval '1 hour' THEN nt.at + interval '4 seconds' END, nt.at
FROM nt JOIN user_account u ON u.id = nt.user_id;
"""

TASKS_SQL: Final = """
INSERT INTO task (id, region_id, application_id, agency_id, service_id, step, step_name, role,
    status, assignee_id, claimed_at, created_at, completed_at, outcome, note, due_date)
SELECT gen_random_uuid(), %(region)s, p.id, s.agency_id, s.id, s.steps -> x.k ->> 'code',
       s.steps -> x.k ->> 'name', (s.steps -> x.k ->> 'role')::staff_role_name,
       x.status::task_status, CASE WHEN x.status = 'open' THEN NULL ELSE s.officer_id END,
       CASE WHEN x.status = 'open' THEN NULL ELSE x.completed_at END,
       x.created_at, x.completed_at, x.outcome::task_outcome, x.note, p.due_day
FROM p JOIN scale_service s ON s.idx = p.svc
CROSS JOIN LATERAL (
    -- the first verification, sent back to the citizen
    SELECT 0 AS k, 'completed' AS status, p.sub_at AS created_at, p.ret_at AS completed_at,
           'return' AS outcome, 'Foto dokumen kurang jelas; unggah ulang.' AS note
    WHERE p.ret_at IS NOT NULL
    UNION ALL  -- each approved step
    SELECT k, 'completed',
           CASE WHEN k = 0 THEN p.start_at
                ELSE p.start_at + (p.end_at - p.start_at) * k / s.nsteps END,
           CASE WHEN k = s.nsteps - 1 THEN p.fin_at
                ELSE p.start_at + (p.end_at - p.start_at) * (k + 1) / s.nsteps END,
           'approve', ''
    FROM generate_series(0, p.done - 1) k
    UNION ALL  -- the rejection
    SELECT 0, 'completed', p.start_at, p.fin_at, 'reject', 'Persyaratan tidak terpenuhi.'
    WHERE p.status = 'rejected'
    UNION ALL  -- waiting in the inbox
    SELECT p.done, 'open',
           CASE WHEN p.done = 0 THEN p.start_at
                ELSE p.start_at + (p.end_at - p.start_at) * p.done / s.nsteps END,
           NULL, NULL, ''
    WHERE p.status = 'submitted'
) x
"""

ATTACHMENTS_SQL: Final = """
INSERT INTO document (id, region_id, owner_id, application_id, requirement_code, filename,
    content_type, size, sha256, storage_key, created_at, replaced_at)
SELECT gen_random_uuid(), %(region)s, p.applicant_id, p.id, code, code || '.pdf',
       'application/pdf', 40000 + (hashtext(p.id::text || code) & 1048575),
       encode(sha256(convert_to(p.id::text || code, 'UTF8')), 'hex'),
       'uploads/' || %(slug)s || '/scale/' || p.id || '/' || code || '.pdf',
       p.sub_at - interval '10 minutes', NULL
FROM p JOIN scale_service s ON s.idx = p.svc CROSS JOIN LATERAL unnest(s.doc_codes) code;
INSERT INTO application_identifier (id, region_id, application_id, field, kind, value_hash)
SELECT gen_random_uuid(), %(region)s, p.id, f.field, f.kind,
       sha256(convert_to(p.id::text || f.field, 'UTF8'))
FROM p JOIN scale_service s ON s.idx = p.svc
CROSS JOIN LATERAL unnest(s.ident_fields, s.ident_kinds) AS f(field, kind);
"""

OUTCOMES_SQL: Final = """
INSERT INTO savings_entry (id, region_id, application_id, service_id, agency_id, completed_at,
    sheets, printed_copies, courier_trips, citizen_trips, sheet_rupiah, printed_copy_rupiah,
    courier_rupiah, citizen_trip_rupiah, total_rupiah, recorded_at)
SELECT gen_random_uuid(), %(region)s, p.id, s.id, s.agency_id, p.fin_at, s.sheets,
       s.printed_copies, s.courier_trips, s.citizen_trips, s.sheet_rupiah,
       s.printed_copy_rupiah, s.courier_rupiah, s.citizen_trip_rupiah, s.total_rupiah, p.fin_at
FROM p JOIN scale_service s ON s.idx = p.svc
WHERE p.status = 'completed' AND s.total_rupiah IS NOT NULL;
INSERT INTO survey_response (id, region_id, application_id, service_id, agency_id, u1, u2, u3,
    u4, u5, u6, u7, u8, u9, suggestion, submitted_at)
SELECT gen_random_uuid(), %(region)s, p.id, s.id, s.agency_id,
       (2 + floor(random() * 2.7))::smallint, (2 + floor(random() * 2.7))::smallint,
       (2 + floor(random() * 2.7))::smallint, (1 + floor(random() * 3.8))::smallint,
       (2 + floor(random() * 2.7))::smallint, (2 + floor(random() * 2.7))::smallint,
       (2 + floor(random() * 2.7))::smallint, (1 + floor(random() * 3.8))::smallint,
       (2 + floor(random() * 2.7))::smallint,
       CASE WHEN random() < 0.1 THEN 'Pelayanan cepat, terima kasih.' ELSE '' END,
       least(p.fin_at + interval '3 hours', now())
FROM p JOIN scale_service s ON s.idx = p.svc
WHERE p.fin_at IS NOT NULL AND p.r_surv < %(survey_share)s;
INSERT INTO document_job (id, region_id, application_id, signer_id, credential_id, number, code,
    passphrase_encrypted, status, attempts, next_attempt_at, last_error, created_at, finished_at)
SELECT md5('simpul-scale-job-' || p.n)::uuid, %(region)s, p.id, s.signer_id, s.credential_id,
       'S' || p.n || '/' || upper(s.short_name) || '/' || to_char(p.fin_at, 'YYYY'),
       upper(substr(md5('simpul-scale-code-' || p.n), 1, 4) || '-'
             || substr(md5('simpul-scale-code-' || p.n), 5, 4) || '-'
             || substr(md5('simpul-scale-code-' || p.n), 9, 4) || '-'
             || substr(md5('simpul-scale-code-' || p.n), 13, 4)),
       NULL, 'done', 1, p.fin_at, '', p.fin_at, p.fin_at + interval '2 minutes'
FROM p JOIN scale_service s ON s.idx = p.svc
WHERE p.status = 'completed' AND s.signer_id IS NOT NULL;
INSERT INTO issued_document (id, region_id, application_id, number, code, sha256, storage_key,
    signer_name, signed_at, created_at, signer_fingerprint, signer_position, product,
    agency_name, holder_masked, issued_on)
SELECT gen_random_uuid(), %(region)s, j.application_id, j.number, j.code,
       encode(sha256(convert_to(j.code, 'UTF8')), 'hex'),
       'issued/' || %(slug)s || '/' || to_char(j.finished_at, 'YYYY') || '/' || j.code || '.pdf',
       s.signer_name, j.finished_at, j.finished_at, s.signer_fingerprint, s.signer_position,
       s.name, s.agency_name, 'W**** S****', (j.finished_at AT TIME ZONE %(tz)s)::date
FROM document_job j JOIN p ON p.id = j.application_id JOIN scale_service s ON s.idx = p.svc;
"""


#: An officer opens the file before deciding at each step (``workflow.file_for`` and
#: ``answers.answers_for`` record the read and the personal answers shown).
AUDIT_SQL: Final = """
INSERT INTO audit_event (id, region_id, at, actor_id, actor_label, action, target_type,
    target_id, details)
SELECT gen_random_uuid(), %(region)s, t.completed_at - interval '3 minutes', s.officer_id,
       s.officer_email, 'application.read', 'application', p.id::text, '{}'::jsonb
FROM task t JOIN p ON p.id = t.application_id JOIN scale_service s ON s.idx = p.svc
WHERE t.completed_at IS NOT NULL
UNION ALL
SELECT gen_random_uuid(), %(region)s, t.completed_at - interval '3 minutes', s.officer_id,
       s.officer_email, 'application.personal_data_read', 'application', p.id::text,
       jsonb_build_object('fields', to_jsonb(s.ident_fields), 'channel', 'web', 'client', NULL)
FROM task t JOIN p ON p.id = t.application_id JOIN scale_service s ON s.idx = p.svc
WHERE t.completed_at IS NOT NULL AND cardinality(s.ident_fields) > 0
"""


GENERATION: Final = (
    STEPS_SQL,
    APPLICATION_SQL,
    EVENTS_SQL,
    TASKS_SQL,
    AUDIT_SQL,
    ATTACHMENTS_SQL,
    OUTCOMES_SQL,
)


def _survey_share(conn: psycopg.Connection[Any], region_id: uuid.UUID) -> float:
    """Survey responses per finished application in the demo history."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM survey_response WHERE region_id = %(r)s)::float8"
        " / greatest(1, (SELECT count(*) FROM application WHERE region_id = %(r)s"
        "   AND finished_at IS NOT NULL))",
        {"r": region_id},
    ).fetchone()
    assert row is not None
    return min(1.0, float(row[0]))


def generate_applications(
    url: str,
    session: Session,
    region_id: uuid.UUID,
    count: int,
    *,
    years: int = 3,
    progress: Progress = print,
    profile: bool = False,
    check_keys: bool = True,
) -> int:
    """Add ``count`` applications with everything the services write for them; returns the
    number of citizens they belong to."""
    citizens = max(1, count // APPLICATIONS_PER_CITIZEN)
    with _connect(url) as conn:
        today = _working_days(conn, region_id, years)
        services = _services(conn, region_id)
        if services == 0:
            raise RuntimeError("the demo history's services have no applications: seed first")
        _citizens(conn, session, region_id, citizens)
        conn.commit()
        progress(f"  {citizens} citizens, {services} services")
        tz_row = conn.execute("SELECT timezone FROM region WHERE id = %s", (region_id,))
        tz = tz_row.fetchone()[0]  # type: ignore[index]
        slug_row = conn.execute("SELECT slug FROM region WHERE id = %s", (region_id,))
        slug = slug_row.fetchone()[0]  # type: ignore[index]
        params: dict[str, Any] = {
            "region": region_id,
            "slug": slug,
            "tz": tz,
            "today": today,
            "span": 365 * years - 3,
            "returned": RETURNED_SHARE,
            "rejected": REJECTED_SHARE,
            "stuck": STUCK_SHARE,
            "citizens": citizens,
            "survey_share": _survey_share(conn, region_id),
        }
        _month_partitions(conn, "audit_event", today - timedelta(days=params["span"] + 62), today)
        began = time.perf_counter()
        for lo in range(0, count, CHUNK):
            hi = min(count, lo + CHUNK)
            chunk = params | {"lo": lo, "hi": hi}
            conn.commit()  # each chunk in a transaction of its own (its temp tables go)
            if not check_keys:
                # Bulk load: the rows are made consistent by construction; foreign-key
                # triggers are skipped (``check_keys`` keeps them, as the test does).
                conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute(PLAN_SQL, chunk)
            for statement in GENERATION:
                for part in _statements(statement):
                    took = time.perf_counter()
                    conn.execute(part, chunk)
                    if profile:
                        progress(f"    {time.perf_counter() - took:6.2f} s {part[:60]!r}")
            conn.commit()
            rate = hi / max(time.perf_counter() - began, 1e-9)
            progress(f"  applications {hi}/{count} ({rate:.0f}/s)")
        conn.execute("DROP TABLE IF EXISTS scale_day, scale_wd, scale_service, scale_citizen")
        conn.commit()
    return citizens


def _month_partitions(conn: psycopg.Connection[Any], table: str, first: date, last: date) -> None:
    """The log tables are partitioned by month (migration 0020) and only the months around
    today exist: make the months the generated history falls in."""
    month = first.replace(day=1)
    while month <= last:
        conn.execute("SELECT simpul_log_partition(%s, %s)", (table, month))
        month = (month + timedelta(days=32)).replace(day=1)
    conn.commit()


def _statements(script: str) -> list[str]:
    """The statements of ``script`` (they hold no ``;`` inside literals)."""
    return [part.strip() for part in script.split(";\n") if part.strip().rstrip(";")]


# -- the gateway's message log ---------------------------------------------------------------


@dataclass(frozen=True)
class LogShape:
    clients: tuple[str, ...]
    service: str
    endpoints: tuple[tuple[str, str], ...]  # (method, template)


def log_shape(conn: psycopg.Connection[Any], region_id: uuid.UUID, slug: str) -> LogShape:
    """The demo gateway's service and endpoints; the region's apps as callers."""
    provider = conn.execute(
        "SELECT g.slug FROM app a JOIN agency g ON g.id = a.agency_id"
        " WHERE a.region_id = %s AND a.code = 'simpul'",
        (region_id,),
    ).fetchone()
    agency = provider[0] if provider else "diskominfo"
    endpoints = tuple(
        (str(m), str(t))
        for m, t in conn.execute(
            "SELECT e.method, e.path FROM gateway_endpoint e WHERE e.region_id = %s"
            " ORDER BY e.path",
            (region_id,),
        )
    ) or (("GET", "/services"),)
    clients = tuple(
        f"{slug}/GOV/{g}/{code}"
        for code, g in conn.execute(
            "SELECT a.code, g.slug FROM app a JOIN agency g ON g.id = a.agency_id"
            " WHERE a.region_id = %s ORDER BY (a.code = 'satu-data-bandung') DESC, a.code"
            " LIMIT 12",
            (region_id,),
        )
    )
    return LogShape(clients, f"{slug}/GOV/{agency}/simpul/katalog", endpoints)


def generate_log(
    url: str,
    session: Session,
    region_id: uuid.UUID,
    count: int,
    *,
    days: float = 7.0,
    progress: Progress = print,
) -> int:
    """Append ``count`` chained records over the last ``days`` days, sealed every
    ``SEAL_EVERY``; returns the number of seals written."""
    if count <= 0:
        return 0
    rng = random.Random(14)
    seals = 0
    with _connect(url) as conn:
        slug_row = conn.execute("SELECT slug FROM region WHERE id = %s", (region_id,))
        shape = log_shape(conn, region_id, slug_row.fetchone()[0])  # type: ignore[index]
        today = datetime.now(UTC).date()
        _month_partitions(conn, "gateway_message", today - timedelta(days=days + 1), today)
        conn.execute(
            "SELECT pg_advisory_xact_lock(%s)", (msglog_repository.region_log_lock_key(region_id),)
        )
        tip = conn.execute(
            "SELECT seq, hash FROM gateway_message WHERE region_id = %s ORDER BY seq DESC LIMIT 1",
            (region_id,),
        ).fetchone()
        seq, prev_hash = (int(tip[0]), bytes(tip[1])) if tip else (0, records.ZERO_HASH)
        seal_row = conn.execute(
            "SELECT seq, first_seq, last_seq, last_hash, prev_seal_hash, sealed_at, kid, signature"
            " FROM gateway_log_seal WHERE region_id = %s ORDER BY seq DESC LIMIT 1",
            (region_id,),
        ).fetchone()
        previous = None
        if seal_row is not None:
            seq_, first, last, last_hash, prev_seal_hash, sealed_at, kid_, signature = seal_row
            previous = SealFields(
                region_id, seq_, first, last, last_hash, prev_seal_hash, sealed_at, kid_, signature
            )
        kid, key = region_keys.region_signing_key(session, region_id)
        session.commit()  # the region key, if it was just made
        end = datetime.now(UTC) - timedelta(seconds=5)
        start = end - timedelta(days=days)
        if previous is not None and previous.sealed_at > start:
            start = previous.sealed_at
        step_us = max(1, int((end - start) / timedelta(microseconds=1)) // count)
        began = time.perf_counter()
        seal_rows: list[SealFields] = []
        with conn.cursor() as cur, cur.copy(msglog_repository.COPY_MESSAGES_SQL) as copy:
            copy.set_types(list(msglog_repository.MESSAGE_COPY_TYPES))
            for i in range(count):
                at = start + timedelta(microseconds=step_us * i + rng.randrange(step_us))
                method, template = shape.endpoints[i % len(shape.endpoints)]
                roll = rng.random()
                status, error = (
                    (200, "")
                    if roll < 0.93
                    else (404, "")
                    if roll < 0.96
                    else (429, "rate_limited")
                    if roll < 0.98
                    else (502, "upstream_error")
                )
                record = records.MessageRecord(
                    region_id=region_id,
                    at=at,
                    request_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    client=shape.clients[min(int(rng.expovariate(0.6)), len(shape.clients) - 1)],
                    service=shape.service,
                    endpoint=f"{method} {template}",
                    method=method,
                    path=template.replace("{slug}", "akta-kelahiran"),
                    status=status,
                    error=error,
                    duration_us=int(rng.lognormvariate(9.5, 0.6)),
                    request_bytes=rng.randrange(0, 600),
                    response_bytes=rng.randrange(200, 40000) if status == 200 else 120,
                )
                seq += 1
                row = records.chained_row(record, None, seq, prev_hash)
                prev_hash = row[-1]
                copy.write_row(row)
                if seq % SEAL_EVERY == 0 or i == count - 1:
                    sealed = build_seal(region_id, previous, (seq, prev_hash), kid, key, at)
                    if sealed is not None:
                        seal_rows.append(sealed)
                        previous = sealed
                if (i + 1) % 200_000 == 0:
                    rate = (i + 1) / (time.perf_counter() - began)
                    progress(f"  log records {i + 1}/{count} ({rate:.0f}/s)")
        columns = [f.name for f in dataclasses.fields(SealFields)]
        table = GatewayLogSeal.__tablename__
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for sealed in seal_rows:
                copy.write_row([getattr(sealed, name) for name in columns])
        seals = len(seal_rows)
        conn.commit()
        progress(f"  log records {count}/{count}, {seals} seals")
    return seals


def as_json(value: Any) -> str:
    return json.dumps(value, default=str)
