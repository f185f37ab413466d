"""Password reset by e-mail: the link goes out through the outbox to a real SMTP server, works
once, expires, and ends every login and token of the account."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import recovery
from simpul.accounts.models import AccountLink, ApiToken, User, UserSession
from simpul.accounts.service import create_api_token, start_session
from simpul.core.models import Region, utcnow
from simpul.identity.models import OidcToken
from tests.factories import csrf_from, make_region, make_user, post_form
from tests.identity.conftest import IdentityWorld, identity_world  # noqa: F401 - a fixture
from tests.notify.conftest import MailServer, running_mail_server
from tests.security.test_account_enumeration import deliver, text_of

EMAIL = "warga.lupa@example.org"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, EMAIL, "sandi-lama-123")
    session.flush()
    return region


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


def reset_link(session: Session, mail: MailServer) -> str:
    messages = deliver(session, mail)
    body = text_of(messages[-1])
    match = re.search(r"https://layanan\.example\.go\.id(/kota-uji/lupa-sandi/atur\?t=\S+)", body)
    assert match, body
    return match.group(1)


def set_password(client: TestClient, path: str, password: str = "sandi-baru-456") -> object:
    page = client.get(path)
    token = path.split("t=", 1)[1]
    return client.post(
        "/kota-uji/lupa-sandi/atur",
        data={
            "csrf_token": csrf_from(page.text),
            "token": token,
            "new_password": password,
            "new_password_confirm": password,
        },
        follow_redirects=False,
    )


def test_the_login_page_links_to_the_reset(client: TestClient, region: Region) -> None:
    assert 'href="/kota-uji/lupa-sandi"' in client.get("/kota-uji/masuk").text


def test_reset_link_works_once_and_ends_sessions_and_tokens(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    user = session.scalars(select(User).where(User.email == EMAIL)).one()
    start_session(session, user)
    create_api_token(session, user, "skrip")
    answer = post_form(client, "/kota-uji/lupa-sandi", {"email": EMAIL})
    assert answer.status_code == 200 and "Periksa e-mail Anda" in answer.text
    path = reset_link(session, mail)
    assert mail.envelopes[-1] == [EMAIL]
    stored = session.scalars(select(AccountLink)).one()
    assert path.split("t=")[1].encode() not in stored.token_hash
    page = client.get(path)
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    done = set_password(client, path)
    assert done.status_code == 303  # type: ignore[attr-defined]
    session.expire_all()
    assert session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all() == []
    assert all(t.revoked_at for t in session.scalars(select(ApiToken)).all())
    login = post_form(client, "/kota-uji/masuk", {"email": EMAIL, "password": "sandi-baru-456"})
    assert login.status_code == 303
    again = client.get(path)
    assert again.status_code == 404 and "Minta tautan baru" in again.text
    told = deliver(session, mail)
    assert any("sudah diganti" in str(m["Subject"]) for m in told)


def test_the_link_expires(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    post_form(client, "/kota-uji/lupa-sandi", {"email": EMAIL})
    path = reset_link(session, mail)
    link = session.scalars(select(AccountLink)).one()
    link.expires_at = link.created_at - timedelta(seconds=1)
    session.flush()
    assert client.get(path).status_code == 404


def test_unknown_address_gets_the_same_page_and_no_mail(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    answer = post_form(client, "/kota-uji/lupa-sandi", {"email": "tidak.ada@example.org"})
    assert answer.status_code == 200 and "Periksa e-mail Anda" in answer.text
    assert deliver(session, mail) == []


def test_a_reset_ends_the_tokens_apps_hold(
    session: Session,
    identity_world: IdentityWorld,  # noqa: F811 - the fixture imported above, asked for by name
) -> None:
    """The apps signed in through Simpul lose their tokens (identity.revoke_all_tokens)."""
    world = identity_world
    now = utcnow()
    token = OidcToken(
        region_id=world.region.id,
        client_pk=world.portal.id,
        user_id=world.citizen.id,
        family_id=uuid.uuid4(),
        scope="openid",
        access_jti=uuid.uuid4().hex,
        access_expires_at=now + timedelta(hours=1),
        auth_time=now,
    )
    session.add(token)
    session.flush()
    recovery.request_password_reset(session, world.region, world.citizen.email, client=None)
    link = session.scalars(select(AccountLink)).one()
    recovery.reset_password(
        session,
        world.region,
        recovery.link_token(link.id, world.region.id),
        new="sandi-baru-456",
        confirm="sandi-baru-456",
    )
    session.refresh(token)
    assert token.revoked_at is not None and token.revoked_reason == "password_reset"
    assert world.citizen.email_verified_at is not None
