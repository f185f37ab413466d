"""Crash safety of submissions: ``simpul serve`` killed with SIGKILL in the middle of a burst.

A real server on its own database (``<test database>_crash``, seeded with the demo region)
takes concurrent submissions through the GovStack Registration API from threads; once some
have been answered, the process is killed without warning. A new server on the same
database must then show that:

* every submission answered 2xx exists exactly once (by ``fileId`` and by applicant and
  Idempotency-Key), for the applicant and key it was sent with;
* a submission that got no answer may or may not exist, but sending it again with the same
  Idempotency-Key never makes a second row (the answer is the stored one if there was one);
* nothing is half-written: no draft was left by the API, every submitted application has its
  first task and its ``submit`` event, every attached document belongs to an application.

Loopback only; bounded by short timeouts (about 10-15 s in all).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind
from simpul.applications import documents
from simpul.applications.registration_schemas import document_url
from simpul.applications.uploads import UploadRules
from simpul.catalogue.models import Service
from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.core.storage import LocalStorage
from tests.applications.conftest import PDF_BYTES
from tests.conftest import TEST_SECRET, _server_url
from tests.support.devserver import (
    libpq_url,
    migrate_and_seed_demo,
    recreate_database,
    server_process,
)
from tests.support.eform_data import valid_data_for

REGION = "kota-bandung"
IMC = "SIMPUL-TEST/GOV/90000009/crash"
#: Demo services without documents to send, and one whose first document is required.
SERVICES = ("pengaduan-trantibum", "rsud-pendaftaran-rawat-jalan", "ktp-el-penggantian")
CITIZENS = 6
SUBMISSIONS = 400  # far more than get through before the kill
THREADS = 12
KILL_AFTER = 25  # acknowledged submissions before the SIGKILL
SERVER_START_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
#: The documents are uploaded ahead through the service, far faster than the upload rate a
#: citizen is allowed; this is setting up the test, so the rates are lifted.
SEEDING = UploadRules(
    max_bytes=1_000_000,
    max_image_pixels=40_000_000,
    pending_quota_bytes=100 * 1024 * 1024,
    rate_per_account=1_000_000,
    rate_per_address=1_000_000,
    rate_window_minutes=10,
    unattached_hours=24,
)


@dataclass(frozen=True)
class Job:
    citizen_id: uuid.UUID
    token: str
    service_id: uuid.UUID
    data: dict[str, Any]
    document_urls: tuple[str, ...]
    key: str


@dataclass
class Outcome:
    job: Job
    status: int | None = None  # None: no answer (connection refused or reset)
    file_id: uuid.UUID | None = None


@pytest.fixture(scope="module")
def crash_database_url() -> str:
    """A fresh, migrated database with the demo region, for this module only."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_crash"
    url = recreate_database(server_url, name)
    migrate_and_seed_demo(url)
    return url


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("simpul-crash")


@pytest.fixture(scope="module")
def jobs(crash_database_url: str, data_dir: Path) -> list[Job]:
    """Citizens with API tokens, and the submissions to send (documents uploaded ahead)."""
    storage = LocalStorage(data_dir / "uploads")  # where the server will look for them
    engine = create_engine(sqlalchemy_url(crash_database_url))
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            services = [
                session.scalars(
                    select(Service).where(Service.region_id == region.id, Service.slug == slug)
                ).one()
                for slug in SERVICES
            ]
            answers = {service.id: valid_data_for(service.eform) for service in services}
            people = []
            for n in range(CITIZENS):
                user = accounts_service.create_user(
                    session,
                    region,
                    email=f"warga{n}@crash.example.org",
                    full_name=f"Warga Uji {n}",
                    password="sandi-warga-crash",
                    kind=AccountKind.CITIZEN,
                    nik=f"32730{1 + n}1505900{n + 1:03d}",
                )
                _token, raw = accounts_service.create_api_token(session, user, "crash test")
                people.append((user, raw))
            planned = []
            for n in range(SUBMISSIONS):
                user, raw = people[n % CITIZENS]
                service = services[n % len(services)]
                required = [
                    i for i, d in enumerate(service.required_documents) if d.get("required", True)
                ]
                needed = required[-1] + 1 if required else 0  # matched by position
                files = [(io.BytesIO(PDF_BYTES), "ktp.pdf") for _ in range(needed)]
                stored = (
                    documents.upload_documents(
                        session, region, storage, user, files, rules=SEEDING, address="127.0.0.1"
                    )
                    if files
                    else []
                )
                planned.append(
                    Job(
                        user.id,
                        raw,
                        service.id,
                        answers[service.id],
                        tuple(document_url(REGION, d.id) for d in stored),
                        f"crash-{n}-{uuid.uuid4().hex[:8]}",
                    )
                )
        return planned
    finally:
        engine.dispose()


def submit(client: httpx2.Client, job: Job) -> Outcome:
    """Send one submission; the outcome has no status if no HTTP answer came back."""
    try:
        response = client.post(
            f"/api/{REGION}/registration/services/{job.service_id}/applications",
            json={
                "applicantId": str(job.citizen_id),
                "formData": {"eFormId": str(job.service_id), "data": job.data},
                "documentUrls": list(job.document_urls),
            },
            headers={
                "Authorization": f"Bearer {job.token}",
                "Idempotency-Key": job.key,
                "Information-Mediator-Client": IMC,
            },
        )
    except httpx2.TransportError:
        return Outcome(job)
    if response.is_success:
        return Outcome(job, response.status_code, uuid.UUID(response.json()["fileId"]))
    return Outcome(job, response.status_code)


