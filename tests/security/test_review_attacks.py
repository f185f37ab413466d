"""Attacks on the decision screen: hostile files in the preview, other agencies' documents,
forged check targets, guessed preview URLs, and a check form posted from another site.

What must hold: an officer's browser only ever receives a PNG or JPEG the server produced or
checked (no PDF, no script), with a policy that forbids running anything; the server process
survives any PDF (PDFium runs in a limited child); nobody reads or checks a document outside
the applications of their own agency and step; every view is recorded.
"""

# ruff: noqa: F811 - ``world`` is a fixture of tests/applications, imported to be a parameter

from __future__ import annotations

import hashlib
import io
import time
import uuid

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications import submission
from simpul.applications.check_models import RequirementCheck
from simpul.applications.files import StoredFile
from simpul.applications.models import Application, Document, DocumentAccess, Task, TaskStatus
from simpul.applications.pdf_pages import MAX_HEIGHT, MAX_WIDTH, RenderFailed, render_page
from tests.applications.conftest import (
    VALID_DATA,
    World,
    world,  # noqa: F401 - fixture
)
from tests.applications.test_pages import log_in, start, upload
from tests.factories import csrf_from, post_form
from tests.samples import pdf_bytes, png_bytes
from tests.security.hostile_files import TELLTALES, open_action_javascript_direct

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def stored_as_is(world: World, data: bytes, content_type: str) -> StoredFile:
    """A file put in the storage without the upload's checks (a file from before the checks
    existed, or a storage someone tampered with): the preview must not trust the upload."""
    key = f"{world.region.slug}/test/{uuid.uuid4()}"
    world.storage.put(key, io.BytesIO(data), content_type=content_type)
    return StoredFile(key, content_type, len(data), hashlib.sha256(data).hexdigest())


def application_with(session: Session, world: World, ktp: StoredFile) -> Application:
    draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
    submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
    submission.attach_document(session, world.region, world.citizen, draft.id, "ktp", ktp, "k.pdf")
    application = submission.submit(session, world.region, world.citizen, draft.id)
    session.commit()
    return application


def document_of(session: Session, application: Application) -> Document:
    return session.scalars(select(Document).where(Document.application_id == application.id)).one()


def huge_page_pdf() -> bytes:
    """A page of 14,400 pt square (the largest PDF allows, 5 m): drawn naively at screen
    resolution it would be a 400-megapixel image."""
    pdf = pikepdf.Pdf.new()
    pdf.add_blank_page(page_size=(14400, 14400))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def slow_pdf(segments: int = 4_000_000) -> bytes:
    """175 KB that take PDFium about five CPU seconds to draw: four million path segments,
    compressed. (A million took 1.3 s with the interpreter's start, too close to the test's
    1 s CPU limit: one CI run's renderer finished within it.)"""
    pdf = pikepdf.Pdf.new()
    pdf.add_blank_page(page_size=(300, 300))
    pdf.pages[0].Contents = pdf.make_stream(b"0 0 m " + b"300 300 l 0 300 l " * segments + b"f")
    out = io.BytesIO()
    pdf.save(out, compress_streams=True)
    return out.getvalue()


def test_a_pdf_with_javascript_reaches_the_officer_only_as_pixels(
    web: TestClient, session: Session, world: World
) -> None:
    hostile = open_action_javascript_direct()
    assert b"/JavaScript" in hostile
    application = application_with(session, world, stored_as_is(world, hostile, "application/pdf"))
    log_in(web, "verif@example.org", "sandi-verif-1")
    document = document_of(session, application)
    preview = web.get(f"/kota-uji/petugas/dokumen/{document.id}/pratinjau/1")
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "image/png"
    assert preview.content.startswith(PNG_MAGIC)
    assert not any(tell in preview.content for tell in (b"%PDF", *TELLTALES))
    policy = preview.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "script-src" not in policy
    viewer = web.get(f"/kota-uji/petugas/dokumen/{document.id}/lihat")
    assert viewer.status_code == 200 and "app.alert" not in viewer.text


def test_a_png_named_pdf_is_previewed_as_the_image_it_is(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, "warga@example.org", "sandi-warga-1")
    form_page = start(web)
    photo = png_bytes(20, 10, (200, 0, 0))
    assert upload(web, form_page, "ktp", "ktp.pdf", photo).status_code == 303  # type: ignore[attr-defined]
    document = session.scalars(select(Document).where(Document.requirement_code == "ktp")).one()
    assert document.content_type == "image/png"  # decided by content, not by the name
    post_form(
        web,
        form_page,
        {"f.nama_usaha": "Warung Bu Siti", "f.jumlah_pegawai": "3", "_action": "kirim"},
    )
    log_in(web, "verif@example.org", "sandi-verif-1")
    preview = web.get(f"/kota-uji/petugas/dokumen/{document.id}/pratinjau/1")
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["x-content-type-options"] == "nosniff"
    assert Image.open(io.BytesIO(preview.content)).size == (20, 10)
    # A "PDF" that is not one (the storage was tampered with) fails cleanly, and is recorded.
    fake = application_with(session, world, stored_as_is(world, photo, "application/pdf"))
    broken = web.get(f"/kota-uji/petugas/dokumen/{document_of(session, fake).id}/pratinjau/1")
    assert broken.status_code == 422
    assert "Pratinjau halaman ini tidak dapat ditampilkan" in broken.text
    assert "Traceback" not in broken.text


