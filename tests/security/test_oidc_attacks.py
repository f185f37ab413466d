"""Attacks on the OpenID Connect provider: open redirects, clients and tokens of another
region, forged JWTs, oversized parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from simpul.identity import service as identity
from simpul.identity.models import OidcSigningKey
from simpul.identity.oidc import service as provider
from tests.factories import make_region
from tests.gateway.conftest import add_app
from tests.identity.conftest import CLIENT_SECRET, REDIRECT, IdentityWorld, identity_world
from tests.identity.oidc.helpers import authorize, log_in, query_of, tokens

SLUG = "kota-sso"
PORTAL = ("portal-warga", CLIENT_SECRET)
__all__ = ["identity_world"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT + "?next=https://evil.example/",
        REDIRECT + "/../../evil",
        "http://127.0.0.1:8765/%63allback",
        "http://127.0.0.1:8765/callback%2F..%2F..%2Fevil",
        "http://127.0.0.1:8765/callback#x",
        "http://127.0.0.1:8766/callback",
        "http://localhost:8765/callback",
        "http://127.0.0.1:8765@evil.example/callback",
        "HTTP://127.0.0.1:8765/callback",
        "https://127.0.0.1:8765/callback",
        "//evil.example/callback",
        "http://127.0.0.1:8765/callback ",
        "",
    ],
)
def test_no_redirect_to_an_unregistered_uri(
    client: TestClient, identity_world: IdentityWorld, redirect_uri: str
) -> None:
    log_in(client, SLUG)
    response, _flow = authorize(client, SLUG, redirect_uri=redirect_uri)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri" in response.text


def test_logout_never_sends_to_an_unregistered_uri(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    for uri in ("https://evil.example/", "http://127.0.0.1:8765/?x=1", "http://127.0.0.1:8765"):
        log_in(client, SLUG)
        response = client.get(
            f"/{SLUG}/oidc/logout",
            params={"id_token_hint": body["id_token"], "post_logout_redirect_uri": uri},
            follow_redirects=False,
        )
        assert response.status_code == 200, uri  # the "you are logged out" page
        assert "location" not in response.headers


@pytest.fixture
def other_region(session: Session, identity_world: IdentityWorld) -> Any:
    region = make_region(session, "kota-lain", "Kota Lain")
    from simpul.catalogue.models import Agency

    agency = session.query(Agency).filter_by(region_id=region.id).first()
    assert agency is not None
    app = add_app(session, region, agency, "portal-lain", "Portal Lain")
    identity.register_client(
        session,
        region,
        app_id=app.id,
        registration=identity.ClientRegistration(
            client_id="portal-lain",
            name="Portal Lain",
            is_public=False,
            redirect_uris=[REDIRECT],
            allowed_scopes=["openid", "profile"],
        ),
        actor=None,
        secret="rahasia-portal-lain-0123456789",
    )
    session.commit()
    return region


def test_a_client_of_another_region_is_unknown_here(
    client: TestClient, identity_world: IdentityWorld, other_region: Any
) -> None:
    log_in(client, SLUG)
    response, _flow = authorize(client, SLUG, client_id="portal-lain")
    assert response.status_code == 400 and "location" not in response.headers
    token = client.post(
        f"/{SLUG}/oidc/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT},
        auth=("portal-lain", "rahasia-portal-lain-0123456789"),
    )
    assert token.status_code == 401 and token.json()["error"] == "invalid_client"


def test_a_token_of_another_region_is_refused(
    client: TestClient, identity_world: IdentityWorld, other_region: Any
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    info = client.get(
        "/kota-lain/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401
    for token in (body["access_token"], body["refresh_token"]):
        answer = client.post(
            "/kota-lain/oidc/introspect",
            data={"token": token},
            auth=("portal-lain", "rahasia-portal-lain-0123456789"),
        )
        assert answer.json() == {"active": False}
    # and a region's introspection takes only its own clients
    answer = client.post(
        "/kota-lain/oidc/introspect", data={"token": body["access_token"]}, auth=PORTAL
    )
    assert answer.status_code == 401


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forgeries(session: Session, identity_world: IdentityWorld, genuine: str) -> list[str]:
    claims = json.loads(base64.urlsafe_b64decode(genuine.split(".")[1] + "=="))
    claims["scope"] = "openid profile email phone nik"
    payload = _b64(json.dumps(claims).encode())
    published = session.query(OidcSigningKey).filter_by(region_id=identity_world.region.id).one()
    none_token = f"{_b64(json.dumps({'alg': 'none', 'typ': 'at+jwt'}).encode())}.{payload}."
    public_pem = RSAKey.import_key(published.public_jwk).as_pem(private=False)
    header = _b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": published.kid}).encode())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    hs256 = f"{header}.{payload}.{_b64(mac)}"
    stranger = RSAKey.generate_key(2048, parameters={"kid": "not-ours"}, private=True)
    wrong_kid = jwt.encode({"alg": "RS256", "kid": "not-ours", "typ": "at+jwt"}, claims, stranger)
    same_kid = jwt.encode({"alg": "RS256", "kid": published.kid, "typ": "at+jwt"}, claims, stranger)
    tampered = ".".join([genuine.split(".", maxsplit=1)[0], payload, genuine.split(".")[2]])
    return [none_token, hs256, wrong_kid, same_kid, tampered]


def test_forged_access_tokens_are_refused(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    for forged in _forgeries(session, identity_world, body["access_token"]):
        info = client.get(f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {forged}"})
        assert info.status_code == 401, forged
        answer = client.post(f"/{SLUG}/oidc/introspect", data={"token": forged}, auth=PORTAL)
        assert answer.json() == {"active": False}
    # an ID token is not an access token (typ), though signed by us
    info = client.get(
        f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {body['id_token']}"}
    )
    assert info.status_code == 401


def test_a_forged_id_token_hint_logs_nobody_out(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    for forged in _forgeries(session, identity_world, body["id_token"]):
        response = client.get(
            f"/{SLUG}/oidc/logout",
            params={"id_token_hint": forged, "post_logout_redirect_uri": "http://127.0.0.1:8765/"},
            follow_redirects=False,
        )
        assert response.status_code == 200 and "Keluar dari Simpul?" in response.text
    assert client.get(f"/{SLUG}/akun", follow_redirects=False).status_code == 200


def test_an_expired_access_token_is_refused(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    claims["exp"] = int(time.time()) - 5
    expired = provider._sign(session, identity_world.region, claims, "at+jwt")
    info = client.get(f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {expired}"})
    assert info.status_code == 401


def test_oversized_parameters_are_refused_cleanly(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    response, _flow = authorize(client, SLUG, extra={"client_id": "x" * 5000})
    assert response.status_code == 400 and "location" not in response.headers
    response, _flow = authorize(client, SLUG, extra={"state": "s" * 5000})
    assert response.status_code == 303
    query = query_of(response.headers["location"])
    assert query["error"] == "invalid_request" and "state" not in query
    response, _flow = authorize(client, SLUG, extra={"nonce": "n" * 1000})
    assert query_of(response.headers["location"])["error"] == "invalid_request"
    big = client.post(
        f"/{SLUG}/oidc/token",
        data={"grant_type": "authorization_code", "code": "c" * 100_000, "redirect_uri": REDIRECT},
        auth=PORTAL,
    )
    assert big.status_code == 400 and big.json()["error"] == "invalid_grant"
    many = client.post(f"/{SLUG}/oidc/token", data={f"f{i}": "x" for i in range(200)}, auth=PORTAL)
    assert many.status_code == 400
    repeated = client.post(
        f"/{SLUG}/oidc/token",
        content="grant_type=authorization_code&code=a&code=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=PORTAL,
    )
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"
    huge_bearer = client.get(
        f"/{SLUG}/oidc/userinfo", headers={"Authorization": "Bearer " + "a" * 20_000}
    )
    assert huge_bearer.status_code in (401, 431)
