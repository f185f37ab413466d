"""A region with a citizen, an officer and two apps of the inventory that sign people in
through Simpul: ``portal-warga`` (confidential) and ``ppdb-mobile`` (public, PKCE)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName, User
from simpul.catalogue.models import Agency
from simpul.core.models import Region
from simpul.identity import service
from simpul.identity.models import OidcClient
from simpul.inventory.models import App
from tests.factories import make_region, make_user
from tests.gateway.conftest import add_app

PASSWORD = "kata-sandi-uji-123"
CLIENT_SECRET = "rahasia-klien-portal-uji-0123456789"
REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass
class IdentityWorld:
    region: Region
    agency: Agency
    citizen: User
    officer: User
    portal_app: App
    mobile_app: App
    portal: OidcClient  # confidential, secret CLIENT_SECRET, every scope but nik
    mobile: OidcClient  # public: PKCE S256, openid profile offline_access


@pytest.fixture
def identity_world(session: Session) -> IdentityWorld:
    region = make_region(session, "kota-sso", "Kota SSO")
    agency = session.query(Agency).filter_by(region_id=region.id).one()
    citizen = make_user(session, region, "warga@example.org", PASSWORD)
    officer = make_user(
        session,
        region,
        "petugas@example.org",
        PASSWORD,
        AccountKind.STAFF,
        roles=[(agency.slug, StaffRoleName.VERIFIKATOR)],
    )
    portal_app = add_app(session, region, agency, "portal-warga", "Portal Warga")
    mobile_app = add_app(session, region, agency, "ppdb-mobile", "PPDB Mobile")
    portal, _secret = service.register_client(
        session,
        region,
        app_id=portal_app.id,
        registration=service.ClientRegistration(
            client_id="portal-warga",
            name="Portal Warga",
            is_public=False,
            redirect_uris=[REDIRECT],
            allowed_scopes=["openid", "profile", "email", "phone", "offline_access"],
            post_logout_redirect_uris=["http://127.0.0.1:8765/"],
        ),
        actor=None,
        secret=CLIENT_SECRET,
    )
    mobile, _none = service.register_client(
        session,
        region,
        app_id=mobile_app.id,
        registration=service.ClientRegistration(
            client_id="ppdb-mobile",
            name="PPDB Mobile",
            is_public=True,
            redirect_uris=["http://127.0.0.1:8766/cb"],
            allowed_scopes=["openid", "profile", "offline_access"],
        ),
        actor=None,
    )
    session.flush()
    return IdentityWorld(region, agency, citizen, officer, portal_app, mobile_app, portal, mobile)
