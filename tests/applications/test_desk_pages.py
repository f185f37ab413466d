"""The desk's step work on the officer's page: saving entries, a field check with photos that
the next officer sees (each opening recorded) and the citizen never does."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications import repository, workflow
from simpul.applications.models import Application, DocumentAccess, TaskOutcome
from simpul.core.kit.periods import today_in
from tests.applications.desk_world import GOOD_REGISTER, Desk, make_desk
from tests.factories import csrf_from, post_form
from tests.samples import png_bytes

SLUG = "kota-meja"


@pytest.fixture
def desk(session: Session, tmp_path: Path) -> Desk:
    return make_desk(session, tmp_path)


@pytest.fixture
def web(client: TestClient, desk: Desk) -> TestClient:
    client.app.state.storage = desk.storage  # type: ignore[attr-defined]
    return client


def _log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, f"/{SLUG}/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def _task_id(session: Session, application: Application) -> uuid.UUID:
    task = repository.open_task_of(session, application.id)
    assert task is not None
    return task.id


def test_operator_saves_the_register_number_then_approves_on_the_page(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session)
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )
    task_id = _task_id(session, application)
    session.flush()
    _log_in(web, "ani@example.org", "sandi-petugas-1")
    page = f"/{SLUG}/petugas/permohonan/{application.id}"
    html = web.get(page).text
    assert f'formaction="/{SLUG}/petugas/tugas/{task_id}/isian"' in html
    saved = post_form(
        web,
        f"/{SLUG}/petugas/tugas/{task_id}/isian",
        {"entries.nomor_register": GOOD_REGISTER},
        page=page,
    )
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("pesan=isian-tersimpan")
    session.expire_all()
    assert application.officer_data == {"nomor_register": GOOD_REGISTER}
    assert application.current_step == "pencatatan"
    html = web.get(saved.headers["location"]).text
    assert f'value="{GOOD_REGISTER}"' in html and "Isian tersimpan." in html
    decided = post_form(
        web, f"/{SLUG}/petugas/tugas/{task_id}/tindak", {"outcome": "approve"}, page=page
    )
    assert decided.status_code == 303
    session.expire_all()
    assert application.current_step == "tanda_tangan"


def test_field_check_photos_are_seen_by_officers_recorded_and_hidden_from_the_citizen(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session, "izin-lapangan")
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )
    task_id = _task_id(session, application)
    session.flush()
    _log_in(web, "ani@example.org", "sandi-petugas-1")
    page = f"/{SLUG}/petugas/permohonan/{application.id}"
    token = csrf_from(web.get(page).text)
    photo = png_bytes(6, 4, (10, 120, 30))
    response = web.post(
        f"/{SLUG}/petugas/tugas/{task_id}/tindak",
        data={
            "csrf_token": token,
            "outcome": "approve",
            "visit_date": today_in(desk.region).isoformat(),
            "visit_notes": "Bangunan sesuai gambar, akses jalan 4 meter.",
        },
        files=[("photos", ("depan.png", photo, "image/png")), ("photos", ("", b"", "image/png"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    session.expire_all()
    (stored,) = repository.step_documents(session, application.id)
    assert application.officer_data["peninjauan"]["photos"] == [str(stored.id)]
    # The approver sees the visit and its photo, and opening it is recorded.
    _log_in(web, "budi@example.org", "sandi-petugas-1")
    html = web.get(page).text
    assert "Bangunan sesuai gambar" in html and f"/{SLUG}/dokumen/{stored.id}" in html
    opened = web.get(f"/{SLUG}/dokumen/{stored.id}")
    assert opened.status_code == 200 and opened.content == photo
    accesses = session.scalar(
        select(func.count())
        .select_from(DocumentAccess)
        .where(DocumentAccess.document_id == stored.id, DocumentAccess.user_id == desk.budi.id)
    )
    assert accesses == 1
    # The citizen's page lists only their own documents, and the photo is not theirs to open.
    _log_in(web, "warga@example.org", "sandi-warga-1")
    citizen_page = web.get(f"/{SLUG}/permohonan/{application.id}").text
    assert "depan.png" not in citizen_page
    assert web.get(f"/{SLUG}/dokumen/{stored.id}").status_code == 404
