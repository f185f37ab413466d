"""Attacks on the application form's uploads and drafts (issue 16, "nothing typed is lost").

- uploading into, or removing a file from, someone else's application: not found, nothing
  stored, their answers untouched;
- more files than a requirement takes: refused, the count stays;
- a file for a requirement the service does not ask for: refused;
- the draft endpoint without the CSRF token (a forged cross-site save): refused, nothing kept;
- an oversized draft: refused with 413, nothing kept;
- drafting into an application already sent: refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.models import Application, Document
from simpul.applications.submission import MAX_DRAFT_BYTES
from tests.applications.test_form_nothing_lost import (
    ANSWERS,
    PDF,
    form_world,
    log_in,
    send_upload,
    start,
)
from tests.factories import csrf_from, post_form


@pytest.fixture
def web(client: TestClient, session: Session, tmp_path: Path) -> TestClient:
    return form_world(client, session, tmp_path)


def _files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_no_upload_into_or_removal_from_someone_elses_application(
    web: TestClient,
    session: Session,
    tmp_path: Path,
) -> None:
    log_in(web)
    victim_form = start(web)
    send_upload(web, victim_form, "akta_anak", answers=ANSWERS, name="milik-korban.pdf")
    victims_file = session.scalars(select(Document)).one()
    stored_before = _files_in(tmp_path / "uploads")

    log_in(web, "tetangga@example.org", "sandi-warga-2")
    own_form = start(web)  # a page of their own, for a valid CSRF token
    token = csrf_from(web.get(own_form).text)
    pushed = web.post(
        victim_form.removesuffix("/isi") + "/dokumen",
        data={"csrf_token": token, "_jawaban": "1", "requirement": "ktp", "f.nama_lengkap": "X Y"},
        files={"file.ktp": ("sisipan.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert pushed.status_code == 404
    removed = web.post(
        victim_form.removesuffix("/isi") + f"/dokumen/{victims_file.id}/hapus",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 404
    # Through their own application's address, the victim's file is not theirs either.
    crossed = web.post(
        own_form.removesuffix("/isi") + f"/dokumen/{victims_file.id}/hapus",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert crossed.status_code == 404
    drafted = web.post(
        victim_form.removesuffix("/isi") + "/draf",
        data={"csrf_token": token, "f.nama_lengkap": "Diubah Orang Lain"},
    )
    assert drafted.status_code == 404

    session.expire_all()
    assert session.scalars(select(Document)).one().replaced_at is None
    assert _files_in(tmp_path / "uploads") == stored_before
    victim = session.scalars(
        select(Application).where(Application.id == victims_file.application_id)
    ).one()
    assert "Diubah" not in str(victim.data)


def test_more_files_than_a_requirement_takes_are_refused(
    web: TestClient,
    session: Session,
    tmp_path: Path,
) -> None:
    log_in(web)
    form_page = start(web)
    for n in range(2):
        send_upload(web, form_page, "akta_anak", answers=ANSWERS, name=f"a{n}.pdf")
    before = _files_in(tmp_path / "uploads")
    for by_script in (False, True):
        extra = send_upload(
            web, form_page, "akta_anak", answers=ANSWERS, name="lebih.pdf", by_script=by_script
        )
        assert extra.status_code == 422  # type: ignore[attr-defined]
    held = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.requirement_code == "akta_anak", Document.replaced_at.is_(None))
    )
    assert held == 2
    assert _files_in(tmp_path / "uploads") == before  # the refused file was not kept
    unknown = send_upload(web, form_page, "bukan_persyaratan", answers=ANSWERS)
    assert unknown.status_code == 422  # type: ignore[attr-defined]


def test_the_draft_endpoint_wants_the_csrf_token_and_a_sane_size(
    web: TestClient,
    session: Session,
) -> None:
    log_in(web)
    form_page = start(web)
    draft_url = form_page.removesuffix("/isi") + "/draf"
    forged = web.post(draft_url, data={"f.nama_lengkap": "Dipalsukan Situs Lain"})
    assert forged.status_code == 403
    wrong = web.post(draft_url, data={"csrf_token": "x" * 40, "f.nama_lengkap": "Palsu Juga"})
    assert wrong.status_code == 403
    token = csrf_from(web.get(form_page).text)
    huge = web.post(draft_url, data={"csrf_token": token, "f.nama_lengkap": "a " * MAX_DRAFT_BYTES})
    assert huge.status_code == 413
    assert "terlalu panjang" in huge.json()["message"]
    session.expire_all()
    application = session.scalars(select(Application)).one()
    assert application.data == {}


def test_no_draft_into_an_application_already_sent(
    web: TestClient,
    session: Session,
) -> None:
    log_in(web)
    form_page = start(web)
    send_upload(web, form_page, "ktp", answers=ANSWERS)
    send_upload(web, form_page, "akta_anak", answers=ANSWERS)
    assert post_form(web, form_page, {**ANSWERS, "_action": "kirim"}).status_code == 303
    token = csrf_from(web.get("/kota-form/permohonan").text)
    late = web.post(
        form_page.removesuffix("/isi") + "/draf",
        data={"csrf_token": token, "f.nama_lengkap": "Diubah Setelah Kirim"},
    )
    assert late.status_code == 409
    later = send_upload(web, form_page.removesuffix("/isi") + "/isi", "ktp", answers=ANSWERS)
    assert later.status_code == 409  # type: ignore[attr-defined]
    session.expire_all()
    assert "Diubah" not in str(session.scalars(select(Application)).one().data)


def test_an_upload_whose_answers_hide_characters_keeps_nothing(
    web: TestClient,
    session: Session,
    tmp_path: Path,
) -> None:
    log_in(web)
    form_page = start(web)
    tricked = {**ANSWERS, "f.nama_lengkap": "Siti\u202eAminah"}
    for by_script in (False, True):
        response = send_upload(web, form_page, "ktp", answers=tricked, by_script=by_script)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert 'href="#f-f.nama_lengkap"' in response.text  # type: ignore[attr-defined]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Document)) == 0
    assert _files_in(tmp_path / "uploads") == []
    assert session.scalars(select(Application)).one().data == {}
