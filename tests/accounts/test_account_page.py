"""A citizen manages their account: password change, and a copy of their personal data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import AccountKind, User, UserSession
from simpul.accounts.service import create_api_token, start_session
from simpul.core.models import AuditEvent, Region
from tests.factories import make_region, make_user, post_form

NIK = "3273015708900001"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, "warga@example.org", "sandi-warga-1", AccountKind.CITIZEN)
    session.flush()
    return region


def log_in(client: TestClient, password: str = "sandi-warga-1") -> int:
    return post_form(
        client, "/kota-uji/masuk", {"email": "warga@example.org", "password": password}
    ).status_code


def test_password_change_ends_other_logins(
    client: TestClient, session: Session, region: Region
) -> None:
    assert log_in(client) == 303
    user = session.scalars(select(User)).one()
    assert session.scalars(select(UserSession.user_id)).one() == user.id
    other_device, _ = start_session(session, user)
    session.flush()
    wrong = post_form(
        client,
        "/kota-uji/akun/kata-sandi",
        {
            "current_password": "bukan",
            "new_password": "sandi-baru-12",
            "new_password_confirm": "sandi-baru-12",
        },
        page="/kota-uji/akun",
    )
    assert wrong.status_code == 422
    assert "Kata sandi saat ini salah." in wrong.text
    changed = post_form(
        client,
        "/kota-uji/akun/kata-sandi",
        {
            "current_password": "sandi-warga-1",
            "new_password": "sandi-baru-12",
            "new_password_confirm": "sandi-baru-12",
        },
        page="/kota-uji/akun",
    )
    assert changed.status_code == 200 and "Kata sandi sudah diganti" in changed.text
    assert client.get("/kota-uji/akun").status_code == 200  # this browser stays logged in
    other = TestClient(client.app)
    other.cookies.set(SESSION_COOKIE, other_device)
    assert other.get("/kota-uji/akun", follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert log_in(client) == 401
    assert log_in(client, "sandi-baru-12") == 303


def test_the_old_data_download_leads_to_the_data_page(
    client: TestClient, session: Session, region: Region
) -> None:
    """The JSON download became the "Data saya" page (the whole archive, identity.rights;
    tests/identity/test_my_data.py)."""
    assert log_in(client) == 303
    response = client.get("/kota-uji/akun/data", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/kota-uji/akun/data-saya"
    exported = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.data_export")
    ).all()
    assert exported == []


def test_api_data_export_needs_the_owners_token(
    client: TestClient, session: Session, region: Region
) -> None:
    assert client.get("/api/kota-uji/me/data").status_code == 401
    user = session.scalars(select(User)).one()
    _token, raw = create_api_token(session, user, "ekspor")
    session.flush()
    data = client.get("/api/kota-uji/me/data", headers={"Authorization": f"Bearer {raw}"}).json()
    assert data["account"]["nik"] == NIK
    assert [t["name"] for t in data["api_tokens"]] == ["ekspor"]
    assert data["account"]["email_verified"] is False
    exported = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.data_export")
    ).all()
    assert [e.details for e in exported] == [{"via": "api"}]
