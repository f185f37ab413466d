"""The whole application on the pages: apply with a document, return, fix, approve, Selesai."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, Document, DocumentAccess, Task
from tests.applications.conftest import PDF_BYTES, World
from tests.factories import csrf_from, post_form
from tests.samples import png_bytes


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def start(client: TestClient) -> str:
    response = post_form(
        client, "/kota-uji/layanan/izin-uji/ajukan", {}, page="/kota-uji/layanan/izin-uji"
    )
    assert response.status_code == 303
    return str(response.headers["location"])


def upload(client: TestClient, form_page: str, code: str, name: str, content: bytes) -> object:
    token = csrf_from(client.get(form_page).text)
    action = form_page.removesuffix("/isi") + "/dokumen"
    return client.post(
        action,
        data={"csrf_token": token, "requirement": code},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def test_citizen_applies_officers_process_citizen_sees_selesai(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, "warga@example.org", "sandi-warga-1")
    form_page = start(web)
    assert form_page.endswith("/isi")
    page = web.get(form_page)
    assert 'for="f-f.nama_usaha"' in page.text and 'id="f-f.nama_usaha"' in page.text
    # Sending with nothing filled in: each field says what is missing, nothing is submitted.
    empty = post_form(web, form_page, {"_action": "kirim"})
    assert empty.status_code == 422
    assert "Wajib diisi." in empty.text and "Unggah KTP-el pemohon." in empty.text
    assert upload(web, form_page, "ktp", "ktp.pdf", PDF_BYTES).status_code == 303  # type: ignore[attr-defined]
    sent = post_form(
        web,
        form_page,
        {"f.nama_usaha": "Warung Sunda Bu Siti", "f.jumlah_pegawai": "3", "_action": "kirim"},
    )
    assert sent.status_code == 303
    detail_url = sent.headers["location"].split("?")[0]
    detail = web.get(sent.headers["location"])
    assert "Diproses" in detail.text and "Batas selesai" in detail.text
    number = re.search(r'class="tracking">([^<]+)<', detail.text)
    assert number

    # The verifier returns it with a note.
    log_in(web, "verif@example.org", "sandi-verif-1")
    inbox = web.get("/kota-uji/petugas/kotak-masuk")
    assert number.group(1) in inbox.text
    application_id = detail_url.rsplit("/", 1)[1]
    file_page = f"/kota-uji/petugas/permohonan/{application_id}"
    task = session.scalars(select(Task).where(Task.status == "open")).one()
    no_reason = post_form(
        web, f"/kota-uji/petugas/tugas/{task.id}/tindak", {"outcome": "return"}, page=file_page
    )
    assert no_reason.status_code == 422
    assert "Alasan wajib diisi" in no_reason.text
    returned = post_form(
        web,
        f"/kota-uji/petugas/tugas/{task.id}/tindak",
        {"outcome": "return", "note": "Jumlah pegawai tidak sesuai dengan izin lama."},
        page=file_page,
    )
    assert returned.status_code == 303

    # The citizen sees why, fixes it and sends it again.
    log_in(web, "warga@example.org", "sandi-warga-1")
    detail = web.get(detail_url)
    assert "Perlu perbaikan" in detail.text and "Jumlah pegawai tidak sesuai" in detail.text
    again = post_form(
        web,
        form_page,
        {"f.nama_usaha": "Warung Sunda Bu Siti", "f.jumlah_pegawai": "5", "_action": "kirim"},
    )
    assert again.status_code == 303

    # Verification, then approval.
    log_in(web, "verif@example.org", "sandi-verif-1")
    task = session.scalars(select(Task).where(Task.status == "open")).one()
    assert (
        post_form(
            web, f"/kota-uji/petugas/tugas/{task.id}/tindak", {"outcome": "approve"}, page=file_page
        ).status_code
        == 303
    )
    log_in(web, "setuju@example.org", "sandi-setuju-1")
    task = session.scalars(select(Task).where(Task.status == "open")).one()
    assert (
        post_form(
            web, f"/kota-uji/petugas/tugas/{task.id}/tindak", {"outcome": "approve"}, page=file_page
        ).status_code
        == 303
    )

    log_in(web, "warga@example.org", "sandi-warga-1")
    final = web.get(detail_url)
    assert "Selesai" in final.text
    notices = web.get("/kota-uji/notifikasi").text
    assert "selesai" in notices.lower() and "dikembalikan" in notices


def test_uploads_are_checked_by_content_and_size(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, "warga@example.org", "sandi-warga-1")
    form_page = start(web)
    exe = upload(web, form_page, "ktp", "ktp.pdf", b"MZ\x90\x00" + b"\x00" * 200)
    assert exe.status_code == 415  # type: ignore[attr-defined]
    assert "Jenis berkas tidak diterima" in exe.text  # type: ignore[attr-defined]
    web.app.state.settings = web.app.state.settings.model_copy(update={"upload_max_bytes": 2048})  # type: ignore[attr-defined]
    big = upload(web, form_page, "ktp", "ktp.png", png_bytes() + b"\x00" * 5000)
    assert big.status_code == 413  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(Application)) == 1
    assert [p for p in world.storage.root.rglob("*") if p.is_file()] == []


def test_pages_of_other_people_are_not_found(
    web: TestClient, session: Session, world: World
) -> None:
    log_in(web, "warga@example.org", "sandi-warga-1")
    form_page = start(web)
    upload(web, form_page, "ktp", "ktp.pdf", PDF_BYTES)
    post_form(
        web, form_page, {"f.nama_usaha": "Toko Uji", "f.jumlah_pegawai": "2", "_action": "kirim"}
    )
    application = session.scalars(select(Application)).one()
    document = session.scalars(select(Document)).one()
    for email, password in (
        ("tetangga@example.org", "sandi-warga-2"),
        ("luar@example.org", "sandi-luar-12"),
    ):
        log_in(web, email, password)
        assert web.get(f"/kota-uji/permohonan/{application.id}").status_code == 404
        assert web.get(f"/kota-uji/petugas/permohonan/{application.id}").status_code in (403, 404)
        assert web.get(f"/kota-uji/dokumen/{document.id}").status_code == 404
    # The responsible officer's download is recorded.
    log_in(web, "verif@example.org", "sandi-verif-1")
    download = web.get(f"/kota-uji/dokumen/{document.id}")
    assert download.status_code == 200 and download.content == PDF_BYTES
    assert "attachment" in download.headers["content-disposition"]
    assert session.scalar(select(func.count()).select_from(DocumentAccess)) == 1
