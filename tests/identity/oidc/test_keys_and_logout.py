"""Key rotation, pairwise subjects, the NIK scope, RP-initiated and back-channel logout."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.models import utcnow
from simpul.identity import service as identity
from simpul.identity.models import BackchannelLogout, OidcClient, OidcSigningKey, OidcToken
from simpul.identity.oidc import backchannel, keys
from simpul.identity.oidc import service as provider
from tests.factories import csrf_from
from tests.gateway.conftest import add_app
from tests.identity.conftest import IdentityWorld
from tests.identity.oidc.helpers import (
    MOBILE_REDIRECT,
    authorize,
    code_from,
    consent,
    exchange,
    log_in,
    query_of,
    tokens,
)

SLUG = "kota-sso"


def _claims(client: TestClient, token: str) -> dict[str, Any]:
    keyset = KeySet.import_key_set(client.get(f"/{SLUG}/oidc/jwks").json())
    return dict(jwt.decode(token, keyset, algorithms=["RS256"]).claims)


def _kid(token: str) -> str:
    header = json.loads(base64.urlsafe_b64decode(token.split(".", maxsplit=1)[0] + "=="))
    return str(header["kid"])


def _userinfo(client: TestClient, access: str) -> Any:
    return client.get(f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {access}"})


def test_rotation_keeps_the_old_key_until_retire_after(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    old = tokens(client, SLUG)
    old_kid = _kid(old["access_token"])
    fresh = keys.rotate(session, identity_world.region, force=True)
    assert fresh is not None and fresh.kid != old_kid
    session.commit()
    published = [k["kid"] for k in client.get(f"/{SLUG}/oidc/jwks").json()["keys"]]
    assert published == [fresh.kid, old_kid]
    assert _userinfo(client, old["access_token"]).status_code == 200  # still valid
    new = tokens(client, SLUG)
    assert _kid(new["access_token"]) == fresh.kid
    assert keys.rotate(session, identity_world.region) is None  # not due yet
    retired = session.query(OidcSigningKey).filter_by(kid=old_kid).one()
    assert retired.retire_after is not None and retired.superseded_at is not None
    retired.retire_after = utcnow() - timedelta(seconds=1)
    session.commit()
    published = [k["kid"] for k in client.get(f"/{SLUG}/oidc/jwks").json()["keys"]]
    assert published == [fresh.kid]
    assert _userinfo(client, old["access_token"]).status_code == 401
    assert _userinfo(client, new["access_token"]).status_code == 200


def test_pairwise_subjects_differ_between_clients(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    portal = _claims(client, tokens(client, SLUG)["id_token"])
    code, flow = code_from(
        client, SLUG, client_id="ppdb-mobile", redirect_uri=MOBILE_REDIRECT, scope="openid"
    )
    body = exchange(
        client, SLUG, code, flow, client_id="ppdb-mobile", secret=None, redirect_uri=MOBILE_REDIRECT
    ).json()
    mobile = _claims(client, body["id_token"])
    assert portal["sub"] != mobile["sub"]
    assert str(identity_world.citizen.id) not in (portal["sub"], mobile["sub"])
    assert portal["sid"] == mobile["sid"]  # one browser session


@pytest.fixture
def nik_client(session: Session, identity_world: IdentityWorld) -> OidcClient:
    app = add_app(session, identity_world.region, identity_world.agency, "e-bansos", "e-Bansos")
    client, _secret = identity.register_client(
        session,
        identity_world.region,
        app_id=app.id,
        registration=identity.ClientRegistration(
            client_id="e-bansos",
            name="e-Bansos",
            is_public=False,
            redirect_uris=["http://127.0.0.1:8767/cb"],
            allowed_scopes=["openid", "profile", "nik"],
        ),
        actor=None,
        secret="rahasia-e-bansos-0123456789",
    )
    session.commit()
    return client


def _nik_tokens(client: TestClient, *, tick: bool, prompt: str = "") -> dict[str, Any]:
    response, flow = authorize(
        client,
        SLUG,
        client_id="e-bansos",
        redirect_uri="http://127.0.0.1:8767/cb",
        scope="openid profile nik",
        extra={"prompt": prompt},
    )
    assert response.status_code == 200, response.text
    assert 'name="nik" value="ya"' in response.text  # its own explicit checkbox
    response = consent(client, SLUG, response.text, nik=tick)
    code = query_of(response.headers["location"])["code"]
    answer = exchange(
        client,
        SLUG,
        code,
        flow,
        client_id="e-bansos",
        secret="rahasia-e-bansos-0123456789",
        redirect_uri="http://127.0.0.1:8767/cb",
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_nik_only_with_its_own_tick_and_only_where_allowed(
    client: TestClient, identity_world: IdentityWorld, nik_client: OidcClient
) -> None:
    log_in(client, SLUG)
    without = _nik_tokens(client, tick=False)
    assert "nik" not in _claims(client, without["id_token"])
    assert "nik" not in _userinfo(client, without["access_token"]).json()
    assert "nik" not in without["scope"].split()
    # not remembered: asking again shows the screen again, and this time it is ticked
    ticked = _nik_tokens(client, tick=True)
    assert _claims(client, ticked["id_token"])["nik"] == "3273015708900001"
    assert _userinfo(client, ticked["access_token"]).json()["nik"] == "3273015708900001"
    # the portal is not allowed nik: asking for it is dropped, no checkbox
    response, _flow = authorize(client, SLUG, scope="openid nik", extra={"prompt": "consent"})
    assert response.status_code == 200 and 'name="nik"' not in response.text


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, list[str]]] = []  # noqa: RUF012 - filled by the server thread

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).received.append(parse_qs(self.rfile.read(length).decode()))
        self.send_response(200)
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A real HTTP server on loopback taking back-channel logout POSTs."""
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/backchannel", _Receiver.received
    finally:
        server.shutdown()
        server.server_close()


