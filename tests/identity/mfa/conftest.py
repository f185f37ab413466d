"""A region with an admin, an officer who signs, a verifier and a citizen, and an app whose
deployment requires second factors (``Settings(mfa_required=True)``)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.core.models import Region
from simpul.core.settings import Settings
from simpul.identity import mfa
from tests.conftest import ROOT, TEST_SECRET
from tests.factories import make_region, make_user, post_form

PASSWORD = "kata-sandi-uji-123"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def settings() -> Settings:
    """The deployment's default: second factors required."""
    return Settings(
        secret_key=TEST_SECRET, debug=True, data_dir=ROOT / "var" / "test", mfa_required=True
    )


@dataclass
class MfaWorld:
    region: Region
    admin: User
    signer: User
    verifier: User
    citizen: User


@pytest.fixture
def mfa_world(session: Session) -> MfaWorld:
    region = make_region(session, "kota-mfa", "Kota MFA")
    admin = make_user(session, region, "admin@example.org", PASSWORD, AccountKind.REGION_ADMIN)
    signer = make_user(
        session,
        region,
        "ttd@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.PENANDATANGAN)],
    )
    verifier = make_user(
        session,
        region,
        "verif@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    citizen = make_user(session, region, "warga@example.org", PASSWORD)
    session.flush()
    return MfaWorld(region, admin, signer, verifier, citizen)


def code(secret: str = SECRET, steps: int = 0) -> str:
    """The code an authenticator shows ``steps`` 30-second steps from now."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps)


def with_totp(session: Session, user: User, secret: str = SECRET) -> User:
    mfa.seed_confirmed(session, user, secret)
    session.flush()
    return user


def password_step(
    client: TestClient, email: str, slug: str = "kota-mfa", password: str = PASSWORD
) -> object:
    client.cookies.clear()
    return post_form(client, f"/{slug}/masuk", {"email": email, "password": password})


def second_step(
    client: TestClient, value: str, slug: str = "kota-mfa", page: str | None = None
) -> object:
    return post_form(client, f"/{slug}/masuk/verifikasi", {"code": value}, page=page)


def secret_on(page: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert found, page
    return found.group(1)


def recovery_codes_on(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", page)