def burst_and_kill(
    base_url: str, process: subprocess.Popen[bytes], jobs: list[Job]
) -> list[Outcome]:
    """Send ``jobs`` from ``THREADS`` threads; SIGKILL the server after ``KILL_AFTER`` answers.

    Returns the outcome of every job that was sent (the rest were never sent).
    """
    lock = threading.Lock()
    acknowledged = threading.Event()
    outcomes: list[Outcome] = []
    queue: Iterator[Job] = iter(jobs)

    def worker() -> None:
        with httpx2.Client(base_url=base_url, timeout=REQUEST_TIMEOUT, trust_env=False) as client:
            while True:
                with lock:
                    job = next(queue, None)
                if job is None:
                    return
                outcome = submit(client, job)
                with lock:
                    outcomes.append(outcome)
                    if sum(1 for o in outcomes if o.status == 200) >= KILL_AFTER:
                        acknowledged.set()
                if outcome.status is None:
                    return  # the server is gone

    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(worker) for _ in range(THREADS)]
        assert acknowledged.wait(timeout=30), "the server answered too few submissions"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        for future in futures:
            future.result(timeout=30)
    return outcomes


def rows(url: str) -> list[tuple[uuid.UUID, uuid.UUID, str | None]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(
            "SELECT id, applicant_id, idempotency_key FROM application WHERE channel = 'api'"
        ).fetchall()


def half_written(url: str) -> dict[str, int]:
    """Counts of what a torn submission would leave behind (all must be 0)."""
    queries = {
        "drafts from the API": "SELECT count(*) FROM application "
        "WHERE channel = 'api' AND status = 'draft'",
        "submitted without a task": "SELECT count(*) FROM application a "
        "WHERE a.status <> 'draft' AND NOT EXISTS "
        "(SELECT 1 FROM task t WHERE t.application_id = a.id)",
        "submitted without a submit event": "SELECT count(*) FROM application a "
        "WHERE a.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM application_event e "
        "WHERE e.application_id = a.id AND e.action = 'submit')",
        "submitted without a due date": "SELECT count(*) FROM application "
        "WHERE status <> 'draft' AND (submitted_at IS NULL OR due_date IS NULL)",
        "documents of no application": "SELECT count(*) FROM document d "
        "WHERE d.application_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM application a WHERE a.id = d.application_id)",
    }
    with psycopg.connect(libpq_url(url)) as conn:
        counts = {}
        for label, query in queries.items():
            row = conn.execute(query).fetchone()
            counts[label] = int(row[0]) if row else -1
        return counts


def test_sigkill_mid_burst_loses_and_doubles_nothing(
    crash_database_url: str, data_dir: Path, jobs: list[Job]
) -> None:
    with server_process(
        crash_database_url, secret_key=TEST_SECRET, data_dir=data_dir, timeout=SERVER_START_TIMEOUT
    ) as server:
        outcomes = burst_and_kill(server.base_url, server.process, jobs)
        assert server.process.returncode == -signal.SIGKILL

    answered = [o for o in outcomes if o.status is not None]
    unanswered = [o for o in outcomes if o.status is None]
    assert all(o.status == 200 for o in answered), [o.status for o in answered]
    assert len(answered) >= KILL_AFTER
    assert unanswered, "the kill interrupted no request: nothing was tested"

    # Every acknowledged submission is there, once, as it was sent.
    stored = rows(crash_database_url)
    by_id = {file_id: (applicant, key) for file_id, applicant, key in stored}
    assert len(by_id) == len(stored)
    per_key: dict[tuple[uuid.UUID, str | None], int] = {}
    for _file_id, applicant, key in stored:
        per_key[(applicant, key)] = per_key.get((applicant, key), 0) + 1
    assert all(n == 1 for n in per_key.values())
    for outcome in answered:
        assert outcome.file_id is not None
        assert by_id.get(outcome.file_id) == (outcome.job.citizen_id, outcome.job.key)
    sent_keys = {(o.job.citizen_id, o.job.key) for o in outcomes}
    assert set(per_key) <= sent_keys  # nothing that was not sent
    torn = half_written(crash_database_url)
    assert torn == dict.fromkeys(torn, 0)

    # After a restart, retrying with the same key returns the stored file or makes it once.
    stored_before = {(applicant, key): file_id for file_id, applicant, key in stored}
    committed_unanswered = sum(
        1 for o in unanswered if (o.job.citizen_id, o.job.key) in stored_before
    )
    print(
        f"killed after {len(answered)} answers; {len(unanswered)} requests got no answer, "
        f"{committed_unanswered} of them committed before the kill"
    )
    with (
        server_process(
            crash_database_url,
            secret_key=TEST_SECRET,
            data_dir=data_dir,
            timeout=SERVER_START_TIMEOUT,
        ) as restarted,
        httpx2.Client(
            base_url=restarted.base_url, timeout=REQUEST_TIMEOUT, trust_env=False
        ) as client,
    ):
        retried = [submit(client, o.job) for o in unanswered + answered[:5]]
        again = [submit(client, o.job) for o in unanswered]

    for outcome in retried + again:
        assert outcome.status == 200
        earlier = stored_before.get((outcome.job.citizen_id, outcome.job.key))
        if earlier is not None:
            assert outcome.file_id == earlier
    for first, second in zip(retried, again, strict=False):
        assert first.file_id == second.file_id

    final = rows(crash_database_url)
    final_per_key: dict[tuple[uuid.UUID, str | None], int] = {}
    for _file_id, applicant, key in final:
        final_per_key[(applicant, key)] = final_per_key.get((applicant, key), 0) + 1
    assert all(n == 1 for n in final_per_key.values())
    assert set(final_per_key) == sent_keys  # every sent submission exists now, exactly once
    assert {o.file_id for o in retried} <= {file_id for file_id, _a, _k in final}
    torn = half_written(crash_database_url)
    assert torn == dict.fromkeys(torn, 0)
