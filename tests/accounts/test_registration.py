"""A citizen opens an account with NIK; bad input is explained per field and creates nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import User
from simpul.core.models import AuditEvent, Region
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


def test_citizen_registers_and_is_logged_in(
    client: TestClient, session: Session, region: Region
) -> None:
    response = post_form(client, "/kota-uji/daftar", VALID)
    assert response.status_code == 303
    assert response.headers["location"] == "/kota-uji/akun?baru=1"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/kota-uji" in cookie
    account = client.get("/kota-uji/akun?baru=1")
    assert "Budi Santoso" in account.text
    assert "3273••••••••0003" in account.text
    assert "3273012505950003" not in account.text
    user = session.scalars(select(User).where(User.email == "budi.santoso@example.org")).one()
    assert user.phone == "081298765432"
    assert user.nik_hash is not None and b"3273012505950003" not in user.nik_hash
    assert "3273012505950003" not in (user.nik_encrypted or "")
    assert user.password_hash.startswith("$argon2")
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "account.register" in actions


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


def test_nik_already_registered_is_refused(
    client: TestClient, session: Session, region: Region
) -> None:
    assert post_form(client, "/kota-uji/daftar", VALID).status_code == 303
    client.cookies.clear()
    before = user_count(session)
    again = post_form(client, "/kota-uji/daftar", {**VALID, "email": "lain@example.org"})
    assert again.status_code == 422
    assert "NIK ini sudah terdaftar" in again.text
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
    assert created.status_code == 201
    assert created.json()["nik_masked"] == "3273••••••••0003"
    assert created.json()["kind"] == "citizen"


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
