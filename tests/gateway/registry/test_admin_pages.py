"""The region admin's gateway pages: register a provider's service from its OpenAPI document,
switch endpoints, register clients and issue keys (shown once), request and decide grants,
read the audit trail. Only the region admin gets in, and never into another region's gateway."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, StaffRoleName
from simpul.catalogue.models import Agency
from simpul.core.models import AuditEvent, Region
from simpul.gateway.registry import pages as admin_pages
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import (
    EndUserIdentity,
    GatewayClient,
    GatewayCredential,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.inventory.models import App
from tests.factories import csrf_from, make_region, make_user, post_form
from tests.gateway.conftest import add_app

SAMPLE = Path(__file__).parent.parent / "samples" / "penduduk-openapi.yaml"
BASE = "/kota-a/admin/integrasi"
ADMIN = ("admin@example.org", "sandi-admin-12")
BROKEN_DOCUMENT = """openapi: 3.0.3
info:
  title: Rusak
  version: "1"
paths:
  /penduduk:
    get:
      summary: tanpa jawaban
"""


@dataclass
class World:
    region: Region
    provider: App
    consumer: App
    other_region: Region
    other_service: GatewayService
    other_client: GatewayClient


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """The app with the integration pages (included here until web/app.py includes them)."""
    paths = {getattr(route, "path", "") for route in client.app.routes}  # type: ignore[attr-defined]
    if "/{region}/admin/integrasi" not in paths:
        client.app.include_router(admin_pages.router)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def world(session: Session) -> World:
    region = make_region(session, "kota-a", "Kota A")
    agency = session.scalars(select(Agency).where(Agency.region_id == region.id)).one()
    provider = add_app(session, region, agency, "sipenduduk", "Sistem Data Penduduk")
    consumer = add_app(session, region, agency, "portal", "Portal Layanan")
    make_user(session, region, *ADMIN, AccountKind.REGION_ADMIN)
    make_user(
        session,
        region,
        "petugas@example.org",
        "sandi-petugas-1",
        AccountKind.STAFF,
        roles=[("dinas-uji", StaffRoleName.VERIFIKATOR)],
    )
    make_user(session, region, "warga@example.org", "sandi-warga-12")

    other = make_region(session, "kab-b", "Kabupaten B")
    other_agency = session.scalars(select(Agency).where(Agency.region_id == other.id)).one()
    add_app(session, other, other_agency, "sipenduduk", "Data Penduduk B")
    add_app(session, other, other_agency, "portal-b", "Portal B")
    actor = registry.Actor(label="cli")
    other_service = registry.register_service(
        session,
        other,
        app_code="sipenduduk",
        code="data-penduduk",
        upstream_url="http://10.9.0.1/api",
        openapi_text=SAMPLE.read_text(),
        actor=actor,
    )
    other_client = registry.register_client(session, other, app_code="portal-b", actor=actor)
    session.flush()
    return World(region, provider, consumer, other, other_service, other_client)


def log_in(client: TestClient, email: str, password: str) -> None:
    response = post_form(client, "/kota-a/masuk", {"email": email, "password": password})
    assert response.status_code == 303


def submit(
    client: TestClient,
    path: str,
    data: dict[str, str],
    *,
    page: str,
    files: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Submit a form of ``page`` as a browser does (with the page's CSRF token, and the key
    forms' one-time token if the page has one)."""
    html = client.get(page).text
    return client.post(
        path,
        data={**form_token_of(html), **data, "csrf_token": csrf_from(html)},
        files=files,
        headers=headers,
        follow_redirects=False,
    )


def form_token_of(html: str) -> dict[str, str]:
    """The one-time token of a client page's key forms (each rendering makes a new one)."""
    tokens = set(re.findall(r'name="form_token" value="([^"]+)"', html))
    assert len(tokens) <= 1, tokens
    return {"form_token": tokens.pop()} if tokens else {}


