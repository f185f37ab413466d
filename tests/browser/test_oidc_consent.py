"""One login in Chromium on a 390 px phone: the demo citizen opens a tiny relying party on
loopback, is sent to Simpul, logs in, reads the consent screen (what the app will receive)
and allows; the app exchanges the code at the token endpoint and greets her by name. Then
she disconnects the app on "Aplikasi terhubung": the app's access token stops working at
userinfo, and the app's next sign-in asks for her consent again.
Takes docs/screenshots/46-oidc-consent.png and 48-aplikasi-terhubung.png; both pages pass
axe-core.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from simpul.core.database import sqlalchemy_url
from simpul.core.regions import get_region_by_slug
from simpul.identity import service as identity
from simpul.identity.oidc.service import s256
from simpul.inventory import service as inventory
from tests.browser.test_accessibility import serious_violations

pytestmark = pytest.mark.browser

REGION = "kota-bandung"
SECRET = "rahasia-rp-peramban-0123456789"
VERIFIER = "v" * 43 + "peramban-uji"


class _RelyingParty(BaseHTTPRequestHandler):
    """``/`` sends the browser to Simpul; ``/callback`` redeems the code and says hello."""

    provider = ""
    client_id = ""
    redirect_uri = ""
    #: The access token the last sign-in got (the test calls userinfo with it).
    access_token = ""

    def _page(self, status: int, body: str) -> None:
        data = f"<!doctype html><html lang=id><title>RP</title><h1>{body}</h1></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        if parsed.path == "/":
            target = f"{self.provider}/{REGION}/oidc/authorize?" + urllib.parse.urlencode(
                {
                    "client_id": self.client_id,
                    "redirect_uri": self.redirect_uri,
                    "response_type": "code",
                    "scope": "openid profile email",
                    "state": "keadaan-uji",
                    "nonce": "nonce-uji",
                    "code_challenge": s256(VERIFIER),
                    "code_challenge_method": "S256",
                }
            )
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        if parsed.path != "/callback" or query.get("state") != "keadaan-uji":
            self._page(400, "Permintaan tidak sah")
            return
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": query.get("code", ""),
                "redirect_uri": self.redirect_uri,
                "code_verifier": VERIFIER,
                "client_id": self.client_id,
                "client_secret": SECRET,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.provider}/{REGION}/oidc/token", data=form, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            tokens = json.load(response)
        type(self).access_token = tokens["access_token"]
        payload = tokens["id_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        self._page(200, f"Halo, {claims['name']}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def relying_party(browser_database_url: str, live_server: str) -> Iterator[str]:
    """A tiny relying party on loopback, registered as a client of the demo region."""
    server = HTTPServer(("127.0.0.1", 0), _RelyingParty)
    base = f"http://127.0.0.1:{server.server_port}"
    client_id = f"rp-peramban-{server.server_port}"
    engine = create_engine(sqlalchemy_url(browser_database_url))
    try:
        with Session(engine) as session, session.begin():
            region = get_region_by_slug(session, REGION)
            assert region is not None
            app = next(
                a
                for a in inventory.list_all_apps(session, region)
                if identity.client_of_app(session, region, a.id) is None
            )
            identity.register_client(
                session,
                region,
                app_id=app.id,
                registration=identity.ClientRegistration(
                    client_id=client_id,
                    name="Aplikasi Uji Peramban",
                    is_public=False,
                    redirect_uris=[f"{base}/callback"],
                    allowed_scopes=["openid", "profile", "email"],
                ),
                actor=None,
                secret=SECRET,
            )
    finally:
        engine.dispose()
    _RelyingParty.provider = live_server
    _RelyingParty.client_id = client_id
    _RelyingParty.redirect_uri = f"{base}/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_the_citizen_allows_an_app_then_disconnects_it(
    phone: Page, relying_party: str, screenshots: Path
) -> None:
    phone.goto(relying_party + "/")
    expect(phone).to_have_url(re.compile(rf"/{REGION}/masuk\?next="))
    phone.get_by_label("E-mail").fill("warga@example.org")
    phone.get_by_label("Kata sandi").fill("warga-demo")
    phone.get_by_role("button", name="Masuk").click()
    heading = phone.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Aplikasi Uji Peramban")
    expect(phone.get_by_text("Alamat e-mail Anda")).to_be_visible()
    expect(phone.get_by_text("Nama lengkap dan bahasa pilihan Anda")).to_be_visible()
    expect(phone.get_by_role("button", name="Izinkan")).to_be_visible()
    expect(phone.get_by_role("button", name="Tolak")).to_be_visible()
    assert serious_violations(phone) == []
    phone.screenshot(path=screenshots / "46-oidc-consent.png", full_page=True)
    phone.get_by_role("button", name="Izinkan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Halo, Siti Rahayu")
    assert phone.url.startswith(relying_party + "/callback?")
    token = _RelyingParty.access_token
    assert _userinfo_status(token) == 200

    # "Aplikasi terhubung": what the app may receive, and the button that ends it.
    phone.goto(f"{_RelyingParty.provider}/{REGION}/akun/aplikasi")
    card = phone.locator("article, li, section").filter(has_text="Aplikasi Uji Peramban").first
    expect(card).to_contain_text("Alamat e-mail Anda")
    assert serious_violations(phone) == []
    phone.screenshot(path=screenshots / "48-aplikasi-terhubung.png", full_page=True)
    phone.get_by_role("button", name="Putuskan Aplikasi Uji Peramban").click()
    expect(phone.get_by_role("status")).to_contain_text("Aplikasi sudah diputus")
    expect(phone.get_by_role("button", name="Putuskan Aplikasi Uji Peramban")).to_have_count(0)
    # The app's token ended with the consent, and its next sign-in asks again.
    assert _userinfo_status(token) == 401
    phone.goto(relying_party + "/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Aplikasi Uji Peramban")
    expect(phone.get_by_role("button", name="Izinkan")).to_be_visible()


def _userinfo_status(access_token: str) -> int:
    request = urllib.request.Request(
        f"{_RelyingParty.provider}/{REGION}/oidc/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)
