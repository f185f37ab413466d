"""Personal API tokens: made on the profile page or CLI, shown once, stored hashed, revocable."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.accounts.models import AccountKind, ApiToken
from simpul.core.models import Region
from tests.factories import make_region, make_user, post_form


@pytest.fixture
def region(session: Session) -> Region:
    region = make_region(session, "kota-uji", "Kota Uji")
    make_user(session, region, "warga@example.org", "sandi-warga-1", AccountKind.CITIZEN)
    session.flush()
    return region


def test_token_made_on_the_profile_page_works_until_revoked(
    client: TestClient, session: Session, region: Region
) -> None:
    post_form(
        client, "/kota-uji/masuk", {"email": "warga@example.org", "password": "sandi-warga-1"}
    )
    created = post_form(
        client, "/kota-uji/akun/token", {"name": "skrip laporan"}, page="/kota-uji/akun"
    )
    assert created.status_code == 201
    match = re.search(r'<code class="token" id="new-token">(spl_[^<]+)</code>', created.text)
    assert match, "the new token is shown once"
    raw = match.group(1)
    stored = session.scalars(select(ApiToken)).one()
    assert stored.token_hash != raw.encode() and raw not in stored.prefix + "x"
    assert raw not in client.get("/kota-uji/akun").text  # not shown again

    client.cookies.clear()
    me = client.get("/api/kota-uji/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    assert me.json()["email"] == "warga@example.org"
    assert me.json()["nik_masked"] == "3273••••••••0001"

    revoked = client.delete(
        f"/api/kota-uji/me/tokens/{stored.id}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert revoked.status_code == 204
    after = client.get("/api/kota-uji/me", headers={"Authorization": f"Bearer {raw}"})
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


def test_api_without_token_is_refused(client: TestClient, region: Region) -> None:
    response = client.get("/api/kota-uji/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    garbage = client.get("/api/kota-uji/me", headers={"Authorization": "Bearer spl_palsu"})
    assert garbage.status_code == 401


def test_cli_prints_a_token_for_a_user(
    monkeypatch: pytest.MonkeyPatch,
    client: TestClient,
    session_factory: sessionmaker[Session],
    session: Session,
    region: Region,
) -> None:
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    make_region(session, "kab-lain", "Kabupaten Lain", agency_slug="dinas-lain")
    # With several regions, the e-mail alone finds the one account it belongs to.
    result = CliRunner().invoke(cli.app, ["user", "token", "warga@example.org"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert raw.startswith("spl_")
    me = client.get("/api/kota-uji/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status_code == 200
    missing = CliRunner().invoke(
        cli.app, ["user", "token", "siapa@example.org", "--region", "kota-uji"]
    )
    assert missing.exit_code == 1
