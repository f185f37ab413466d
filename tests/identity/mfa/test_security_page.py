"""The security page: setting up the authenticator, recovery codes, turning it off, and the
sessions and devices list."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import UserSession
from simpul.core.errors import InvalidInput
from simpul.core.models import AuditEvent
from simpul.identity import mfa
from simpul.identity.mfa_models import RecoveryCode, TotpFactor
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

PAGE = "/kota-mfa/akun/keamanan"


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.at)))


def test_a_citizen_sets_up_the_authenticator_with_a_confirming_code(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    password_step(client, "warga@example.org")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Pasang verifikasi dua langkah" in page.text
    assert post_form(client, f"{PAGE}/totp/mulai", {}, page=PAGE).status_code == 303  # type: ignore[attr-defined]
    page = client.get(PAGE)
    secret = secret_on(page.text)
    assert "data:image/svg+xml;base64," in page.text
    factor = session.scalars(select(TotpFactor)).one()
    assert factor.confirmed_at is None  # not active before a code proves it
    wrong = post_form(client, f"{PAGE}/totp/konfirmasi", {"code": "abc"}, page=PAGE)
    assert wrong.status_code == 400 and "Kode salah" in wrong.text  # type: ignore[attr-defined]
    done = post_form(client, f"{PAGE}/totp/konfirmasi", {"code": code(secret)}, page=PAGE)
    assert done.status_code == 201  # type: ignore[attr-defined]
    codes = recovery_codes_on(done.text)  # type: ignore[attr-defined]
    assert len(set(codes)) == 10
    session.expire_all()
    assert factor.confirmed_at is not None
    stored = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and all(c.encode() not in b"".join(stored) for c in codes)
    # The code just proved the factor in this session: it may sign without a new login.
    current = session.scalars(select(UserSession)).one()
    assert current.amr == ["pwd", "otp"]
    # Shown once: the page no longer shows them.
    assert not recovery_codes_on(client.get(PAGE).text)
    assert "mfa.totp_enrolled" in _actions(session)


def test_a_code_is_accepted_once_and_a_stale_one_never(
    session: Session, mfa_world: MfaWorld
) -> None:
    user = with_totp(session, mfa_world.citizen)
    assert mfa.check_code(session, user, code(), allow_recovery=False) == "otp"
    with pytest.raises(InvalidInput) as replayed:
        mfa.check_code(session, user, code(), allow_recovery=False)
    assert replayed.value.field_errors().keys() == {"code"}
    with pytest.raises(InvalidInput):  # a code of 90 seconds ago
        mfa.check_code(session, user, code(steps=-3), allow_recovery=False)
    assert mfa.check_code(session, user, code(steps=1), allow_recovery=False) == "otp"


def test_new_recovery_codes_replace_the_old_ones(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    old = mfa.new_recovery_codes(session, mfa_world.citizen)
    session.flush()
    password_step(client, "warga@example.org")
    second_step(client, code())
    assert "Tersisa 10 kode pemulihan" in client.get(PAGE).text
    refused = post_form(client, f"{PAGE}/kode-pemulihan", {"renew_code": "999999"}, page=PAGE)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    renewed = post_form(client, f"{PAGE}/kode-pemulihan", {"renew_code": code(steps=1)}, page=PAGE)
    assert renewed.status_code == 201  # type: ignore[attr-defined]
    new = recovery_codes_on(renewed.text)  # type: ignore[attr-defined]
    assert len(new) == 10 and not set(new) & set(old)
    password_step(client, "warga@example.org")
    assert second_step(client, old[0]).status_code == 401  # type: ignore[attr-defined]
    assert second_step(client, new[0]).status_code == 303  # type: ignore[attr-defined]


def test_turning_it_off_needs_the_password_and_a_code(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    password_step(client, "warga@example.org")
    second_step(client, code())
    off = f"{PAGE}/totp/nonaktifkan"
    no_password = post_form(
        client, off, {"password": "salah", "off_code": code(steps=1)}, page=PAGE
    )
    assert no_password.status_code == 400 and "Kata sandi salah" in no_password.text  # type: ignore[attr-defined]
    no_code = post_form(
        client, off, {"password": "kata-sandi-uji-123", "off_code": "000000"}, page=PAGE
    )
    assert no_code.status_code == 400  # type: ignore[attr-defined]
    assert session.scalars(select(TotpFactor)).one()
    done = post_form(
        client, off, {"password": "kata-sandi-uji-123", "off_code": code(steps=1)}, page=PAGE
    )
    assert done.status_code == 200 and "sudah dinonaktifkan" in done.text  # type: ignore[attr-defined]
    session.expire_all()
    assert session.scalars(select(TotpFactor)).all() == []
    assert "mfa.totp_disabled" in _actions(session)
    # The next login needs the password only.
    assert password_step(client, "warga@example.org").headers["location"] == "/kota-mfa/permohonan"  # type: ignore[attr-defined]


def test_sessions_are_listed_and_each_can_be_ended(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    from simpul.accounts import service as accounts

    accounts.start_session(
        session,
        mfa_world.citizen,
        user_agent="Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile",
        source="10.1.2.3",
    )
    session.flush()
    client.cookies.clear()
    password_step(client, "warga@example.org")
    page = client.get(PAGE).text
    assert "Chrome · Android" in page and "10.1.2.3" in page and "perangkat ini" in page
    other = session.scalars(select(UserSession).where(UserSession.source == "10.1.2.3")).one()
    other_id = other.id
    ended = post_form(client, f"{PAGE}/sesi/{other_id}/akhiri", {}, page=PAGE)
    assert ended.status_code == 303  # type: ignore[attr-defined]
    session.expunge_all()
    assert session.scalars(select(UserSession).where(UserSession.id == other_id)).all() == []
    assert "session.revoked" in _actions(session)
    # Ending the current one logs out.
    (mine,) = session.scalars(select(UserSession)).all()
    out = post_form(client, f"{PAGE}/sesi/{mine.id}/akhiri", {}, page=PAGE)
    assert out.headers["location"] == "/kota-mfa"  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies
    assert client.get(PAGE, follow_redirects=False).status_code in (303, 401)


def test_log_out_everywhere_else_keeps_this_device(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    from simpul.accounts import service as accounts

    for _n in range(2):
        accounts.start_session(session, mfa_world.citizen, user_agent="Firefox/120.0")
    session.flush()
    client.cookies.clear()
    password_step(client, "warga@example.org")
    done = post_form(client, f"{PAGE}/sesi/akhiri-lainnya", {}, page=PAGE)
    assert done.status_code == 200 and "2 perangkat lain" in done.text  # type: ignore[attr-defined]
    session.expunge_all()
    assert len(session.scalars(select(UserSession)).all()) == 1
    assert client.get(PAGE).status_code == 200


def test_ending_a_device_ends_the_app_tokens_got_through_it(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    """A lost phone: ending its session revokes what apps got through it (refresh tokens
    too), while the tokens of the device kept work on."""
    import uuid
    from datetime import timedelta

    from simpul.accounts import service as accounts
    from simpul.catalogue.models import Agency
    from simpul.core.models import utcnow
    from simpul.identity import service as identity
    from simpul.identity.models import OidcToken
    from tests.gateway.conftest import add_app

    region = mfa_world.citizen.region_id
    agency = session.scalars(select(Agency).where(Agency.region_id == region)).first()
    assert agency is not None
    app = add_app(session, mfa_world.region, agency, "ppdb", "PPDB")
    client_row, _secret = identity.register_client(
        session,
        mfa_world.region,
        app_id=app.id,
        registration=identity.ClientRegistration(
            client_id="ppdb",
            name="PPDB",
            is_public=False,
            redirect_uris=["https://ppdb.example.org/cb"],
            allowed_scopes=["openid", "offline_access"],
        ),
        actor=None,
    )
    accounts.start_session(session, mfa_world.citizen, user_agent="Lost phone", source="10.9.9.9")
    session.flush()
    lost = session.scalars(select(UserSession).where(UserSession.source == "10.9.9.9")).one()
    client.cookies.clear()
    password_step(client, "warga@example.org")
    (mine,) = [s for s in session.scalars(select(UserSession)) if s.id != lost.id]
    now = utcnow()
    for user_session, jti in ((lost, "jti-lost"), (mine, "jti-mine")):
        session.add(
            OidcToken(
                region_id=region,
                client_pk=client_row.id,
                user_id=mfa_world.citizen.id,
                session_id=user_session.id,
                family_id=uuid.uuid4(),
                scope="openid offline_access",
                access_jti=jti,
                access_expires_at=now + timedelta(minutes=10),
                refresh_token_hash=jti.encode().ljust(32, b"0"),
                refresh_expires_at=now + timedelta(days=30),
                auth_time=now,
            )
        )
    session.flush()
    ended = post_form(client, f"{PAGE}/sesi/{lost.id}/akhiri", {}, page=PAGE)
    assert ended.status_code == 303  # type: ignore[attr-defined]
    session.expunge_all()
    tokens = {t.access_jti: t for t in session.scalars(select(OidcToken))}
    assert tokens["jti-lost"].revoked_at is not None
    assert tokens["jti-lost"].revoked_reason == "device_revoked"
    assert tokens["jti-mine"].revoked_at is None
    # "Keluar dari semua perangkat lain" keeps the tokens of the device it is sent from.
    accounts.start_session(session, mfa_world.citizen, user_agent="Tablet", source="10.8.8.8")
    session.flush()
    post_form(client, f"{PAGE}/sesi/akhiri-lainnya", {}, page=PAGE)
    session.expunge_all()
    assert (
        session.scalars(select(OidcToken).where(OidcToken.access_jti == "jti-mine"))
        .one()
        .revoked_at
        is None
    )
