"""The bell in the header (one count per page), the notifications list with read and unread,
marking one or all read, and choosing WhatsApp with a phone number."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import submission
from simpul.applications.models import Application, Notification
from simpul.core.models import Region, utcnow
from simpul.notify.config import whatsapp_config
from simpul.notify.models import Channel, NotificationPreference
from tests.factories import make_region, make_user, post_form
from tests.notify.conftest import in_app_notice

REGION = "kota-lonceng"


@dataclass
class BellWorld:
    region: Region
    citizen: User
    neighbour: User
    officer: User
    application: Application
    notices: list[Notification]


@pytest.fixture
def world(session: Session) -> BellWorld:
    region = make_region(session, REGION, "Kota Lonceng")
    citizen = make_user(session, region, "siti.warga@example.org", "sandi-warga-1")
    neighbour = make_user(
        session, region, "budi.warga@example.org", "sandi-warga-2", nik="3273011505900002"
    )
    officer = make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    application = submission.start_draft(session, region, citizen, f"{REGION}-layanan")
    application.tracking_number = "LC-0001"
    notices = [in_app_notice(session, application, kind) for kind in ("submitted", "completed")]
    old = in_app_notice(session, application, "advanced")
    old.read_at = utcnow()
    old.created_at = utcnow() - timedelta(days=1)
    session.flush()
    return BellWorld(region, citizen, neighbour, officer, application, [*notices, old])


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, f"/{REGION}/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def _bell(html: str) -> str:
    found = re.search(r'<a href="/[^"]+/notifikasi" class="bell[^>]*>.*?</a>', html, re.S)
    assert found, "no bell in the header"
    return found.group(0)


def test_the_bell_says_how_many_are_unread_on_every_page(
    client: TestClient, world: BellWorld
) -> None:
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    for path in (f"/{REGION}/layanan", f"/{REGION}/permohonan", f"/{REGION}/akun"):
        bell = _bell(client.get(path).text)
        assert 'aria-label="Pemberitahuan, 2 belum dibaca"' in bell, path
        assert re.search(r"data-bell-count>2</span>", bell)
    english = client.get(f"/lang/en?next=/{REGION}/layanan")
    assert 'aria-label="Notifications, 2 unread"' in _bell(english.text)


def test_officers_have_the_bell_too_and_visitors_do_not(
    client: TestClient, session: Session, world: BellWorld
) -> None:
    session.add(
        Notification(
            region_id=world.region.id,
            user_id=world.officer.id,
            application_id=world.application.id,
            kind="completed",
            params={"number": "LC-0002"},
        )
    )
    session.flush()
    assert "bell" not in client.get(f"/{REGION}/layanan").text
    log_in(client, "verif@example.org", "sandi-verif-1")
    bell = _bell(client.get(f"/{REGION}/petugas/kotak-masuk").text)
    assert 'aria-label="Pemberitahuan, 1 belum dibaca"' in bell
    listing = client.get(f"/{REGION}/notifikasi").text
    assert "Permohonan LC-0002 selesai." in listing
    assert "LC-0001" not in listing  # the citizen's, not the officer's


@pytest.fixture
def notification_counts(engine: Engine) -> Iterator[list[str]]:
    """The statements that count notifications, as they reach PostgreSQL."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "count(" in statement.lower() and "from notification" in statement.lower():
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_the_bell_costs_one_query_per_page(
    client: TestClient, world: BellWorld, notification_counts: list[str]
) -> None:
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    notification_counts.clear()
    client.get(f"/{REGION}/layanan")
    assert len(notification_counts) == 1
    notification_counts.clear()
    client.get(f"/{REGION}/notifikasi")  # the list counts once for itself and the bell
    assert len(notification_counts) == 1


def test_the_list_marks_unread_ones_and_reading_it_changes_nothing(
    client: TestClient, session: Session, world: BellWorld
) -> None:
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    page = client.get(f"/{REGION}/notifikasi")
    assert page.status_code == 200
    items = re.findall(r'<li class="notification( unread)?"', page.text)
    assert items == [" unread", " unread", ""]
    assert page.text.count("Belum dibaca</span>") == 2
    assert page.text.count('<span class="visually-hidden">Sudah dibaca: </span>') == 1
    assert f'href="/{REGION}/permohonan/{world.application.id}"' in page.text
    assert page.text.count("Tandai sudah dibaca</button>") == 2
    session.expire_all()
    assert session.get(Notification, world.notices[0].id).read_at is None  # type: ignore[union-attr]


def test_marking_one_then_all_read(client: TestClient, session: Session, world: BellWorld) -> None:
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    first, second, _old = world.notices
    path = f"/{REGION}/notifikasi"
    done = post_form(client, f"{path}/{second.id}/dibaca", {}, page=path)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Pemberitahuan ditandai sudah dibaca." in page.text
    assert 'aria-label="Pemberitahuan, 1 belum dibaca"' in _bell(page.text)
    session.expire_all()
    assert session.get(Notification, second.id).read_at is not None  # type: ignore[union-attr]
    assert session.get(Notification, first.id).read_at is None  # type: ignore[union-attr]

    done = post_form(client, f"{path}/dibaca", {}, page=path)
    page = client.get(done.headers["location"])
    assert "Semua pemberitahuan ditandai sudah dibaca." in page.text
    assert 'aria-label="Pemberitahuan"' in _bell(page.text)
    assert "data-bell-count" not in page.text
    assert "Tandai semua sudah dibaca" not in page.text
    unread = session.scalars(
        select(Notification).where(
            Notification.user_id == world.citizen.id, Notification.read_at.is_(None)
        )
    ).all()
    assert unread == []


def test_nobody_marks_another_users_notification_or_posts_without_a_token(
    client: TestClient, session: Session, world: BellWorld
) -> None:
    target = world.notices[0]
    log_in(client, "budi.warga@example.org", "sandi-warga-2")
    path = f"/{REGION}/notifikasi"
    assert post_form(client, f"{path}/{target.id}/dibaca", {}, page=path).status_code == 404
    assert post_form(client, f"{path}/dibaca", {}, page=path).status_code == 303  # only his own
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    forged = client.post(f"{path}/{target.id}/dibaca", follow_redirects=False)
    assert forged.status_code == 403
    forged = client.post(f"{path}/dibaca", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    session.expire_all()
    assert session.get(Notification, target.id).read_at is None  # type: ignore[union-attr]
    client.cookies.clear()
    assert client.get(path, follow_redirects=False).status_code in {303, 401}


@pytest.fixture
def whatsapp_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment has a WhatsApp Business account (read from SIMPUL_WHATSAPP_*)."""
    for name, value in {
        "PHONE_NUMBER_ID": "106540352242922",
        "TOKEN": "EAAG-page-test",
        "APP_SECRET": "app-secret-page-test",
        "VERIFY_TOKEN": "verify-page-test",
    }.items():
        monkeypatch.setenv(f"SIMPUL_WHATSAPP_{name}", value)
    whatsapp_config.cache_clear()
    yield
    monkeypatch.undo()
    whatsapp_config.cache_clear()


@pytest.mark.usefixtures("whatsapp_on")
def test_a_citizen_chooses_whatsapp_with_their_number(
    client: TestClient, session: Session, world: BellWorld
) -> None:
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    path = f"/{REGION}/akun/pemberitahuan"
    page = client.get(path).text
    assert 'value="whatsapp"' in page
    assert 'id="f-phone"' in page

    def preference() -> bool | None:
        return session.scalar(
            select(NotificationPreference.enabled).where(
                NotificationPreference.user_id == world.citizen.id,
                NotificationPreference.channel == Channel.WHATSAPP,
            )
        )

    for phone, message in (
        ("", "Isi nomor WhatsApp untuk menerima kabar lewat WhatsApp."),
        ("12345", "Nomor HP harus diawali 08 atau +628"),
    ):
        refused = post_form(client, path, {"channel": "whatsapp", "phone": phone})
        assert refused.status_code == 422
        assert "data-error-summary" in refused.text
        assert '<a href="#f-phone">' in refused.text
        assert message in refused.text
        assert 'value="whatsapp" checked' in refused.text  # what was ticked stays ticked
        assert preference() is None

    saved = post_form(client, path, {"channel": "whatsapp", "phone": "+62 812-3456-7890"})
    assert saved.status_code == 303
    session.expire_all()
    assert session.get(User, world.citizen.id).phone == "081234567890"  # type: ignore[union-attr]
    assert preference() is True
    notice = in_app_notice(session, world.application, "completed")
    from simpul.notify.outbox import enqueue_for_notification

    channels = {d.channel: d.recipient for d in enqueue_for_notification(session, notice)}
    assert channels == {Channel.WHATSAPP: "6281234567890"}


def test_without_a_whatsapp_account_it_is_not_offered_nor_accepted(
    client: TestClient, session: Session, world: BellWorld
) -> None:
    whatsapp_config.cache_clear()
    log_in(client, "siti.warga@example.org", "sandi-warga-1")
    path = f"/{REGION}/akun/pemberitahuan"
    assert 'value="whatsapp"' not in client.get(path).text
    refused = post_form(client, path, {"channel": "whatsapp", "phone": "081234567890"})
    assert refused.status_code == 422
    assert '<a href="#f-channel">' in refused.text
