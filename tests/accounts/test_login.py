"""Staff, admins and citizens log in and out; repeated failures are throttled with 429."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.core.models import Region
from tests.factories import make_region, make_user, post_form


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(
        session,
        region,
        "petugas@example.org",
        "sandi-petugas",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    make_user(session, region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    session.flush()
    return region


def login(client: TestClient, email: str, password: str, **extra: str) -> Any:
    return post_form(client, "/kota-uji/masuk", {"email": email, "password": password, **extra})


def test_staff_logs_in_to_their_desk_and_out_again(client: TestClient, region: Region) -> None:
    response = login(client, "PETUGAS@example.org", "sandi-petugas")
    assert response.status_code == 303
    assert response.headers["location"] == "/kota-uji/petugas/kotak-masuk"
    desk = client.get("/kota-uji/petugas")
    assert desk.status_code == 200 and "Disuji" in desk.text and "Verifikator" in desk.text
    # A citizen page for admins is refused to staff.
    assert client.get("/kota-uji/admin").status_code == 403
    logout = post_form(client, "/kota-uji/keluar", {}, page="/kota-uji/petugas")
    assert logout.status_code == 303
    assert client.get("/kota-uji/petugas", follow_redirects=False).status_code == 303


def test_admin_lands_on_the_admin_page(client: TestClient, region: Region) -> None:
    response = login(client, "admin@example.org", "sandi-admin-1")
    assert response.headers["location"] == "/kota-uji/admin"
    assert "Dinas Uji Kota Uji" in client.get("/kota-uji/admin").text


def test_next_page_is_kept_but_only_within_the_region(client: TestClient, region: Region) -> None:
    ok = login(client, "admin@example.org", "sandi-admin-1", next="/kota-uji/akun")
    assert ok.headers["location"] == "/kota-uji/akun"
    client.cookies.clear()
    evil = login(client, "admin@example.org", "sandi-admin-1", next="//evil.example/x")
    assert evil.headers["location"] == "/kota-uji/admin"


def test_wrong_password_says_so_without_revealing_which_part(
    client: TestClient, region: Region
) -> None:
    wrong = login(client, "admin@example.org", "salah-sandi")
    unknown = login(client, "siapa@example.org", "salah-sandi")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "E-mail atau kata sandi salah." in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_repeated_failures_get_429_with_when_to_retry(client: TestClient, region: Region) -> None:
    for _ in range(5):
        assert login(client, "admin@example.org", "salah-sandi").status_code == 401
    blocked = login(client, "admin@example.org", "sandi-admin-1")  # even the right password
    assert blocked.status_code == 429
    retry = int(blocked.headers["retry-after"])
    assert 0 < retry <= 15 * 60
    assert "Coba lagi dalam" in blocked.text
    # Another account is not blocked by these failures.
    assert login(client, "petugas@example.org", "sandi-petugas").status_code == 303


def test_success_resets_the_failure_count(client: TestClient, region: Region) -> None:
    for _ in range(4):
        login(client, "admin@example.org", "salah-sandi")
    assert login(client, "admin@example.org", "sandi-admin-1").status_code == 303
    client.cookies.clear()
    for _ in range(4):
        assert login(client, "admin@example.org", "salah-sandi").status_code == 401
    assert login(client, "admin@example.org", "sandi-admin-1").status_code == 303
