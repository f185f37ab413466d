"""Passkeys: registering one on the security page, naming and removing it, and proving the
login's second step with it. A software authenticator makes real keys and signatures."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn.helpers import bytes_to_base64url

from simpul.accounts.models import UserSession
from simpul.core.models import AuditEvent
from simpul.identity import closure, mfa, passkeys, rights
from simpul.identity.mfa_models import (
    RecoveryCode,
    TotpFactor,
    WebauthnChallenge,
    WebauthnCredential,
)
from simpul.web.middleware import SESSION_COOKIE
from tests.factories import csrf_from, post_form
from tests.identity.mfa.conftest import PASSWORD, MfaWorld, code, password_step, with_totp
from tests.identity.mfa.passkey_helpers import (
    authenticator,
    finish_registration,
    login_options,
    register,
    registration_options,
    send_assertion,
)
from tests.support.webauthn_authenticator import SoftAuthenticator


def _credentials(session: Session, user_id: object) -> list[WebauthnCredential]:
    session.expire_all()
    return list(
        session.scalars(select(WebauthnCredential).where(WebauthnCredential.user_id == user_id))
    )


def _actions(session: Session, action: str) -> int:
    return len(session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def _logged_in_citizen(client: TestClient) -> None:
    assert password_step(client, "warga@example.org").status_code == 303  # type: ignore[attr-defined]


def _with_passkey(
    client: TestClient, session: Session, world: MfaWorld, email: str
) -> SoftAuthenticator:
    """Log ``email`` in (with the TOTP code if it has one) and register a passkey."""
    auth = authenticator()
    response = password_step(client, email)
    if response.headers["location"].endswith("/masuk/verifikasi"):  # type: ignore[attr-defined]
        post_form(client, "/kota-mfa/masuk/verifikasi", {"code": code()})
    assert register(client, auth).status_code == 201
    return auth


def test_a_citizen_registers_a_passkey_and_sees_it_listed(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    _logged_in_citizen(client)
    page = client.get("/kota-mfa/akun/keamanan")
    assert "data-passkey-register" in page.text and "passkeys." in page.text
    assert "memerlukan peramban modern" in page.text  # shown until the script replaces it
    auth = authenticator()
    options = registration_options(client, "Ponsel saya")
    assert options["rp"]["id"] == "127.0.0.1" and options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    response = finish_registration(client, "Ponsel saya", auth.create(options))
    assert response.status_code == 201, response.text
    assert response.json()["redirect"] == "/kota-mfa/akun/keamanan?passkey=baru#passkey"

    (row,) = _credentials(session, mfa_world.citizen.id)
    assert row.credential_id == auth.credential_id and row.name == "Ponsel saya"
    assert row.transports == ["internal"] and row.aaguid == "5f0a1d6c-6b0a-4c53-9d6e-2f1e5a7c3b11"
    assert row.last_used_at is None and row.sign_count == 0
    assert _actions(session, "passkey.registered") == 1
    listed = client.get("/kota-mfa/akun/keamanan?passkey=baru")
    assert "Passkey sudah ditambahkan." in listed.text and 'value="Ponsel saya"' in listed.text
    assert "belum pernah" in listed.text
    # the next registration excludes the passkey already there
    again = registration_options(client, "Laptop")
    assert [c["id"] for c in again["excludeCredentials"]] == [
        bytes_to_base64url(auth.credential_id)
    ]


def test_a_passkey_needs_a_name(client: TestClient, mfa_world: MfaWorld) -> None:
    _logged_in_citizen(client)
    page = client.get("/kota-mfa/akun/keamanan")
    response = client.post(
        "/kota-mfa/akun/keamanan/passkey/opsi",
        json={"name": "   "},
        headers={"X-CSRF-Token": csrf_from(page.text)},
    )
    assert response.status_code == 400 and response.json()["field"] == "name"
    without_token = client.post("/kota-mfa/akun/keamanan/passkey/opsi", json={"name": "x"})
    assert without_token.status_code == 403


def test_rename_and_remove_with_the_password(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    _logged_in_citizen(client)
    assert register(client, authenticator()).status_code == 201
    (row,) = _credentials(session, mfa_world.citizen.id)
    renamed = post_form(
        client,
        f"/kota-mfa/akun/keamanan/passkey/{row.id}/nama",
        {"name": "  Ponsel   kantor "},
        page="/kota-mfa/akun/keamanan",
    )
    assert renamed.status_code == 303
    assert _credentials(session, mfa_world.citizen.id)[0].name == "Ponsel kantor"

    wrong = post_form(
        client,
        f"/kota-mfa/akun/keamanan/passkey/{row.id}/hapus",
        {"password": "bukan-sandinya"},
        page="/kota-mfa/akun/keamanan",
    )
    assert wrong.status_code == 400 and "Kata sandi salah." in wrong.text
    assert len(_credentials(session, mfa_world.citizen.id)) == 1
    removed = post_form(
        client,
        f"/kota-mfa/akun/keamanan/passkey/{row.id}/hapus",
        {"password": PASSWORD},
        page="/kota-mfa/akun/keamanan",
    )
    assert removed.status_code == 200 and "Passkey sudah dihapus." in removed.text
    assert _credentials(session, mfa_world.citizen.id) == []
    assert _actions(session, "passkey.removed") == 1


def test_a_passkey_proves_the_logins_second_step(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    response = password_step(client, "warga@example.org")
    assert response.headers["location"] == "/kota-mfa/masuk/verifikasi"  # type: ignore[attr-defined]
    page = client.get("/kota-mfa/masuk/verifikasi")
    assert "Gunakan passkey" in page.text and 'name="code"' not in page.text  # no TOTP
    options = login_options(client)
    assert options.status_code == 200
    allowed = options.json()["allowCredentials"]
    assert len(allowed) == 1 and allowed[0]["transports"] == ["internal"]
    done = send_assertion(client, auth.get(options.json()))
    assert done.status_code == 200, done.text
    assert done.json() == {"redirect": "/kota-mfa/permohonan"}
    assert SESSION_COOKIE in client.cookies and mfa.PENDING_COOKIE not in client.cookies
    session.expire_all()
    rows = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == mfa_world.citizen.id)
        .order_by(UserSession.created_at.desc())
    ).all()
    assert rows[0].amr == ["pwd", "hwk"]
    (row,) = _credentials(session, mfa_world.citizen.id)
    assert row.sign_count == 1 and row.last_used_at is not None
    assert client.get("/kota-mfa/akun").status_code == 200


def test_a_user_with_totp_and_a_passkey_may_use_either(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    with_totp(session, mfa_world.citizen)
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    password_step(client, "warga@example.org")
    page = client.get("/kota-mfa/masuk/verifikasi")
    assert "Gunakan passkey" in page.text and 'name="code"' in page.text
    done = send_assertion(client, auth.get(login_options(client).json()))
    assert done.status_code == 200


def test_a_passkey_satisfies_the_rule_for_signers(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    """A signer must have a second factor: a passkey alone is enough, and its login may
    sign (``amr`` holds ``hwk``)."""
    signer = mfa_world.signer
    assert mfa.must_have_second_factor(session, signer)
    with_totp(session, signer)
    auth = _with_passkey(client, session, mfa_world, "ttd@example.org")
    mfa.disable(session, signer, password=PASSWORD, code=code(steps=1))
    session.flush()
    assert mfa.has_second_factor(session, signer) and not mfa.has_totp(session, signer)

    response = password_step(client, "ttd@example.org")
    assert response.headers["location"] == "/kota-mfa/masuk/verifikasi"  # type: ignore[attr-defined]
    assert client.get("/kota-mfa/masuk/verifikasi", follow_redirects=False).status_code == 200
    done = send_assertion(client, auth.get(login_options(client).json()))
    assert done.status_code == 200
    session.expire_all()
    latest = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == signer.id)
        .order_by(UserSession.created_at.desc())
    ).first()
    assert latest is not None and mfa.proven(latest.amr)


def test_sign_count_regression_is_refused_and_audited(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    password_step(client, "warga@example.org")
    assert (
        send_assertion(client, auth.get(login_options(client).json(), count=5)).status_code == 200
    )
    password_step(client, "warga@example.org")
    clone = send_assertion(client, auth.get(login_options(client).json(), count=5))
    assert clone.status_code == 400 and "digandakan" in clone.json()["error"]
    assert _actions(session, "passkey.sign_count_regression") == 1
    assert _credentials(session, mfa_world.citizen.id)[0].sign_count == 5


def test_wrong_origin_and_wrong_rp_id_are_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    password_step(client, "warga@example.org")
    phished = auth.get(login_options(client).json(), origin="https://simpul-palsu.example")
    assert send_assertion(client, phished).status_code == 400
    other_rp = auth.get(login_options(client).json(), rp_id="simpul-palsu.example")
    assert send_assertion(client, other_rp).status_code == 400
    assert _actions(session, "passkey.assertion_refused") == 2
    assert SESSION_COOKIE not in client.cookies


def test_a_registration_from_another_origin_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    _logged_in_citizen(client)
    options = registration_options(client, "Palsu")
    bad = finish_registration(
        client, "Palsu", authenticator().create(options, origin="https://simpul-palsu.example")
    )
    assert bad.status_code == 400 and bad.json()["field"] == "passkey"
    assert _credentials(session, mfa_world.citizen.id) == []
    assert _actions(session, "passkey.registration_refused") == 1


def test_a_challenge_is_used_once(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    password_step(client, "warga@example.org")
    options = login_options(client).json()
    first = auth.get(options, flags=0x01 | 0x04)
    # a wrong answer also uses the challenge up
    wrong = dict(
        first,
        response=dict(first["response"], signature=first["response"]["signature"][:-4] + "AAAA"),
    )
    assert send_assertion(client, wrong).status_code == 400
    assert send_assertion(client, first).status_code == 400
    assert session.scalars(select(WebauthnChallenge)).all() == []


def _service_passkey(session: Session, world: MfaWorld, name: str) -> SoftAuthenticator:
    auth = authenticator()
    options = json.loads(passkeys.registration_options(session, world.region, world.citizen))
    passkeys.register(
        session, world.region, world.citizen, name=name, credential=auth.create(options)
    )
    session.flush()
    return auth


def test_the_data_export_lists_passkeys_without_keys(session: Session, mfa_world: MfaWorld) -> None:
    _service_passkey(session, mfa_world, "Ponsel saya")
    auth = _service_passkey(session, mfa_world, "Kunci USB")
    options = json.loads(passkeys.authentication_options(session, mfa_world.citizen))
    assert passkeys.authenticate(session, mfa_world.citizen, auth.get(options)) is True
    data = rights.collect(session, mfa_world.region, mfa_world.citizen).data
    factors = data["account"]["second_factors"]
    assert factors["authenticator_app"] is False
    assert [(p["name"], p["last_used_at"] is not None) for p in factors["passkeys"]] == [
        ("Ponsel saya", False),
        ("Kunci USB", True),
    ]
    assert set(factors["passkeys"][0]) == {"name", "created_at", "last_used_at", "synced"}


def test_closing_the_account_deletes_every_second_factor(
    session: Session, mfa_world: MfaWorld
) -> None:
    citizen = mfa_world.citizen
    with_totp(session, citizen)
    mfa.new_recovery_codes(session, citizen)
    _service_passkey(session, mfa_world, "Ponsel saya")
    passkeys.authentication_options(session, citizen)  # a challenge waiting
    closure.close_account(session, mfa_world.region, citizen, password=PASSWORD, confirmed=True)
    session.flush()
    for model in (WebauthnCredential, WebauthnChallenge, TotpFactor, RecoveryCode):
        assert session.scalars(select(model).where(model.user_id == citizen.id)).all() == []


def test_an_operators_reset_removes_passkeys_too(session: Session, mfa_world: MfaWorld) -> None:
    _service_passkey(session, mfa_world, "Ponsel saya")
    mfa.reset(session, mfa_world.region, mfa_world.citizen, actor_label="cli")
    assert not mfa.has_second_factor(session, mfa_world.citizen)


def _signin(
    client: TestClient, auth: SoftAuthenticator, next_page: str = "", **kwargs: object
) -> object:
    client.cookies.clear()
    page = client.get("/kota-mfa/masuk")
    token = re.search(r'data-csrf="([^"]+)"', page.text)
    assert token and "masuk tanpa kata sandi" in page.text
    headers = {"X-CSRF-Token": token.group(1)}
    options = client.post("/kota-mfa/masuk/passkey/opsi", json={}, headers=headers)
    assert options.status_code == 200
    body = options.json()
    assert body.get("allowCredentials", []) == [] and body["userVerification"] == "required"
    return client.post(
        "/kota-mfa/masuk/passkey",
        params={"next": next_page},
        json=auth.get(body, **kwargs),  # type: ignore[arg-type]
        headers=headers,
    )


def test_a_passkey_alone_signs_in_with_user_verification(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    done = _signin(client, auth, "/kota-mfa/akun")
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert done.json() == {"redirect": "/kota-mfa/akun"}  # type: ignore[attr-defined]
    session.expire_all()
    latest = session.scalars(
        select(UserSession)
        .where(UserSession.user_id == mfa_world.citizen.id)
        .order_by(UserSession.created_at.desc())
    ).first()
    assert latest is not None and latest.amr == ["hwk", "mfa"] and mfa.proven(latest.amr)
    assert client.get("/kota-mfa/akun").status_code == 200
    elsewhere = _signin(client, auth, "https://jahat.example/")
    assert elsewhere.json() == {"redirect": "/kota-mfa/permohonan"}  # type: ignore[attr-defined]
    assert _actions(session, "passkey.signin") == 2


def test_a_passkey_alone_without_user_verification_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _with_passkey(client, session, mfa_world, "warga@example.org")
    refused = _signin(client, auth, flags=0x01)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies
