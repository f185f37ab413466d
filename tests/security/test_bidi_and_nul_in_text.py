"""Hidden characters in free text: bidirectional controls (U+202A-U+202E, U+2066-U+2069) and NUL.

The attack: a right-to-left override makes "Budi[RLO]fdp.exe" read differently from what it
is, on a page, in an officer's inbox or on a signed PDF; a NUL makes PostgreSQL refuse the
row, and the request ends in a 500. Text answers are refused where they come in (an
Indonesian message naming the field on pages, a 422 naming the field in the APIs) and never
printed on a PDF or a page.
"""

from __future__ import annotations

import io
import re
import subprocess
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.accounts.service import create_api_token
from simpul.applications import submission, workflow
from simpul.applications.files import receive_upload
from simpul.applications.models import Application, ApplicationStatus, Task, TaskOutcome
from simpul.core.errors import InvalidInput
from simpul.core.models import Region
from simpul.core.storage import LocalStorage
from simpul.documents.render import DocumentContent, render_document
from simpul.documents.service import new_verification_code, record_issued_document, revoke_document
from tests.api_errors import api_error
from tests.factories import csrf_from, make_region, make_user, post_form, service_seed
from tests.samples import pdf_bytes

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
PDF_ = "\u202c"  # POP DIRECTIONAL FORMATTING
LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
NUL = "\x00"
HIDDEN = (NUL, *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)))
TRICKS = (f"Budi{RLO}fdp.exe", f"Warung{NUL}Kopi", f"Toko {LRI}Maju{PDI} Jaya")

EFORM: dict[str, Any] = {
    "schema": {
        "type": "object",
        "title": "Izin Uji",
        "properties": {
            "nama_usaha": {"type": "string", "title": "Nama usaha", "maxLength": 100},
            "pengurus": {
                "type": "array",
                "title": "Pengurus",
                "items": {
                    "type": "object",
                    "properties": {"nama": {"type": "string", "title": "Nama pengurus"}},
                },
            },
        },
        "required": ["nama_usaha"],
    },
    "ui": {},
}


@pytest.fixture
def region(session: Session) -> Region:
    return make_region(
        session,
        "kota-uji",
        "Kota Uji",
        [service_seed("izin-uji", "Perizinan Uji", eform=EFORM)],
    )


@pytest.fixture
def citizen(session: Session, region: Region) -> User:
    return make_user(session, region, "warga@example.org", "sandi-warga-1")


@pytest.fixture
def verifier(session: Session, region: Region) -> User:
    return make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def bearer(session: Session, user: User) -> dict[str, str]:
    token = create_api_token(session, user, "integrasi")[1]
    session.flush()
    return {"Authorization": f"Bearer {token}"}


def submitted(session: Session, region: Region, citizen: User, tmp_path: Path) -> Application:
    draft = submission.start_draft(session, region, citizen, "izin-uji")
    submission.save_draft(session, region, citizen, draft.id, {"nama_usaha": "Warung Bu Siti"})
    stored = receive_upload(
        io.BytesIO(pdf_bytes()),
        max_bytes=1_000_000,
        storage=LocalStorage(tmp_path),
        key=f"kota-uji/{uuid.uuid4()}",
    )
    submission.attach_document(session, region, citizen, draft.id, "ktp", stored, "ktp.pdf")
    application = submission.submit(session, region, citizen, draft.id)
    session.flush()
    return application


def field_messages(response: Any) -> dict[str, str]:
    return {d["field"]: d["message"] for d in api_error(response)["details"]}


def refusal_on_page(text: str, label: str) -> str:
    """What a page says about ``text``: a NUL is refused for the whole request before any
    form is read (``web.inputs``, naming the field), a bidirectional control by the form
    itself, next to its labelled field."""
    if NUL in text:
        return "Tidak boleh berisi karakter NUL"
    return f"{label} berisi karakter tersembunyi"


def refused_api_field(text: str, field: str, path: str) -> str:
    """The field an API refusal names: a NUL by its whole JSON path (``web.inputs``)."""
    return path if NUL in text else field


# -- eForm answers ------------------------------------------------------------------------


