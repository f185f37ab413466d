""" "Aplikasi terhubung": a citizen (or an officer) sees the apps they let sign them in, what
each may receive and when it last did, and disconnects one, which ends its tokens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.core.models import AuditEvent, utcnow
from simpul.identity import service
from simpul.identity.models import OidcConsent, OidcToken, ReleaseChannel
from tests.factories import csrf_from, post_form
from tests.identity.conftest import PASSWORD, IdentityWorld

PAGE = "/kota-sso/akun/aplikasi"


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    response = post_form(client, "/kota-sso/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def add_token(session: Session, world: IdentityWorld, user_id: uuid.UUID) -> OidcToken:
    """A live access + refresh token the portal holds for the user."""
    now = utcnow()
    token = OidcToken(
        region_id=world.region.id,
        client_pk=world.portal.id,
        user_id=user_id,
        family_id=uuid.uuid4(),
        scope="openid profile",
        access_jti=uuid.uuid4().hex,
        access_expires_at=now + timedelta(minutes=10),
        refresh_token_hash=uuid.uuid4().bytes + uuid.uuid4().bytes,
        refresh_expires_at=now + timedelta(days=30),
        auth_time=now,
    )
    session.add(token)
    session.flush()
    return token


def test_page_explains_connected_apps_when_there_are_none(
    client: TestClient, identity_world: IdentityWorld
) -> None:
    log_in(client, "warga@example.org")
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "Belum ada aplikasi yang terhubung" in response.text
    assert "Putuskan" not in response.text


def test_page_needs_a_signed_in_user(client: TestClient, identity_world: IdentityWorld) -> None:
    response = client.get(PAGE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/kota-sso/masuk")


def test_lists_each_app_with_what_it_receives_since_when_and_last_release(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    service.grant_consent(session, world.citizen, world.portal, ["openid", "profile", "email"])
    service.grant_consent(session, world.citizen, world.mobile, ["openid"])
    service.record_release(
        session,
        region_id=world.region.id,
        user_id=world.citizen.id,
        client=world.portal,
        channel=ReleaseChannel.USERINFO,
        claims=["sub", "email"],
    )
    session.flush()
    log_in(client, "warga@example.org")
    html = client.get(PAGE).text
    # Newest consent first: the mobile app, then the portal.
    assert html.index("<h2>PPDB Mobile</h2>") < html.index("<h2>Portal Warga</h2>")
    portal = html[html.index("<h2>Portal Warga</h2>") :]
    assert "Alamat e-mail Anda" in portal
    assert "Nama lengkap dan bahasa pilihan Anda" in portal
    assert "Nomor telepon Anda" not in portal  # allowed to the client, not consented
    assert world.agency.name in html
    assert "PPDB Mobile" in html
    # The portal received data, the mobile app never did.
    assert html.count("Belum pernah") == 1
    assert html.count("Putuskan") >= 2


def test_nik_is_flagged_as_sensitive(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    world.portal.allowed_scopes = [*world.portal.allowed_scopes, "nik"]
    service.grant_consent(session, world.citizen, world.portal, ["openid", "nik"])
    session.flush()
    log_in(client, "warga@example.org")
    html = client.get(PAGE).text
    assert "<strong>NIK (Nomor Induk Kependudukan) Anda</strong>" in html
    assert "data sensitif" in html


def test_disconnecting_revokes_consent_and_ends_the_apps_tokens(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    consent = service.grant_consent(session, world.citizen, world.portal, ["openid", "profile"])
    token = add_token(session, world, world.citizen.id)
    others = add_token(session, world, world.officer.id)  # another user's: untouched
    log_in(client, "warga@example.org")
    response = post_form(client, f"{PAGE}/{consent.id}/putus", {}, page=PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?pesan=diputus"
    session.expire_all()
    assert session.get(OidcConsent, consent.id).revoked_at is not None  # type: ignore[union-attr]
    ended = session.get(OidcToken, token.id)
    assert ended is not None
    assert ended.revoked_at is not None
    assert ended.revoked_reason == "consent_revoked"
    assert session.get(OidcToken, others.id).revoked_at is None  # type: ignore[union-attr]
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "identity.consent_revoked")
    ).all()
    assert len(audit) == 1
    page = client.get(response.headers["location"]).text
    assert "Aplikasi sudah diputus" in page
    assert "Riwayat aplikasi yang sudah diputus" in page
    assert "Belum ada aplikasi yang terhubung" in page  # none left active


def test_disconnecting_needs_the_csrf_token(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    consent = service.grant_consent(session, world.citizen, world.portal, ["openid"])
    token = add_token(session, world, world.citizen.id)
    log_in(client, "warga@example.org")
    response = client.post(f"{PAGE}/{consent.id}/putus", follow_redirects=False)
    assert response.status_code == 403
    response = client.post(
        f"{PAGE}/{consent.id}/putus", data={"csrf_token": "palsu"}, follow_redirects=False
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(OidcConsent, consent.id).revoked_at is None  # type: ignore[union-attr]
    assert session.get(OidcToken, token.id).revoked_at is None  # type: ignore[union-attr]


def test_another_users_consent_is_not_found(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    officers = service.grant_consent(session, world.officer, world.portal, ["openid"])
    token = add_token(session, world, world.officer.id)
    log_in(client, "warga@example.org")
    response = post_form(client, f"{PAGE}/{officers.id}/putus", {}, page=PAGE)
    assert response.status_code == 404
    session.expire_all()
    assert session.get(OidcConsent, officers.id).revoked_at is None  # type: ignore[union-attr]
    assert session.get(OidcToken, token.id).revoked_at is None  # type: ignore[union-attr]


def test_disconnecting_twice_is_not_found(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    consent = service.grant_consent(session, world.citizen, world.portal, ["openid"])
    log_in(client, "warga@example.org")
    token = csrf_from(client.get(PAGE).text)
    first = client.post(
        f"{PAGE}/{consent.id}/putus", data={"csrf_token": token}, follow_redirects=False
    )
    assert first.status_code == 303
    again = client.post(
        f"{PAGE}/{consent.id}/putus", data={"csrf_token": token}, follow_redirects=False
    )
    assert again.status_code == 404


def test_staff_accounts_have_the_page_too(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    service.grant_consent(session, world.officer, world.mobile, ["openid", "profile"])
    service.grant_consent(session, world.citizen, world.portal, ["openid"])
    log_in(client, "petugas@example.org")
    html = client.get(PAGE).text
    assert "PPDB Mobile" in html
    assert "Portal Warga" not in html  # the citizen's, not the officer's


def test_history_lists_disconnected_apps_and_a_new_grant_is_active_again(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    world = identity_world
    first = service.grant_consent(session, world.citizen, world.portal, ["openid"])
    service.revoke_consent(session, world.citizen, first.id)
    service.grant_consent(session, world.citizen, world.portal, ["openid"])
    log_in(client, "warga@example.org")
    html = client.get(PAGE).text
    active, _sep, history = html.partition("Riwayat aplikasi yang sudah diputus")
    assert "Portal Warga" in active
    assert "Portal Warga" in history
    assert len(re.findall(r"/putus\"", html)) == 1  # only the active one has a button


def test_page_is_not_cached_and_has_no_script(
    client: TestClient, session: Session, identity_world: IdentityWorld
) -> None:
    log_in(client, "warga@example.org")
    response = client.get(PAGE)
    assert response.headers["cache-control"] == "no-store"
    main = response.text[response.text.index("<h1>") :]
    assert "<script" not in main