def register_sample(client: TestClient, **extra: str) -> Any:
    data = {
        "app_code": "sipenduduk",
        "code": "data-penduduk",
        "upstream_url": "http://10.0.3.7:8080/api",
        "timeout_seconds": "15",
        **extra,
    }
    files = {"openapi_file": ("penduduk.yaml", SAMPLE.read_bytes(), "application/yaml")}
    return submit(client, f"{BASE}/layanan/baru", data, page=f"{BASE}/layanan/baru", files=files)


def service_of(session: Session, world: World) -> GatewayService:
    return session.scalars(
        select(GatewayService).where(GatewayService.region_id == world.region.id)
    ).one()


def register_portal_client(client: TestClient, session: Session, world: World) -> GatewayClient:
    response = submit(
        client,
        f"{BASE}/klien",
        {"app_code": "portal", "rate_limit_per_minute": "120"},
        page=f"{BASE}/klien",
    )
    assert response.status_code == 303
    found = session.scalars(
        select(GatewayClient).where(GatewayClient.region_id == world.region.id)
    ).one()
    assert response.headers["location"] == f"{BASE}/klien/{found.id}?pesan=klien-baru"
    return found


KEY = re.compile(r'<code class="token" id="kunci-baru-isi"[^>]*>(sgw_[^<]+)</code>')
SENT_AGAIN = (
    "Kunci untuk formulir ini sudah diterbitkan dan hanya ditampilkan sekali. "
    "Terbitkan kunci baru bila kunci itu hilang."
)


# -- provider services ---------------------------------------------------------------------


def test_admin_registers_a_service_from_an_uploaded_document(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    form = admin_client.get(f"{BASE}/layanan/baru")
    assert form.status_code == 200
    assert (
        '<option value="sipenduduk"' in form.text and "Simpan isi pesan (terenkripsi)" in form.text
    )

    response = register_sample(admin_client, log_bodies="ya")
    assert response.status_code == 303
    service = service_of(session, world)
    assert response.headers["location"] == f"{BASE}/layanan/{service.id}?pesan=layanan-baru"
    assert service.title == "Layanan Data Penduduk" and service.version == "1.2.0"
    assert service.log_bodies is True and service.timeout_seconds == 15.0

    page = admin_client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Layanan didaftarkan." in page.text
    assert "/r1/kota-a/GOV/dinas-uji/sipenduduk/data-penduduk/" in page.text
    assert "http://10.0.3.7:8080/api" in page.text
    rows = re.findall(
        r'<tr id="ep-[^"]+">\s*<td data-label="Metode"><code>(\w+)</code></td>\s*'
        r'<td data-label="Path"><code>([^<]+)</code>',
        page.text,
    )
    assert sorted(rows) == sorted(
        [
            ("GET", "/status"),
            ("GET", "/penduduk"),
            ("GET", "/penduduk/{nik}"),
            ("POST", "/penduduk/{nik}/verifikasi"),
        ]
    )
    home = admin_client.get(BASE)
    assert f'href="{BASE}/layanan/{service.id}"' in home.text


def test_a_pasted_document_works_like_an_uploaded_one(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    response = submit(
        admin_client,
        f"{BASE}/layanan/baru",
        {
            "app_code": "sipenduduk",
            "code": "data-penduduk",
            "upstream_url": "https://sipenduduk.internal/api",
            "openapi": SAMPLE.read_text(),
        },
        page=f"{BASE}/layanan/baru",
    )
    assert response.status_code == 303
    service = service_of(session, world)
    assert service.timeout_seconds == 30.0 and service.log_bodies is False
    endpoints = session.scalars(
        select(GatewayEndpoint).where(GatewayEndpoint.service_id == service.id)
    ).all()
    assert len(endpoints) == 4


def test_an_invalid_document_comes_back_with_where_it_is_wrong_and_nothing_is_stored(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    response = submit(
        admin_client,
        f"{BASE}/layanan/baru",
        {
            "app_code": "sipenduduk",
            "code": "data-rusak",
            "upstream_url": "http://10.0.3.7/api",
            "openapi": BROKEN_DOCUMENT,
        },
        page=f"{BASE}/layanan/baru",
    )
    assert response.status_code == 422
    assert "Dokumen OpenAPI ditolak: paths./penduduk.get:" in response.text
    assert "properti wajib &#39;responses&#39; tidak ada." in response.text
    assert 'id="e-openapi"' in response.text
    # the admin's input is still there to be corrected
    assert 'value="data-rusak"' in response.text and 'value="http://10.0.3.7/api"' in response.text
    assert "summary: tanpa jawaban" in response.text
    assert '<option value="sipenduduk" selected>' in response.text
    assert session.scalars(select(GatewayService)).all() == [world.other_service]
    assert not session.scalars(
        select(AuditEvent).where(
            AuditEvent.region_id == world.region.id, AuditEvent.action.like("gateway.%")
        )
    ).all()


def test_a_document_over_2_mb_is_refused_unread(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    huge = b"# " + b"x" * (2 * 1024 * 1024) + b"\n"
    files = {"openapi_file": ("besar.yaml", huge, "application/yaml")}
    data = {"app_code": "sipenduduk", "code": "besar", "upstream_url": "http://10.0.3.7/api"}
    response = submit(
        admin_client, f"{BASE}/layanan/baru", data, page=f"{BASE}/layanan/baru", files=files
    )
    assert response.status_code == 422
    assert "Berkas terlalu besar: maksimal 2 MB." in response.text
    assert (
        session.scalars(
            select(GatewayService).where(GatewayService.region_id == world.region.id)
        ).all()
        == []
    )


def test_wrong_fields_are_shown_next_to_them_and_a_taken_code_is_a_conflict(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    response = register_sample(
        admin_client, upstream_url="ftp://10.0.3.7/api", code="data penduduk"
    )
    assert response.status_code == 422
    assert 'id="e-upstream_url">Alamat harus diawali http:// atau https://.' in response.text
    assert 'id="e-code">Kode 1-60 karakter' in response.text
    assert re.search(r'id="f-upstream_url"[^>]*aria-invalid="true"', response.text, re.S)
    bad_timeout = register_sample(admin_client, timeout_seconds="lama")
    assert bad_timeout.status_code == 422
    assert "Batas waktu harus berupa angka detik" in bad_timeout.text
    assert (
        session.scalars(
            select(GatewayService).where(GatewayService.region_id == world.region.id)
        ).all()
        == []
    )

    assert register_sample(admin_client).status_code == 303
    again = register_sample(admin_client)
    assert again.status_code == 409
    assert 'id="e-code">Kode layanan sudah dipakai aplikasi ini.' in again.text


def test_an_endpoint_is_switched_off_and_on_with_and_without_htmx(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    endpoint = session.scalars(
        select(GatewayEndpoint).where(
            GatewayEndpoint.service_id == service.id, GatewayEndpoint.path == "/penduduk/{nik}"
        )
    ).one()
    detail = f"{BASE}/layanan/{service.id}"
    toggle = f"{detail}/endpoint/{endpoint.id}/status"

    plain = submit(admin_client, toggle, {"enabled": "tidak"}, page=detail)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"{detail}?pesan=endpoint#ep-{endpoint.id}"
    session.refresh(endpoint)
    assert endpoint.enabled is False

    token = csrf_from(admin_client.get(detail).text)
    swapped = admin_client.post(
        toggle,
        data={"enabled": "ya"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert swapped.status_code == 200
    assert swapped.text.lstrip().startswith(f'<tr id="ep-{endpoint.id}">')
    assert "<html" not in swapped.text and "Nonaktifkan" in swapped.text
    session.refresh(endpoint)
    assert endpoint.enabled is True
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_id == str(endpoint.id))
    ).all()
    assert sorted(actions) == ["gateway.endpoint.disable", "gateway.endpoint.enable"]

    switched_off = submit(admin_client, f"{detail}/status", {"enabled": "tidak"}, page=detail)
    assert switched_off.status_code == 303
    session.refresh(service)
    assert service.enabled is False
    assert "Nonaktifkan layanan" not in admin_client.get(detail).text


def test_replacing_the_document_with_a_broken_one_keeps_the_endpoints(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    detail = f"{BASE}/layanan/{service.id}"
    files = {"openapi_file": ("rusak.yaml", BROKEN_DOCUMENT.encode(), "application/yaml")}
    response = submit(admin_client, f"{detail}/dokumen", {}, page=detail, files=files)
    assert response.status_code == 422
    assert "paths./penduduk.get" in response.text
    assert "Bila memakai berkas, pilih berkasnya lagi" in response.text
    session.refresh(service)
    assert service.version == "1.2.0"
    assert (
        len(
            session.scalars(
                select(GatewayEndpoint).where(GatewayEndpoint.service_id == service.id)
            ).all()
        )
        == 4
    )


def test_service_settings_are_changed_and_refused_values_shown(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    detail = f"{BASE}/layanan/{service.id}"
    values = {
        "title": "Data Penduduk",
        "upstream_url": "http://10.0.3.8/api",
        "timeout_seconds": "700",
        "max_body_mb": "2",
    }
    refused = submit(admin_client, f"{detail}/pengaturan", values, page=detail)
    assert refused.status_code == 422
    assert 'id="e-timeout_seconds">Batas waktu harus lebih dari 0' in refused.text
    assert 'value="http://10.0.3.8/api"' in refused.text
    session.refresh(service)
    assert service.upstream_url == "http://10.0.3.7:8080/api"

    for odd in ("inf", "nan", "sepuluh"):
        not_a_size = submit(
            admin_client, f"{detail}/pengaturan", {**values, "max_body_mb": odd}, page=detail
        )
        assert not_a_size.status_code == 422, odd
        assert 'id="e-max_body_mb">Ukuran maksimal harus berupa angka' in not_a_size.text

    saved = submit(
        admin_client, f"{detail}/pengaturan", {**values, "timeout_seconds": "45"}, page=detail
    )
    assert saved.status_code == 303
    session.refresh(service)
    assert service.upstream_url == "http://10.0.3.8/api" and service.timeout_seconds == 45
    assert service.max_body_bytes == 2 * 1024 * 1024 and service.title == "Data Penduduk"


# -- clients and keys ----------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_only_its_digest_is_stored(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    assert client.rate_limit_per_minute == 120

    issued = submit(admin_client, f"{page}/kunci", {"label": "server produksi"}, page=page)
    assert issued.status_code == 200
    assert "location" not in issued.headers
    assert issued.headers["cache-control"] == "no-store"
    assert "Kunci tidak akan ditampilkan lagi." in issued.text
    match = KEY.search(issued.text)
    assert match
    key = match.group(1)

    credential = session.scalars(
        select(GatewayCredential).where(GatewayCredential.client_id == client.id)
    ).one()
    assert credential.key_digest == hashlib.sha256(key.encode()).digest()
    assert credential.label == "server produksi"
    assert key not in (credential.key_hint, credential.label, credential.created_by)
    assert key.startswith("sgw_" + credential.key_hint)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "gateway.key.issue")
    ).all()
    assert len(events) == 1 and key not in str(events[0].details)

    again = admin_client.get(page)
    assert again.status_code == 200
    assert key not in again.text and "kunci-baru-isi" not in again.text
    assert f"sgw_{credential.key_hint}…" in again.text


def test_rotation_shows_the_new_key_once_and_the_old_one_expires(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    first = KEY.search(submit(admin_client, f"{page}/kunci", {}, page=page).text)
    assert first
    old = session.scalars(
        select(GatewayCredential).where(GatewayCredential.client_id == client.id)
    ).one()

    refused = submit(
        admin_client, f"{page}/kunci/{old.id}/rotasi", {"grace_hours": "9999"}, page=page
    )
    assert refused.status_code == 422
    assert 'id="e-grace-' in refused.text and 'value="9999"' in refused.text
    assert "kunci-baru-isi" not in refused.text

    rotated = submit(admin_client, f"{page}/kunci/{old.id}/rotasi", {"grace_hours": "2"}, page=page)
    assert rotated.status_code == 200
    assert rotated.headers["cache-control"] == "no-store"
    second = KEY.search(rotated.text)
    assert second and second.group(1) != first.group(1)
    session.refresh(old)
    assert old.expires_at is not None and old.revoked_at is None
    assert second.group(1) not in admin_client.get(page).text


def credentials_of(session: Session, client: GatewayClient) -> list[GatewayCredential]:
    return list(
        session.scalars(select(GatewayCredential).where(GatewayCredential.client_id == client.id))
    )


def test_sending_a_key_form_again_issues_no_second_key(
    admin_client: TestClient, world: World, session: Session
) -> None:
    """A reload of the page that shows a new key sends its form again: no second key."""
    log_in(admin_client, *ADMIN)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    html = admin_client.get(page).text
    form = {"label": "server produksi", "csrf_token": csrf_from(html), **form_token_of(html)}
    assert form.get("form_token")

    first = admin_client.post(f"{page}/kunci", data=form, follow_redirects=False)
    assert first.status_code == 200 and KEY.search(first.text)
    again = admin_client.post(f"{page}/kunci", data=form, follow_redirects=False)
    assert again.status_code == 409
    assert SENT_AGAIN in again.text
    assert "kunci-baru-isi" not in again.text
    assert again.headers["cache-control"] == "no-store"
    assert len(credentials_of(session, client)) == 1
    # the answer carries a fresh form, which issues a key
    fresh = submit(admin_client, f"{page}/kunci", {}, page=page)
    assert fresh.status_code == 200 and KEY.search(fresh.text)
    assert len(credentials_of(session, client)) == 2

    # a rotation sent again is refused the same way and rotates nothing more
    html = admin_client.get(page).text
    old = credentials_of(session, client)[0]
    rotation = {"grace_hours": "2", "csrf_token": csrf_from(html), **form_token_of(html)}
    rotated = admin_client.post(f"{page}/kunci/{old.id}/rotasi", data=rotation)
    assert rotated.status_code == 200 and KEY.search(rotated.text)
    rotated_again = admin_client.post(f"{page}/kunci/{old.id}/rotasi", data=rotation)
    assert rotated_again.status_code == 409 and SENT_AGAIN in rotated_again.text
    assert len(credentials_of(session, client)) == 3

    # the used tokens are not changes of the gateway: the trail does not list them
    trail = admin_client.get(f"{BASE}/jejak").text
    assert "gateway.key.form" not in trail and form["form_token"] not in trail
    actions = re.findall(r'<td data-label="Tindakan">([^<]+)</td>', trail)
    assert actions == [
        "Kunci API dirotasi",
        "Kunci API diterbitkan",
        "Kunci API diterbitkan",
        "Klien didaftarkan",
    ]
    assert "4 catatan" in trail


def test_a_key_form_without_its_token_issues_nothing_and_a_refused_one_stays_usable(
    admin_client: TestClient, world: World, session: Session
) -> None:
    """A form from a page without the token issues nothing; a refused form can be corrected
    and sent again with the same token."""
    log_in(admin_client, *ADMIN)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    html = admin_client.get(page).text
    untokened = admin_client.post(
        f"{page}/kunci", data={"label": "", "csrf_token": csrf_from(html)}
    )
    assert untokened.status_code == 400
    assert "Formulir ini sudah usang. Muat ulang halaman, lalu kirim lagi." in untokened.text
    assert credentials_of(session, client) == []

    assert KEY.search(submit(admin_client, f"{page}/kunci", {}, page=page).text)
    [old] = credentials_of(session, client)
    html = admin_client.get(page).text
    form = {"csrf_token": csrf_from(html), **form_token_of(html)}
    refused = admin_client.post(f"{page}/kunci/{old.id}/rotasi", data={**form, "grace_hours": "x"})
    assert refused.status_code == 422
    assert f'id="e-grace-{old.id}">Masa tenggang harus bilangan bulat jam' in refused.text
    assert len(credentials_of(session, client)) == 1
    corrected = admin_client.post(
        f"{page}/kunci/{old.id}/rotasi", data={**form, "grace_hours": "2"}
    )
    assert corrected.status_code == 200 and KEY.search(corrected.text)
    assert len(credentials_of(session, client)) == 2


def test_revoking_a_key_needs_a_reason(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    submit(admin_client, f"{page}/kunci", {}, page=page)
    credential = session.scalars(
        select(GatewayCredential).where(GatewayCredential.client_id == client.id)
    ).one()
    revoke = f"{page}/kunci/{credential.id}/cabut"

    refused = submit(admin_client, revoke, {"reason": "  "}, page=page)
    assert refused.status_code == 422
    assert f'id="e-reason-{credential.id}">Wajib diisi.' in refused.text
    session.refresh(credential)
    assert credential.revoked_at is None

    done = submit(admin_client, revoke, {"reason": "Kunci bocor di repositori"}, page=page)
    assert done.status_code == 303
    session.refresh(credential)
    assert credential.revoked_at is not None
    assert credential.revoked_reason == "Kunci bocor di repositori"
    shown = admin_client.get(done.headers["location"]).text
    assert "Kunci API dicabut" in shown and "Kunci bocor di repositori" in shown


# -- groups and grants ---------------------------------------------------------------------


def test_a_grant_is_requested_then_approved_by_the_region_admin(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    client = register_portal_client(admin_client, session, world)

    missing_reason = submit(
        admin_client,
        f"{BASE}/akses",
        {"service_id": str(service.id), "grantee": f"klien:{client.id}", "reason": ""},
        page=f"{BASE}/akses",
    )
    assert missing_reason.status_code == 422
    assert 'id="e-reason">Wajib diisi.' in missing_reason.text
    assert session.scalars(select(GatewayGrant)).all() == []

    requested = submit(
        admin_client,
        f"{BASE}/akses",
        {
            "service_id": str(service.id),
            "endpoint_id": "",
            "grantee": f"klien:{client.id}",
            "reason": "Portal memeriksa data pemohon.",
        },
        page=f"{BASE}/akses",
    )
    assert requested.status_code == 303
    grant = session.scalars(select(GatewayGrant)).one()
    assert grant.status is GrantStatus.PENDING and grant.requested_by == ADMIN[0]

    home = admin_client.get(BASE).text
    waiting = home.index('id="menunggu"')
    assert waiting < home.index(f'id="akses-{grant.id}"') < home.index('id="layanan"')
    assert "Portal memeriksa data pemohon." in home

    no_note = submit(admin_client, f"{BASE}/akses/{grant.id}/tolak", {"note": ""}, page=BASE)
    assert no_note.status_code == 422
    assert f'id="e-note-{grant.id}">Wajib diisi.' in no_note.text
    session.refresh(grant)
    assert grant.status is GrantStatus.PENDING

    approved = submit(
        admin_client,
        f"{BASE}/akses/{grant.id}/setujui",
        {"note": "", "kembali": BASE},
        page=BASE,
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == f"{BASE}?pesan=disetujui#akses-{grant.id}"
    session.refresh(grant)
    assert grant.status is GrantStatus.APPROVED and grant.decided_by == ADMIN[0]
    overview = admin_client.get(approved.headers["location"]).text
    assert '<div class="notice" role="status">Akses disetujui.</div>' in overview
    assert "Tidak ada permintaan akses yang menunggu." in overview
    # only the known notices are shown, never text from the URL
    other = admin_client.get(BASE, params={"pesan": "Akses dicabut oleh peretas"}).text
    assert "peretas" not in other and 'class="notice"' not in other
    approved_list = admin_client.get(f"{BASE}/akses", params={"status": "approved"}).text
    assert f'id="akses-{grant.id}"' in approved_list
    pending_list = admin_client.get(f"{BASE}/akses", params={"status": "pending"}).text
    assert f'id="akses-{grant.id}"' not in pending_list

    revoked = submit(
        admin_client,
        f"{BASE}/akses/{grant.id}/cabut",
        {"note": "Kontrak portal berakhir.", "kembali": "https://jahat.example/"},
        page=f"{BASE}/akses",
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"].startswith(f"{BASE}/akses?pesan=dicabut")
    session.refresh(grant)
    assert grant.status is GrantStatus.REVOKED and grant.decision_note == "Kontrak portal berakhir."


def test_a_group_gets_members_and_an_endpoint_grant(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/grup"

    created = submit(
        admin_client, page, {"code": "kependudukan", "name": "Aplikasi kependudukan"}, page=page
    )
    assert created.status_code == 303
    taken = submit(admin_client, page, {"code": "kependudukan", "name": "Lagi"}, page=page)
    assert taken.status_code == 409
    assert 'id="e-code">Kode kelompok sudah dipakai.' in taken.text

    group_id = re.search(r"#grup-([0-9a-f-]+)", created.headers["location"])
    assert group_id
    added = submit(
        admin_client,
        f"{page}/{group_id.group(1)}/anggota",
        {"client_id": str(client.id)},
        page=page,
    )
    assert added.status_code == 303
    listed = admin_client.get(page).text
    assert f'href="{BASE}/klien/{client.id}">Portal Layanan</a>' in listed

    endpoint = session.scalars(
        select(GatewayEndpoint).where(
            GatewayEndpoint.service_id == service.id, GatewayEndpoint.path == "/status"
        )
    ).one()
    requested = submit(
        admin_client,
        f"{BASE}/akses",
        {
            "service_id": str(service.id),
            "endpoint_id": str(endpoint.id),
            "grantee": f"grup:{group_id.group(1)}",
            "reason": "Pemantauan.",
        },
        page=f"{BASE}/akses",
    )
    assert requested.status_code == 303
    grant = session.scalars(select(GatewayGrant)).one()
    assert grant.group_id == uuid.UUID(group_id.group(1)) and grant.endpoint_id == endpoint.id
    # the client's page lists the grant its group holds
    assert f'id="akses-{grant.id}"' in admin_client.get(f"{BASE}/klien/{client.id}").text


# -- who may enter -------------------------------------------------------------------------

PAGES = [
    BASE,
    f"{BASE}/layanan/baru",
    f"{BASE}/klien",
    f"{BASE}/grup",
    f"{BASE}/akses",
    f"{BASE}/jejak",
]


@pytest.mark.parametrize(
    "account", [("petugas@example.org", "sandi-petugas-1"), ("warga@example.org", "sandi-warga-12")]
)
def test_staff_and_citizens_are_refused(
    admin_client: TestClient, world: World, account: tuple[str, str]
) -> None:
    log_in(admin_client, *account)
    for path in PAGES:
        assert admin_client.get(path).status_code == 403, path
    token = csrf_from(admin_client.get("/kota-a").text)
    refused = admin_client.post(
        f"{BASE}/klien", data={"app_code": "portal", "csrf_token": token}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(admin_client: TestClient, world: World) -> None:
    response = admin_client.get(BASE, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/kota-a/masuk?next={BASE}"


def test_another_regions_service_and_client_are_not_found(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    other_service = world.other_service.id
    other_client = world.other_client.id
    assert admin_client.get(f"{BASE}/layanan/{other_service}").status_code == 404
    assert admin_client.get(f"{BASE}/klien/{other_client}").status_code == 404
    assert admin_client.get(f"{BASE}/layanan/bukan-uuid").status_code == 404
    endpoint = session.scalars(
        select(GatewayEndpoint).where(GatewayEndpoint.service_id == other_service)
    ).first()
    assert endpoint is not None
    toggled = submit(
        admin_client,
        f"{BASE}/layanan/{other_service}/endpoint/{endpoint.id}/status",
        {"enabled": "tidak"},
        page=BASE,
    )
    assert toggled.status_code == 404
    issued = submit(admin_client, f"{BASE}/klien/{other_client}/kunci", {}, page=BASE)
    assert issued.status_code == 404
    session.refresh(endpoint)
    assert endpoint.enabled is True
    assert session.scalars(select(GatewayCredential)).all() == []
    # nor does a grant request reach another region's service
    client = register_portal_client(admin_client, session, world)
    crossed = submit(
        admin_client,
        f"{BASE}/akses",
        {"service_id": str(other_service), "grantee": f"klien:{client.id}", "reason": "Coba."},
        page=f"{BASE}/akses",
    )
    assert crossed.status_code == 404
    assert session.scalars(select(GatewayGrant)).all() == []


def test_a_form_without_its_csrf_token_is_refused(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    response = admin_client.post(
        f"{BASE}/klien", data={"app_code": "portal"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert "Formulir ini kedaluwarsa atau tidak sah." in response.text
    assert (
        session.scalars(
            select(GatewayClient).where(GatewayClient.region_id == world.region.id)
        ).all()
        == []
    )


# -- the audit trail -----------------------------------------------------------------------


def test_the_audit_trail_lists_the_gateway_changes_in_indonesian(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    client = register_portal_client(admin_client, session, world)
    page = f"{BASE}/klien/{client.id}"
    match = KEY.search(submit(admin_client, f"{page}/kunci", {}, page=page).text)
    assert match

    trail = admin_client.get(f"{BASE}/jejak")
    assert trail.status_code == 200
    actions = re.findall(r'<td data-label="Tindakan">([^<]+)</td>', trail.text)
    # newest first; registering the provider's first service also marks it integrated
    assert actions[:2] == ["Kunci API diterbitkan", "Klien didaftarkan"]
    assert "Layanan didaftarkan" in actions
    assert "Status integrasi aplikasi berubah" in actions
    assert "Layanan: sipenduduk/data-penduduk" in re.sub(r"<[^>]+>", "", trail.text)
    assert ADMIN[0] in trail.text
    assert match.group(1) not in trail.text
    # another region's changes are not listed
    assert "kab-b" not in trail.text and "portal-b" not in trail.text


def test_a_service_asks_for_the_end_users_identity_with_its_scopes(
    admin_client: TestClient, world: World, session: Session
) -> None:
    log_in(admin_client, *ADMIN)
    register_sample(admin_client)
    service = service_of(session, world)
    detail = f"{BASE}/layanan/{service.id}"
    shown = admin_client.get(detail)
    assert "Identitas pengguna akhir" in shown.text
    assert 'name="end_user_identity" value="none" checked' in shown.text
    values = {
        "title": service.title,
        "upstream_url": service.upstream_url,
        "timeout_seconds": "30",
        "max_body_mb": "10",
        "end_user_identity": "required",
        "end_user_scopes": "profile, alamat",
    }
    refused = submit(admin_client, f"{detail}/pengaturan", values, page=detail)
    assert refused.status_code == 422
    assert 'id="e-end_user_scopes">Cakupan tidak dikenal: alamat.' in refused.text
    assert 'value="profile, alamat"' in refused.text
    odd = submit(
        admin_client,
        f"{detail}/pengaturan",
        {**values, "end_user_identity": "kadang", "end_user_scopes": ""},
        page=detail,
    )
    assert odd.status_code == 422
    assert 'id="e-end_user_identity">Pilih salah satu' in odd.text
    session.refresh(service)
    assert service.end_user_identity is EndUserIdentity.NONE

    saved = submit(
        admin_client,
        f"{detail}/pengaturan",
        {**values, "end_user_scopes": "profile"},
        page=detail,
    )
    assert saved.status_code == 303
    session.refresh(service)
    assert service.end_user_identity is EndUserIdentity.REQUIRED
    assert service.end_user_scopes == ["openid", "profile"]
    assert 'name="end_user_identity" value="required" checked' in admin_client.get(detail).text
