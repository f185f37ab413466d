"""The application form keeps what was typed: an upload without JavaScript (the whole form,
posted as a browser without scripts posts it) saves the answers as the draft before storing the
file; simpul.js's requests get the requirement's part back; drafts are saved as answers change;
a requirement may take several files; limits are stated by each file input; eForm rules
(not in the future, least words, must be "Ya") are enforced and shown."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.applications import eform
from simpul.applications.eform_rules import latest_today
from simpul.applications.models import Application, Document
from simpul.core.storage import LocalStorage
from tests.factories import csrf_from, make_region, make_user, post_form, service_seed
from tests.samples import pdf_bytes

SCHEMA = {
    "type": "object",
    "title": "Izin Formulir",
    "properties": {
        "nama_lengkap": {
            "type": "string",
            "title": "Nama lengkap",
            "maxLength": 60,
            "x-simpul-min-words": 2,
        },
        "tanggal_lahir": {
            "type": "string",
            "format": "date",
            "title": "Tanggal lahir",
            "x-simpul-not-future": True,
        },
        "pernyataan": {
            "type": "string",
            "title": "Pernyataan kebenaran data",
            "oneOf": [{"const": "ya", "title": "Ya"}, {"const": "tidak", "title": "Tidak"}],
            "x-simpul-must-be": "ya",
        },
    },
    "required": ["nama_lengkap", "tanggal_lahir", "pernyataan"],
}
DOCUMENTS = [
    {"code": "ktp", "name": "KTP-el pemohon", "description": "", "required": True},
    {
        "code": "akta_anak",
        "name": "Akta kelahiran anak",
        "description": "Satu berkas untuk setiap anak.",
        "required": True,
        "multiple": True,
        "max_files": 2,
    },
]
ANSWERS = {
    "f.nama_lengkap": "Siti Aminah",
    "f.tanggal_lahir": "1990-05-17",
    "f.pernyataan": "ya",
}
PDF = pdf_bytes("berkas uji")


@pytest.fixture
def web(client: TestClient, session: Session, tmp_path: Path) -> TestClient:
    return form_world(client, session, tmp_path)


def form_world(client: TestClient, session: Session, tmp_path: Path) -> TestClient:
    """Kota Form with its one service (a requirement that takes two files, eForm rules), two
    citizens, and the client storing uploads under ``tmp_path``."""
    region = make_region(
        session,
        "kota-form",
        "Kota Form",
        [
            service_seed(
                "izin-form", "Izin Formulir", eform={"schema": SCHEMA}, required_documents=DOCUMENTS
            )
        ],
    )
    make_user(session, region, "warga@example.org", "sandi-warga-1")
    make_user(session, region, "tetangga@example.org", "sandi-warga-2", nik="3273011505900002")
    session.flush()
    client.app.state.storage = LocalStorage(tmp_path / "uploads")  # type: ignore[attr-defined]
    return client


def log_in(client: TestClient, email: str = "warga@example.org", pw: str = "sandi-warga-1") -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-form/masuk", {"email": email, "password": pw})
    assert response.status_code == 303, response.text


def start(client: TestClient) -> str:
    response = post_form(
        client, "/kota-form/layanan/izin-form/ajukan", {}, page="/kota-form/layanan/izin-form"
    )
    assert response.status_code == 303
    return str(response.headers["location"])


def send_upload(
    client: TestClient,
    form_page: str,
    code: str,
    content: bytes = PDF,
    *,
    answers: dict[str, str] | None = None,
    name: str = "berkas.pdf",
    by_script: bool = False,
) -> object:
    """Post the whole form as its upload button does (formaction, multipart)."""
    token = csrf_from(client.get(form_page).text)
    data = {"csrf_token": token, "_jawaban": "1", "requirement": code, **(answers or {})}
    return client.post(
        form_page.removesuffix("/isi") + "/dokumen",
        data=data,
        files={f"file.{code}": (name, content, "application/pdf")},
        headers={"X-Simpul-Fetch": "1"} if by_script else {},
        follow_redirects=False,
    )


def test_an_upload_without_javascript_keeps_the_typed_answers(
    web: TestClient, session: Session
) -> None:
    log_in(web)
    form_page = start(web)
    page = web.get(form_page).text
    # One form: the upload button sends the answers along (formaction, multipart).
    button = re.search(r'<button[^>]*value="ktp"[^>]*>', page, re.S)
    assert button and 'formaction="/kota-form/permohonan/' in button.group(0)
    assert 'formenctype="multipart/form-data"' in button.group(0)
    typed = {"f.nama_lengkap": "Siti Aminah", "f.tanggal_lahir": "1990-05-17"}
    response = send_upload(web, form_page, "ktp", answers=typed)
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = web.get(form_page).text
    assert 'value="Siti Aminah"' in after and 'value="1990-05-17"' in after
    assert "✓ Terunggah: " in after and "berkas.pdf" in after
    # A refused file still keeps the answers, and says so where the eye is.
    typed["f.nama_lengkap"] = "Siti Aminah Lestari"
    refused = send_upload(web, form_page, "ktp", b"MZ\x90\x00" + b"\x00" * 200, answers=typed)
    assert refused.status_code == 415  # type: ignore[attr-defined]
    text = refused.text  # type: ignore[attr-defined]
    summary = re.search(r"<div class=\"error-summary\"[^>]*data-error-summary.*?</div>", text, re.S)
    assert summary and 'href="#f-dokumen-ktp"' in summary.group(0)
    assert "KTP-el pemohon: Jenis berkas tidak diterima" in " ".join(summary.group(0).split())
    assert 'value="Siti Aminah Lestari"' in text
    assert 'value="Siti Aminah Lestari"' in web.get(form_page).text


def test_an_upload_by_script_answers_with_the_requirements_part(
    web: TestClient, session: Session
) -> None:
    log_in(web)
    form_page = start(web)
    response = send_upload(web, form_page, "ktp", answers=ANSWERS, by_script=True)
    assert response.status_code == 200  # type: ignore[attr-defined]
    part = response.text  # type: ignore[attr-defined]
    assert part.lstrip().startswith(("<div", "\n")) and "<html" not in part
    assert 'id="dok-ktp"' in part and "berkas.pdf" in part
    assert re.search(r'data-saved="Tersimpan \d{2}\.\d{2}"', part)
    refused = send_upload(web, form_page, "ktp", b"not a pdf", answers=ANSWERS, by_script=True)
    assert refused.status_code == 415  # type: ignore[attr-defined]
    assert "data-error-summary" in refused.text  # type: ignore[attr-defined]
    assert 'id="ringkasan-dok-ktp"' in refused.text  # type: ignore[attr-defined]


def test_drafts_are_saved_as_answers_change(web: TestClient, session: Session) -> None:
    log_in(web)
    form_page = start(web)
    token = csrf_from(web.get(form_page).text)
    response = web.post(
        form_page.removesuffix("/isi") + "/draf",
        data={"csrf_token": token, "f.nama_lengkap": "Budi Santoso"},
    )
    assert response.status_code == 200
    assert re.fullmatch(r"Tersimpan \d{2}\.\d{2}", response.json()["message"])
    assert 'value="Budi Santoso"' in web.get(form_page).text
    hidden = web.post(
        form_page.removesuffix("/isi") + "/draf",
        data={"csrf_token": token, "f.nama_lengkap": "Budi\u202eSantoso"},
    )
    assert hidden.status_code == 422
    assert "nama_lengkap" in hidden.json()["errors"]
    assert 'value="Budi Santoso"' in web.get(form_page).text


def test_a_requirement_takes_several_files_each_removable_and_counted(
    web: TestClient, session: Session
) -> None:
    log_in(web)
    form_page = start(web)
    page = web.get(form_page).text
    limits = re.search(r'<p class="hint upload-limits" id="ub-akta_anak">(.*?)</p>', page, re.S)
    assert limits and "paling besar 10 MB" in limits.group(1)
    assert "paling banyak 2" in limits.group(1)
    file_input = re.search(r'<input id="f-dokumen-akta_anak"[^>]*>', page, re.S)
    assert file_input and 'accept="application/pdf,image/jpeg,image/png' in file_input.group(0)
    assert "ub-akta_anak" in file_input.group(0)  # read out with the field
    for name in ("anak-1.pdf", "anak-2.pdf"):
        response = send_upload(web, form_page, "akta_anak", answers=ANSWERS, name=name)
        assert response.status_code == 303  # type: ignore[attr-defined]
    page = web.get(form_page).text
    assert "anak-1.pdf" in page and "anak-2.pdf" in page  # added, not replaced
    assert 'id="f-dokumen-akta_anak"' not in page  # full: no input, a note instead
    third = send_upload(web, form_page, "akta_anak", answers=ANSWERS, name="anak-3.pdf")
    assert third.status_code == 422  # type: ignore[attr-defined]
    assert "paling banyak 2 berkas" in third.text  # type: ignore[attr-defined]
    held = session.scalars(
        select(Document).where(
            Document.requirement_code == "akta_anak", Document.replaced_at.is_(None)
        )
    ).all()
    assert sorted(d.filename for d in held) == ["anak-1.pdf", "anak-2.pdf"]
    # Remove one (the button sends the whole form too).
    first = next(d for d in held if d.filename == "anak-1.pdf")
    token = csrf_from(page)
    removed = web.post(
        form_page.removesuffix("/isi") + f"/dokumen/{first.id}/hapus",
        data={"csrf_token": token, "_jawaban": "1", **ANSWERS},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    page = web.get(form_page).text
    assert "anak-1.pdf" not in page and "anak-2.pdf" in page
    # Submitting needs the KTP too; with it, the application goes.
    missing = post_form(web, form_page, {**ANSWERS, "_action": "kirim"})
    assert missing.status_code == 422
    assert "Unggah KTP-el pemohon." in missing.text
    send_upload(web, form_page, "ktp", answers=ANSWERS)
    sent = post_form(web, form_page, {**ANSWERS, "_action": "kirim"})
    assert sent.status_code == 303, sent.text


def test_eform_rules_are_enforced_with_the_field_named_and_shown_before_typing(
    web: TestClient, session: Session
) -> None:
    tomorrow = (latest_today() + timedelta(days=1)).isoformat()
    errors = eform.validate(
        SCHEMA, {"nama_lengkap": "Siti", "tanggal_lahir": tomorrow, "pernyataan": "tidak"}
    )
    assert errors == {
        "nama_lengkap": "Nama lengkap harus terdiri dari paling sedikit 2 kata.",
        "tanggal_lahir": "Tanggal lahir tidak boleh melewati hari ini.",
        "pernyataan": "Pernyataan kebenaran data harus dijawab \u201cYa\u201d agar permohonan "
        "dapat diproses.",
    }
    assert (
        eform.validate(
            SCHEMA,
            {"nama_lengkap": "Siti  Aminah", "tanggal_lahir": "2020-01-01", "pernyataan": "ya"},
        )
        == {}
    )
    log_in(web)
    form_page = start(web)
    page = web.get(form_page).text
    date_input = re.search(r'<input id="f-f.tanggal_lahir"[^>]*>', page)
    assert date_input and re.search(r'max="\d{4}-\d{2}-\d{2}"', date_input.group(0))
    assert "Minimal 2 kata." in page
    assert "Permohonan hanya dapat diproses bila dijawab \u201cYa\u201d." in page
    # On the page: the summary lists each broken rule with its field, and nothing is sent.
    bad = {"f.nama_lengkap": "Siti", "f.tanggal_lahir": tomorrow, "f.pernyataan": "tidak"}
    refused = post_form(web, form_page, {**bad, "_action": "kirim"})
    assert refused.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', refused.text, re.S)
    assert summary
    assert 'href="#f-f.nama_lengkap"' in summary.group(0)
    assert "Tanggal lahir: Tanggal lahir tidak boleh melewati hari ini." in summary.group(0)
    application = session.scalars(select(Application)).one()
    assert application.status.value == "draft"


def test_registration_errors_are_summed_up_above_the_form(web: TestClient) -> None:
    web.cookies.clear()
    response = post_form(
        web,
        "/kota-form/daftar",
        {
            "nik": "123",
            "full_name": "",
            "email": "bukan-email",
            "phone": "",
            "password": "x",
            "password_confirm": "y",
        },
    )
    assert response.status_code in (400, 422)
    summary = re.search(
        r'<div class="error-summary"[^>]*data-error-summary.*?</div>', response.text, re.S
    )
    assert summary, "no error summary on the registration page"
    assert 'href="#f-nik"' in summary.group(0)
    assert "NIK (Nomor Induk Kependudukan):" in summary.group(0)
