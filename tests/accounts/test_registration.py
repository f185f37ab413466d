"""A citizen opens an account with NIK and the link sent to their e-mail; bad input is
explained per field and creates nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import User
from simpul.accounts.registration import activation_url
from simpul.applications.models import Notification
from simpul.core.models import AuditEvent, Region, utcnow
from simpul.notify.models import Channel, Delivery
from tests.factories import csrf_from, make_region, post_form

VALID = {
    "nik": "3273012505950003",
    "full_name": "Budi Santoso",
    "email": "Budi.Santoso@Example.org",
    "phone": "0812-9876-5432",
    "password": "rahasia-budi-1",
    "password_confirm": "rahasia-budi-1",
    "consent": "ya",
}


@pytest.fixture
def region(session: Session) -> Region:
    return make_region(session, "kota-uji", "Kota Uji")


def user_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id))) or 0


def activation_path(session: Session, email: str) -> str:
    """The path of the link the activation e-mail carries (the e-mail itself is tested in
    tests/security/test_account_enumeration.py)."""
    user = session.scalars(select(User).where(User.email == email)).one()
    url = activation_url(user, user_region(session, user), "http://portal.example")
    return url.removeprefix("http://portal.example")


def user_region(session: Session, user: User) -> Region:
    region = session.get(Region, user.region_id)
    assert region is not None
    return region


def test_citizen_registers_opens_the_link_and_is_logged_in(
    client: TestClient, session: Session, region: Region
) -> None:
    response = post_form(client, "/kota-uji/daftar", VALID)
    assert response.status_code == 200
    assert "Periksa e-mail Anda" in response.text
    assert "budi.santoso@example.org" in response.text  # so a typo can be seen
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    user = session.scalars(select(User).where(User.email == "budi.santoso@example.org")).one()
    assert user.activated_at is None
    delivery = session.scalars(select(Delivery).where(Delivery.user_id == user.id)).one()
    assert delivery.channel is Channel.EMAIL and delivery.recipient == "budi.santoso@example.org"
    path = activation_path(session, "budi.santoso@example.org")
    opened = client.post(
        path, data={"csrf_token": csrf_from(client.get(path).text)}, follow_redirects=False
    )
    assert opened.status_code == 303
    assert opened.headers["location"] == "/kota-uji/akun?pesan=baru"
    cookie = opened.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/kota-uji" in cookie
    account = client.get("/kota-uji/akun?pesan=baru")
    assert "Budi Santoso" in account.text
    assert "3273••••••••0003" in account.text
    assert "3273012505950003" not in account.text
    session.refresh(user)
    assert user.activated_at is not None
    assert user.email_verified_at == user.activated_at
    assert user.phone == "081298765432"
    assert user.nik_hash is not None and b"3273012505950003" not in user.nik_hash
    assert "3273012505950003" not in (user.nik_encrypted or "")
    assert user.password_hash.startswith("$argon2")
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "account.register" in actions


def test_a_newer_registration_replaces_one_not_yet_activated(
    client: TestClient, session: Session, region: Region
) -> None:
    """A typo in the address does not hold the NIK: registering again with the right one
    replaces the first registration, whose link then opens nothing."""
    post_form(client, "/kota-uji/daftar", {**VALID, "email": "budi@exmaple.org"})
    typo = activation_path(session, "budi@exmaple.org")
    post_form(client, "/kota-uji/daftar", VALID)
    assert client.get(typo).status_code == 404
    right = activation_path(session, "budi.santoso@example.org")
    assert "Aktifkan akun" in client.get(right).text


def test_an_unused_link_expires(client: TestClient, session: Session, region: Region) -> None:
    post_form(client, "/kota-uji/daftar", VALID)
    path = activation_path(session, "budi.santoso@example.org")
    user = session.scalars(select(User).where(User.email == "budi.santoso@example.org")).one()
    user.created_at = utcnow() - timedelta(hours=24, minutes=1)
    session.flush()
    expired = client.get(path)
    assert expired.status_code == 404
    assert "kedaluwarsa" in expired.text
    # The next registration anywhere in the region deletes it, with its notices.
    post_form(client, "/kota-uji/daftar", {**VALID, "nik": "3273012505950011", "email": "x@y.id"})
    assert session.scalar(select(func.count(User.id)).where(User.id == user.id)) == 0
    assert session.scalars(select(Notification).where(Notification.user_id == user.id)).all() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nik", "327301250595000", "NIK harus 16 digit"),
        ("nik", "9973012505950003", "Kode wilayah pada NIK"),
        ("nik", "3273013505950003", "Tanggal lahir pada NIK"),
        ("email", "bukan-email", "Alamat e-mail tidak valid"),
        ("phone", "12345", "Nomor HP harus diawali 08"),
        ("password", "pendek", "Kata sandi minimal 8 karakter"),
        ("password_confirm", "beda-sandi-1", "Konfirmasi kata sandi tidak sama"),
        ("consent", "", "menyetujui pemrosesan data pribadi"),
    ],
)
def test_invalid_field_is_named_and_nothing_is_created(
    client: TestClient, session: Session, region: Region, field: str, value: str, message: str
) -> None:
    before = user_count(session)
    response = post_form(client, "/kota-uji/daftar", {**VALID, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert f'id="e-{field}"' in response.text  # the error sits next to its field
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert user_count(session) == before
    if field != "nik":
        assert 'value="3273012505950003"' in response.text  # what was typed is kept


def test_nik_already_registered_is_answered_like_any_other(
    client: TestClient, session: Session, region: Region
) -> None:
    """Whether a NIK has an account is not told on the page (tests/security has the attack)."""
    post_form(client, "/kota-uji/daftar", VALID)
    client.post(
        activation_path(session, "budi.santoso@example.org"),
        data={"csrf_token": csrf_from(client.get("/kota-uji/masuk").text)},
    )
    client.cookies.clear()
    before = user_count(session)
    again = post_form(client, "/kota-uji/daftar", {**VALID, "email": "lain@example.org"})
    assert again.status_code == 200
    assert "Periksa e-mail Anda" in again.text
    assert user_count(session) == before


def test_form_without_csrf_token_is_refused(
    client: TestClient, session: Session, region: Region
) -> None:
    client.get("/kota-uji/daftar")  # the browser has the cookie, but the form lacks the token
    before = user_count(session)
    response = client.post("/kota-uji/daftar", data=VALID, follow_redirects=False)
    assert response.status_code == 403
    assert "Muat ulang halaman" in response.text
    forged = client.post(
        "/kota-uji/daftar", data={**VALID, "csrf_token": "0" * 64}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert user_count(session) == before


def test_api_registration_reports_field_errors(
    client: TestClient, session: Session, region: Region
) -> None:
    body = {k: v for k, v in VALID.items() if k != "consent"} | {"consent": True}
    bad = client.post("/api/kota-uji/accounts", json={**body, "nik": "123"})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "invalid_input"
    assert {"field": "nik", "message": "NIK harus 16 digit; yang diisi 3 digit."} in error[
        "details"
    ]
    created = client.post("/api/kota-uji/accounts", json=body)
    assert created.status_code == 202
    assert created.json()["status"] == "pending_activation"
    assert "tautan aktivasi" in created.json()["message"]
    user = session.scalars(select(User).where(User.email == "budi.santoso@example.org")).one()
    assert user.activated_at is None and user.kind.value == "citizen"


def test_messages_follow_accept_language_in_the_api(client: TestClient, region: Region) -> None:
    response = client.post(
        "/api/kota-uji/accounts",
        json={**VALID, "consent": True, "nik": "123"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    nik_error = next(d for d in response.json()["error"]["details"] if d["field"] == "nik")
    assert "16 digits" in nik_error["message"] and "digit;" not in nik_error["message"]


def test_registration_page_is_accessible(client: TestClient, region: Region) -> None:
    page = client.get("/kota-uji/daftar").text
    for field in ("nik", "full_name", "email", "phone", "password", "password_confirm"):
        assert f'<label for="f-{field}">' in page
    assert csrf_from(page)
