"""Attack: fill the region's storage with documents that are uploaded and never used.

Documents uploaded through the Registration API wait, unattached, for a submission that links
them. Today they stay forever: anyone with a citizen account can park files (personal data,
too) in the region's storage for good. ``simpul worker`` must delete the ones not attached
within ``SIMPUL_UPLOAD_UNATTACHED_HOURS`` (24): the file and its row, on local disk and on S3.

The order matters when the worker dies halfway: the row goes first (with a record of the file
to delete, in the same transaction), then the file, then the record. A crash can leave a file
without a row, never a row without its file, and the next run deletes the leftover file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import psycopg
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import Engine

from simpul.core.storage import LocalStorage, S3Storage, Storage
from tests.api_errors import api_error
from tests.conftest import TEST_SECRET
from tests.samples import pdf_bytes, png_bytes
from tests.security.upload_world import (
    UploadWorld,
    bearer,
    make_world,
    run_worker,
    serve,
    settings_for,
    uploads_engine_fixture,  # noqa: F401 - fixture (uploads_engine)
    uploads_url_fixture,  # noqa: F401 - fixture (uploads_url)
)
from tests.support.devserver import libpq_url

S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


def upload(client: object, world: UploadWorld, content: bytes, name: str) -> str:
    """Upload one file through the Registration API; return its document id."""
    response = client.post(  # type: ignore[attr-defined]
        f"{world.api}/documents",
        headers=bearer(world.citizens[0]),
        files=[("file", (name, content))],
    )
    assert response.status_code == 200, response.text
    return str(response.json()["documentUrls"][0]).rsplit("/", 1)[1]


def age(url: str, document_ids: list[str], hours: float) -> None:
    """Pretend the documents were uploaded ``hours`` ago."""
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute(
            "UPDATE document SET created_at = now() - make_interval(secs => %s) WHERE id = ANY(%s)",
            (hours * 3600, [uuid.UUID(i) for i in document_ids]),
        )


def keys_of(url: str, document_ids: list[str]) -> dict[str, str]:
    """The storage key of each document that still has a row."""
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT id::text, storage_key FROM document WHERE id = ANY(%s)",
            ([uuid.UUID(i) for i in document_ids],),
        ).fetchall()
    return dict(rows)


def submit(client: object, world: UploadWorld, document_id: str) -> None:
    response = client.post(  # type: ignore[attr-defined]
        f"{world.api}/services/{world.service_id}/applications",
        headers=bearer(world.citizens[0]),
        json={
            "applicantId": str(world.citizens[0].id),
            "formData": {"data": {"nama": "Siti Aminah"}},
            "documentUrls": [f"{world.api}/documents/{document_id}"],
        },
    )
    assert response.status_code == 200, response.text


def test_worker_deletes_documents_never_attached_after_24_hours(
    uploads_url: str, uploads_engine: Engine, tmp_path: Path
) -> None:
    world = make_world(uploads_engine)
    storage = LocalStorage(tmp_path / "uploads")
    with serve(uploads_engine, settings_for(tmp_path)) as client:
        abandoned = [upload(client, world, pdf_bytes(), "ktp.pdf") for _ in range(2)]
        abandoned.append(upload(client, world, png_bytes(4, 4), "foto.png"))
        recent = upload(client, world, pdf_bytes(), "baru.pdf")
        used = upload(client, world, pdf_bytes(), "dipakai.pdf")
        submit(client, world, used)
    keys = keys_of(uploads_url, [*abandoned, recent, used])
    assert all(storage.exists(key) for key in keys.values())
    age(uploads_url, [*abandoned, used], hours=25)
    age(uploads_url, [recent], hours=23)

    worker = run_worker(uploads_url, tmp_path)

    assert worker.returncode == 0, worker.stderr
    left = keys_of(uploads_url, [*abandoned, recent, used])
    assert set(left) == {recent, used}
    assert not any(storage.exists(keys[document_id]) for document_id in abandoned)
    assert storage.exists(keys[recent]) and storage.exists(keys[used])


def test_worker_stopped_between_row_and_file_leaves_no_row_without_its_file(
    uploads_url: str, uploads_engine: Engine, tmp_path: Path
) -> None:
    """Local storage: the rows are deleted (and the files recorded) in one committed step; a
    worker that stops there leaves the files, and the next run deletes them."""
    from simpul.applications import upload_cleanup

    world = make_world(uploads_engine)
    storage = LocalStorage(tmp_path / "uploads")
    with serve(uploads_engine, settings_for(tmp_path)) as client:
        abandoned = [upload(client, world, pdf_bytes(), f"ktp-{n}.pdf") for n in range(3)]
    keys = keys_of(uploads_url, abandoned)
    age(uploads_url, abandoned, hours=30)

    # The first half of the worker's job, as a worker killed right after it would leave it.
    removed = upload_cleanup.forget_abandoned_uploads(uploads_engine, hours=24)

    assert removed >= 3
    assert keys_of(uploads_url, abandoned) == {}
    assert all(storage.exists(key) for key in keys.values())  # orphans, but recorded
    assert queued_removals(uploads_url, list(keys.values())) == set(keys.values())

    worker = run_worker(uploads_url, tmp_path)

    assert worker.returncode == 0, worker.stderr
    assert not any(storage.exists(key) for key in keys.values())
    assert queued_removals(uploads_url, list(keys.values())) == set()


def queued_removals(url: str, keys: list[str]) -> set[str]:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute(
            "SELECT storage_key FROM stored_file_removal WHERE storage_key = ANY(%s)", (keys,)
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    """A real S3-protocol server (moto) on 127.0.0.1."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def stalled_endpoint() -> Iterator[str]:
    """An S3 endpoint that accepts connections and never answers: a worker deleting a file
    through it hangs there, as one does when the object store stalls."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


def s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "SIMPUL_STORAGE_BACKEND": "s3",
        "SIMPUL_S3_BUCKET": bucket,
        "SIMPUL_S3_ENDPOINT_URL": endpoint,
        "SIMPUL_S3_REGION": "us-east-1",
        "SIMPUL_S3_ACCESS_KEY": "testing",
        "SIMPUL_S3_SECRET_KEY": "testing",
    }


def test_worker_killed_mid_delete_on_s3_leaves_only_files_the_next_run_removes(
    uploads_url: str,
    uploads_engine: Engine,
    tmp_path: Path,
    s3_endpoint: str,
    stalled_endpoint: str,
) -> None:
    bucket = f"simpul-{uuid.uuid4().hex[:12]}"
    boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    storage: Storage = S3Storage(bucket, endpoint_url=s3_endpoint, **S3_CREDENTIALS)
    world = make_world(uploads_engine)
    settings = settings_for(
        tmp_path,
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key="testing",
        s3_secret_key="testing",
    )
    with serve(uploads_engine, settings) as client:
        abandoned = [upload(client, world, pdf_bytes(), f"kk-{n}.pdf") for n in range(2)]
    keys = keys_of(uploads_url, abandoned)
    assert all(storage.exists(key) for key in keys.values())
    age(uploads_url, abandoned, hours=48)

    # A worker whose object store stalls on the first DELETE; killed without warning there.
    simpul = Path(sys.executable).parent / "simpul"
    environment = {
        **os.environ,
        **s3_env(stalled_endpoint, bucket),
        "SIMPUL_DATABASE_URL": uploads_url,
        "SIMPUL_SECRET_KEY": TEST_SECRET,
        "SIMPUL_DATA_DIR": str(tmp_path),
    }
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [str(simpul), "worker"], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while keys_of(uploads_url, abandoned) and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        time.sleep(0.5)  # let it reach the DELETE it will never get an answer to
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert keys_of(uploads_url, abandoned) == {}, "the worker never removed the rows"
    assert all(storage.exists(key) for key in keys.values())  # files left, but recorded:
    assert queued_removals(uploads_url, list(keys.values())) == set(keys.values())
    # The dead worker had claimed them for a few minutes (its lease); let that time pass.
    with psycopg.connect(libpq_url(uploads_url)) as conn:
        conn.execute(
            "UPDATE stored_file_removal SET next_attempt_at = now() WHERE storage_key = ANY(%s)",
            (list(keys.values()),),
        )

    worker = run_worker(uploads_url, tmp_path, s3_env(s3_endpoint, bucket))

    assert worker.returncode == 0, worker.stderr
    assert not any(storage.exists(key) for key in keys.values())
    assert queued_removals(uploads_url, list(keys.values())) == set()


def test_submission_racing_the_clean_up_gets_a_clear_answer(
    uploads_url: str, uploads_engine: Engine, tmp_path: Path
) -> None:
    """The worker has taken (locked) and deleted an abandoned document but not committed yet
    when its citizen finally submits with it: the submission waits for the worker, then hears
    that the document is gone (422), instead of failing on a row that vanished under it."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from simpul.applications import upload_repository
    from simpul.core import file_removals
    from simpul.core.models import utcnow

    world = make_world(uploads_engine)
    with serve(uploads_engine, settings_for(tmp_path)) as client:
        late = upload(client, world, pdf_bytes(), "ktp.pdf")
        age(uploads_url, [late], hours=25)

        def submit_late() -> object:
            return client.post(
                f"{world.api}/services/{world.service_id}/applications",
                headers=bearer(world.citizens[0]),
                json={
                    "applicantId": str(world.citizens[0].id),
                    "formData": {"data": {"nama": "Siti Aminah"}},
                    "documentUrls": [f"{world.api}/documents/{late}"],
                },
            )

        worker = Session(uploads_engine)
        try:
            worker.begin()
            taken = upload_repository.claim_abandoned_documents(
                worker, utcnow() - timedelta(hours=24), 200
            )
            assert late in {str(d.id) for d in taken}
            upload_repository.delete_documents(worker, [d.id for d in taken])
            file_removals.queue_removals(worker, [d.storage_key for d in taken])
            with ThreadPoolExecutor(1) as pool:
                pending = pool.submit(submit_late)
                time.sleep(1.5)
                assert not pending.done()  # waiting for the worker's lock
                worker.commit()
                answer = pending.result(timeout=30)
        finally:
            worker.close()

    assert answer.status_code == 400, answer.text  # type: ignore[attr-defined]
    error = api_error(answer)
    assert error["details"][0]["field"] == "documentUrls"
    assert "Unggah dokumen lagi" in error["details"][0]["message"]
