"""Attacks on second factors: guessing codes, replaying one, reusing a recovery code (also
twice at once), forging or reusing the pending login, or taking it to another region, and
ending another user's session."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from simpul.accounts.models import User, UserSession
from simpul.core.errors import InvalidInput
from simpul.core.models import Region
from simpul.core.security import new_token
from simpul.identity import mfa
from simpul.identity.mfa_models import TotpFactor
from simpul.web.middleware import SESSION_COOKIE
from tests.factories import make_region, make_user, post_form
from tests.identity.mfa.conftest import (
    PASSWORD,
    MfaWorld,
    code,
    password_step,
    second_step,
    with_totp,
)
from tests.identity.mfa.conftest import mfa_world as mfa_world  # noqa: PLC0414 - the fixture
from tests.identity.mfa.conftest import settings as settings  # noqa: PLC0414 - the fixture

LOGIN_PAGE = "/kota-mfa/masuk"


def _wrong(right: str) -> str:
    return "000000" if right != "000000" else "111111"


def test_guessing_codes_is_throttled_even_for_the_right_code_after(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    password_step(client, "warga@example.org")
    statuses = [second_step(client, _wrong(code())).status_code for _n in range(5)]  # type: ignore[attr-defined]
    assert statuses == [401] * 5
    blocked = second_step(client, code())
    assert blocked.status_code == 429 and "Terlalu banyak kode yang salah" in blocked.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies
    # A fresh pending login (the password again) does not reset the count.
    password_step(client, "warga@example.org")
    assert second_step(client, code()).status_code == 429  # type: ignore[attr-defined]


def test_a_code_seen_over_a_shoulder_cannot_be_replayed(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    seen = code()
    password_step(client, "warga@example.org")
    assert second_step(client, seen).status_code == 303  # type: ignore[attr-defined]
    password_step(client, "warga@example.org")  # the attacker, who knows the password too
    replay = second_step(client, seen)
    assert replay.status_code == 401  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies


def test_a_forged_pending_login_cookie_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    client.cookies.clear()
    client.cookies.set(mfa.PENDING_COOKIE, new_token(), path="/kota-mfa")
    forged = second_step(client, code(), page=LOGIN_PAGE)
    assert forged.status_code == 404 and SESSION_COOKIE not in client.cookies  # type: ignore[attr-defined]
    back = client.get("/kota-mfa/masuk/verifikasi", follow_redirects=False)
    assert back.headers["location"] == "/kota-mfa/masuk?pesan=masuk-habis"
    assert "Waktu masuk sudah habis" in client.get(back.headers["location"]).text


def test_a_used_pending_login_cannot_log_in_again(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    password_step(client, "warga@example.org")
    pending = client.cookies.get(mfa.PENDING_COOKIE)
    assert pending
    assert second_step(client, code()).status_code == 303  # type: ignore[attr-defined]
    client.cookies.clear()
    client.cookies.set(mfa.PENDING_COOKIE, pending, path="/kota-mfa")
    again = second_step(client, code(steps=1), page=LOGIN_PAGE)
    assert again.status_code == 404 and SESSION_COOKIE not in client.cookies  # type: ignore[attr-defined]


def test_a_pending_login_does_not_work_in_another_region(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    other = make_region(session, "kota-lain", "Kota Lain")
    make_user(session, other, "warga@example.org", PASSWORD)
    session.flush()
    password_step(client, "warga@example.org")
    pending = client.cookies.get(mfa.PENDING_COOKIE)
    assert pending
    client.cookies.clear()
    client.cookies.set(mfa.PENDING_COOKIE, pending, path="/kota-lain")
    moved = second_step(client, code(), slug="kota-lain", page="/kota-lain/masuk")
    assert moved.status_code == 404 and SESSION_COOKIE not in client.cookies  # type: ignore[attr-defined]


def test_ending_another_users_session_is_not_found(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    from simpul.accounts import service as accounts

    accounts.start_session(session, mfa_world.admin)
    session.flush()
    victim = session.scalars(
        select(UserSession).where(UserSession.user_id == mfa_world.admin.id)
    ).one()
    password_step(client, "warga@example.org")
    page = "/kota-mfa/akun/keamanan"
    attempt = post_form(client, f"{page}/sesi/{victim.id}/akhiri", {}, page=page)
    assert attempt.status_code == 404  # type: ignore[attr-defined]
    session.expire_all()
    assert session.scalars(select(UserSession).where(UserSession.id == victim.id)).one()
    # ... and "the others" are only the user's own.
    post_form(client, f"{page}/sesi/akhiri-lainnya", {}, page=page)
    assert session.scalars(select(UserSession).where(UserSession.id == victim.id)).one()


# -- two uses of one recovery code at once, in committed transactions -------------------------


@pytest.fixture
def committed(
    committed_engine: Engine,
) -> Iterator[tuple[sessionmaker[Session], Region, list[str]]]:
    # The committed database the gateway's tests share (tests/gateway/conftest.py), never the
    # suite's main one: a region left there would break tests that count the regions.
    factory = sessionmaker(bind=committed_engine, expire_on_commit=False)
    with factory() as setup:
        # A slug of its own: the region's append-only logs keep it from being deleted.
        region = make_region(setup, f"kota-mfa-{uuid.uuid4().hex[:8]}", "Kota MFA Paralel")
        user = make_user(setup, region, "paralel@example.org", PASSWORD)
        with_totp(setup, user)
        codes = mfa.new_recovery_codes(setup, user)
        setup.commit()
    try:
        yield factory, region, codes
    finally:
        with factory() as cleanup:
            cleanup.execute(delete(User).where(User.region_id == region.id))
            cleanup.commit()


def test_one_recovery_code_used_twice_at_once_wins_once(
    committed: tuple[sessionmaker[Session], Region, list[str]],
) -> None:
    factory, region, codes = committed
    start = threading.Barrier(2)

    def use() -> str:
        with factory() as s:
            from simpul.accounts import service as accounts

            user = accounts.users_with_email(s, "paralel@example.org", region)[0]
            start.wait(timeout=30)
            try:
                method = mfa.check_code(s, user, codes[0], allow_recovery=True)
            except InvalidInput:
                s.commit()
                return "refused"
            s.commit()
            return method

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(lambda _n: use(), range(2)))
    assert results == ["recovery", "refused"]
    with factory() as s:
        factor = s.scalars(select(TotpFactor).where(TotpFactor.region_id == region.id)).one()
        assert factor.failures == 1
