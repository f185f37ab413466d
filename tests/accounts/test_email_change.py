"""Changing the e-mail address: a link to the new address, the change only when it is opened,
the old address told."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts import recovery
from simpul.accounts.models import AccountLink, User
from simpul.core.models import Region
from tests.factories import csrf_from, make_region, make_user, post_form
from tests.notify.conftest import running_mail_server
from tests.security.test_account_enumeration import deliver, text_of

OLD = "lama@example.org"
NEW = "baru@example.org"
KONTAK = "/kota-uji/akun/kontak"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, OLD, "sandi-pemilik-1")
    make_user(session, region, "orang.lain@example.org", "sandi-lain-123", nik="3273011505900002")
    session.flush()
    return region


def login(client: TestClient) -> None:
    post_form(client, "/kota-uji/masuk", {"email": OLD, "password": "sandi-pemilik-1"})


def test_the_address_changes_only_when_the_link_is_opened(
    client: TestClient, session: Session, region: Region
) -> None:
    login(client)
    wrong = post_form(
        client, "/kota-uji/akun/kontak/email", {"new_email": NEW, "password": "x"}, page=KONTAK
    )
    assert wrong.status_code == 422 and "Kata sandi saat ini salah" in wrong.text
    sent = post_form(
        client,
        "/kota-uji/akun/kontak/email",
        {"new_email": NEW, "password": "sandi-pemilik-1"},
        page=KONTAK,
    )
    assert sent.status_code == 200 and NEW in sent.text
    user = session.scalars(select(User).where(User.email == OLD)).one()
    assert user.email == OLD
    with running_mail_server() as mail:
        messages = deliver(session, mail)
        recipients = sorted(r for env in mail.envelopes for r in env)
    assert recipients == [NEW, OLD]
    to_new = next(m for m in messages if m["To"] == NEW)
    match = re.search(
        r"https://layanan\.example\.go\.id(/kota-uji/akun/kontak/email\?t=\S+)", text_of(to_new)
    )
    assert match
    page = client.get(match.group(1))
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    session.refresh(user)
    assert user.email == OLD  # opening the page (a mail scanner) changes nothing
    done = client.post(
        "/kota-uji/akun/kontak/email/pastikan",
        data={"csrf_token": csrf_from(page.text), "token": match.group(1).split("t=")[1]},
    )
    assert done.status_code == 200
    session.refresh(user)
    assert user.email == NEW and user.email_verified_at is not None
    with running_mail_server() as mail:
        deliver(session, mail)
        assert mail.envelopes == [[OLD]]  # the old address is told it was changed


def test_an_address_of_another_account_is_answered_alike_and_its_owner_told(
    client: TestClient, session: Session, region: Region
) -> None:
    login(client)
    sent = post_form(
        client,
        "/kota-uji/akun/kontak/email",
        {"new_email": "orang.lain@example.org", "password": "sandi-pemilik-1"},
        page=KONTAK,
    )
    assert sent.status_code == 200 and "Kami mengirim tautan" in sent.text
    with running_mail_server() as mail:
        messages = deliver(session, mail)
    assert sorted(str(m["To"]) for m in messages) == [OLD, "orang.lain@example.org"]
    assert all("kontak/email?t=" not in text_of(m) for m in messages)


def test_a_registration_waiting_for_activation_gives_way_to_the_proved_owner(
    session: Session, region: Region
) -> None:
    owner = session.scalars(select(User).where(User.email == OLD)).one()
    waiting = make_user(session, region, NEW, "sandi-tunggu-1", nik="3273012505950003")
    waiting.activated_at = None
    session.flush()
    recovery.request_email_change(
        session, region, owner, password="sandi-pemilik-1", new_email=NEW, client=None
    )
    link = session.scalars(select(AccountLink)).one()
    recovery.confirm_email_change(session, region, recovery.link_token(link.id, region.id))
    assert owner.email == NEW
    assert session.get(User, waiting.id) is None
