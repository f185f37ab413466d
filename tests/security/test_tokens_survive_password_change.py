"""Attack: keep using a stolen API token after the owner changed their password.

A citizen who fears their account was used changes the password. Before the fix that ended
the other browser logins but not the personal API tokens, so whoever had copied a token kept
full API access. Now the change revokes every token except those the owner ticks to keep on
the same form; other browser logins end, the current one stays.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, ApiToken
from simpul.core.models import AuditEvent, Region
from tests.factories import csrf_from, make_region, make_user, post_form

EMAIL = "warga@example.org"
PASSWORD = "sandi-warga-lama"
NEW_PASSWORD = "sandi-warga-baru-1"


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, EMAIL, PASSWORD, AccountKind.CITIZEN)
    session.flush()
    return region


def log_in(client: TestClient) -> None:
    answer = post_form(client, "/kota-uji/masuk", {"email": EMAIL, "password": PASSWORD})
    assert answer.status_code == 303


def make_token(client: TestClient, name: str) -> str:
    created = post_form(client, "/kota-uji/akun/token", {"name": name}, page="/kota-uji/akun")
    match = re.search(r'id="new-token">(spl_[^<]+)<', created.text)
    assert match
    return match.group(1)


def works(client: TestClient, raw: str) -> bool:
    answer = client.get("/api/kota-uji/me", headers={"Authorization": f"Bearer {raw}"})
    return answer.status_code == 200


def change_password(client: TestClient, **extra: str | list[str]) -> str:
    page = client.get("/kota-uji/akun").text
    answer = client.post(
        "/kota-uji/akun/kata-sandi",
        data={
            "csrf_token": csrf_from(page),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
            **extra,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_password_change_ends_the_api_tokens(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client)
    stolen = make_token(client, "skrip laporan")
    assert works(client, stolen)
    page = change_password(client)
    assert not works(client, stolen)
    assert "Token API yang tidak Anda pilih untuk dipertahankan sudah dicabut" in page
    token = session.scalars(select(ApiToken)).one()
    assert token.revoked_at is not None
    actions = session.scalars(select(AuditEvent.action)).all()
    assert "api_token.revoke" in actions


def test_the_owner_chooses_on_the_form_which_tokens_to_keep(
    client: TestClient, session: Session, region: Region
) -> None:
    log_in(client)
    kept = make_token(client, "server kantor")
    dropped = make_token(client, "laptop lama")
    page = client.get("/kota-uji/akun").text
    # The form lists the active tokens, none ticked: keeping one is a deliberate choice.
    boxes = re.findall(r'<input type="checkbox" name="keep_token" value="([^"]+)"[^>]*>', page)
    assert len(boxes) == 2 and "checked" not in page.split('name="keep_token"', 1)[1][:80]
    keep_id = str(
        session.scalars(select(ApiToken.id).where(ApiToken.name == "server kantor")).one()
    )
    change_password(client, keep_token=[keep_id])
    assert works(client, kept)
    assert not works(client, dropped)


def test_a_token_of_someone_else_cannot_be_kept_by_naming_it(
    client: TestClient, session: Session, region: Region
) -> None:
    other = TestClient(client.app)
    make_user(session, region, "lain@example.org", "sandi-lain-123", nik="3273012505950003")
    post_form(other, "/kota-uji/masuk", {"email": "lain@example.org", "password": "sandi-lain-123"})
    theirs = make_token(other, "milik orang lain")
    log_in(client)
    mine = make_token(client, "milik saya")
    their_id = str(
        session.scalars(select(ApiToken.id).where(ApiToken.name == "milik orang lain")).one()
    )
    change_password(client, keep_token=[their_id, "bukan-uuid"])
    assert not works(client, mine)
    assert works(client, theirs)  # untouched: not the changer's to revoke or keep


def test_other_logins_end_and_this_one_stays(client: TestClient, region: Region) -> None:
    elsewhere = TestClient(client.app)
    log_in(elsewhere)
    log_in(client)
    change_password(client)
    assert client.get("/kota-uji/akun", follow_redirects=False).status_code == 200
    assert elsewhere.get("/kota-uji/akun", follow_redirects=False).status_code == 303