def test_backchannel_logout_is_delivered_on_keluar(
    client: TestClient,
    identity_world: IdentityWorld,
    session: Session,
    session_factory: sessionmaker[Session],
    receiver: tuple[str, list[dict[str, list[str]]]],
) -> None:
    uri, received = receiver
    identity_world.portal.backchannel_logout_uri = uri
    session.commit()
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    sid = _claims(client, body["id_token"])["sid"]
    page = client.get(f"/{SLUG}/akun")
    response = client.post(
        f"/{SLUG}/keluar", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    session.expire_all()
    queued = session.query(BackchannelLogout).one()
    assert queued.delivered_at is None
    assert backchannel.deliver_due(session_factory) == 1
    assert len(received) == 1
    logout_token = received[0]["logout_token"][0]
    claims = _claims(client, logout_token)
    assert claims["sid"] == sid and claims["aud"] == "portal-warga"
    assert claims["events"] == {provider.BACKCHANNEL_EVENT: {}}
    assert "nonce" not in claims
    assert claims["sub"] == identity.subject_for(identity_world.citizen.id, identity_world.portal)
    session.expire_all()
    assert session.query(BackchannelLogout).one().delivered_at is not None
    assert {t.revoked_reason for t in session.query(OidcToken).all()} == {"logout"}
    assert _userinfo(client, body["access_token"]).status_code == 401
    assert backchannel.deliver_due(session_factory) == 0


def test_backchannel_failure_is_retried_later(
    client: TestClient,
    identity_world: IdentityWorld,
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    identity_world.portal.backchannel_logout_uri = "http://127.0.0.1:9/closed"
    session.commit()
    log_in(client, SLUG)
    tokens(client, SLUG)
    client.post(
        f"/{SLUG}/keluar",
        data={"csrf_token": csrf_from(client.get(f"/{SLUG}/akun").text)},
        follow_redirects=False,
    )
    assert backchannel.deliver_due(session_factory) == 1
    session.expire_all()
    row = session.query(BackchannelLogout).one()
    assert row.attempts == 1 and row.delivered_at is None and row.last_error
    assert row.next_attempt_at > utcnow()
    assert backchannel.deliver_due(session_factory) == 0  # not due yet


def test_rp_initiated_logout_with_id_token_hint(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    response = client.get(
        f"/{SLUG}/oidc/logout",
        params={
            "id_token_hint": body["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:8765/",
            "state": "s-123",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "http://127.0.0.1:8765/?state=s-123"
    assert client.get(f"/{SLUG}/akun", follow_redirects=False).status_code in (303, 401)


def test_logout_without_hint_asks_first_and_drops_unknown_uris(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    response = client.get(
        f"/{SLUG}/oidc/logout",
        params={"client_id": "portal-warga", "post_logout_redirect_uri": "https://evil.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 200 and "Keluar dari Simpul?" in response.text
    assert "evil.example" not in response.text
    assert client.get(f"/{SLUG}/akun", follow_redirects=False).status_code == 200  # still in
    confirm = client.post(
        f"/{SLUG}/oidc/logout/confirm",
        data={"csrf_token": csrf_from(response.text), "client_id": "portal-warga"},
        follow_redirects=False,
    )
    assert confirm.status_code == 200 and "Anda sudah keluar" in confirm.text
    assert client.get(f"/{SLUG}/akun", follow_redirects=False).status_code in (303, 401)
