"""Attacks on the desk engine (issue 15): deciding another agency's task, a forged task id,
the same decision sent twice at once, photos that are not images, officer fields with hidden
characters or 100 kB of text, four eyes bypassed through the claim route or the API."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import User
from simpul.accounts.service import create_api_token
from simpul.applications import repository, workflow
from simpul.applications.models import Application, Document, Task, TaskOutcome, TaskStatus
from simpul.applications.steps import StepInputs
from simpul.core.errors import Conflict, DomainError, NotFound
from simpul.core.kit.periods import today_in
from simpul.core.models import Region
from tests.applications.desk_world import GOOD_REGISTER, Desk, make_desk
from tests.applications.test_registration_api import IMC
from tests.factories import csrf_from, post_form
from tests.samples import pdf_bytes

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


def _approve(session: Session, desk: Desk, application: Application) -> None:
    workflow.act_on_task(
        session, desk.region, desk.budi, _task_id(session, application), TaskOutcome.APPROVE
    )


def test_another_agencys_officer_cannot_see_or_decide_the_task(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session)
    task_id = _task_id(session, application)
    with pytest.raises(NotFound):
        workflow.act_on_task(session, desk.region, desk.outsider, task_id, TaskOutcome.APPROVE)
    with pytest.raises(NotFound):
        workflow.claim_task(session, desk.region, desk.outsider, task_id)
    session.flush()
    _log_in(web, "luar@example.org", "sandi-luar-123")
    token = csrf_from(web.get(f"/{SLUG}/petugas/kotak-masuk").text)
    for action in ("tindak", "isian", "ambil"):
        response = web.post(
            f"/{SLUG}/petugas/tugas/{task_id}/{action}",
            data={"csrf_token": token, "outcome": "approve", "entries.nomor_register": "x"},
            follow_redirects=False,
        )
        assert response.status_code == 404, (action, response.status_code)
    task = repository.get_task(session, desk.region.id, task_id)
    assert task is not None and task.status is TaskStatus.OPEN and task.assignee_id is None


def test_a_forged_task_id_finds_nothing(session: Session, desk: Desk, web: TestClient) -> None:
    desk.submit(session)
    session.flush()
    _log_in(web, "ani@example.org", "sandi-petugas-1")
    token = csrf_from(web.get(f"/{SLUG}/petugas/kotak-masuk").text)
    for action in ("tindak", "isian"):
        response = web.post(
            f"/{SLUG}/petugas/tugas/{uuid.uuid4()}/{action}",
            data={"csrf_token": token, "outcome": "approve"},
            follow_redirects=False,
        )
        assert response.status_code == 404
    not_a_uuid = web.post(
        f"/{SLUG}/petugas/tugas/1%20OR%201=1/tindak",
        data={"csrf_token": token, "outcome": "approve"},
        follow_redirects=False,
    )
    assert not_a_uuid.status_code in (404, 422)


def test_hidden_characters_and_huge_officer_fields_are_refused_on_the_page(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session)
    _approve(session, desk, application)
    task_id = _task_id(session, application)
    session.flush()
    _log_in(web, "ani@example.org", "sandi-petugas-1")
    page = f"/{SLUG}/petugas/permohonan/{application.id}"
    assert 'name="entries.nomor_register"' in web.get(page).text
    for value in ("3273-LU-20261120-0001\u200b", "3273-LU-\u202e20261120-0001", "9" * 100_000):
        for action in ("tindak", "isian"):
            response = post_form(
                web,
                f"/{SLUG}/petugas/tugas/{task_id}/{action}",
                {"outcome": "approve", "entries.nomor_register": value},
                page=page,
            )
            assert response.status_code == 422, (action, response.status_code)
            assert 'id="e-entry-nomor_register"' in response.text
            assert value not in response.text or len(value) < 100  # not echoed back whole
    session.expire_all()
    assert application.officer_data == {}
    assert application.current_step == "pencatatan"


def test_photos_that_are_not_images_are_refused_and_nothing_is_kept(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session, "izin-lapangan")
    _approve(session, desk, application)
    task_id = _task_id(session, application)
    session.flush()
    _log_in(web, "ani@example.org", "sandi-petugas-1")
    page = f"/{SLUG}/petugas/permohonan/{application.id}"
    html = web.get(page).text
    assert 'enctype="multipart/form-data"' in html and 'name="photos"' in html
    for name, content in (
        ("foto.jpg", pdf_bytes()),  # a PDF named as a photo
        ("foto.png", b"<?php system($_GET['c']); ?>" * 50),
        ("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200),  # a JPEG header and nothing else
        ("foto.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ):
        token = csrf_from(web.get(page).text)
        response = web.post(
            f"/{SLUG}/petugas/tugas/{task_id}/tindak",
            data={
                "csrf_token": token,
                "outcome": "approve",
                "visit_date": today_in(desk.region).isoformat(),
                "visit_notes": "Lokasi sesuai denah, papan nama terpasang.",
            },
            files=[("photos", (name, content, "image/jpeg"))],
            follow_redirects=False,
        )
        assert response.status_code == 422, name
        assert 'id="e-photos"' in response.text
    session.expire_all()
    assert application.current_step == "peninjauan"
    assert (
        session.scalar(
            select(func.count()).select_from(Document).where(Document.owner_id == desk.ani.id)
        )
        == 0
    )


def test_four_eyes_cannot_be_bypassed_by_claiming_or_through_the_api(
    session: Session, desk: Desk, web: TestClient
) -> None:
    application = desk.submit(session)
    _approve(session, desk, application)  # Budi verifies
    workflow.act_on_task(
        session,
        desk.region,
        desk.ani,
        _task_id(session, application),
        TaskOutcome.APPROVE,
        inputs=StepInputs(entries={"nomor_register": GOOD_REGISTER}),
    )
    task_id = _task_id(session, application)
    token_budi = create_api_token(session, desk.budi, "integrasi")[1]
    session.flush()
    _log_in(web, "budi@example.org", "sandi-petugas-1")
    page = f"/{SLUG}/petugas/permohonan/{application.id}"
    html = web.get(page).text
    assert 'id="empat-mata"' in html and f"/petugas/tugas/{task_id}/tindak" not in html
    claimed = post_form(web, f"/{SLUG}/petugas/tugas/{task_id}/ambil", {}, page=page)
    assert claimed.status_code == 403
    acted = post_form(
        web, f"/{SLUG}/petugas/tugas/{task_id}/tindak", {"outcome": "approve"}, page=page
    )
    assert acted.status_code == 403
    assert "prinsip empat mata" in acted.text
    web.cookies.clear()
    api = web.post(
        f"/api/{SLUG}/registration/tasks/{task_id}/complete",
        json={"data": {"decision": "APPROVED"}},
        headers={"Authorization": f"Bearer {token_budi}", "Information-Mediator-Client": IMC},
    )
    assert api.status_code == 403, api.text
    session.expire_all()
    task = repository.get_task(session, desk.region.id, task_id)
    assert task is not None and task.status is TaskStatus.OPEN and task.assignee_id is None


def test_the_same_decision_sent_twice_at_once_is_taken_once(
    committed_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    slug = f"meja-{uuid.uuid4().hex[:8]}"
    with committed_sessions() as setup:
        desk = make_desk(setup, tmp_path, slug=slug)
        application = desk.submit(setup)
        task_id = _task_id(setup, application)
        setup.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide() -> None:
        with committed_sessions() as mine:
            region = mine.get(Region, desk.region.id)
            officer = mine.get(User, desk.ani.id)
            assert region is not None and officer is not None
            barrier.wait()
            try:
                workflow.act_on_task(mine, region, officer, task_id, TaskOutcome.APPROVE)
                mine.commit()
                result = "done"
            except Conflict:
                mine.rollback()
                result = "conflict"
            except DomainError as other:  # pragma: no cover - reported by the assertion
                mine.rollback()
                result = f"other: {other.message}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=decide) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict", "done"]
    with committed_sessions() as check:
        open_tasks = check.scalars(
            select(func.count())
            .select_from(Task)
            .where(
                Task.application_id == application.id,
                Task.status == TaskStatus.OPEN,
            )
        ).one()
        assert open_tasks == 1  # one next step, not two
