"""Attacks on passkeys: another user's or another region's credential, a challenge replayed
or given for another purpose or user, forged and oversized answers, a cloned authenticator."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import UserSession
from simpul.core.errors import InvalidInput
from simpul.core.models import AuditEvent
from simpul.identity import passkeys
from simpul.identity.mfa_models import WebauthnCredential
from simpul.web.middleware import SESSION_COOKIE
from tests.factories import make_region, make_user
from tests.identity.mfa.conftest import PASSWORD, MfaWorld, password_step
from tests.identity.mfa.conftest import mfa_world as mfa_world  # noqa: PLC0414 - the fixture
from tests.identity.mfa.conftest import settings as settings  # noqa: PLC0414 - the fixture
from tests.identity.mfa.passkey_helpers import (
    authenticator,
    login_options,
    register,
    send_assertion,
)
from tests.support.webauthn_authenticator import SoftAuthenticator


def _audits(session: Session, action: str) -> int:
    return len(session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def _registered(client: TestClient, email: str, slug: str = "kota-mfa") -> SoftAuthenticator:
    client.cookies.clear()
    assert password_step(client, email, slug).status_code == 303  # type: ignore[attr-defined]
    auth = authenticator()
    assert register(client, auth, slug=slug).status_code == 201
    return auth


def _no_session(session: Session, user_id: object) -> bool:
    session.expire_all()
    return not session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()


def test_another_users_passkey_does_not_prove_this_login(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    victim_key = _registered(client, "warga@example.org")
    attacker_key = _registered(client, "verif@example.org")
    # the attacker knows the victim's password and signs with their own passkey
    password_step(client, "warga@example.org")
    options = login_options(client).json()
    attacker_key.user_handle = victim_key.user_handle
    refused = send_assertion(client, attacker_key.get(options))
    assert refused.status_code == 400 and refused.json()["field"] == "passkey"
    assert _audits(session, "passkey.unknown_credential") == 1
    assert SESSION_COOKIE not in client.cookies


def test_a_passkey_of_another_region_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    other = make_region(session, "kota-lain", "Kota Lain")
    make_user(session, other, "warga@example.org", PASSWORD)
    session.flush()
    elsewhere = _registered(client, "warga@example.org", "kota-lain")
    here = _registered(client, "warga@example.org")
    password_step(client, "warga@example.org")
    options = login_options(client).json()
    assert [c["id"] for c in options["allowCredentials"]] != []
    refused = send_assertion(client, elsewhere.get(options))
    assert refused.status_code == 400
    # the same credential id registered in two regions stays two rows, one per region
    assert here.credential_id != elsewhere.credential_id
    regions = {row.region_id for row in session.scalars(select(WebauthnCredential)).all()}
    assert len(regions) == 2


def test_a_replayed_assertion_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _registered(client, "warga@example.org")
    password_step(client, "warga@example.org")
    captured = auth.get(login_options(client).json())
    assert send_assertion(client, captured).status_code == 200
    # the attacker captured the answer and replays it in their own login
    password_step(client, "warga@example.org")
    login_options(client)  # a fresh challenge exists, but not the captured one
    replay = send_assertion(client, captured)
    assert replay.status_code == 400 and "sudah dipakai" in replay.json()["error"]


def test_a_registration_challenge_does_not_sign_in(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _registered(client, "warga@example.org")
    user = mfa_world.citizen
    options = passkeys.registration_options(session, mfa_world.region, user)
    challenge = json.loads(options)["challenge"]
    with pytest.raises(InvalidInput):
        passkeys.authenticate(session, user, auth.get({}, challenge=challenge))


def test_a_challenge_of_another_user_is_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _registered(client, "warga@example.org")
    other_options = json.loads(passkeys.authentication_options(session, mfa_world.citizen))
    with pytest.raises(InvalidInput):
        passkeys.authenticate(session, mfa_world.verifier, auth.get(other_options))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"response": "x"},
        {"id": "AAAA", "rawId": "AAAA", "response": {"clientDataJSON": "!!!"}},
        {"id": "AAAA", "response": {"clientDataJSON": "e30", "padding": "x" * 20_000}},
    ],
)
def test_forged_and_oversized_answers_are_refused(
    client: TestClient, session: Session, mfa_world: MfaWorld, body: dict[str, object]
) -> None:
    _registered(client, "warga@example.org")
    password_step(client, "warga@example.org")
    login_options(client)
    response = send_assertion(client, body)
    assert response.status_code in (400, 422)
    assert _no_session(session, mfa_world.verifier.id)
    assert SESSION_COOKIE not in client.cookies


def test_a_cloned_authenticator_is_refused_even_with_a_valid_signature(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    original = _registered(client, "warga@example.org")
    clone = SoftAuthenticator(
        rp_id=original.rp_id,
        origin=original.origin,
        key=original.key,
        credential_id=original.credential_id,
        user_handle=original.user_handle,
    )
    password_step(client, "warga@example.org")
    assert send_assertion(client, original.get(login_options(client).json())).status_code == 200
    password_step(client, "warga@example.org")
    assert send_assertion(client, original.get(login_options(client).json())).status_code == 200
    password_step(client, "warga@example.org")
    refused = send_assertion(client, clone.get(login_options(client).json(), count=2))
    assert refused.status_code == 400
    assert _audits(session, "passkey.sign_count_regression") == 1


def _signin_options(session: Session, world: MfaWorld) -> dict[str, object]:
    return dict(json.loads(passkeys.signin_options(session, world.region)))


def test_signing_in_alone_checks_the_user_handle_and_the_account(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _registered(client, "warga@example.org")
    user = mfa_world.citizen
    # the handle must be the credential's own account
    auth.user_handle = mfa_world.verifier.id.bytes
    with pytest.raises(InvalidInput):
        passkeys.signin(session, mfa_world.region, auth.get(_signin_options(session, mfa_world)))
    auth.user_handle = user.id.bytes
    # a passkey of this region does not sign in to another
    other = make_region(session, "kota-lain", "Kota Lain")
    session.flush()
    options = json.loads(passkeys.signin_options(session, other))
    with pytest.raises(InvalidInput):
        passkeys.signin(session, other, auth.get(options))
    # a deactivated account cannot sign in with its passkey
    user.is_active = False
    session.flush()
    with pytest.raises(InvalidInput):
        passkeys.signin(session, mfa_world.region, auth.get(_signin_options(session, mfa_world)))
    user.is_active = True
    session.flush()
    captured = auth.get(_signin_options(session, mfa_world))
    assert passkeys.signin(session, mfa_world.region, captured).id == user.id
    with pytest.raises(InvalidInput):  # replayed
        passkeys.signin(session, mfa_world.region, captured)


def test_a_second_step_challenge_does_not_sign_in_alone(
    client: TestClient, session: Session, mfa_world: MfaWorld
) -> None:
    auth = _registered(client, "warga@example.org")
    options = json.loads(passkeys.authentication_options(session, mfa_world.citizen))
    with pytest.raises(InvalidInput):
        passkeys.signin(session, mfa_world.region, auth.get(options))


def test_sign_in_options_are_rate_limited(client: TestClient, mfa_world: MfaWorld) -> None:
    page = client.get("/kota-mfa/masuk")
    headers = {"X-CSRF-Token": re.findall(r'data-csrf="([^"]+)"', page.text)[0]}
    answers = [
        client.post("/kota-mfa/masuk/passkey/opsi", json={}, headers=headers).status_code
        for _ in range(25)
    ]
    assert answers[:20] == [200] * 20 and 429 in answers[20:]
