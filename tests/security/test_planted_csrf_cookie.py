"""Attack: plant your own CSRF cookie in the victim's browser (from a sibling subdomain, e.g.
``jahat.kota-uji.go.id``, which may set cookies for the parent domain), then make the victim's
browser submit a form with the token that goes with that cookie.

Before the fix the token was bound only to the CSRF cookie, so any (cookie, token) pair the
attacker got by visiting the site passed: they could create an API token in the victim's
name, or log the victim into the attacker's account. Now a logged-in visitor's token is bound
to their session, which the attacker neither knows nor can plant usefully; before login, a
form posted from another origin (the browser says so in ``Origin`` / ``Sec-Fetch-Site``) is
refused whatever the cookie, and in production the cookie is ``__Host-`` prefixed, which
browsers refuse to take from a sibling domain.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import AccountKind, ApiToken
from simpul.core.models import Region
from simpul.core.settings import Settings
from simpul.web.app import create_app
from simpul.web.middleware import CSRF_COOKIE
from tests.factories import csrf_from, make_region, make_user, post_form

VICTIM = {"email": "korban@example.org", "password": "sandi-korban-1"}
ATTACKER = {"email": "penyerang@example.org", "password": "sandi-penyerang-1"}
#: What a browser sends with a form posted from the attacker's page on a sibling subdomain.
FROM_SIBLING = {"Origin": "http://jahat.testserver", "Sec-Fetch-Site": "same-site"}
#: ... and what an older browser sends (no Fetch Metadata).
FROM_SIBLING_OLD_BROWSER = {"Origin": "http://jahat.testserver"}
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, VICTIM["email"], VICTIM["password"], AccountKind.CITIZEN)
    make_user(
        session,
        region,
        ATTACKER["email"],
        ATTACKER["password"],
        AccountKind.CITIZEN,
        nik="3273012505950003",
    )
    session.flush()
    return region


def attackers_pair(client: TestClient) -> tuple[str, str]:
    """A valid (cookie, token) pair, as the attacker gets by visiting the site."""
    attacker = TestClient(client.app)
    token = csrf_from(attacker.get("/kota-uji/masuk").text)
    cookie = attacker.cookies.get(CSRF_COOKIE)
    assert cookie
    return cookie, token


def plant(victim: TestClient, cookie: str) -> None:
    victim.cookies.delete(CSRF_COOKIE)
    victim.cookies.set(CSRF_COOKIE, cookie)


def tokens(session: Session) -> int:
    return session.scalar(select(func.count(ApiToken.id))) or 0


@pytest.mark.parametrize("headers", [{}, FROM_SIBLING_OLD_BROWSER, FROM_SIBLING])
def test_a_planted_pair_does_not_pass_for_a_logged_in_victim(
    client: TestClient, session: Session, region: Region, headers: dict[str, str]
) -> None:
    cookie, token = attackers_pair(client)
    victim = client
    assert post_form(victim, "/kota-uji/masuk", VICTIM).status_code == 303
    plant(victim, cookie)
    forged = victim.post(
        "/kota-uji/akun/token",
        data={"name": "pintu belakang", "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "Muat ulang halaman" in forged.text
    assert tokens(session) == 0


def test_a_planted_pair_in_the_htmx_header_does_not_pass(
    client: TestClient, session: Session, region: Region
) -> None:
    cookie, token = attackers_pair(client)
    assert post_form(client, "/kota-uji/masuk", VICTIM).status_code == 303
    plant(client, cookie)
    forged = client.post(
        "/kota-uji/akun/token",
        data={"name": "pintu belakang"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert tokens(session) == 0


@pytest.mark.parametrize("headers", [FROM_SIBLING, FROM_SIBLING_OLD_BROWSER])
def test_a_planted_pair_cannot_log_the_victim_into_the_attackers_account(
    client: TestClient, region: Region, headers: dict[str, str]
) -> None:
    cookie, token = attackers_pair(client)
    victim = client
    victim.get("/kota-uji")
    plant(victim, cookie)
    forged = victim.post(
        "/kota-uji/masuk",
        data={**ATTACKER, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_forms_from_the_site_itself_still_pass(
    client: TestClient, session: Session, region: Region
) -> None:
    """A browser's own form (same origin), a client without Fetch Metadata, and htmx."""
    page = client.get("/kota-uji/masuk").text
    login = client.post(
        "/kota-uji/masuk",
        data={**VICTIM, "csrf_token": csrf_from(page)},
        headers=SAME_ORIGIN,
        follow_redirects=False,
    )
    assert login.status_code == 303
    account = client.get("/kota-uji/akun").text
    by_form = client.post(
        "/kota-uji/akun/token",
        data={"name": "formulir", "csrf_token": csrf_from(account)},
        headers=SAME_ORIGIN,
    )
    assert by_form.status_code == 201
    by_htmx = client.post(
        "/kota-uji/akun/token",
        data={"name": "htmx"},
        headers={"X-CSRF-Token": csrf_from(account), "HX-Request": "true", **SAME_ORIGIN},
    )
    assert by_htmx.status_code == 201
    assert tokens(session) == 2


def test_the_token_changes_with_the_session(client: TestClient, region: Region) -> None:
    """A token from before login (or from an ended session) no longer passes."""
    before = csrf_from(client.get("/kota-uji/masuk").text)
    assert post_form(client, "/kota-uji/masuk", VICTIM).status_code == 303
    after = csrf_from(client.get("/kota-uji/akun").text)
    assert after != before
    stale = client.post(
        "/kota-uji/akun/token", data={"name": "x", "csrf_token": before}, follow_redirects=False
    )
    assert stale.status_code == 403


@pytest.fixture
def production_client(
    engine: Engine, session_factory: sessionmaker[Session], settings: Settings
) -> Iterator[TestClient]:
    """The app as deployed (not debug: secure cookies), over https."""
    app = create_app(settings.model_copy(update={"debug": False}), engine)
    app.state.session_factory = session_factory
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


def test_in_production_the_cookie_cannot_come_from_a_sibling_domain(
    production_client: TestClient, region: Region
) -> None:
    """Outside debug the CSRF cookie is ``__Host-`` prefixed (browsers refuse such a cookie
    from a sibling domain), and the name a sibling can set is not read at all, even for a form
    sent without ``Origin``/``Sec-Fetch-Site``."""
    attacker = TestClient(production_client.app, base_url="https://testserver")
    page = attacker.get("/kota-uji/masuk")
    set_cookie = page.headers["set-cookie"]
    assert set_cookie.startswith("__Host-simpul_csrf=")
    assert "Path=/;" in set_cookie and "Secure" in set_cookie and "Domain" not in set_cookie
    cookie, token = attacker.cookies["__Host-simpul_csrf"], csrf_from(page.text)
    victim = production_client
    victim.cookies.set(CSRF_COOKIE, cookie)  # what a sibling subdomain can plant
    forged = victim.post(
        "/kota-uji/masuk", data={**ATTACKER, "csrf_token": token}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert SESSION_COOKIE not in forged.headers.get("set-cookie", "")
    # The site's own form still works.
    assert post_form(victim, "/kota-uji/masuk", VICTIM).status_code == 303
