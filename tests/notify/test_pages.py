"""Citizens choose their channels on a page; officers read an application's delivery log."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.applications import submission
from simpul.applications.models import Application, ApplicationStatus
from simpul.core.models import Region
from simpul.notify.models import (
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
)
from simpul.notify.outbox import enqueue_for_notification
from tests.factories import add_agency, make_region, make_user, post_form, service_seed
from tests.notify.conftest import in_app_notice

REGION = "kota-kabar"


@dataclass
class PageWorld:
    region: Region
    citizen: User
    officer: User
    outsider: User
    application: Application


@pytest.fixture
def web(client: TestClient) -> TestClient:
    return client


@pytest.fixture
def page_world(session: Session) -> PageWorld:
    region = make_region(session, REGION, "Kota Kabar")
    add_agency(
        session, region, "dinas-lain", "Dinas Lain", [service_seed("izin-lain", "Perizinan Lain")]
    )
    citizen = make_user(session, region, "siti.warga@example.org", "sandi-warga-1")
    officer = make_user(
        session,
        region,
        "verif@example.org",
        "sandi-verif-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    outsider = make_user(
        session,
        region,
        "luar@example.org",
        "sandi-luar-12",
        AccountKind.STAFF,
        roles=[("dinas-lain", StaffRoleName.VERIFIKATOR)],
    )
    application = submission.start_draft(session, region, citizen, f"{REGION}-layanan")
    application.status = ApplicationStatus.SUBMITTED  # as if sent: officers read sent files
    application.tracking_number = "KB-0001"
    session.flush()
    return PageWorld(region, citizen, officer, outsider, application)


def log_in(client: TestClient, email: str, password: str) -> None:
    client.cookies.clear()
    response = post_form(client, f"/{REGION}/masuk", {"email": email, "password": password})
    assert response.status_code == 303, response.text


def test_citizen_turns_email_off_and_on(
    web: TestClient, session: Session, page_world: PageWorld
) -> None:
    log_in(web, "siti.warga@example.org", "sandi-warga-1")
    path = f"/{REGION}/akun/pemberitahuan"
    page = web.get(path)
    assert page.status_code == 200
    assert 'name="channel" value="email" checked' in page.text
    assert "siti.warga@example.org" in page.text

    saved = post_form(web, path, {})  # the box unticked
    assert saved.status_code == 303
    assert 'value="email" checked' not in web.get(saved.headers["location"]).text
    notice = in_app_notice(session, page_world.application, "completed")
    assert enqueue_for_notification(session, notice) == []

    assert post_form(web, path, {"channel": "email"}).status_code == 303
    assert 'value="email" checked' in web.get(path).text
    notice = in_app_notice(session, page_world.application, "completed")
    assert [d.channel for d in enqueue_for_notification(session, notice)] == [Channel.EMAIL]


def test_channel_choice_needs_a_login_and_a_csrf_token(
    web: TestClient, page_world: PageWorld
) -> None:
    assert web.get(f"/{REGION}/akun/pemberitahuan", follow_redirects=False).status_code in {
        303,
        401,
    }
    log_in(web, "siti.warga@example.org", "sandi-warga-1")
    forged = web.post(f"/{REGION}/akun/pemberitahuan", data={}, follow_redirects=False)
    assert forged.status_code == 403


def test_officer_reads_the_delivery_log_and_strangers_do_not(
    web: TestClient, session: Session, page_world: PageWorld
) -> None:
    notice = in_app_notice(session, page_world.application, "completed")
    (delivery,) = enqueue_for_notification(session, notice)
    delivery.status, delivery.attempts, delivery.last_error = (
        DeliveryStatus.FAILED,
        1,
        "SMTP server unreachable (ConnectionRefusedError)",
    )
    session.add(
        DeliveryAttempt(
            region_id=delivery.region_id,
            delivery_id=delivery.id,
            number=1,
            outcome=AttemptOutcome.FAILED,
            detail="SMTP server unreachable (ConnectionRefusedError)",
        )
    )
    session.flush()
    path = f"/{REGION}/petugas/permohonan/{page_world.application.id}/pengiriman"

    log_in(web, "verif@example.org", "sandi-verif-1")
    page = web.get(path)
    assert page.status_code == 200
    assert "Permohonan KB-0001 selesai." in page.text
    assert "siti.warga@example.org" in page.text
    assert "Gagal, akan dicoba lagi" in page.text
    assert page.text.count("ConnectionRefusedError") == 2  # the status and the attempt

    log_in(web, "luar@example.org", "sandi-luar-12")
    assert web.get(path).status_code == 404
    log_in(web, "siti.warga@example.org", "sandi-warga-1")
    assert web.get(path).status_code == 403
    assert session.scalars(select(Delivery).where(Delivery.id == delivery.id)).one()
