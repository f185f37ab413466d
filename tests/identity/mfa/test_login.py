"""The login's second step: a code after the password, enrolment for those who must have a
factor, and what the session records."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from simpul.accounts.models import UserSession
from simpul.core.models import AuditEvent, utcnow
from simpul.identity.mfa_models import PendingLogin, RecoveryCode, TotpFactor
from simpul.web.middleware import SESSION_COOKIE
from tests.factories import post_form
from tests.identity.mfa.conftest import (
    MfaWorld,
    code,
    password_step,
    recovery_codes_on,
    second_step,
    secret_on,
    with_totp,
)


def _sessions(session: Session, user_id: object) -> list[UserSession]:
    session.expire_all()
    return list(session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def test_a_citizen_without_a_factor_logs_in_with_the_password(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    response = password_step(client, "warga@example.org")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/kota-mfa/permohonan"  # type: ignore[attr-defined]
    (row,) = _sessions(session, mfa_world.citizen.id)
    assert row.amr == ["pwd"] and row.source and row.user_agent.startswith("testclient")


def test_a_user_with_a_factor_needs_the_code_before_any_session(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    response = password_step(client, "warga@example.org")
    assert response.headers["location"] == "/kota-mfa/masuk/verifikasi"  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies and not _sessions(session, mfa_world.citizen.id)
    assert client.get("/kota-mfa/akun", follow_redirects=False).status_code in (303, 401)
    page = client.get("/kota-mfa/masuk/verifikasi")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text

    wrong = second_step(client, "000000" if code() != "000000" else "111111")
    assert wrong.status_code == 401 and "Kode salah" in wrong.text  # type: ignore[attr-defined]
    done = second_step(client, code())
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert done.headers["location"] == "/kota-mfa/permohonan"  # type: ignore[attr-defined]
    (row,) = _sessions(session, mfa_world.citizen.id)
    assert row.amr == ["pwd", "otp"]
    assert client.get("/kota-mfa/akun").status_code == 200
    # The pending login is used up: the cookie does not work a second time.
    assert session.scalars(select(PendingLogin)).all() == []


def test_the_next_page_survives_the_second_step(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    client.cookies.clear()
    post_form(
        client,
        "/kota-mfa/masuk",
        {"email": "warga@example.org", "password": "kata-sandi-uji-123", "next": "/kota-mfa/akun"},
        page="/kota-mfa/masuk",
    )
    assert second_step(client, code()).headers["location"] == "/kota-mfa/akun"  # type: ignore[attr-defined]


def test_a_recovery_code_finishes_the_login_once(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    from simpul.identity import mfa

    with_totp(session, mfa_world.citizen)
    codes = mfa.new_recovery_codes(session, mfa_world.citizen)
    session.flush()
    password_step(client, "warga@example.org")
    assert second_step(client, codes[0].upper()).status_code == 303  # type: ignore[attr-defined]
    password_step(client, "warga@example.org")
    again = second_step(client, codes[0])
    assert again.status_code == 401  # type: ignore[attr-defined]
    used = session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all()
    assert len(used) == 1
    assert session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "mfa.recovery_code_used")
    ).all() == ["mfa.recovery_code_used"]


def test_an_expired_pending_login_starts_over(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    password_step(client, "warga@example.org")
    session.execute(update(PendingLogin).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.flush()
    late = second_step(client, code(), page="/kota-mfa/masuk")
    assert late.status_code == 404 and "Waktu masuk sudah habis" in late.text  # type: ignore[attr-defined]
    assert not _sessions(session, mfa_world.citizen.id)


def test_an_admin_without_a_factor_must_enrol_before_anything_else(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    response = password_step(client, "admin@example.org")
    assert response.headers["location"] == "/kota-mfa/masuk/verifikasi"  # type: ignore[attr-defined]
    assert (
        client.get("/kota-mfa/masuk/verifikasi", follow_redirects=False).headers["location"]
        == "/kota-mfa/masuk/pasang-verifikasi"
    )
    page = client.get("/kota-mfa/masuk/pasang-verifikasi")
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.text
    secret = secret_on(page.text)
    # No other page: there is no session yet.
    assert client.get("/kota-mfa/admin", follow_redirects=False).status_code in (303, 401)
    assert not _sessions(session, mfa_world.admin.id)
    wrong = post_form(client, "/kota-mfa/masuk/pasang-verifikasi", {"code": "12345"})
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert secret_on(wrong.text) == secret  # the same secret until confirmed  # type: ignore[attr-defined]
    done = post_form(client, "/kota-mfa/masuk/pasang-verifikasi", {"code": code(secret)})
    assert done.status_code == 200  # type: ignore[attr-defined]
    assert len(recovery_codes_on(done.text)) == 10  # type: ignore[attr-defined]
    assert 'href="/kota-mfa/admin"' in done.text  # type: ignore[attr-defined]
    (row,) = _sessions(session, mfa_world.admin.id)
    assert row.amr == ["pwd", "otp"]
    assert client.get("/kota-mfa/admin").status_code == 200
    factor = session.scalars(select(TotpFactor)).one()
    assert factor.confirmed_at is not None and secret not in factor.secret_encrypted


def test_a_signing_officer_must_enrol_and_a_verifier_need_not(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    signer = password_step(client, "ttd@example.org")
    assert signer.headers["location"] == "/kota-mfa/masuk/verifikasi"  # type: ignore[attr-defined]
    assert (
        "pasang-verifikasi"
        in client.get("/kota-mfa/masuk/verifikasi", follow_redirects=False).headers["location"]
    )
    verifier = password_step(client, "verif@example.org")
    assert verifier.headers["location"] == "/kota-mfa/petugas/kotak-masuk"  # type: ignore[attr-defined]


def test_with_the_requirement_off_an_admin_logs_in_with_the_password(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"mfa_required": False}
    )
    response = password_step(client, "admin@example.org")
    assert response.headers["location"] == "/kota-mfa/admin"  # type: ignore[attr-defined]


def test_last_seen_is_written_at_most_every_five_minutes(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    password_step(client, "warga@example.org")
    (row,) = _sessions(session, mfa_world.citizen.id)
    first = row.last_seen_at
    assert first is not None
    client.get("/kota-mfa/akun")
    (row,) = _sessions(session, mfa_world.citizen.id)
    assert row.last_seen_at == first
    old = utcnow() - timedelta(minutes=6)
    session.execute(update(UserSession).values(last_seen_at=old))
    session.flush()
    client.get("/kota-mfa/akun")
    (row,) = _sessions(session, mfa_world.citizen.id)
    assert row.last_seen_at is not None and row.last_seen_at > old + timedelta(minutes=5)
