"""The download of everything needs the password again, and guessing it there is throttled
like a login: a stolen session cookie does not give the whole file, nor endless guesses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from simpul.core.settings import get_settings
from tests.factories import csrf_from
from tests.identity.rights_world import CITIZEN_PASSWORD, RightsWorld, build_rights_world
from tests.support.desk_world import log_in

SLUG = "kota-uji"


@pytest.fixture
def world(session: Session, client: TestClient, tmp_path: Path) -> RightsWorld:
    built = build_rights_world(session, tmp_path)
    client.app.state.storage = built.storage  # type: ignore[attr-defined]
    return built


def test_guessing_the_password_at_the_download_is_throttled_like_a_login(
    session: Session, client: TestClient, world: RightsWorld
) -> None:
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    token = csrf_from(client.get(f"/{SLUG}/akun/data-saya").text)
    limit = get_settings().login_max_failures
    for n in range(limit):
        guess = client.post(
            f"/{SLUG}/akun/data-saya/unduh", data={"password": f"tebakan-{n}", "csrf_token": token}
        )
        assert guess.status_code == 400
        assert not guess.content.startswith(b"PK")
    # Now even the right password waits: the counts forbid another try.
    blocked = client.post(
        f"/{SLUG}/akun/data-saya/unduh", data={"password": CITIZEN_PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert not blocked.content.startswith(b"PK")
    exported = session.execute(
        text("SELECT count(*) FROM audit_event WHERE action = 'account.data_export'")
    ).scalar_one()
    assert exported == 0


def test_the_download_needs_the_csrf_token_and_a_post(
    client: TestClient, world: RightsWorld
) -> None:
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    forged = client.post(f"/{SLUG}/akun/data-saya/unduh", data={"password": CITIZEN_PASSWORD})
    assert forged.status_code == 403
    assert client.get(f"/{SLUG}/akun/data-saya/unduh").status_code == 405


def test_an_overlong_password_is_refused_before_any_check(
    client: TestClient, world: RightsWorld
) -> None:
    log_in(client, SLUG, "warga@example.org", CITIZEN_PASSWORD)
    token = csrf_from(client.get(f"/{SLUG}/akun/data-saya").text)
    response = client.post(
        f"/{SLUG}/akun/data-saya/unduh", data={"password": "x" * 5000, "csrf_token": token}
    )
    assert response.status_code in (400, 422)
    assert not response.content.startswith(b"PK")
