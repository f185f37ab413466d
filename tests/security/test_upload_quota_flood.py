"""Attack: flood the region's storage (and its CPU) with uploads from one account or address.

A citizen's documents that no submitted application uses yet (uploaded ahead through the API,
or attached to a draft) are limited to ``SIMPUL_UPLOAD_PENDING_QUOTA_BYTES`` together; uploads
are limited per account and per source address to ``SIMPUL_UPLOAD_RATE_PER_ACCOUNT`` /
``..._PER_ADDRESS`` per ``SIMPUL_UPLOAD_RATE_WINDOW_MINUTES``. Going over gives a clear
Indonesian message saying what to do, and stores nothing. Uploads sent in parallel cannot
overshoot the quota together.
"""

# ruff: noqa: F811 - ``world`` is a fixture of tests/applications, imported to be a parameter

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from simpul.accounts.service import create_api_token
from simpul.applications.models import Document
from tests.api_errors import api_error
from tests.applications.conftest import (
    World,
    world,  # noqa: F401 - fixture
)
from tests.applications.test_pages import log_in, start
from tests.applications.test_pages import upload as page_upload
from tests.factories import post_form
from tests.samples import pdf_bytes, pdf_of_size
from tests.security.upload_world import (
    bearer,
    make_world,
    serve,
    settings_for,
    uploads_engine_fixture,  # noqa: F401 - fixture (uploads_engine)
    uploads_url_fixture,  # noqa: F401 - fixture (uploads_url)
)

KB = 1024


def documents_of(session: Session) -> list[Document]:
    return list(session.scalars(select(Document)))


def stored(world: World) -> list[Path]:
    root = world.storage.root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def api(client: TestClient, session: Session, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    token = create_api_token(session, world.citizen, "unggah")[1]
    other = create_api_token(session, world.other_citizen, "unggah")[1]
    session.flush()
    client.headers["Authorization"] = f"Bearer {token}"
    client.other_token = other  # type: ignore[attr-defined]
    return client


def configure(client: TestClient, **changes: Any) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update=changes)  # type: ignore[attr-defined]


def send(client: TestClient, *contents: bytes, token: str | None = None) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        "/api/kota-uji/registration/documents",
        files=[("file", (f"dokumen-{n}.pdf", c)) for n, c in enumerate(contents)],
        headers=headers,
    )


def test_pending_uploads_stop_at_the_quota_with_a_message_and_nothing_stored(
    api: TestClient,
    session: Session,
    world: World,
) -> None:
    configure(api, upload_pending_quota_bytes=100 * KB)
    for _ in range(3):
        assert send(api, pdf_of_size(30 * KB)).status_code == 200
    before = (len(documents_of(session)), len(stored(world)))

    over = send(api, pdf_of_size(20 * KB))

    assert over.status_code == 413
    error = api_error(over)
    assert error["code"] == "upload_quota_exceeded"
    assert "Kuota unggahan" in error["message"] and " MB" in error["message"]
    assert "24 jam" in error["message"]  # what to do: submit, or wait for the clean-up
    assert (len(documents_of(session)), len(stored(world))) == before
    # What still fits is accepted; the other citizen has a quota of their own.
    assert send(api, pdf_of_size(9 * KB)).status_code == 200
    assert send(api, pdf_of_size(60 * KB), token=api.other_token).status_code == 200  # type: ignore[attr-defined]


def test_a_request_of_several_files_counts_them_together(
    api: TestClient,
    session: Session,
    world: World,
) -> None:
    configure(api, upload_pending_quota_bytes=100 * KB)

    over = send(api, pdf_of_size(40 * KB), pdf_of_size(40 * KB), pdf_of_size(40 * KB))

    assert over.status_code == 413
    assert documents_of(session) == [] and stored(world) == []


