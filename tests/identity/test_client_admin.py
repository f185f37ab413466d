"""The region admin registers an inventory app as a relying party, changes it, renews its
secret (shown once) and switches it off (its tokens end); bad input names its field and
writes nothing; no one but the region admin gets in."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind
from simpul.core import security
from simpul.core.models import AuditEvent, utcnow
from simpul.identity import service
from simpul.identity.models import OidcClient, OidcToken, SubjectType
from simpul.inventory.models import App
from tests.factories import csrf_from, make_user, post_form
from tests.gateway.conftest import add_app
from tests.identity.conftest import PASSWORD, IdentityWorld

ADMIN = "admin@example.org"


@dataclass
class AdminWorld:
    world: IdentityWorld
    app: App  # an inventory app without an OIDC client yet

    @property
    def page(self) -> str:
        return f"/kota-sso/aplikasi/{self.app.code}/oidc"


@pytest.fixture
def admin_world(session: Session, identity_world: IdentityWorld) -> AdminWorld:
    make_user(session, identity_world.region, ADMIN, PASSWORD, AccountKind.REGION_ADMIN, nik=None)
    app = add_app(session, identity_world.region, identity_world.agency, "salaman", "Salaman")
    return AdminWorld(identity_world, app)


def log_in(client: TestClient, email: str = ADMIN) -> None:
    response = post_form(client, "/kota-sso/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


def submit(client: TestClient, path: str, page: str, data: dict[str, Any]) -> Any:
    """Post a form (lists become repeated fields) with the page's CSRF token."""
    token = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def good_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "client_id": "salaman",
        "name": "Salaman",
        "client_type": "confidential",
        "redirect_uris": "https://salaman.example.go.id/callback\r\nhttp://127.0.0.1:9000/cb",
        "post_logout_redirect_uris": "https://salaman.example.go.id/",
        "backchannel_logout_uri": "https://salaman.example.go.id/logout",
        "scopes": ["openid", "profile", "email"],
        "subject_type": "pairwise",
    }
    form.update(changes)
    return form


def client_of(session: Session, app: App) -> OidcClient | None:
    session.expire_all()
    return session.scalars(select(OidcClient).where(OidcClient.app_id == app.id)).one_or_none()


def shown_secret(html: str) -> str:
    match = re.search(r'<code class="token" id="rahasia-baru-isi"[^>]*>([^<]+)</code>', html)
    assert match, "no secret shown"
    return match.group(1)


