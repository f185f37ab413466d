"""Driving the passkey endpoints the way passkeys.js does, with a software authenticator."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from simpul.identity.passkeys import relying_party
from tests.support.webauthn_authenticator import SoftAuthenticator

SLUG = "kota-mfa"


def authenticator() -> SoftAuthenticator:
    rp = relying_party()
    return SoftAuthenticator(rp_id=rp.id, origin=rp.origin)


def _headers(client: TestClient, page: str) -> dict[str, str]:
    """The token passkeys.js sends, from the page's ``data-csrf``."""
    found = re.search(r'data-csrf="([^"]+)"', client.get(page).text)
    assert found, "page has no passkey script data"
    return {"X-CSRF-Token": found.group(1)}


def registration_options(
    client: TestClient, name: str = "Ponsel saya", slug: str = SLUG
) -> dict[str, Any]:
    headers = _headers(client, f"/{slug}/akun/keamanan")
    response = client.post(
        f"/{slug}/akun/keamanan/passkey/opsi", json={"name": name}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def finish_registration(
    client: TestClient, name: str, credential: dict[str, Any], slug: str = SLUG
) -> Any:
    headers = _headers(client, f"/{slug}/akun/keamanan")
    return client.post(
        f"/{slug}/akun/keamanan/passkey",
        json={"name": name, "credential": credential},
        headers=headers,
    )


def register(
    client: TestClient, auth: SoftAuthenticator, name: str = "Ponsel saya", slug: str = SLUG
) -> Any:
    options = registration_options(client, name, slug)
    return finish_registration(client, name, auth.create(options), slug)


def login_options(client: TestClient, slug: str = SLUG) -> Any:
    headers = _headers(client, f"/{slug}/masuk/verifikasi")
    return client.post(f"/{slug}/masuk/verifikasi/passkey/opsi", json={}, headers=headers)


def send_assertion(client: TestClient, credential: dict[str, Any], slug: str = SLUG) -> Any:
    headers = _headers(client, f"/{slug}/masuk/verifikasi")
    return client.post(f"/{slug}/masuk/verifikasi/passkey", json=credential, headers=headers)
