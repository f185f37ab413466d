"""Attack: find out, anonymously and in bulk, which NIKs and e-mail addresses have an account,
by registering with them and reading the answer.

Before the fix the registration page and ``POST /api/{region}/accounts`` said "NIK ini sudah
terdaftar" / "E-mail ini sudah dipakai akun lain" (and opened an account, logged in, when
neither was taken), so each try told the caller whether the NIK or address was known; nothing
limited how many tries one address could make, and the NIK's owner never heard of them.

Now a registration whose fields are well-formed always gets the same answer ("check your
e-mail"); only a person who can read the mailbox they gave gets the activation link. The NIK's
(or address's) owner is told by e-mail, with the NIK masked. Tries are limited per source
address and per NIK.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.auth import SESSION_COOKIE
from simpul.accounts.models import AccountKind, User
from simpul.core.models import Region, utcnow
from simpul.notify.channels import EmailChannel
from simpul.notify.models import Delivery
from simpul.notify.worker import claim
from tests.factories import csrf_from, make_region, make_user, post_form
from tests.notify.conftest import MailServer, make_config, running_mail_server

OWNER_NIK = "3273015708900001"
OWNER_EMAIL = "pemilik@example.org"
FREE_NIK = "3273012505950003"


def form(nik: str, email: str, **changes: str) -> dict[str, str]:
    return {
        "nik": nik,
        "full_name": "Orang Asing",
        "email": email,
        "phone": "081298765432",
        "password": "sandi-orang-asing-1",
        "password_confirm": "sandi-orang-asing-1",
        "consent": "ya",
        **changes,
    }


def api_body(nik: str, email: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {**form(nik, email), "consent": True}
    body.update(changes)
    return body


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, OWNER_EMAIL, "sandi-pemilik-1", AccountKind.CITIZEN, nik=OWNER_NIK)
    session.flush()
    return region


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


def deliver(session: Session, server: MailServer) -> list[EmailMessage]:
    """What the worker would send now, sent through the real e-mail channel to ``server``."""
    config = make_config(smtp_port=server.port)
    jobs, _settled = claim(session, config, utcnow())
    channel = EmailChannel(config.smtp)
    for job in jobs:
        channel.send(job)
    return list(server.messages)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def anonymised(html: str, *values: str) -> str:
    """The page without what legitimately differs between two visitors' answers."""
    html = re.sub(r'name="csrf_token" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRF-Token": "[^"]+"', "", html)
    for value in values:
        html = html.replace(value, "…")
    return html


def test_the_page_answers_the_same_whether_or_not_the_nik_is_taken(
    client: TestClient, session: Session, region: Region
) -> None:
    taken = post_form(client, "/kota-uji/daftar", form(OWNER_NIK, "asing.satu@example.org"))
    client.cookies.clear()
    free = post_form(client, "/kota-uji/daftar", form(FREE_NIK, "asing.dua@example.org"))
    assert taken.status_code == free.status_code == 200
    for response in (taken, free):
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert "Periksa e-mail Anda" in response.text
        assert (
            "sudah terdaftar" not in response.text.split("<main", 1)[1].split("Tidak menerima")[0]
        )
    assert anonymised(taken.text, "asing.satu@example.org") == anonymised(
        free.text, "asing.dua@example.org"
    )


def test_the_page_answers_the_same_whether_or_not_the_email_is_taken(
    client: TestClient, region: Region
) -> None:
    taken = post_form(client, "/kota-uji/daftar", form(FREE_NIK, OWNER_EMAIL))
    client.cookies.clear()
    free = post_form(client, "/kota-uji/daftar", form(FREE_NIK, "asing.dua@example.org"))
    assert taken.status_code == free.status_code == 200
    assert anonymised(taken.text, OWNER_EMAIL) == anonymised(free.text, "asing.dua@example.org")


def test_field_errors_never_mention_a_taken_nik_or_email(
    client: TestClient, region: Region
) -> None:
    """A form with another mistake is answered about that mistake only."""
    response = post_form(client, "/kota-uji/daftar", form(OWNER_NIK, OWNER_EMAIL, phone="123"))
    assert response.status_code == 422
    assert "Nomor HP harus diawali 08" in response.text
    assert 'id="e-nik"' not in response.text and 'id="e-email"' not in response.text
    assert "sudah terdaftar" not in response.text and "sudah dipakai" not in response.text


@pytest.mark.parametrize(
    ("taken", "free"),
    [
        ((OWNER_NIK, "asing.satu@example.org"), (FREE_NIK, "asing.dua@example.org")),
        ((FREE_NIK, OWNER_EMAIL), ("3273012505950011", "asing.dua@example.org")),
    ],
    ids=["nik", "email"],
)
def test_the_api_answers_the_same_whether_or_not_the_nik_or_email_is_taken(
    client: TestClient, region: Region, taken: tuple[str, str], free: tuple[str, str]
) -> None:
    first = client.post("/api/kota-uji/accounts", json=api_body(*taken))
    second = client.post("/api/kota-uji/accounts", json=api_body(*free))
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert "conflict" not in first.text and "sudah" not in first.text


