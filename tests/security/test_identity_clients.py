"""Attacks on the OIDC client admin pages and on "Aplikasi terhubung": another region's apps
and consents, forged ids, redirect addresses that would send codes elsewhere, oversized
input. Each refusal writes nothing."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.catalogue.models import Agency
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.models import Region
from simpul.identity import service
from simpul.identity.models import OidcClient, OidcConsent
from simpul.inventory.models import App
from tests.factories import csrf_from, make_region, make_user, post_form
from tests.gateway.conftest import add_app

PASSWORD = "kata-sandi-uji-123"


@dataclass
class Side:
    region: Region
    admin: User
    citizen: User
    app: App
    client: OidcClient
    consent: OidcConsent


def _side(session: Session, slug: str, nik: str) -> Side:
    region = make_region(session, slug, slug.title())
    agency = session.query(Agency).filter_by(region_id=region.id).one()
    admin = make_user(
        session, region, f"admin@{slug}.example", PASSWORD, AccountKind.REGION_ADMIN, nik=None
    )
    citizen = make_user(session, region, f"warga@{slug}.example", PASSWORD, nik=nik)
    app = add_app(session, region, agency, "salaman", "Salaman")
    client, _secret = service.register_client(
        session,
        region,
        app_id=app.id,
        registration=service.ClientRegistration(
            client_id="salaman",
            name="Salaman",
            is_public=True,
            redirect_uris=["https://salaman.example.go.id/cb"],
            allowed_scopes=["openid", "profile"],
        ),
        actor=None,
    )
    consent = service.grant_consent(session, citizen, client, ["openid"])
    return Side(region, admin, citizen, app, client, consent)


@dataclass
class Two:
    a: Side
    b: Side
    spare: App  # region A's app without a client


@pytest.fixture
def two(session: Session) -> Two:
    a = _side(session, "kota-a", "3273015708900001")
    b = _side(session, "kota-b", "3273015708900002")
    agency = session.query(Agency).filter_by(region_id=a.region.id).one()
    spare = add_app(session, a.region, agency, "cadangan", "Cadangan")
    # Region B also has a "cadangan" app: the same code, another region's row.
    agency_b = session.query(Agency).filter_by(region_id=b.region.id).one()
    add_app(session, b.region, agency_b, "cadangan", "Cadangan B")
    session.flush()
    return Two(a, b, spare)


def log_in(client: TestClient, slug: str, email: str) -> None:
    response = post_form(client, f"/{slug}/masuk", {"email": email, "password": PASSWORD})
    assert response.status_code == 303


def clients_count(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(OidcClient)) or 0


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_id": "cadangan",
        "name": "Cadangan",
        "client_type": "public",
        "redirect_uris": "https://cadangan.example.go.id/cb",
        "scopes": ["openid"],
        "subject_type": "pairwise",
    }
    data.update(changes)
    return data


# -- another region ---------------------------------------------------------------------------


def test_an_admin_cannot_reach_another_regions_client_through_its_pages(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-b", "admin@kota-b.example")
    token = csrf_from(client.get("/kota-b/akun/aplikasi").text)
    # Region A's pages with region B's session: not signed in there.
    response = client.get("/kota-a/aplikasi/salaman/oidc", follow_redirects=False)
    assert response.status_code in {303, 401}
    response = client.post(
        "/kota-a/aplikasi/salaman/oidc/status",
        data={"enabled": "0", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code in {401, 403}
    session.expire_all()
    assert session.get(OidcClient, two.a.client.id).enabled  # type: ignore[union-attr]


def test_an_app_code_of_another_region_only_is_not_found(
    client: TestClient, session: Session, two: Two
) -> None:
    agency_a = session.query(Agency).filter_by(region_id=two.a.region.id).one()
    add_app(session, two.a.region, agency_a, "hanya-di-a", "Hanya di A")
    log_in(client, "kota-b", "admin@kota-b.example")
    assert client.get("/kota-b/aplikasi/hanya-di-a/oidc").status_code == 404
    before = clients_count(session)
    token = csrf_from(client.get("/kota-b/akun/aplikasi").text)
    response = client.post(
        "/kota-b/aplikasi/hanya-di-a/oidc",
        data={**form(client_id="hanya-di-a"), "csrf_token": token},
    )
    assert response.status_code == 404
    assert clients_count(session) == before


def test_the_same_code_in_two_regions_is_two_apps(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-b", "admin@kota-b.example")
    response = post_form(client, "/kota-b/aplikasi/cadangan/oidc", form())
    assert response.status_code == 303
    session.expire_all()
    made = session.scalars(select(OidcClient).where(OidcClient.client_id == "cadangan")).one()
    assert made.region_id == two.b.region.id
    assert made.app_id != two.spare.id


def test_service_refuses_a_client_of_another_region(session: Session, two: Two) -> None:
    registration = service.ClientRegistration(
        client_id="salaman",
        name="Dibajak",
        is_public=True,
        redirect_uris=["https://evil.example/cb"],
        allowed_scopes=["openid"],
    )
    with pytest.raises(NotFound):
        service.update_client(
            session, two.b.region, two.a.client, registration=registration, actor=None
        )
    with pytest.raises(NotFound):
        service.set_client_enabled(session, two.b.region, two.a.client, enabled=False, actor=None)
    with pytest.raises(NotFound):
        service.renew_client_secret(session, two.b.region, two.a.client, actor=None)
    session.refresh(two.a.client)
    assert two.a.client.name == "Salaman"
    assert two.a.client.enabled


# -- forged consent ids -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "forged",
    [
        "other-region",
        "random",
        "not-a-uuid",
        "00000000-0000-0000-0000-000000000000",
        "%2e%2e",
        "x" * 500,
    ],
)
def test_forged_consent_ids_are_not_found(
    client: TestClient, session: Session, two: Two, forged: str
) -> None:
    consent_id = {
        "other-region": str(two.b.consent.id),
        "random": str(uuid.uuid4()),
    }.get(forged, forged)
    log_in(client, "kota-a", "warga@kota-a.example")
    response = post_form(
        client, f"/kota-a/akun/aplikasi/{consent_id}/putus", {}, page="/kota-a/akun/aplikasi"
    )
    assert response.status_code == 404
    session.expire_all()
    assert session.get(OidcConsent, two.b.consent.id).revoked_at is None  # type: ignore[union-attr]
    assert session.get(OidcConsent, two.a.consent.id).revoked_at is None  # type: ignore[union-attr]


def test_the_list_never_shows_another_regions_consents(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-a", "warga@kota-a.example")
    html = client.get("/kota-a/akun/aplikasi").text
    assert str(two.a.consent.id) in html
    assert str(two.b.consent.id) not in html


# -- redirect address tricks ------------------------------------------------------------------

BAD_URIS = [
    "javascript:alert(1)",
    "JavaScript://salaman.example.go.id/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "http://salaman.example.go.id/cb",
    "http://127.0.0.1.evil.example/cb",
    "http://localhost@evil.example/cb",
    "https://salaman.example.go.id/cb#fragment",
    "https://salaman.example.go.id/cb#",
    "https://user@evil.example/cb",
    "https://salaman.example.go.id@evil.example/cb",
    "https://user:pass@salaman.example.go.id/cb",
    "https://evil.example\\@salaman.example.go.id/cb",
    "https://salaman.example.go.id\\.evil.example/cb",
    "https://salaman.example.go.id/c b",
    "https://salaman.example.go.id/cb\t",
    "https://sala\tman.example.go.id/cb",
    "https://salaman.example.go.id/\x00cb",
    "https:///cb",
    "https://:443/cb",
    "https://salaman.example.go.id:port/cb",
    "//salaman.example.go.id/cb",
    "/cb",
    "salaman.example.go.id/cb",
    "https://" + "a" * 500 + ".example/cb",
]


@pytest.mark.parametrize("uri", BAD_URIS)
def test_bad_redirect_uris_are_refused_by_the_service(uri: str) -> None:
    assert service.redirect_uri_problem(uri) is not None


@pytest.mark.parametrize(
    "uri",
    [
        "https://salaman.example.go.id/cb",
        "https://salaman.example.go.id:8443/cb?x=1",
        "http://127.0.0.1:8765/callback",
        "http://[::1]:8765/callback",
        "https://app.example/cb",
    ],
)
def test_good_redirect_uris_are_accepted(uri: str) -> None:
    assert service.redirect_uri_problem(uri) is None


@pytest.mark.parametrize(
    ("field", "uri"),
    [
        ("redirect_uris", "javascript:alert(1)"),
        ("redirect_uris", "data:text/html,x"),
        ("redirect_uris", "http://evil.example/cb"),
        ("redirect_uris", "https://salaman.example.go.id/cb#x"),
        ("redirect_uris", "https://user@salaman.example.go.id/cb"),
        ("post_logout_redirect_uris", "javascript:alert(1)"),
        ("backchannel_logout_uri", "http://10.0.0.1/logout"),
    ],
)
def test_bad_addresses_through_the_page_name_their_field_and_write_nothing(
    client: TestClient, session: Session, two: Two, field: str, uri: str
) -> None:
    log_in(client, "kota-a", "admin@kota-a.example")
    before = clients_count(session)
    response = post_form(client, "/kota-a/aplikasi/cadangan/oidc", form(**{field: uri}))
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text
    assert clients_count(session) == before


def test_ten_thousand_characters_are_refused_with_a_field_error(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-a", "admin@kota-a.example")
    before = clients_count(session)
    long_uri = "https://salaman.example.go.id/" + "a" * 10_000
    for field in ("redirect_uris", "post_logout_redirect_uris", "backchannel_logout_uri"):
        response = post_form(client, "/kota-a/aplikasi/cadangan/oidc", form(**{field: long_uri}))
        assert response.status_code == 422, field
        # The message names the field and quotes at most the address's start.
        error = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', response.text)
        assert error is not None, field
        assert len(error.group(1)) < 300
    response = post_form(
        client, "/kota-a/aplikasi/cadangan/oidc", form(client_id="a" * 10_000, name="b" * 10_000)
    )
    assert response.status_code == 422
    assert clients_count(session) == before


def test_too_many_addresses_are_refused(client: TestClient, session: Session, two: Two) -> None:
    log_in(client, "kota-a", "admin@kota-a.example")
    many = "\n".join(f"https://salaman.example.go.id/cb{i}" for i in range(service.MAX_URIS + 1))
    response = post_form(client, "/kota-a/aplikasi/cadangan/oidc", form(redirect_uris=many))
    assert response.status_code == 422
    assert 'id="e-redirect_uris"' in response.text


def test_many_scope_fields_and_unknown_scopes_are_refused(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-a", "admin@kota-a.example")
    before = clients_count(session)
    response = post_form(
        client, "/kota-a/aplikasi/cadangan/oidc", form(scopes=["openid", "admin", "*"])
    )
    assert response.status_code == 422
    assert 'id="e-allowed_scopes"' in response.text
    response = post_form(client, "/kota-a/aplikasi/cadangan/oidc", form(scopes=["openid"] * 1000))
    assert response.status_code in {400, 422}
    assert clients_count(session) == before


def test_nik_cannot_be_slipped_in_without_the_legal_basis(
    client: TestClient, session: Session, two: Two
) -> None:
    log_in(client, "kota-a", "admin@kota-a.example")
    response = post_form(
        client,
        "/kota-a/aplikasi/salaman/oidc/ubah",
        form(client_id="salaman", scopes=["openid", "nik"]),
        page="/kota-a/aplikasi/salaman/oidc",
    )
    assert response.status_code == 422
    session.expire_all()
    assert "nik" not in session.get(OidcClient, two.a.client.id).allowed_scopes  # type: ignore[union-attr]


def test_a_duplicate_client_id_is_a_field_error(session: Session, two: Two) -> None:
    registration = service.ClientRegistration(
        client_id="salaman",
        name="Kembar",
        is_public=True,
        redirect_uris=["https://kembar.example/cb"],
        allowed_scopes=["openid"],
    )
    with pytest.raises(InvalidInput) as refused:
        service.register_client(
            session, two.a.region, app_id=two.spare.id, registration=registration, actor=None
        )
    assert refused.value.field_errors().keys() == {"client_id"}