@pytest.mark.parametrize("answer", TRICKS)
def test_an_eform_answer_with_hidden_characters_is_refused_on_the_page(
    client: TestClient, session: Session, region: Region, citizen: User, answer: str
) -> None:
    log_in(client, "warga@example.org", "sandi-warga-1")
    draft = submission.start_draft(session, region, citizen, "izin-uji")
    session.flush()
    form_page = f"/kota-uji/permohonan/{draft.id}/isi"
    for action in ("", "kirim"):
        response = post_form(
            client,
            form_page,
            {"f.nama_usaha": answer, "f.pengurus.0.nama": "Asep", "_action": action},
        )
        assert response.status_code == 422, response.text[:300]
        assert refusal_on_page(answer, "Nama usaha") in response.text
    nested = post_form(
        client, form_page, {"f.nama_usaha": "Warung", "f.pengurus.0.nama": f"As{RLO}ep"}
    )
    assert nested.status_code == 422 and "Nama pengurus berisi karakter tersembunyi" in nested.text
    session.expire_all()
    stored = session.get(Application, draft.id)
    assert stored is not None and stored.data == {} and stored.status.value == "draft"


@pytest.mark.parametrize("answer", TRICKS)
def test_an_eform_answer_with_hidden_characters_is_refused_by_the_apis(
    client: TestClient,
    session: Session,
    region: Region,
    citizen: User,
    tmp_path: Path,
    answer: str,
) -> None:
    client.app.state.storage = LocalStorage(tmp_path)  # type: ignore[attr-defined]
    headers = {**bearer(session, citizen), "Information-Mediator-Client": "kota-uji/GOV/d/app"}
    service = client.get(
        "/api/kota-uji/registration/services", headers=headers, params={"name": "Perizinan"}
    ).json()[0]
    uploaded = client.post(
        "/api/kota-uji/registration/documents",
        headers=headers,
        files=[("file", ("ktp.pdf", pdf_bytes()))],
    )
    assert uploaded.status_code == 200, uploaded.text
    body = {
        "applicantId": str(citizen.id),
        "formData": {"data": {"nama_usaha": answer}},
        "documentUrls": [uploaded.json()["url"]],
    }
    response = client.post(
        f"/api/kota-uji/registration/services/{service['id']}/applications",
        headers=headers,
        json=body,
    )
    assert response.status_code == 400, response.text  # the GovStack API's status for it
    assert list(field_messages(response)) == [
        refused_api_field(answer, "nama_usaha", "formData.data.nama_usaha")
    ]
    # Keys are text too: an answer under a name with a NUL never reaches the database.
    sneaky = {**body, "formData": {"data": {"nama_usaha": "Warung", f"x{NUL}": "y"}}}
    response = client.post(
        f"/api/kota-uji/registration/services/{service['id']}/applications",
        headers=headers,
        json=sneaky,
    )
    assert response.status_code == 400, response.text
    named = {
        **body,
        "applicationName": f"Izin {RLO}exe.pdf",
        "formData": {"data": {"nama_usaha": "Warung"}},
    }
    response = client.post(
        f"/api/kota-uji/registration/services/{service['id']}/applications",
        headers=headers,
        json=named,
    )
    assert response.status_code == 400, response.text
    assert "applicationName" in field_messages(response)
    assert session.scalars(select(Application)).all() == []


# -- account names, token names -----------------------------------------------------------


@pytest.mark.parametrize("name", [f"Budi {RLO}Santoso", f"Budi{NUL}", f"{LRI}Budi{PDI}"])
def test_an_account_name_with_hidden_characters_is_refused(
    client: TestClient, session: Session, region: Region, name: str
) -> None:
    registration = {
        "nik": "3273012505950003",
        "full_name": name,
        "email": "budi@example.org",
        "phone": "081298765432",
        "password": "rahasia-budi-1",
        "password_confirm": "rahasia-budi-1",
        "consent": "ya",
    }
    page = post_form(client, "/kota-uji/daftar", registration)
    assert page.status_code == 422, page.text[:300]
    assert refusal_on_page(name, "Nama lengkap") in page.text
    api = client.post(
        "/api/kota-uji/accounts", json={**registration, "consent": True, "email": "b2@example.org"}
    )
    assert api.status_code == 422, api.text
    assert "full_name" in field_messages(api)
    assert session.scalars(select(User).where(User.email.like("b%@example.org"))).all() == []


