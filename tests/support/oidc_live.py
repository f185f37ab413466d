"""A real ``simpul serve`` with the demo region (and its relying party ``demo-rp``) whose
public address is its own port, so the issuer a client checks is where it talks to.

Import both fixtures into a conftest or test module to use them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy.engine import make_url

from simpul.core.database import sqlalchemy_url
from simpul.demo.oidc import DEMO_RP_REDIRECT
from tests.conftest import TEST_SECRET, _server_url
from tests.support.devserver import (
    free_port,
    migrate_and_seed_demo,
    recreate_database,
    server_process,
)

REGION = "kota-bandung"
CITIZEN = ("warga@example.org", "warga-demo")


@pytest.fixture(scope="session")
def demo_database_url() -> str:
    """A fresh database with the demo region, for the provider's live tests."""
    server_url = _server_url()
    name = f"{make_url(sqlalchemy_url(server_url)).database}_oidc"
    url = recreate_database(server_url, name)
    migrate_and_seed_demo(url)
    return url


@pytest.fixture(scope="session")
def provider_url(demo_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``simpul serve`` on a free port whose public address is that port (the issuer)."""
    data_dir: Path = tmp_path_factory.mktemp("oidc-server")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        with server_process(
            demo_database_url,
            secret_key=TEST_SECRET,
            data_dir=data_dir,
            timeout=120,
            port=port,
            env={"SIMPUL_PUBLIC_URL": base},
        ) as server:
            yield server.base_url
    except RuntimeError as exc:
        pytest.fail(str(exc))


def _hidden_fields(html: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    }


def sign_in_and_allow(browser: requests.Session, base: str, authorize_url: str) -> str:
    """What the citizen does in the browser: log in, read the consent screen, allow.
    Returns the redirect to the relying party's callback (not followed: the test is the RP)."""
    response = browser.get(authorize_url, allow_redirects=False)
    assert response.status_code == 303
    login_url = urljoin(base, response.headers["location"])
    assert login_url.startswith(f"{base}/{REGION}/masuk?next=")
    page = browser.get(login_url)
    fields = _hidden_fields(page.text)
    response = browser.post(
        f"{base}/{REGION}/masuk",
        data={**fields, "email": CITIZEN[0], "password": CITIZEN[1]},
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text
    consent = browser.get(urljoin(base, response.headers["location"]), allow_redirects=False)
    assert consent.status_code == 200, consent.text
    assert "Izinkan" in consent.text and "Bandung Sehat" in consent.text
    assert "Nama lengkap" in consent.text  # what the app will receive
    response = browser.post(
        f"{base}/{REGION}/oidc/authorize/consent",
        data={**_hidden_fields(consent.text), "decision": "izinkan"},
        allow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert location.startswith(DEMO_RP_REDIRECT + "?")
    return location
