"""Passkeys in Chromium with its virtual authenticator (WebAuthn over the DevTools protocol):
a citizen adds a passkey on the security page, logs in with the password and the passkey,
then with the passkey alone. WebAuthn needs a secure context and a host name as RP ID, so
this test runs its own server with ``SIMPUL_PUBLIC_URL=http://localhost:<port>``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from simpul.accounts.models import User, UserSession
from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.identity.mfa_models import WebauthnCredential
from tests.browser.conftest import SERVER_START_TIMEOUT
from tests.browser.test_accessibility import serious_violations
from tests.conftest import TEST_SECRET
from tests.factories import make_user
from tests.support.devserver import free_port, server_process

REGION = "kota-bandung"
PASSWORD = "kata-sandi-passkey-1"


@pytest.fixture
def localhost_server(browser_database_url: str, browser_data_dir: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://localhost:{port}"
    try:
        with server_process(
            browser_database_url,
            secret_key=TEST_SECRET,
            data_dir=browser_data_dir,
            timeout=SERVER_START_TIMEOUT,
            env={"SIMPUL_PUBLIC_URL": base},
            port=port,
        ) as _server:
            yield base
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def citizen(browser_database_url: str, localhost_server: str) -> Iterator[str]:
    """A citizen of the demo region of its own (the demo citizen stays without a passkey)."""
    port = int(localhost_server.rsplit(":", 1)[1])
    email = f"passkey.{port}@example.org"
    nik = f"3273015708900{port % 900 + 100}"
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine) as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            make_user(session, region, email, PASSWORD, nik=nik)
        yield email
    finally:
        engine.dispose()


@pytest.fixture
def page(browser: Browser, localhost_server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=localhost_server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="id-ID",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield page
    context.close()


def _password(page: Page, email: str) -> None:
    page.goto(f"/{REGION}/masuk")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk", exact=True).click()


def test_a_citizen_adds_a_passkey_and_logs_in_with_it(
    page: Page, citizen: str, browser_database_url: str, screenshots: Path
) -> None:
    _password(page, citizen)
    page.goto(f"/{REGION}/akun/keamanan")
    expect(page.get_by_text("memerlukan peramban modern")).to_be_hidden()
    page.get_by_label("Nama passkey").fill("Ponsel uji")
    page.get_by_role("button", name="Tambah passkey").click()
    expect(page.get_by_text("Passkey sudah ditambahkan.")).to_be_visible()
    expect(page.get_by_role("heading", name="Ponsel uji")).to_be_visible()
    assert serious_violations(page) == []

    page.context.clear_cookies()
    _password(page, citizen)
    expect(page).to_have_url(f"{page.url.split('/' + REGION)[0]}/{REGION}/masuk/verifikasi")
    button = page.get_by_role("button", name="Gunakan passkey")
    expect(button).to_be_visible()
    assert serious_violations(page) == []
    page.screenshot(path=screenshots / "47-passkey.png", full_page=True)
    button.click()
    page.wait_for_url(lambda url: "/masuk" not in url)
    assert _latest_amr(browser_database_url, citizen) == ["pwd", "hwk"]

    # a passkey alone (discoverable, user-verified) from the login page
    page.context.clear_cookies()
    page.goto(f"/{REGION}/masuk")
    page.get_by_role("button", name="Gunakan passkey").click()
    page.wait_for_url(lambda url: "/masuk" not in url)
    assert _latest_amr(browser_database_url, citizen) == ["hwk", "mfa"]


def _latest_amr(database_url: str, email: str) -> list[str]:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with Session(engine) as session:
            user = session.scalars(select(User).where(User.email == email)).one()
            (key,) = session.scalars(
                select(WebauthnCredential).where(WebauthnCredential.user_id == user.id)
            ).all()
            assert key.name == "Ponsel uji" and key.last_used_at is not None
            latest = session.scalars(
                select(UserSession)
                .where(UserSession.user_id == user.id)
                .order_by(UserSession.created_at.desc())
            ).first()
            assert latest is not None
            return list(latest.amr)
    finally:
        engine.dispose()
