"""Consents, pairwise subjects and releases: the shared core of the provider."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from simpul.core.errors import InvalidInput, NotFound
from simpul.identity import service
from simpul.identity.models import ReleaseChannel
from tests.identity.conftest import IdentityWorld


def test_each_app_sees_its_own_subject_for_the_same_person(identity_world: IdentityWorld) -> None:
    w = identity_world
    portal_sub = service.subject_for(w.citizen.id, w.portal)
    mobile_sub = service.subject_for(w.citizen.id, w.mobile)
    assert portal_sub != mobile_sub
    assert portal_sub == service.subject_for(w.citizen.id, w.portal)  # stable
    assert str(w.citizen.id) not in (portal_sub, mobile_sub)
    assert service.subject_for(w.officer.id, w.portal) != portal_sub


def test_a_consent_is_remembered_widened_listed_and_revoked(
    session: Session, identity_world: IdentityWorld
) -> None:
    w = identity_world
    assert not service.consent_covers(
        service.active_consent(session, w.citizen, w.portal), ["openid"]
    )
    service.grant_consent(session, w.citizen, w.portal, ["openid", "email"])
    consent = service.grant_consent(session, w.citizen, w.portal, ["profile", "openid"])
    assert consent.scopes == ["openid", "profile", "email"]
    assert service.consent_covers(consent, ["openid", "profile"])
    assert not service.consent_covers(consent, ["phone"])
    assert [row.client.client_id for row in service.connected_apps(session, w.citizen)] == [
        "portal-warga"
    ]
    service.revoke_consent(session, w.citizen, consent.id)
    assert service.connected_apps(session, w.citizen) == []
    with pytest.raises(NotFound):
        service.revoke_consent(session, w.citizen, consent.id)
    # Another person cannot revoke it by its id.
    again = service.grant_consent(session, w.citizen, w.portal, ["openid"])
    with pytest.raises(NotFound):
        service.revoke_consent(session, w.officer, again.id)


def test_releases_are_logged_by_claim_name(session: Session, identity_world: IdentityWorld) -> None:
    w = identity_world
    service.record_release(
        session,
        region_id=w.region.id,
        user_id=w.citizen.id,
        client=w.portal,
        channel=ReleaseChannel.USERINFO,
        claims=["email", "sub", "email"],
    )
    [(release, client)] = service.releases_of(session, w.citizen)
    assert release.claims == ["email", "sub"] and client.client_id == "portal-warga"


def test_a_client_with_a_bad_redirect_or_scope_is_refused_and_nothing_written(
    session: Session, identity_world: IdentityWorld
) -> None:
    w = identity_world
    before = len(service.list_clients(session, w.region))
    with pytest.raises(InvalidInput) as refused:
        service.register_client(
            session,
            w.region,
            app_id=w.portal_app.id,
            registration=service.ClientRegistration(
                client_id="Bad Id",
                name="X",
                is_public=False,
                redirect_uris=["http://evil.example/cb", "https://ok.example/cb#frag"],
                allowed_scopes=["profile", "root"],
            ),
            actor=None,
        )
    fields = {d["field"] for d in refused.value.details}
    assert fields == {"redirect_uris", "allowed_scopes", "client_id", "app_id"}
    assert len(service.list_clients(session, w.region)) == before
    assert service.secret_matches(w.portal, "rahasia-klien-portal-uji-0123456789")
    assert not service.secret_matches(w.portal, "wrong")
    assert not service.secret_matches(w.mobile, "")
