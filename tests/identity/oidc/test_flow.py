"""The provider's protocol in-process: the happy path and its edges."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from simpul.identity import service as identity
from simpul.identity.models import OidcRelease, OidcToken
from tests.identity.conftest import CLIENT_SECRET, REDIRECT, IdentityWorld
from tests.identity.oidc.helpers import (
    MOBILE_REDIRECT,
    authorize,
    code_from,
    consent,
    exchange,
    log_in,
    query_of,
    refresh,
    tokens,
)

SLUG = "kota-sso"


def _decode(client: TestClient, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(client.get(f"/{SLUG}/oidc/jwks").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def test_discovery_publishes_the_endpoints(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    meta = client.get(f"/{SLUG}/.well-known/openid-configuration").json()
    assert meta["issuer"].endswith(f"/{SLUG}")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint"] == f"{meta['issuer']}/oidc/token"
    assert "nik" in meta["scopes_supported"]
    assert meta["backchannel_logout_supported"] is True
    jwks = client.get(f"/{SLUG}/oidc/jwks").json()
    assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]


def test_not_logged_in_goes_to_the_login_page_and_back(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    response, _flow = authorize(client, SLUG)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/{SLUG}/masuk?next=")
    page = client.get(location)
    assert page.status_code == 200
    assert 'name="next" value="/kota-sso/oidc/authorize?' in page.text


def test_code_flow_consent_tokens_userinfo_refresh(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    response, flow = authorize(client, SLUG)
    assert response.status_code == 200
    assert "Portal Warga" in response.text and "Izinkan" in response.text
    assert identity_world.agency.name in response.text
    response = consent(client, SLUG, response.text)
    assert response.status_code == 303
    query = query_of(response.headers["location"])
    assert query["state"] == flow.state and query["iss"].endswith(f"/{SLUG}")
    body = exchange(client, SLUG, query["code"], flow).json()
    assert body["token_type"] == "Bearer" and "refresh_token" in body
    id_claims = _decode(client, body["id_token"])
    assert id_claims["aud"] == "portal-warga" and id_claims["nonce"] == flow.nonce
    assert id_claims["name"] == identity_world.citizen.full_name
    assert id_claims["sub"] == identity.subject_for(
        identity_world.citizen.id, identity_world.portal
    )
    access = _decode(client, body["access_token"])
    assert access["client_id"] == "portal-warga" and "jti" in access
    info = client.get(
        f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.json()["email"] == "warga@example.org"
    assert "nik" not in info.json()
    # remembered consent: the second time there is no consent screen
    response, _flow = authorize(client, SLUG)
    assert response.status_code == 303 and "code=" in response.headers["location"]
    again = refresh(client, SLUG, body["refresh_token"])
    assert again.status_code == 200, again.text
    assert again.json()["refresh_token"] != body["refresh_token"]
    channels = {r.channel.value for r in session.query(OidcRelease).all()}
    assert channels == {"id_token", "userinfo"}


def test_deny_redirects_with_access_denied(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    response, flow = authorize(client, SLUG)
    response = consent(client, SLUG, response.text, allow=False)
    query = query_of(response.headers["location"])
    assert query["error"] == "access_denied" and query["state"] == flow.state


def test_code_reuse_revokes_what_it_gave(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    code, flow = code_from(client, SLUG)
    first = exchange(client, SLUG, code, flow)
    assert first.status_code == 200
    second = exchange(client, SLUG, code, flow)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    info = client.get(
        f"/{SLUG}/oidc/userinfo",
        headers={"Authorization": f"Bearer {first.json()['access_token']}"},
    )
    assert info.status_code == 401
    assert refresh(client, SLUG, first.json()["refresh_token"]).status_code == 400


def test_public_client_needs_pkce_s256(client: TestClient, identity_world: IdentityWorld) -> None:
    log_in(client, SLUG)
    for extra in (
        {"code_challenge": "", "code_challenge_method": ""},
        {"code_challenge_method": "plain"},
    ):
        response, _flow = authorize(
            client,
            SLUG,
            client_id="ppdb-mobile",
            redirect_uri=MOBILE_REDIRECT,
            scope="openid",
            extra=extra,
        )
        assert response.status_code == 303
        assert query_of(response.headers["location"])["error"] == "invalid_request"
    code, flow = code_from(
        client, SLUG, client_id="ppdb-mobile", redirect_uri=MOBILE_REDIRECT, scope="openid profile"
    )
    flow.verifier = flow.verifier[:-1] + ("A" if flow.verifier[-1] != "A" else "B")
    wrong = exchange(
        client, SLUG, code, flow, client_id="ppdb-mobile", secret=None, redirect_uri=MOBILE_REDIRECT
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_public_client_signs_in_with_pkce(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    code, flow = code_from(
        client, SLUG, client_id="ppdb-mobile", redirect_uri=MOBILE_REDIRECT, scope="openid profile"
    )
    good = exchange(
        client, SLUG, code, flow, client_id="ppdb-mobile", secret=None, redirect_uri=MOBILE_REDIRECT
    )
    assert good.status_code == 200, good.text
    assert "refresh_token" not in good.json()  # no offline_access asked


def test_redirect_uri_mismatch_is_an_error_page(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    response, _flow = authorize(client, SLUG, redirect_uri="http://127.0.0.1:8765/callback/x")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "redirect_uri" in response.text


def test_token_endpoint_redirect_mismatch_and_bad_secret(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, SLUG)
    code, flow = code_from(client, SLUG)
    assert exchange(client, SLUG, code, flow, secret="salah").status_code == 401
    code, flow = code_from(client, SLUG)
    response = exchange(client, SLUG, code, flow, redirect_uri="http://127.0.0.1:8765/other")
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_refresh_reuse_revokes_the_family(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    first = tokens(client, SLUG)
    second = refresh(client, SLUG, first["refresh_token"]).json()
    reused = refresh(client, SLUG, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert refresh(client, SLUG, second["refresh_token"]).status_code == 400
    reasons = {t.revoked_reason for t in session.query(OidcToken).all()}
    assert "reuse" in reasons


def test_refresh_may_narrow_the_scope(client: TestClient, identity_world: IdentityWorld) -> None:
    log_in(client, SLUG)
    first = tokens(client, SLUG)
    narrowed = refresh(client, SLUG, first["refresh_token"], scope="openid offline_access")
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "openid offline_access"
    widened = refresh(
        client, SLUG, narrowed.json()["refresh_token"], scope="openid nik offline_access"
    )
    assert widened.status_code == 400 and widened.json()["error"] == "invalid_scope"


def test_revoked_consent_blocks_refresh_and_userinfo(
    client: TestClient, identity_world: IdentityWorld, session: Session
) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    consent_row = identity.active_consent(session, identity_world.citizen, identity_world.portal)
    assert consent_row is not None
    identity.revoke_consent(session, identity_world.citizen, consent_row.id)
    session.commit()
    info = client.get(
        f"/{SLUG}/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 401
    assert refresh(client, SLUG, body["refresh_token"]).status_code == 400


def test_revocation_and_introspection(client: TestClient, identity_world: IdentityWorld) -> None:
    log_in(client, SLUG)
    body = tokens(client, SLUG)
    auth = ("portal-warga", CLIENT_SECRET)
    active = client.post(
        f"/{SLUG}/oidc/introspect", data={"token": body["access_token"]}, auth=auth
    )
    assert active.json()["active"] is True and active.json()["client_id"] == "portal-warga"
    assert (
        client.post(f"/{SLUG}/oidc/revoke", data={"token": "nothing"}, auth=auth).status_code == 200
    )
    assert (
        client.post(
            f"/{SLUG}/oidc/revoke", data={"token": body["refresh_token"]}, auth=auth
        ).status_code
        == 200
    )
    for token in (body["access_token"], body["refresh_token"]):
        answer = client.post(f"/{SLUG}/oidc/introspect", data={"token": token}, auth=auth)
        assert answer.json() == {"active": False}
    public = client.post(
        f"/{SLUG}/oidc/introspect", data={"token": body["access_token"], "client_id": "ppdb-mobile"}
    )
    assert public.status_code == 401


def test_after_our_own_form_the_browser_moves_on_by_a_page(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    """Chromium stops a form's navigation redirected off-site (CSP form-action 'self'): a
    browser coming from our consent form gets a page that moves on by itself."""
    log_in(client, SLUG)
    response, flow = authorize(client, SLUG)
    client.headers["Sec-Fetch-Site"] = "same-origin"
    try:
        answer = consent(client, SLUG, response.text)
    finally:
        del client.headers["Sec-Fetch-Site"]
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', answer.text)
    assert match is not None
    location = html.unescape(match.group(1))
    assert location.startswith(REDIRECT + "?code=")
    assert query_of(location)["state"] == flow.state


def test_prompt_none_and_max_age(client: TestClient, identity_world: IdentityWorld) -> None:
    response, flow = authorize(client, SLUG, extra={"prompt": "none"})
    query = query_of(response.headers["location"])
    assert query["error"] == "login_required" and query["state"] == flow.state
    log_in(client, SLUG)
    response, _flow = authorize(client, SLUG, extra={"prompt": "none"})
    assert query_of(response.headers["location"])["error"] == "consent_required"
    response, _flow = authorize(client, SLUG, extra={"max_age": "3600"})
    assert response.status_code == 200  # logged in just now: the consent screen
    response, _flow = authorize(client, SLUG, extra={"max_age": "0", "prompt": "login"})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/{SLUG}/masuk?next=")
    assert "max_age" not in location and "prompt" not in location
    assert client.get(f"/{SLUG}/akun", follow_redirects=False).status_code != 200  # ended
