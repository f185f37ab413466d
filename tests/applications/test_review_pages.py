"""The task page as one screen to decide, its inline previews, and what the citizen sees."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.check_models import RequirementCheck
from simpul.applications.models import Document, DocumentAccess, Task, TaskStatus
from simpul.core.models import AuditEvent
from tests.applications.conftest import PDF_BYTES, World
from tests.applications.test_pages import log_in, start, upload
from tests.factories import post_form
from tests.samples import png_bytes


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def send_application(web: TestClient) -> str:
    """The citizen applies with a PDF KTP and a PNG photo; returns the application id."""
    log_in(web, "warga@example.org", "sandi-warga-1")
    form_page = start(web)
    assert upload(web, form_page, "ktp", "ktp.pdf", PDF_BYTES).status_code == 303  # type: ignore[attr-defined]
    photo = png_bytes(40, 30, (10, 120, 200))
    assert upload(web, form_page, "foto", "lokasi.png", photo).status_code == 303  # type: ignore[attr-defined]
    sent = post_form(
        web,
        form_page,
        {"f.nama_usaha": "Warung Sunda Bu Siti", "f.jumlah_pegawai": "3", "_action": "kirim"},
    )
    assert sent.status_code == 303
    return str(sent.headers["location"]).split("?")[0].rsplit("/", 1)[1]


def test_task_page_reads_applicant_then_requirements_then_answers_then_decision(
    web: TestClient, session: Session, world: World
) -> None:
    application_id = send_application(web)
    log_in(web, "verif@example.org", "sandi-verif-1")
    page = web.get(f"/kota-uji/petugas/permohonan/{application_id}")
    assert page.status_code == 200
    html = page.text
    order = [
        html.index('id="pemohon"'),
        html.index('id="dokumen"'),
        html.index('id="data"'),
        html.index('id="keputusan"'),
    ]
    assert order == sorted(order)
    assert world.citizen.full_name in html and "3273••••••••0001" in html
    assert "warga@example.org" in html
    # Each requirement with its preview and its check form, each answer with its check form.
    documents = session.scalars(
        select(Document).where(Document.application_id == uuid.UUID(application_id))
    ).all()
    assert len(documents) == 2
    for document in documents:
        assert f"/kota-uji/petugas/dokumen/{document.id}/pratinjau/1" in html
    assert 'id="cek-document-ktp"' in html and 'id="cek-document-foto"' in html
    assert 'id="cek-field-nama_usaha"' in html and 'id="cek-field-jumlah_pegawai"' in html
    assert html.count('name="verdict" value="tidak_sesuai"') == 4
    # The approver reads the same file without the check forms: the step is not theirs.
    log_in(web, "setuju@example.org", "sandi-setuju-1")
    other = web.get(f"/kota-uji/petugas/permohonan/{application_id}")
    assert 'id="pemohon"' in other.text and 'name="verdict"' not in other.text


def test_previews_are_images_shown_inline_and_each_view_is_recorded(
    web: TestClient, session: Session, world: World
) -> None:
    application_id = uuid.UUID(send_application(web))
    log_in(web, "verif@example.org", "sandi-verif-1")
    ktp, photo = (
        session.scalars(
            select(Document).where(
                Document.application_id == application_id,
                Document.requirement_code == code,
            )
        ).one()
        for code in ("ktp", "foto")
    )
    pdf_page = web.get(f"/kota-uji/petugas/dokumen/{ktp.id}/pratinjau/1")
    assert pdf_page.status_code == 200
    assert pdf_page.headers["content-type"] == "image/png"
    assert pdf_page.headers["content-disposition"].startswith("inline;")
    assert pdf_page.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in pdf_page.headers["content-security-policy"]
    assert "default-src 'none'" in pdf_page.headers["content-security-policy"]
    assert pdf_page.headers["cache-control"] == "private, no-store"
    rendered = Image.open(io.BytesIO(pdf_page.content))
    assert rendered.format == "PNG" and rendered.width == 600  # 300 pt at twice the size
    image = web.get(f"/kota-uji/petugas/dokumen/{photo.id}/pratinjau/1")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).size == (40, 30)
    assert web.get(f"/kota-uji/petugas/dokumen/{photo.id}/pratinjau/2").status_code == 404
    assert web.get(f"/kota-uji/petugas/dokumen/{ktp.id}/pratinjau/2").status_code == 422
    viewer = web.get(f"/kota-uji/petugas/dokumen/{ktp.id}/lihat")
    assert viewer.status_code == 200
    assert "Halaman 1 dari 1" in viewer.text and 'src="data:image/png;base64,' in viewer.text
    accesses = session.scalar(
        select(func.count())
        .select_from(DocumentAccess)
        .where(DocumentAccess.user_id == world.verifier.id)
    )
    # Page 1 of the PDF, the photo, the PDF's page 2 (recorded though it could not be drawn),
    # the viewer; the photo's page 2 does not exist and showed nothing.
    assert accesses == 4
    audited = session.scalars(
        select(AuditEvent.target_id).where(AuditEvent.action == "document.preview")
    ).all()
    assert sorted(audited) == sorted([str(ktp.id), str(photo.id), str(ktp.id), str(ktp.id)])


def test_checks_on_the_page_and_the_citizen_sees_each_note_next_to_its_item(
    web: TestClient, session: Session, world: World
) -> None:
    application_id = send_application(web)
    log_in(web, "verif@example.org", "sandi-verif-1")
    file_page = f"/kota-uji/petugas/permohonan/{application_id}"
    task = session.scalars(select(Task).where(Task.status == TaskStatus.OPEN)).one()
    ktp = session.scalars(select(Document).where(Document.requirement_code == "ktp")).one()
    check_url = f"/kota-uji/petugas/tugas/{task.id}/periksa"
    missing_note = post_form(
        web,
        check_url,
        {"kind": "document", "code": "ktp", "document_id": str(ktp.id), "verdict": "tidak_sesuai"},
        page=file_page,
    )
    assert missing_note.status_code == 422
    assert 'id="ne-document-ktp"' in missing_note.text
    assert "Catatan wajib diisi bila tidak sesuai." in missing_note.text
    saved = post_form(
        web,
        check_url,
        {
            "kind": "document",
            "code": "ktp",
            "document_id": str(ktp.id),
            "verdict": "tidak_sesuai",
            "note": "Foto KTP buram, unggah ulang",
        },
        page=file_page,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{file_page}#cek-document-ktp"
    field = post_form(
        web,
        check_url,
        {"kind": "field", "code": "jumlah_pegawai", "verdict": "tidak_sesuai", "note": "Cek BPJS"},
        page=file_page,
    )
    assert field.status_code == 303
    page = web.get(file_page).text
    assert "Bila dikembalikan, pemohon diminta memperbaiki:" in page
    returned = post_form(
        web, f"/kota-uji/petugas/tugas/{task.id}/tindak", {"outcome": "return"}, page=file_page
    )
    assert returned.status_code == 303

    log_in(web, "warga@example.org", "sandi-warga-1")
    detail = web.get(f"/kota-uji/permohonan/{application_id}").text
    document_note = re.search(r'id="catatan-dok-ktp">(.*?)</p>', detail, re.S)
    assert document_note and "Foto KTP buram, unggah ulang" in document_note.group(1)
    field_note = re.search(r'id="catatan-jumlah_pegawai">(.*?)</p>', detail, re.S)
    assert field_note and "Cek BPJS" in field_note.group(1)
    form = web.get(f"/kota-uji/permohonan/{application_id}/isi").text
    assert re.search(r'id="catatan-dok-ktp">.*Foto KTP buram', form)
    # The answer to fix is marked on the form and listed at its top, linked to the field.
    assert 'aria-invalid="true"' in form and "Cek BPJS" in form
    assert 'href="#f-f.jumlah_pegawai"' in form
    assert session.scalar(select(func.count()).select_from(RequirementCheck)) == 2