def test_the_api_names_malformed_fields_only(client: TestClient, region: Region) -> None:
    response = client.post(
        "/api/kota-uji/accounts", json=api_body(OWNER_NIK, OWNER_EMAIL, password="pendek")
    )
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"password"}


def test_the_nik_owner_is_told_by_email_without_the_full_nik(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    post_form(client, "/kota-uji/daftar", form(OWNER_NIK, "asing.satu@example.org"))
    messages = deliver(session, mail)
    assert [m["To"] for m in messages] == [OWNER_EMAIL]  # nothing to the stranger's address
    body = text_of(messages[0])
    assert "3273••••••••0001" in body
    assert OWNER_NIK not in body and OWNER_NIK not in str(messages[0])
    assert "asing.satu@example.org" not in str(messages[0])
    assert "mendaftar" in body
    # Nothing was created for the stranger.
    assert session.scalar(select(func.count(User.id)).where(User.region_id == region.id)) == 1


def test_the_owner_of_a_taken_email_is_told_and_nothing_is_created(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    client.post("/api/kota-uji/accounts", json=api_body(FREE_NIK, OWNER_EMAIL))
    messages = deliver(session, mail)
    assert [m["To"] for m in messages] == [OWNER_EMAIL]
    assert "sudah punya akun" in text_of(messages[0])
    assert FREE_NIK not in str(messages[0])
    assert session.scalar(select(func.count(User.id)).where(User.region_id == region.id)) == 1


def test_only_the_mailbox_owner_can_open_the_new_account(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    """A free NIK and address: the account opens only from the link sent to the address."""
    email = "warga.baru@example.org"
    post_form(client, "/kota-uji/daftar", form(FREE_NIK, email))
    # Until the link is used, the account cannot log in, and says so as a wrong password does.
    refused = post_form(
        client, "/kota-uji/masuk", {"email": email, "password": "sandi-orang-asing-1"}
    )
    assert refused.status_code == 401 and "E-mail atau kata sandi salah." in refused.text
    messages = deliver(session, mail)
    assert [m["To"] for m in messages] == [email]
    link = re.search(r"https?://\S+/kota-uji/daftar/aktifkan/\S+", text_of(messages[0]))
    assert link, text_of(messages[0])
    path = "/" + link.group(0).split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200 and "Aktifkan akun" in page.text
    opened = client.post(path, data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/kota-uji/akun?pesan=baru"
    assert "3273••••••••0003" in client.get("/kota-uji/akun?pesan=baru").text
    # The link works once.
    client.cookies.clear()
    again = client.get(path)
    assert "Aktifkan akun" not in again.text
    # A forged link opens nothing.
    forged = client.get(path[:-4] + "AAAA")
    assert forged.status_code == 404
    client.cookies.clear()
    assert (
        post_form(
            client, "/kota-uji/masuk", {"email": email, "password": "sandi-orang-asing-1"}
        ).status_code
        == 303
    )


def test_registrations_are_limited_per_nik(
    client: TestClient, session: Session, region: Region
) -> None:
    """Five tries for one NIK an hour, from any addresses; the sixth waits, taken or not."""
    for nik in (OWNER_NIK, FREE_NIK):
        for n in range(5):
            visitor = TestClient(client.app, client=(f"198.51.100.{n + 1}", 40000))
            answer = post_form(visitor, "/kota-uji/daftar", form(nik, f"coba{n}@example.org"))
            assert answer.status_code == 200
        visitor = TestClient(client.app, client=("198.51.100.77", 40000))
        blocked = post_form(visitor, "/kota-uji/daftar", form(nik, "coba9@example.org"))
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
    # The owner heard of five tries, not more.
    owner_notices = session.scalar(
        select(func.count(Delivery.id)).where(Delivery.recipient == OWNER_EMAIL)
    )
    assert owner_notices == 5


def test_registrations_are_limited_per_source_address(client: TestClient, region: Region) -> None:
    """An address that tries thirty NIKs in an hour waits before the thirty-first."""
    visitor = TestClient(client.app, client=("198.51.100.9", 40000))
    niks = [f"32730125059500{n:02d}" for n in range(1, 32)]
    for nik in niks[:30]:
        answer = visitor.post("/api/kota-uji/accounts", json=api_body(nik, f"{nik}@example.org"))
        assert answer.status_code == 202, answer.text
    blocked = visitor.post("/api/kota-uji/accounts", json=api_body(niks[30], "x@example.org"))
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "too_many_requests"
    other = TestClient(client.app, client=("198.51.100.10", 40000))
    assert (
        other.post("/api/kota-uji/accounts", json=api_body(niks[30], "x@example.org")).status_code
        == 202
    )