def test_a_page_of_five_metres_is_drawn_within_the_screen_bound(
    web: TestClient, session: Session, world: World
) -> None:
    application = application_with(
        session, world, stored_as_is(world, huge_page_pdf(), "application/pdf")
    )
    log_in(web, "verif@example.org", "sandi-verif-1")
    preview = web.get(
        f"/kota-uji/petugas/dokumen/{document_of(session, application).id}/pratinjau/1"
    )
    assert preview.status_code == 200
    width, height = Image.open(io.BytesIO(preview.content)).size
    assert width <= MAX_WIDTH and height <= MAX_HEIGHT


def test_a_pdf_that_takes_forever_is_cut_off_and_the_server_goes_on() -> None:
    slow = slow_pdf()
    started = time.monotonic()
    with pytest.raises(RenderFailed):
        render_page(slow, 1, timeout=0.5)
    assert time.monotonic() - started < 3
    # The child's CPU limit holds even when the wall clock would let it run.
    with pytest.raises(RenderFailed):
        render_page(slow, 1, timeout=30, cpu_seconds=1)
    assert render_page(pdf_bytes(), 1).png.startswith(PNG_MAGIC)  # the next one is served


def test_another_agencys_officer_can_neither_see_nor_check_and_guesses_look_alike(
    web: TestClient, session: Session, world: World
) -> None:
    application = application_with(session, world, world.upload(pdf_bytes("KTP")))
    document = document_of(session, application)
    task = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()
    log_in(web, "luar@example.org", "sandi-luar-12")
    theirs = web.get(f"/kota-uji/petugas/dokumen/{document.id}/pratinjau/1")
    guessed = web.get(f"/kota-uji/petugas/dokumen/{uuid.uuid4()}/pratinjau/1")
    assert theirs.status_code == guessed.status_code == 404
    assert document.filename not in theirs.text
    assert web.get(f"/kota-uji/petugas/dokumen/{document.id}/lihat").status_code == 404
    token = csrf_from(web.get("/kota-uji/petugas/kotak-masuk").text)
    check = web.post(
        f"/kota-uji/petugas/tugas/{task.id}/periksa",
        data={
            "csrf_token": token,
            "kind": "field",
            "code": "nama_usaha",
            "verdict": "tidak_sesuai",
            "note": "Dicoba dari instansi lain",
        },
        follow_redirects=False,
    )
    assert check.status_code == 404
    # The applicant's own account has no officer preview either.
    log_in(web, "warga@example.org", "sandi-warga-1")
    own = web.get(f"/kota-uji/petugas/dokumen/{document.id}/pratinjau/1")
    assert own.status_code != 200 and not own.content.startswith(PNG_MAGIC)
    assert session.scalar(select(func.count()).select_from(DocumentAccess)) == 0
    assert session.scalar(select(func.count()).select_from(RequirementCheck)) == 0


def test_a_check_naming_another_applications_document_is_refused(
    web: TestClient, session: Session, world: World
) -> None:
    mine = application_with(session, world, world.upload())
    other = application_with(session, world, world.upload())
    task = session.scalars(
        select(Task).where(Task.application_id == mine.id, Task.status == TaskStatus.OPEN)
    ).one()
    log_in(web, "verif@example.org", "sandi-verif-1")
    page = f"/kota-uji/petugas/permohonan/{mine.id}"
    forged = post_form(
        web,
        f"/kota-uji/petugas/tugas/{task.id}/periksa",
        {
            "kind": "document",
            "code": "ktp",
            "document_id": str(document_of(session, other).id),
            "verdict": "sesuai",
        },
        page=page,
    )
    assert forged.status_code == 404
    junk = post_form(
        web,
        f"/kota-uji/petugas/tugas/{task.id}/periksa",
        {"kind": "document", "code": "ktp", "document_id": "../../etc", "verdict": "sesuai"},
        page=page,
    )
    assert junk.status_code == 404
    assert session.scalar(select(func.count()).select_from(RequirementCheck)) == 0


def test_the_check_form_needs_its_csrf_token(
    web: TestClient, session: Session, world: World
) -> None:
    application = application_with(session, world, world.upload())
    task = session.scalars(
        select(Task).where(Task.application_id == application.id, Task.status == TaskStatus.OPEN)
    ).one()
    log_in(web, "verif@example.org", "sandi-verif-1")
    web.get(f"/kota-uji/petugas/permohonan/{application.id}")
    forged = web.post(
        f"/kota-uji/petugas/tugas/{task.id}/periksa",
        data={"kind": "field", "code": "nama_usaha", "verdict": "tidak_sesuai", "note": "x y z"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert session.scalar(select(func.count()).select_from(RequirementCheck)) == 0
