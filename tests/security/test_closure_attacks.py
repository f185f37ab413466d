"""Attacks on closing an account: a forged form (no CSRF token), no password, another user's
account, two submits at once, and the closed e-mail and NIK registering again."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import AccountKind, User
from simpul.applications.models import Application
from simpul.complaints.models import Complaint
from simpul.core.database import sqlalchemy_url
from simpul.core.migrate import upgrade_to_head
from simpul.core.models import AuditEvent
from simpul.core.settings import Settings
from simpul.identity import closure
from tests.conftest import _server_url
from tests.factories import csrf_from, post_form
from tests.identity.closure_world import PASSWORD, ClosureWorld, build_closure_world
from tests.support.devserver import recreate_database

BASE = "/kota-tutup"


@pytest.fixture
def world(session: Session) -> ClosureWorld:
    return build_closure_world(session)


def _log_in(client: TestClient, email: str) -> None:
    assert (
        post_form(client, f"{BASE}/masuk", {"email": email, "password": PASSWORD}).status_code
        == 303
    )


def _still_open(session: Session, user: User) -> bool:
    session.expire_all()
    row = session.get(User, user.id)
    return row is not None and row.closed_at is None and row.email == user.email


def test_a_forged_form_without_the_csrf_token_is_refused(
    client: TestClient, session: Session, world: ClosureWorld
) -> None:
    _log_in(client, world.citizen.email)
    response = client.post(
        f"{BASE}/akun/tutup", data={"password": PASSWORD, "confirm": "ya"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert _still_open(session, world.citizen)


def test_closing_needs_the_password_and_the_confirmation(
    client: TestClient, session: Session, world: ClosureWorld
) -> None:
    _log_in(client, world.citizen.email)
    for data in ({"confirm": "ya"}, {"password": "", "confirm": "ya"}, {"password": PASSWORD}):
        response = post_form(client, f"{BASE}/akun/tutup", data)
        assert response.status_code == 422
        assert 'aria-invalid="true"' in response.text
    assert _still_open(session, world.citizen)


def test_nobody_closes_another_users_account(
    client: TestClient, session: Session, world: ClosureWorld
) -> None:
    # Without a login: the login page, nothing closed.
    anonymous = client.post(
        f"{BASE}/akun/tutup", data={"password": PASSWORD, "confirm": "ya"}, follow_redirects=False
    )
    assert anonymous.status_code in (303, 401, 403)
    # The neighbour logged in: their own password closes their own account only, whatever
    # account id the form claims.
    _log_in(client, world.other.email)
    response = post_form(
        client,
        f"{BASE}/akun/tutup",
        {"password": PASSWORD, "confirm": "ya", "user_id": str(world.citizen.id)},
    )
    assert response.status_code == 200
    assert _still_open(session, world.citizen)
    session.refresh(world.rejected)
    assert world.rejected.data["nama"] == "Siti Aminah"
    assert session.get(User, world.other.id).closed_at is not None  # type: ignore[union-attr]


def test_the_closed_email_and_nik_register_again_as_a_new_account_that_sees_nothing_old(
    session: Session, world: ClosureWorld
) -> None:
    email = world.citizen.email
    old_id = world.citizen.id
    closure.close_account(session, world.region, world.citizen, password=PASSWORD, confirmed=True)
    again = accounts_service.create_user(
        session,
        world.region,
        email=email,
        full_name="Siti Baru",
        password="sandi-baru-12345",
        nik="3273015708900001",
        kind=AccountKind.CITIZEN,
    )
    session.flush()
    assert again.id != old_id
    assert again.nik_hash == accounts_service.nik_hash(world.region, "3273015708900001")
    assert not session.scalars(
        select(Application).where(Application.applicant_id == again.id)
    ).all()
    assert not session.scalars(select(Complaint).where(Complaint.reporter_id == again.id)).all()
    assert accounts_service.export_personal_data(session, world.region, again)["api_tokens"] == []
    login = accounts_service.login(
        session, world.region, email=email, password=PASSWORD, client="127.0.0.1"
    )
    assert login.user is None  # the old password opens nothing


# -- two submits at the same moment ------------------------------------------------------


@pytest.fixture(scope="module")
def committed_engine() -> Iterator[Engine]:
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_closure_race"
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


def test_two_simultaneous_closures_close_once(committed_engine: Engine, settings: Settings) -> None:
    from simpul.web.app import create_app

    slug = f"kota-{uuid.uuid4().hex[:8]}"
    with Session(committed_engine) as session, session.begin():
        world = build_closure_world(session, slug)
        user_id, email = world.citizen.id, world.citizen.email

    app = create_app(settings, committed_engine)
    with TestClient(app) as first:
        login = post_form(first, f"/{slug}/masuk", {"email": email, "password": PASSWORD})
        assert login.status_code == 303
        form = {
            "csrf_token": csrf_from(first.get(f"/{slug}/akun/tutup").text),
            "password": PASSWORD,
            "confirm": "ya",
        }
        cookies = dict(first.cookies)
        with committed_engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM user_account WHERE id = :id FOR UPDATE"), {"id": user_id}
            )
            start = threading.Barrier(2)

            def submit(_: int) -> int:
                with TestClient(app, cookies=cookies) as client:
                    start.wait(timeout=30)
                    return client.post(
                        f"/{slug}/akun/tutup", data=form, follow_redirects=False
                    ).status_code

            with ThreadPoolExecutor(2) as pool:
                results = pool.map(submit, range(2))
                for _ in range(200):
                    if _waiting_on_locks(committed_engine) >= 2:
                        break
                    time.sleep(0.05)
                holder.rollback()
                statuses = sorted(results)

    assert statuses == [200, 409]
    with Session(committed_engine) as session:
        closed = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "account.closed", AuditEvent.target_id == str(user_id))
        )
        assert closed == 1