def test_documents_of_drafts_count_submitted_ones_do_not(
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    configure(client, upload_pending_quota_bytes=100 * KB)
    log_in(client, "warga@example.org", "sandi-warga-1")
    form_page = start(client)
    assert page_upload(client, form_page, "ktp", "ktp.pdf", pdf_of_size(60 * KB)).status_code == 303  # type: ignore[attr-defined]

    refused = page_upload(client, form_page, "foto", "foto.pdf", pdf_of_size(60 * KB))

    assert refused.status_code == 413  # type: ignore[attr-defined]
    assert "Kuota unggahan" in refused.text  # type: ignore[attr-defined]
    assert len(documents_of(session)) == 1 and len(stored(world)) == 1
    sent = post_form(
        client,
        form_page,
        {"f.nama_usaha": "Warung Bu Siti", "f.jumlah_pegawai": "2", "_action": "kirim"},
    )
    assert sent.status_code == 303
    # Submitted: its documents no longer count, so a new draft may upload again.
    second = start(client)
    assert page_upload(client, second, "ktp", "ktp.pdf", pdf_of_size(60 * KB)).status_code == 303  # type: ignore[attr-defined]


def test_parallel_uploads_cannot_overshoot_the_quota_together(
    uploads_engine: Engine,
    tmp_path: Path,
) -> None:
    quota = 200 * KB
    size = 30 * KB
    upload_world = make_world(uploads_engine)
    settings = settings_for(
        tmp_path,
        upload_pending_quota_bytes=quota,
        upload_rate_per_account=1000,
        upload_rate_per_address=1000,
    )
    content = pdf_of_size(size)
    with serve(uploads_engine, settings) as client:

        def one(_: int) -> int:
            response = client.post(
                f"{upload_world.api}/documents",
                headers=bearer(upload_world.citizens[0]),
                files=[("file", ("ktp.pdf", content))],
            )
            return response.status_code

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(one, range(24)))

    with Session(uploads_engine) as session:
        total = session.scalar(
            select(func.coalesce(func.sum(Document.size), 0)).where(
                Document.owner_id == upload_world.citizens[0].id
            )
        )
    assert sorted(set(statuses)) == [200, 413], statuses
    assert statuses.count(200) == quota // size
    assert total == statuses.count(200) * size <= quota


def test_upload_rate_is_limited_per_account_and_refused_files_count_too(
    api: TestClient,
    session: Session,
    world: World,
) -> None:
    configure(api, upload_rate_per_account=4, upload_rate_window_minutes=10)
    assert send(api, pdf_bytes()).status_code == 200
    for _ in range(3):  # junk that is refused still costs the server: it counts
        assert send(api, b"MZ\x90\x00" + b"\x00" * 100).status_code == 415
    before = (len(documents_of(session)), len(stored(world)))

    limited = send(api, pdf_bytes())

    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 600
    error = api_error(limited)
    assert error["code"] == "too_many_requests"
    assert "Terlalu banyak unggahan" in error["message"] and "menit" in error["message"]
    assert (len(documents_of(session)), len(stored(world))) == before
    # Another citizen is not held back by this one.
    assert send(api, pdf_bytes(), token=api.other_token).status_code == 200  # type: ignore[attr-defined]


def test_upload_rate_is_limited_per_source_address(
    api: TestClient,
    session: Session,
    world: World,
) -> None:
    configure(api, upload_rate_per_account=100, upload_rate_per_address=3)
    assert send(api, pdf_bytes()).status_code == 200
    assert send(api, pdf_bytes(), token=api.other_token).status_code == 200  # type: ignore[attr-defined]
    assert send(api, pdf_bytes()).status_code == 200

    limited = send(api, pdf_bytes(), token=api.other_token)  # type: ignore[attr-defined]

    assert limited.status_code == 429
    assert "Terlalu banyak unggahan" in api_error(limited)["message"]
    assert len(documents_of(session)) == 3


def test_rate_limited_page_upload_says_when_to_try_again(
    client: TestClient,
    session: Session,
    world: World,
) -> None:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    configure(client, upload_rate_per_account=2)
    log_in(client, "warga@example.org", "sandi-warga-1")
    form_page = start(client)
    for _ in range(2):
        page_upload(client, form_page, "ktp", "ktp.pdf", pdf_bytes())

    limited = page_upload(client, form_page, "foto", "foto.pdf", pdf_bytes())

    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "Terlalu banyak unggahan" in limited.text  # type: ignore[attr-defined]
    assert 'id="ue-foto"' in limited.text  # type: ignore[attr-defined] - next to the field
    digests = {d.sha256 for d in documents_of(session)}
    assert digests == {hashlib.sha256(pdf_bytes()).hexdigest()}
    assert len(documents_of(session)) == 2
