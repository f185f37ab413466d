"""Attacks on the inbox's search, filters, paging and bulk actions (decision 0044).

Search text full of SQL and LIKE wildcards, or 10 kB of it; a cursor forged or carried over
from another view; bulk requests naming another agency's tasks, asking to approve, or sent
without the form's CSRF token. Each is refused clearly (422 naming the field, 403), changes
nothing, and never answers with a 500 or with another agency's rows.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications import inbox, submission
from simpul.applications.models import Application, ApplicationEvent, Task
from tests.applications.conftest import VALID_DATA, World
from tests.applications.conftest import world as world  # noqa: PLC0414 - the fixture, reused
from tests.factories import csrf_from, post_form

INBOX = "/kota-uji/petugas/kotak-masuk"


@pytest.fixture
def web(client: TestClient, world: World) -> TestClient:
    client.app.state.storage = world.storage  # type: ignore[attr-defined]
    return client


def _log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, "/kota-uji/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def _submitted(session: Session, world: World, count: int = 1) -> list[Application]:
    made = []
    for _ in range(count):
        draft = submission.start_draft(session, world.region, world.citizen, world.service_slug)
        submission.save_draft(session, world.region, world.citizen, draft.id, dict(VALID_DATA))
        submission.attach_document(
            session, world.region, world.citizen, draft.id, "ktp", world.upload(), "ktp.pdf"
        )
        made.append(submission.submit(session, world.region, world.citizen, draft.id))
    session.commit()
    return made


def _open_tasks(session: Session) -> list[Task]:
    session.expire_all()
    return list(session.scalars(select(Task).where(Task.status == "open").order_by(Task.id)))


def _events(session: Session) -> int:
    return session.scalar(select(func.count(ApplicationEvent.id))) or 0


def _search(web: TestClient, text: str, **extra: str) -> object:
    return post_form(web, INBOX, {"cari": text, **extra}, page=INBOX)


@pytest.mark.parametrize(
    "typed",
    ["%", "_", "%_%", "' OR 1=1 --", "\\", "a\x00bcd", "x" * 10_240],
)
def test_hostile_search_text_is_refused_naming_the_field(
    web: TestClient, session: Session, world: World, typed: str
) -> None:
    (application,) = _submitted(session, world)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    response = _search(web, typed)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    if "\x00" not in typed:  # a NUL is refused for every field before the page runs
        assert 'id="e-cari"' in page and 'aria-invalid="true"' in page
    assert application.tracking_number not in page


def test_wildcards_in_a_name_match_no_one_else(
    web: TestClient, session: Session, world: World
) -> None:
    (application,) = _submitted(session, world)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    response = _search(web, "%a%")
    assert response.status_code == 422  # type: ignore[attr-defined]
    named = _search(web, f"{world.citizen.full_name}%")
    assert named.status_code == 200  # type: ignore[attr-defined]
    assert application.tracking_number in named.text  # type: ignore[attr-defined]
    for typed in ("Zzz%Yyy_Xxx", "'; DROP TABLE task; --", "nama:* | a"):
        nobody = _search(web, typed)
        assert nobody.status_code == 200, typed  # type: ignore[attr-defined]
        assert application.tracking_number not in nobody.text  # type: ignore[attr-defined]
    assert len(_open_tasks(session)) == 1


def test_a_searched_name_never_reaches_a_url(
    web: TestClient, session: Session, world: World
) -> None:
    _submitted(session, world, 3)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    name = world.citizen.full_name
    response = _search(web, name)
    assert response.status_code == 200  # type: ignore[attr-defined]
    hrefs = re.findall(r'href="([^"]+)"', response.text)  # type: ignore[attr-defined]
    assert hrefs and not any(name.split()[0] in h for h in hrefs)
    # Without search text the form leads to the inbox's own address for the filters.
    plain = _search(web, "", tampil="selesai")
    assert plain.status_code == 303  # type: ignore[attr-defined]
    assert plain.headers["location"] == f"{INBOX}?tampil=selesai"  # type: ignore[attr-defined]


def test_forged_and_borrowed_cursors_are_refused(
    web: TestClient, session: Session, world: World
) -> None:
    _submitted(session, world, 3)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    officer = world.verifier
    first = inbox.inbox_page(
        session, world.region, officer, inbox.InboxFilters(view="terbuka"), limit=1
    )
    assert first.next_cursor
    good = web.get(INBOX, params={"tampil": "terbuka", "setelah": first.next_cursor})
    assert good.status_code == 200
    body, tag = first.next_cursor.split(".")
    for params in (
        {"tampil": "saya", "setelah": first.next_cursor},  # another view
        {"tampil": "terbuka", "layanan": "izin-uji", "setelah": first.next_cursor},
        {"tampil": "terbuka", "setelah": f"{body}x.{tag}"},
        {"tampil": "terbuka", "setelah": "bukan-penanda"},
        {"tampil": "terbuka", "setelah": "A" * 5000},
    ):
        response = web.get(INBOX, params=params)
        assert response.status_code == 422, params
        assert "Penanda halaman tidak valid" in response.text


def test_bulk_cannot_decide(web: TestClient, session: Session, world: World) -> None:
    _submitted(session, world, 2)
    tasks = _open_tasks(session)
    before = _events(session)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    for action in ("approve", "setujui", "return", "reject", "tolak", "kembalikan"):
        response = web.post(
            f"{INBOX}/massal",
            data={
                "csrf_token": csrf_from(web.get(INBOX).text),
                "aksi": action,
                "tugas": [str(t.id) for t in tasks],
            },
        )
        assert response.status_code == 422, action
        assert 'id="galat-massal"' in response.text
    after = _open_tasks(session)
    assert [(t.id, t.assignee_id, t.status) for t in after] == [
        (t.id, None, t.status) for t in tasks
    ]
    assert _events(session) == before


def test_bulk_on_another_agencys_tasks_changes_nothing_and_reveals_nothing(
    web: TestClient, session: Session, world: World
) -> None:
    applications = _submitted(session, world, 2)
    tasks = _open_tasks(session)
    before = _events(session)
    _log_in(web, "luar@example.org", "sandi-luar-12")
    response = web.post(
        f"{INBOX}/massal",
        data={
            "csrf_token": csrf_from(web.get(INBOX).text),
            "aksi": "ambil",
            "tugas": [str(t.id) for t in tasks],
        },
    )
    assert response.status_code == 200
    assert "2 tugas tidak dapat diproses" in response.text
    assert not any(a.tracking_number in response.text for a in applications)
    assert all(t.assignee_id is None for t in _open_tasks(session))
    assert _events(session) == before


def test_bulk_and_search_need_the_forms_token(
    web: TestClient, session: Session, world: World
) -> None:
    _submitted(session, world)
    tasks = _open_tasks(session)
    _log_in(web, "verif@example.org", "sandi-verif-1")
    web.get(INBOX)
    claimed = web.post(f"{INBOX}/massal", data={"aksi": "ambil", "tugas": [str(tasks[0].id)]})
    assert claimed.status_code == 403
    assert _open_tasks(session)[0].assignee_id is None
    searched = web.post(INBOX, data={"cari": world.citizen.full_name})
    assert searched.status_code == 403
    forged = web.post(
        f"{INBOX}/massal",
        data={"csrf_token": "x" * 40, "aksi": "ambil", "tugas": [str(tasks[0].id)]},
    )
    assert forged.status_code == 403
    assert _open_tasks(session)[0].assignee_id is None


def test_too_many_tasks_in_one_bulk_request_are_refused(
    web: TestClient, session: Session, world: World
) -> None:
    _log_in(web, "verif@example.org", "sandi-verif-1")
    response = web.post(
        f"{INBOX}/massal",
        data={
            "csrf_token": csrf_from(web.get(INBOX).text),
            "aksi": "ambil",
            "tugas": [str(uuid.uuid4()) for _ in range(101)],
        },
    )
    assert response.status_code == 422
    assert "paling banyak 100" in response.text
