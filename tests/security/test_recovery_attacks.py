"""Attacks on password reset and e-mail change: learning which addresses have an account,
guessing or replaying links, using a link in another region or twice at once, poisoning the
link with a forged Host header, oversized input.

The reset request answers the same page for an account, an unknown address and a
registration still waiting for activation; the link goes only to an account's own address,
built from the configured public URL; its token is found by digest, within the region, under
a row lock, and is spent by its first use.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts import recovery
from simpul.accounts.models import AccountLink, AccountLinkPurpose, User
from simpul.core.errors import NotFound
from simpul.core.models import Region, utcnow
from simpul.core.security import new_token, token_digest, verify_password
from tests.factories import csrf_from, make_region, make_user
from tests.notify.conftest import MailServer, running_mail_server
from tests.security.test_account_enumeration import anonymised, deliver, text_of

OWNER = "pemilik.akun@example.org"
PENDING = "belum.aktif@example.org"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, OWNER, "sandi-pemilik-1")
    pending = make_user(session, region, PENDING, "sandi-pending-1", nik="3273011505900002")
    pending.activated_at = None
    session.flush()
    return region


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


def ask(client: TestClient, email: str, **headers: str) -> tuple[int, str]:
    client.cookies.clear()
    page = client.get("/kota-uji/lupa-sandi")
    answer = client.post(
        "/kota-uji/lupa-sandi",
        data={"csrf_token": csrf_from(page.text), "email": email},
        headers=headers,
    )
    return answer.status_code, anonymised(answer.text, email)


def the_link(session: Session, mail: MailServer) -> str:
    body = text_of(deliver(session, mail)[-1])
    match = re.search(r"(https?://\S+/lupa-sandi/atur\?t=\S+)", body)
    assert match, body
    return match.group(1)


def test_known_unknown_and_pending_addresses_get_the_same_answer(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    answers = {ask(client, email) for email in (OWNER, "tak.dikenal@example.org", PENDING)}
    assert len(answers) == 1
    ((status, _body),) = answers
    assert status == 200
    assert [m["To"] for m in deliver(session, mail)] == [OWNER]


def test_requests_are_limited_per_address_and_per_source(
    client: TestClient, session: Session, region: Region
) -> None:
    statuses = [ask(client, "tak.dikenal@example.org")[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    others = [ask(client, f"orang{i}@example.org")[0] for i in range(20)]
    assert others[-1] == 429  # the source's ceiling (20 an hour) holds for any address


def test_guessed_tokens_open_nothing(client: TestClient, session: Session, region: Region) -> None:
    for token in (new_token(), "", "A" * 43, "../../akun", "%00"):
        page = client.get("/kota-uji/lupa-sandi/atur", params={"t": token})
        assert page.status_code == 404 and "Minta tautan baru" in page.text
    form = client.get("/kota-uji/masuk")
    refused = client.post(
        "/kota-uji/lupa-sandi/atur",
        data={
            "csrf_token": csrf_from(form.text),
            "token": new_token(),
            "new_password": "sandi-penyerang-1",
            "new_password_confirm": "sandi-penyerang-1",
        },
    )
    assert refused.status_code == 404


def test_a_link_works_only_in_its_own_region_and_only_once(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    other = make_region(session, "kota-lain", "Kota Lain", agency_slug="dinas-lain")
    make_user(session, other, OWNER, "sandi-kembar-1", nik="3273012505950003")
    ask(client, OWNER)
    link = the_link(session, mail)
    token = link.split("t=", 1)[1]
    assert client.get(f"/kota-lain/lupa-sandi/atur?t={token}").status_code == 404
    page = client.get(f"/kota-uji/lupa-sandi/atur?t={token}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_from(page.text),
        "token": token,
        "new_password": "sandi-baru-789",
        "new_password_confirm": "sandi-baru-789",
    }
    assert client.post("/kota-lain/lupa-sandi/atur", data=data).status_code == 404
    first = client.post("/kota-uji/lupa-sandi/atur", data=data, follow_redirects=False)
    assert first.status_code == 303
    replay = client.post("/kota-uji/lupa-sandi/atur", data=data, follow_redirects=False)
    assert replay.status_code == 404


def test_a_forged_host_header_does_not_reach_the_link(
    client: TestClient, session: Session, region: Region, mail: MailServer
) -> None:
    ask(client, OWNER, host="penyerang.example", **{"x-forwarded-host": "penyerang.example"})
    link = the_link(session, mail)
    assert link.startswith("https://layanan.example.go.id/kota-uji/")
    assert "penyerang" not in text_of(mail.messages[-1])


def test_oversized_input_is_refused_calmly(
    client: TestClient, session: Session, region: Region
) -> None:
    status, body = ask(client, "a" * 200_000 + "@example.org")
    assert status == 422 and "Alamat e-mail tidak valid" in body
    page = client.get("/kota-uji/lupa-sandi/atur", params={"t": "x" * 6000})
    assert page.status_code == 404


def test_parallel_use_of_one_link_has_one_winner(
    committed_sessions: sessionmaker[Session],
) -> None:
    """Two transactions use one link at once: the row lock makes the second wait, then find
    it spent."""
    slug = f"rc-{uuid.uuid4().hex[:10]}"
    with committed_sessions() as session, session.begin():
        region = make_region(session, slug, f"Kota {slug}", agency_slug=f"dinas-{slug}")
        user = make_user(session, region, "paralel@example.org", "sandi-paralel-1")
        link_id = uuid.uuid4()
        token = recovery.link_token(link_id, region.id)
        session.add(
            AccountLink(
                id=link_id,
                region_id=region.id,
                user_id=user.id,
                purpose=AccountLinkPurpose.PASSWORD_RESET,
                token_hash=token_digest(token),
                expires_at=utcnow().replace(year=utcnow().year + 1),
            )
        )
    results: list[str] = []
    start = threading.Barrier(2)

    def use(password: str) -> None:
        with committed_sessions() as session:
            try:
                with session.begin():
                    region_row = session.get(Region, region.id)
                    assert region_row is not None
                    start.wait(timeout=10)
                    recovery.reset_password(
                        session, region_row, token, new=password, confirm=password
                    )
                results.append("won:" + password)
            except NotFound:
                results.append("refused")

    threads = [threading.Thread(target=use, args=(p,)) for p in ("sandi-satu-111", "sandi-dua-222")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2 and "refused" in results
    winner = next(r for r in results if r.startswith("won:")).removeprefix("won:")
    with committed_sessions() as session:
        stored = session.scalars(select(User).where(User.id == user.id)).one()
        assert verify_password(stored.password_hash, winner)


def test_the_token_reaches_no_log_line(
    client: TestClient,
    session: Session,
    region: Region,
    mail: MailServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ask(client, OWNER)
    token = the_link(session, mail).split("t=", 1)[1]
    page = client.get(f"/kota-uji/lupa-sandi/atur?t={token}")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    client.post(
        "/kota-uji/lupa-sandi/atur",
        data={
            "csrf_token": csrf_from(page.text),
            "token": token,
            "new_password": "pendek",
            "new_password_confirm": "pendek",
        },
    )
    # The test's own SMTP server (aiosmtpd's "mail.log") and HTTP client log what they carry:
    # that they do shows the capture sees every logger at every level.
    tools = ("mail.log", "httpx")
    assert any(token in r.getMessage() for r in caplog.records if r.name.startswith(tools))
    leaks = [
        (r.name, r.getMessage()[:200])
        for r in caplog.records
        if not r.name.startswith(tools) and token in r.getMessage()
    ]
    assert leaks == []