def test_a_token_name_with_hidden_characters_is_refused(
    client: TestClient, session: Session, citizen: User
) -> None:
    response = client.post(
        "/api/kota-uji/me/tokens", headers=bearer(session, citizen), json={"name": f"skrip{NUL}"}
    )
    assert response.status_code == 422, response.text
    assert "name" in field_messages(response)


# -- officers' notes and revocation reasons ------------------------------------------------


@pytest.mark.parametrize("note", [f"Foto KTP buram{NUL}, unggah ulang.", f"Unggah {RLO}ulang KTP."])
def test_an_officers_note_with_hidden_characters_is_refused(
    client: TestClient,
    session: Session,
    region: Region,
    citizen: User,
    verifier: User,
    tmp_path: Path,
    note: str,
) -> None:
    application = submitted(session, region, citizen, tmp_path)
    task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
    log_in(client, "verif@example.org", "sandi-verif-1")
    file_page = f"/kota-uji/petugas/permohonan/{application.id}"
    page = post_form(
        client,
        f"/kota-uji/petugas/tugas/{task.id}/tindak",
        {"outcome": "return", "note": note},
        page=file_page,
    )
    assert page.status_code == 422, page.text[:300]
    assert refusal_on_page(note, "Catatan") in page.text
    api = client.post(
        f"/api/kota-uji/registration/tasks/{task.id}/complete",
        headers=bearer(session, verifier),
        json={"data": {"decision": "REJECTED", "comment": note}},
    )
    assert api.status_code == 400, api.text  # the GovStack API's status for invalid input
    assert "data.comment" in field_messages(api)
    session.expire_all()
    assert session.get(Application, application.id).status.value == "submitted"  # type: ignore[union-attr]


def test_a_revocation_reason_with_hidden_characters_is_refused(session: Session) -> None:
    region = make_region(session, "kota-cabut", "Kota Cabut")
    service = session.scalars(text("SELECT id FROM service WHERE region_id = :r"), {"r": region.id})
    citizen = make_user(session, region, "warga@example.org", "kata-sandi-panjang-1")
    application = Application(
        region_id=region.id,
        service_id=service.one(),
        applicant_id=citizen.id,
        tracking_number="T-CABUT-1",
        status=ApplicationStatus.COMPLETED,
    )
    session.add(application)
    session.flush()
    code = new_verification_code()
    issued = record_issued_document(
        session,
        region,
        application_id=application.id,
        content=DocumentContent(
            region_name=region.name,
            agency_name="Dinas Uji",
            title="Surat Keterangan",
            number="11/2026",
            code=code,
            applicant_name="Siti Nurhaliza",
            issued_on=date(2026, 5, 4),
            verification_url=f"http://127.0.0.1:8000/kota-cabut/verifikasi/{code}",
        ),
        signed_pdf=b"%PDF-1.7 signed",
        storage_key=f"issued/{uuid.uuid4()}.pdf",
        signer_name="Rina Marlina",
        signer_fingerprint="0" * 64,
        signed_at=datetime.now(UTC),
    )
    for reason in (f"Data keliru{NUL} sehingga dicabut", f"Dicabut karena {RLO}data keliru"):
        with pytest.raises(InvalidInput) as refused:
            revoke_document(
                session, region, issued, reason=reason, actor_id=None, actor_label="cli"
            )
        assert refused.value.details[0]["field"] == "reason"
        assert (
            "Alasan pencabutan berisi karakter tersembunyi" in refused.value.details[0]["message"]
        )
    assert issued.revoked_at is None


# -- what is printed -----------------------------------------------------------------------