def test_admin_creates_a_confidential_client_and_sees_its_secret_once(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    page = client.get(admin_world.page)
    assert page.status_code == 200
    assert 'value="salaman"' in page.text  # client_id defaults to the app's code
    response = submit(client, admin_world.page, admin_world.page, good_form())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = shown_secret(response.text)
    made = client_of(session, admin_world.app)
    assert made is not None
    assert made.redirect_uris == [
        "https://salaman.example.go.id/callback",
        "http://127.0.0.1:9000/cb",
    ]
    assert made.allowed_scopes == ["openid", "profile", "email"]
    assert made.subject_type is SubjectType.PAIRWISE
    assert made.backchannel_logout_uri == "https://salaman.example.go.id/logout"
    assert service.secret_matches(made, secret)
    assert made.secret_hash == security.token_digest(secret)
    again = client.get(admin_world.page).text
    assert secret not in again
    assert "rahasia-baru-isi" not in again


def test_public_client_has_no_secret(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    form = good_form(client_type="public", subject_type="public")
    response = submit(client, admin_world.page, admin_world.page, form)
    assert response.status_code == 303
    made = client_of(session, admin_world.app)
    assert made is not None
    assert made.is_public
    assert made.secret_hash is None
    assert made.subject_type is SubjectType.PUBLIC
    assert "Ganti rahasia klien" not in client.get(response.headers["location"]).text


def test_errors_name_their_fields_and_nothing_is_written(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    form = good_form(
        client_id="X",
        name="",
        redirect_uris="javascript:alert(1)",
        post_logout_redirect_uris="http://salaman.example.go.id/",
        backchannel_logout_uri="https://user@salaman.example.go.id/logout",
        scopes=["profile", "rahasia"],
        client_type="lainnya",
        subject_type="acak",
    )
    response = submit(client, admin_world.page, admin_world.page, form)
    assert response.status_code == 422
    html = response.text
    for field in (
        "client_id",
        "name",
        "redirect_uris",
        "post_logout_redirect_uris",
        "backchannel_logout_uri",
        "allowed_scopes",
        "client_type",
        "subject_type",
    ):
        assert f'id="e-{field}"' in html, field
    assert "ID klien:" in html
    assert "Alamat kembali:" in html
    assert "Alamat setelah keluar:" in html
    assert "Cakupan data:" in html
    assert client_of(session, admin_world.app) is None
    assert 'value="X"' in html  # what was typed is shown again


def test_nik_needs_the_legal_basis_checkbox(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    form = good_form(scopes=["openid", "nik"])
    response = submit(client, admin_world.page, admin_world.page, form)
    assert response.status_code == 422
    assert 'id="e-nik_legal_basis"' in response.text
    assert client_of(session, admin_world.app) is None
    response = submit(client, admin_world.page, admin_world.page, {**form, "nik_legal_basis": "1"})
    assert response.status_code == 200
    made = client_of(session, admin_world.app)
    assert made is not None
    assert made.allowed_scopes == ["openid", "nik"]


def test_taken_client_id_is_refused(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    response = submit(
        client, admin_world.page, admin_world.page, good_form(client_id="portal-warga")
    )
    assert response.status_code == 422
    assert "ID klien: portal-warga sudah dipakai." in response.text
    assert client_of(session, admin_world.app) is None


def test_admin_edits_the_client(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    world = admin_world.world
    log_in(client)
    page = "/kota-sso/aplikasi/portal-warga/oidc"
    html = client.get(page).text
    assert "Ubah klien" in html
    assert "http://127.0.0.1:8765/callback" in html
    form = good_form(
        client_id="portal-warga",
        name="Portal Warga Baru",
        redirect_uris="https://portal.example.go.id/cb",
        scopes=["openid", "email"],
    )
    response = submit(client, f"{page}/ubah", page, form)
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}?pesan=disimpan"
    changed = client_of(session, world.portal_app)
    assert changed is not None
    assert changed.name == "Portal Warga Baru"
    assert changed.redirect_uris == ["https://portal.example.go.id/cb"]
    assert changed.allowed_scopes == ["openid", "email"]
    assert service.secret_matches(changed, "rahasia-klien-portal-uji-0123456789")
    assert session.scalars(
        select(AuditEvent).where(AuditEvent.action == "identity.client_changed")
    ).all()


def test_a_refused_edit_changes_nothing(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    world = admin_world.world
    log_in(client)
    page = "/kota-sso/aplikasi/portal-warga/oidc"
    form = good_form(
        client_id="ppdb-mobile",  # the other app's
        name="Nama Baru",
        redirect_uris="https://portal.example.go.id/cb#x",
    )
    response = submit(client, f"{page}/ubah", page, form)
    assert response.status_code == 422
    assert 'id="e-client_id"' in response.text
    assert 'id="e-redirect_uris"' in response.text
    kept = client_of(session, world.portal_app)
    assert kept is not None
    assert kept.client_id == "portal-warga"
    assert kept.name == "Portal Warga"
    assert kept.redirect_uris == ["http://127.0.0.1:8765/callback"]


def test_making_a_public_client_confidential_shows_its_new_secret(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    world = admin_world.world
    log_in(client)
    page = "/kota-sso/aplikasi/ppdb-mobile/oidc"
    form = good_form(client_id="ppdb-mobile", name="PPDB Mobile", scopes=["openid"])
    response = submit(client, f"{page}/ubah", page, form)
    assert response.status_code == 200
    secret = shown_secret(response.text)
    changed = client_of(session, world.mobile_app)
    assert changed is not None
    assert not changed.is_public
    assert service.secret_matches(changed, secret)


def test_renewing_the_secret_shows_it_once_and_the_old_one_stops(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    world = admin_world.world
    log_in(client)
    page = "/kota-sso/aplikasi/portal-warga/oidc"
    response = submit(client, f"{page}/rahasia", page, {})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    secret = shown_secret(response.text)
    renewed = client_of(session, world.portal_app)
    assert renewed is not None
    assert service.secret_matches(renewed, secret)
    assert not service.secret_matches(renewed, "rahasia-klien-portal-uji-0123456789")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "identity.client_secret_renewed")
    ).all()
    assert len(events) == 1
    assert secret not in str(events[0].details)


def test_a_public_client_has_no_secret_to_renew(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    page = "/kota-sso/aplikasi/ppdb-mobile/oidc"
    response = submit(client, f"{page}/rahasia", page, {})
    assert response.status_code == 422
    assert "klien publik tidak memakai rahasia" in response.text
    kept = client_of(session, admin_world.world.mobile_app)
    assert kept is not None
    assert kept.secret_hash is None


def test_disabling_ends_the_clients_tokens_and_enabling_brings_it_back(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    world = admin_world.world
    now = utcnow()
    token = OidcToken(
        region_id=world.region.id,
        client_pk=world.portal.id,
        user_id=world.citizen.id,
        family_id=uuid.uuid4(),
        scope="openid",
        access_jti=uuid.uuid4().hex,
        access_expires_at=now + timedelta(minutes=10),
        auth_time=now,
    )
    session.add(token)
    session.flush()
    log_in(client)
    page = "/kota-sso/aplikasi/portal-warga/oidc"
    response = submit(client, f"{page}/status", page, {"enabled": "0"})
    assert response.status_code == 303
    session.expire_all()
    assert service.client_by_client_id(session, world.region, "portal-warga") is None
    ended = session.get(OidcToken, token.id)
    assert ended is not None
    assert ended.revoked_at is not None
    assert ended.revoked_reason == "client_disabled"
    assert "Klien OIDC dinonaktifkan" in client.get(response.headers["location"]).text
    response = submit(client, f"{page}/status", page, {"enabled": "1"})
    assert response.status_code == 303
    session.expire_all()
    assert service.client_by_client_id(session, world.region, "portal-warga") is not None


@pytest.mark.parametrize("who", ["warga@example.org", "petugas@example.org"])
def test_only_the_region_admin_gets_in(
    client: TestClient, session: Session, admin_world: AdminWorld, who: str
) -> None:
    log_in(client, who)
    assert client.get(admin_world.page).status_code == 403
    # A forged POST (with a valid CSRF token of another page) is refused too.
    token = csrf_from(client.get("/kota-sso/akun/aplikasi").text)
    response = client.post(
        admin_world.page, data={**good_form(), "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403
    assert client_of(session, admin_world.app) is None
    page = "/kota-sso/aplikasi/portal-warga/oidc"
    response = client.post(
        f"{page}/status", data={"enabled": "0", "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403
    assert service.client_by_client_id(session, admin_world.world.region, "portal-warga")


def test_forms_need_the_csrf_token(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    response = client.post(admin_world.page, data=good_form(), follow_redirects=False)
    assert response.status_code == 403
    assert client_of(session, admin_world.app) is None


def test_the_inventory_app_page_links_the_admin_to_it(
    client: TestClient, session: Session, admin_world: AdminWorld
) -> None:
    log_in(client)
    html = client.get("/kota-sso/aplikasi/salaman").text
    assert 'href="/kota-sso/aplikasi/salaman/oidc"' in html
    client.post("/kota-sso/keluar", data={"csrf_token": csrf_from(html)})
    log_in(client, "petugas@example.org")
    html = client.get("/kota-sso/aplikasi/salaman").text
    assert "/oidc" not in html
