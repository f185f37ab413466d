"""Driving the provider in-process (TestClient): log in, authorize, consent, exchange."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from tests.factories import csrf_from, post_form
from tests.identity.conftest import CLIENT_SECRET, PASSWORD, REDIRECT

MOBILE_REDIRECT = "http://127.0.0.1:8766/cb"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def log_in(client: TestClient, slug: str, email: str = "warga@example.org") -> None:
    client.cookies.clear()
    response = post_form(client, f"/{slug}/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    verifier: str
    nonce: str
    state: str


def authorize(
    client: TestClient,
    slug: str,
    *,
    client_id: str = "portal-warga",
    redirect_uri: str = REDIRECT,
    scope: str = "openid profile email phone offline_access",
    extra: dict[str, str] | None = None,
    pkce_pair: tuple[str, str] | None = None,
) -> tuple[Any, Flow]:
    verifier, challenge = pkce_pair or pkce()
    flow = Flow(verifier, secrets.token_urlsafe(8), secrets.token_urlsafe(8))
    params = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": scope,
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    params = {k: v for k, v in params.items() if v != ""}
    return client.get(f"/{slug}/oidc/authorize", params=params, follow_redirects=False), flow


def consent(
    client: TestClient, slug: str, page_html: str, *, allow: bool = True, nik: bool = False
) -> Any:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page_html))
    fields = {
        k: v.replace("&amp;", "&").replace("&#34;", '"').replace("&#39;", "'")
        for k, v in fields.items()
    }
    fields["csrf_token"] = csrf_from(page_html)
    fields["decision"] = "izinkan" if allow else "tolak"
    if nik:
        fields["nik"] = "ya"
    return client.post(f"/{slug}/oidc/authorize/consent", data=fields, follow_redirects=False)


def code_from(
    client: TestClient, slug: str, *, nik: bool = False, **kwargs: Any
) -> tuple[str, Flow]:
    """Authorize, allowing on the consent screen when it is shown; returns the code."""
    response, flow = authorize(client, slug, **kwargs)
    if response.status_code == 200:
        response = consent(client, slug, response.text, nik=nik)
    assert response.status_code == 303, response.text
    query = query_of(response.headers["location"])
    assert query.get("state") == flow.state, query
    return query["code"], flow


def exchange(
    client: TestClient,
    slug: str,
    code: str,
    flow: Flow,
    *,
    client_id: str = "portal-warga",
    secret: str | None = CLIENT_SECRET,
    redirect_uri: str = REDIRECT,
) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": client_id,
    }
    if secret is not None:
        data["client_secret"] = secret
    return client.post(f"/{slug}/oidc/token", data=data)


def refresh(client: TestClient, slug: str, token: str, **extra: str) -> Any:
    return client.post(
        f"/{slug}/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": "portal-warga",
            "client_secret": CLIENT_SECRET,
            **extra,
        },
    )


def tokens(client: TestClient, slug: str, **kwargs: Any) -> dict[str, Any]:
    code, flow = code_from(client, slug, **kwargs)
    response = exchange(client, slug, code, flow)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
