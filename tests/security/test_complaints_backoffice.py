"""Attacks on the complaint back office: reading or acting without being staff, without the
CSRF token, on another agency's or another region's complaint, and submitting one action twice
at once (decision 0056)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.complaints import service as complaints
from simpul.complaints.models import Complaint, ComplaintEvent, ComplaintStatus
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.settings import Settings
from tests.complaints.conftest import PASSWORD, ComplaintWorld, build_world, pothole_filing
from tests.complaints.test_backoffice import BASE, act, file, log_in, routed, steps
from tests.conftest import _server_url
from tests.factories import csrf_from, post_form
from tests.support.devserver import recreate_database

ACTIONS = ("disposisi", "pecah", "tolak", "tanggapi", "minta-keterangan", "alihkan")


@pytest.fixture
def world(session: Session) -> ComplaintWorld:
    return build_world(session)


def test_citizens_and_strangers_get_no_back_office_page_or_action(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world)
    pages = (BASE, f"{BASE}/{complaint.number}")
    for path in pages:  # logged out: sent to the login page
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/masuk" in response.headers["location"]
    log_in(client, world.citizen)
    token = csrf_from(client.get("/kota-aduan/akun").text)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 403 and complaint.title not in response.text
    for action in ACTIONS:
        response = client.post(
            f"{BASE}/{complaint.number}/{action}",
            data={"csrf_token": token, "instansi": str(world.roads.id), "tanggapan": "x"},
            follow_redirects=False,
        )
        assert response.status_code == 403, action
    session.expire_all()
    assert complaint.status is ComplaintStatus.NEW
    assert [a for a, _ in steps(session, complaint)] == ["filed"]


def test_an_action_without_the_csrf_token_is_refused(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world)
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{complaint.number}").text
    version = re.search(r'name="versi" value="(\d+)"', page)
    assert version
    response = client.post(
        f"{BASE}/{complaint.number}/disposisi",
        data={"versi": version.group(1), "instansi": str(world.roads.id)},
        follow_redirects=False,
    )
    assert response.status_code == 403
    session.expire_all()
    assert complaint.status is ComplaintStatus.NEW


def test_an_officer_cannot_act_on_another_agencys_complaint_by_its_number(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    theirs = routed(session, world, world.waste.id)
    new = file(session, world, title="Belum dipilah")
    log_in(client, world.roads_officer)
    token = csrf_from(client.get(BASE).text)
    for number in (theirs.number, new.number):
        for action in ACTIONS:
            response = client.post(
                f"{BASE}/{number}/{action}",
                data={
                    "csrf_token": token,
                    "versi": "2",
                    "instansi": str(world.roads.id),
                    "tanggapan": "Bukan urusan kami",
                    "pertanyaan": "?",
                    "catatan": "ambil",
                    "alasan": "tolak",
                },
                follow_redirects=False,
            )
            # Not found, not forbidden: the number tells nothing about the complaint.
            assert response.status_code == 404, (number, action)
            assert "Bukan urusan kami" not in response.text
    session.expire_all()
    assert theirs.agency_id == world.waste.id and theirs.status is ComplaintStatus.ROUTED
    assert new.status is ComplaintStatus.NEW
    # And the officer may not take the desk's steps on its own complaints either.
    mine = routed(session, world, world.roads.id, title="Lubang milik Disuji")
    refused = act(client, mine.number, "tanggapi", {"tanggapan": "ok", "akhir": "0"})
    assert refused.status_code == 303  # sanity: its own complaint is answerable
    response = act(client, mine.number, "tolak", {"alasan": "Tidak mau"})
    assert response.status_code == 403
    assert "Hanya admin pengaduan yang dapat melakukan ini." in response.text
    session.expire_all()
    assert mine.status is ComplaintStatus.IN_PROGRESS


def test_another_regions_complaint_is_not_found(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    elsewhere = build_world(session, "kota-lain")
    foreign = complaints.file_complaint(
        session, elsewhere.region, pothole_filing(), reporter=elsewhere.citizen
    ).complaint
    session.flush()
    log_in(client, world.desk)
    page = client.get(f"{BASE}/{foreign.number}")
    assert page.status_code == 404 and foreign.title not in page.text
    token = csrf_from(client.get(BASE).text)
    response = client.post(
        f"{BASE}/{foreign.number}/disposisi",
        data={"csrf_token": token, "versi": "1", "instansi": str(world.roads.id)},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert foreign.number not in client.get(f"{BASE}?tampil=semua").text
    session.expire_all()
    assert foreign.status is ComplaintStatus.NEW


def test_an_anonymous_reporters_contact_never_reaches_the_page(
    client: TestClient, session: Session, world: ComplaintWorld
) -> None:
    complaint = file(session, world, anonymous=True, reporter=world.other_citizen)
    routed_one = routed(
        session, world, world.roads.id, anonymous=True, reporter=world.other_citizen
    )
    for user, number in ((world.desk, complaint.number), (world.roads_officer, routed_one.number)):
        log_in(client, user)
        text = client.get(f"{BASE}/{number}").text
        assert world.other_citizen.email not in text
        assert world.other_citizen.full_name not in text


# -- two submits of one action at the same moment -------------------------------------------


@pytest.fixture(scope="module")
def committed_engine() -> Iterator[Engine]:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_complaints_race"
    url = recreate_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    engine = create_engine(sqlalchemy_url(url), pool_size=6)
    yield engine
    engine.dispose()


def _waiting_on_locks(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def test_two_simultaneous_submits_of_one_action_make_one_step(
    committed_engine: Engine, settings: Settings
) -> None:
    from simpul.web.app import create_app

    slug = f"kota-{uuid.uuid4().hex[:8]}"
    with Session(committed_engine) as session, session.begin():
        world = build_world(session, slug)
        complaint = complaints.file_complaint(
            session, world.region, pothole_filing(), reporter=world.citizen
        ).complaint
        number, complaint_id, roads_id = complaint.number, complaint.id, world.roads.id
        desk_email = world.desk.email

    app = create_app(settings, committed_engine)
    base = f"/{slug}/petugas/pengaduan"
    with TestClient(app) as first:
        login = post_form(first, f"/{slug}/masuk", {"email": desk_email, "password": PASSWORD})
        assert login.status_code == 303
        page = first.get(f"{base}/{number}").text
        version = re.search(r'name="versi" value="(\d+)"', page)
        assert version
        form: dict[str, Any] = {
            "csrf_token": csrf_from(page),
            "versi": version.group(1),
            "instansi": str(roads_id),
        }
        cookies = dict(first.cookies)

        # Hold the complaint's row so both submits arrive while it is taken; each then waits
        # for the lock (when the route takes it) and the second sees the first's step.
        with committed_engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM complaint WHERE id = :id FOR UPDATE"), {"id": complaint_id}
            )
            start = threading.Barrier(2)

            def submit(_: int) -> int:
                with TestClient(app, cookies=cookies) as client:
                    start.wait(timeout=30)
                    response = client.post(
                        f"{base}/{number}/disposisi", data=form, follow_redirects=False
                    )
                    return response.status_code

            with ThreadPoolExecutor(2) as pool:
                results = pool.map(submit, range(2))
                # Release once both wait on the row (or after a bound, if the route did not
                # lock it: then both went ahead and the assertion below fails).
                for _ in range(200):
                    if _waiting_on_locks(committed_engine) >= 2:
                        break
                    time.sleep(0.05)
                holder.rollback()
                statuses = sorted(results)

    assert statuses == [303, 409]
    with Session(committed_engine) as session:
        routed_steps = session.scalar(
            select(func.count())
            .select_from(ComplaintEvent)
            .where(ComplaintEvent.complaint_id == complaint_id, ComplaintEvent.action == "routed")
        )
        assert routed_steps == 1
        assert session.get(Complaint, complaint_id).status is ComplaintStatus.ROUTED  # type: ignore[union-attr]
