"""DONE WHEN (issue 18): an OpenID Connect client we did not write (Authlib's
``OAuth2Session`` with its ID token validation) signs the demo citizen into the demo relying
party ``demo-rp`` against a real ``simpul serve``: discovery, code + PKCE S256, ID token
validation (signature through the JWKS, iss, aud, nonce, at_hash), userinfo, refresh with
rotation, revocation; afterwards the refresh token no longer works and introspection says
inactive.

(The certified npm ``openid-client`` is not installed in this checkout's node_modules, and the
issue allows Authlib's client.)
"""

from __future__ import annotations

import secrets
import warnings

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

with warnings.catch_warnings():  # Authlib's own ID token checks still live in authlib.jose
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

from simpul.demo.oidc import DEMO_RP_CLIENT_ID, DEMO_RP_REDIRECT, DEMO_RP_SECRET
from tests.support.oidc_live import CITIZEN, REGION, sign_in_and_allow


def test_an_independent_client_signs_the_demo_citizen_in(provider_url: str) -> None:
    base = provider_url
    issuer = f"{base}/{REGION}"
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
    assert meta["issuer"] == issuer
    jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())

    rp = OAuth2Session(
        client_id=DEMO_RP_CLIENT_ID,
        client_secret=DEMO_RP_SECRET,
        scope="openid profile email phone offline_access",
        redirect_uri=DEMO_RP_REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    authorize_url, state = rp.create_authorization_url(
        meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier
    )
    assert "code_challenge=" in authorize_url

    with requests.Session() as browser:
        callback = sign_in_and_allow(browser, base, authorize_url)
    assert f"state={state}" in callback
    token = rp.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    assert {"access_token", "id_token", "refresh_token"} <= set(token)

    claims = jwt.decode(
        token["id_token"],
        jwks,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"values": [issuer]}},
        claims_params={"nonce": nonce, "client_id": DEMO_RP_CLIENT_ID},
    )
    claims.validate()  # iss, aud, exp, iat, nonce, auth_time
    claims.params["access_token"] = token["access_token"]
    claims.validate_at_hash()
    assert claims["name"] == "Siti Rahayu" and "nik" not in claims

    userinfo = rp.get(meta["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["email"] == CITIZEN[0]

    first_refresh = token["refresh_token"]
    refreshed = rp.refresh_token(meta["token_endpoint"], refresh_token=first_refresh)
    assert refreshed["refresh_token"] != first_refresh
    assert refreshed["access_token"] != token["access_token"]

    live = rp.introspect_token(meta["introspection_endpoint"], token=refreshed["access_token"])
    assert live.json()["active"] is True and live.json()["sub"] == claims["sub"]

    revoked = rp.revoke_token(
        meta["revocation_endpoint"],
        token=refreshed["refresh_token"],
        token_type_hint="refresh_token",
    )
    assert revoked.status_code == 200

    with pytest.raises(OAuthError) as refused:
        rp.refresh_token(meta["token_endpoint"], refresh_token=refreshed["refresh_token"])
    assert refused.value.error == "invalid_grant"
    for dead in (refreshed["refresh_token"], refreshed["access_token"]):
        answer = rp.introspect_token(meta["introspection_endpoint"], token=dead)
        assert answer.json() == {"active": False}
    gone = requests.get(
        meta["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {refreshed['access_token']}"},
        timeout=10,
    )
    assert gone.status_code == 401