def test_the_pdf_renderer_never_prints_hidden_characters(tmp_path: Path) -> None:
    """Whatever reached a document's content (old rows, a service name) is not printed."""
    tricky = "".join(HIDDEN)
    content = DocumentContent(
        region_name=f"Kota {RLO}Uji",
        agency_name=f"Dinas{NUL} Uji",
        title=f"Surat {LRI}Keterangan{PDI}",
        number="0001/2026",
        code="ABCD-EFGH",
        applicant_name=f"Siti {RLO}Nurhaliza{PDF_}",
        issued_on=date(2026, 5, 4),
        verification_url="https://simpul.example/kota-uji/verifikasi/ABCD-EFGH",
        service_name=f"Layanan{tricky}",
        rows=[(f"Nama{tricky}usaha", f"Warung{tricky}Kopi")],
        signer_position=f"Kepala{RLO} Dinas",
    )
    path = tmp_path / "dokumen.pdf"
    path.write_bytes(render_document(content))
    printed = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    assert "Siti Nurhaliza" in printed and "WarungKopi" in printed
    found = sorted({f"U+{ord(c):04X}" for c in printed if c in HIDDEN or c == "\u202b"})
    assert found == []


def test_pages_never_show_hidden_characters_stored_earlier(
    client: TestClient, session: Session, citizen: User
) -> None:
    """A name stored before the rule existed is shown without its hidden characters."""
    session.execute(
        text("UPDATE user_account SET full_name = :name WHERE id = :id"),
        {"name": f"Warga {RLO}Uji{PDF_}", "id": citizen.id},
    )
    session.flush()
    log_in(client, "warga@example.org", "sandi-warga-1")
    page = client.get("/kota-uji/akun")
    assert page.status_code == 200
    assert "Warga Uji" in page.text
    assert not any(c in page.text for c in HIDDEN)
    assert csrf_from(page.text)


def test_officer_decisions_still_work_with_ordinary_text(
    session: Session, region: Region, citizen: User, verifier: User, tmp_path: Path
) -> None:
    """Indonesian and other scripts are not hidden characters: they pass untouched."""
    application = submitted(session, region, citizen, tmp_path)
    task = session.scalars(select(Task).where(Task.application_id == application.id)).one()
    note = "Foto KTP buram — mohon unggah ulang (عربى, 中文, ꦗꦮ)."
    workflow.act_on_task(session, region, verifier, task.id, TaskOutcome.RETURN, note)
    session.flush()
    assert task.note == note


def test_a_nul_in_any_other_stored_text_is_refused_without_a_server_error(
    client: TestClient, session: Session, region: Region
) -> None:
    """Forms without a check of their own (here the savings rates' source) answer 422 and
    store nothing; they never end in a 500."""
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    log_in(client, "admin@example.org", "sandi-admin-1")
    rates = {
        "kertas": "500",
        "cetak": "1.000",
        "kurir": "20.000",
        "perjalanan": "25.000",
        "sumber": f"Perwal Kota Uji{NUL} 2026",
    }
    response = post_form(client, "/kota-uji/admin/penghematan/tarif", rates)
    assert response.status_code == 422, response.text[:300]
    assert "karakter NUL" in response.text
    assert session.scalar(text("SELECT count(*) FROM savings_rate")) == 0


def test_a_service_name_with_hidden_characters_is_refused(
    client: TestClient, session: Session, region: Region
) -> None:
    """A service's name is printed on every document it issues."""
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    log_in(client, "admin@example.org", "sandi-admin-1")
    edit_page = "/kota-uji/admin/layanan/izin-uji"
    page = client.get(edit_page)
    assert page.status_code == 200
    fields = dict(
        re.findall(r'name="([a-z_]+)"[^>]*value="([^"]*)"', page.text)
        + re.findall(r'<textarea[^>]*name="([a-z_]+)"[^>]*>([^<]*)</textarea>', page.text)
    )
    fields.pop("csrf_token", None)
    response = post_form(
        client, edit_page, {**fields, "name": f"Perizinan {RLO}Uji", "published": "ya"}
    )
    assert response.status_code == 422, response.text[:300]
    assert "Nama layanan berisi karakter tersembunyi" in response.text
    assert session.scalar(text("SELECT name FROM service WHERE slug = 'izin-uji'")) == (
        "Perizinan Uji"
    )
