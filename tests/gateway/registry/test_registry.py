"""The gateway's control plane as the Diskominfo team uses it: services, keys, grants, audit."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.applications.sla import local_date
from simpul.catalogue.models import Agency
from simpul.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from simpul.core.models import AuditEvent, Region, utcnow
from simpul.gateway.dataplane.config import load_snapshot
from simpul.gateway.registry import repository
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayCredential,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.gateway.registry.openapi_docs import InvalidOpenApiDocument
from simpul.gateway.registry.service import Actor
from simpul.inventory.models import App, IntegrationState
from tests.factories import make_region
from tests.gateway.conftest import add_app

SAMPLE = Path(__file__).parent.parent / "samples" / "penduduk-openapi.yaml"
ADMIN = Actor("admin@kota-gw.go.id", uuid.uuid4())
STAFF = Actor("petugas@kota-gw.go.id", uuid.uuid4(), is_region_admin=False)


@dataclass
class World:
    region: Region
    agency: Agency
    provider: App
    consumer: App
    other: App


def make_world(session: Session, slug: str) -> World:
    region = make_region(session, slug, f"Kota {slug}")
    agency = session.scalars(select(Agency).where(Agency.region_id == region.id)).one()
    return World(
        region=region,
        agency=agency,
        provider=add_app(session, region, agency, "sipenduduk", "Sistem Data Penduduk"),
        consumer=add_app(session, region, agency, "portal", "Portal Layanan"),
        other=add_app(session, region, agency, "simpeg", "Sistem Kepegawaian"),
    )


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session, "kota-gw")


def register(session: Session, world: World, code: str = "data-penduduk") -> GatewayService:
    return registry.register_service(
        session,
        world.region,
        app_code="sipenduduk",
        code=code,
        upstream_url="http://10.0.3.7:8080/api",
        openapi_text=SAMPLE.read_bytes(),
        actor=ADMIN,
    )


def endpoint(session: Session, service: GatewayService, label: str) -> GatewayEndpoint:
    method, path = label.split(" ", 1)
    found = repository.get_endpoint_by_operation(
        session, service.region_id, service.id, method, path
    )
    assert found is not None
    return found


def allowed(session: Session, client: GatewayClient, service: GatewayService, label: str) -> bool:
    """What the data plane will decide, from the snapshot it loads."""
    snapshot = load_snapshot(session)
    conf = next(s for s in snapshot.services.values() if s.id == service.id)
    target = next(e for e in conf.endpoints if e.label == label)
    return snapshot.allowed(client.id, conf, target)


def actions(session: Session, region: Region) -> list[str]:
    events, _total = repository.list_gateway_audit_events(session, region.id, limit=500)
    return [event.action for event in reversed(events)]


def count(session: Session, model: type[object], region: Region) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(model).where(model.region_id == region.id)  # type: ignore[attr-defined]
        )
        or 0
    )


# -- services ---------------------------------------------------------------------------------


def test_registering_a_service_stores_its_endpoints_and_integrates_the_app(
    session: Session, world: World
) -> None:
    service = register(session, world)
    assert service.title == "Layanan Data Penduduk"
    assert service.version == "1.2.0"
    assert service.enabled and service.first_enabled_at is not None
    assert service.openapi["paths"]["/status"]["get"]["operationId"] == "cekStatus"
    detail = repository.get_service_detail(session, world.region.id, service.id)
    assert detail is not None and detail.app.code == "sipenduduk"
    assert sorted(f"{e.method} {e.path}" for e in detail.endpoints) == [
        "GET /penduduk",
        "GET /penduduk/{nik}",
        "GET /status",
        "POST /penduduk/{nik}/verifikasi",
    ]
    assert all(e.enabled for e in detail.endpoints)

    session.refresh(world.provider)
    assert world.provider.integration_state is IntegrationState.INTEGRATED
    assert world.provider.integrated_on == local_date(utcnow(), world.region.timezone)
    assert world.provider.planned_year is None
    assert actions(session, world.region) == [
        "gateway.service.register",
        "gateway.app.integration",
    ]
    events, _n = repository.list_gateway_audit_events(session, world.region.id)
    register_event = events[-1]
    assert register_event.actor_label == ADMIN.label and register_event.actor_id == ADMIN.user_id
    assert register_event.details["service"] == "sipenduduk/data-penduduk"
    assert len(register_event.details["endpoints"]) == 4

    rows, total = repository.list_services(session, world.region.id)
    assert total == 1 and rows[0].endpoints == 4 and rows[0].agency.id == world.agency.id


def test_an_invalid_document_stores_nothing(session: Session, world: World) -> None:
    document = yaml.safe_load(SAMPLE.read_text())
    del document["paths"]["/penduduk"]["get"]["responses"]
    with pytest.raises(InvalidOpenApiDocument) as caught:
        registry.register_service(
            session,
            world.region,
            app_code="sipenduduk",
            code="data-penduduk",
            upstream_url="http://10.0.3.7:8080/api",
            openapi_text=json.dumps(document),
            actor=ADMIN,
        )
    assert "paths./penduduk.get: properti wajib 'responses' tidak ada" in caught.value.message
    session.flush()
    assert count(session, GatewayService, world.region) == 0
    assert count(session, GatewayEndpoint, world.region) == 0
    assert actions(session, world.region) == []
    session.refresh(world.provider)
    assert world.provider.integration_state is IntegrationState.NOT_PLANNED


@pytest.mark.parametrize(
    ("field", "changes", "words"),
    [
        ("code", {"code": "data penduduk"}, "huruf, angka"),
        ("code", {"code": "-awal"}, "diawali huruf atau angka"),
        ("upstream_url", {"upstream_url": "ftp://10.0.3.7/api"}, "http:// atau https://"),
        ("upstream_url", {"upstream_url": "http:///api"}, "nama host"),
        ("upstream_url", {"upstream_url": "https://user:rahasia@sipenduduk/api"}, "kata sandi"),
        ("upstream_url", {"upstream_url": ""}, "Wajib diisi"),
        ("upstream_url", {"upstream_url": "http://host:99999/"}, "port"),
        ("timeout_seconds", {"timeout_seconds": 0}, "lebih dari 0"),
        ("timeout_seconds", {"timeout_seconds": 601}, "600 detik"),
        ("max_body_bytes", {"max_body_bytes": 0}, "antara 1 bita"),
        ("title", {"title": "  "}, "Wajib diisi"),
    ],
)
def test_bad_fields_are_named(
    session: Session, world: World, field: str, changes: dict[str, object], words: str
) -> None:
    arguments: dict[str, object] = {
        "app_code": "sipenduduk",
        "code": "data-penduduk",
        "upstream_url": "http://10.0.3.7:8080/api",
        "openapi_text": SAMPLE.read_text(),
        "actor": ADMIN,
        **changes,
    }
    with pytest.raises(InvalidInput) as caught:
        registry.register_service(session, world.region, **arguments)  # type: ignore[arg-type]
    assert words in caught.value.field_errors()[field]
    assert count(session, GatewayService, world.region) == 0


def test_service_codes_are_unique_per_provider_and_apps_are_the_regions_own(
    session: Session, world: World
) -> None:
    register(session, world)
    with pytest.raises(Conflict) as caught:
        register(session, world)
    assert "sudah punya layanan dengan kode 'data-penduduk'" in caught.value.message
    assert caught.value.details[0]["field"] == "code"
    # another provider may use the same code
    registry.register_service(
        session,
        world.region,
        app_code="simpeg",
        code="data-penduduk",
        upstream_url="https://simpeg.kota-gw.go.id",
        openapi_text=SAMPLE.read_text(),
        actor=ADMIN,
    )
    with pytest.raises(NotFound) as missing:
        registry.register_service(
            session,
            world.region,
            app_code="tidak-ada",
            code="x",
            upstream_url="https://x.go.id",
            openapi_text=SAMPLE.read_text(),
            actor=ADMIN,
        )
    assert "tidak-ada" in missing.value.message
    elsewhere = make_world(session, "kota-lain")
    with pytest.raises(NotFound):
        registry.register_service(
            session,
            elsewhere.region,
            app_code="tidak-ada",
            code="x",
            upstream_url="https://x.go.id",
            openapi_text=SAMPLE.read_text(),
            actor=ADMIN,
        )


def test_a_new_document_resyncs_endpoints_keeping_their_switches(
    session: Session, world: World
) -> None:
    service = register(session, world)
    registry.set_endpoint_enabled(
        session,
        world.region,
        endpoint(session, service, "GET /penduduk").id,
        enabled=False,
        actor=ADMIN,
    )
    client = registry.register_client(session, world.region, app_code="portal", actor=ADMIN)
    verify = endpoint(session, service, "POST /penduduk/{nik}/verifikasi")
    registry.request_grant(
        session,
        world.region,
        service_id=service.id,
        actor=ADMIN,
        reason="Verifikasi permohonan.",
        client_id=client.id,
        endpoint_id=verify.id,
    )
    document = yaml.safe_load(SAMPLE.read_text())
    document["info"]["version"] = "1.3.0"
    del document["paths"]["/penduduk/{nik}/verifikasi"]
    document["paths"]["/penduduk/{nik}/keluarga"] = {
        "parameters": [{"$ref": "#/components/parameters/Nik"}],
        "get": {"summary": "Anggota keluarga", "responses": {"200": {"description": "ok"}}},
    }
    registry.update_service_document(
        session, world.region, service.id, yaml.safe_dump(document), ADMIN
    )
    session.expire_all()
    endpoints = {
        f"{e.method} {e.path}": e.enabled
        for e in repository.list_endpoints(session, world.region.id, service.id)
    }
    assert endpoints == {
        "GET /status": True,
        "GET /penduduk": False,  # still switched off
        "GET /penduduk/{nik}": True,
        "GET /penduduk/{nik}/keluarga": True,
    }
    assert repository.get_service(session, world.region.id, service.id).version == "1.3.0"  # type: ignore[union-attr]
    assert count(session, GatewayGrant, world.region) == 0  # the grant named a removed endpoint
    events, _n = repository.list_gateway_audit_events(session, world.region.id, limit=1)
    assert events[0].action == "gateway.service.update"
    assert events[0].details["document"] == {
        "version": ["1.2.0", "1.3.0"],
        "added": ["GET /penduduk/{nik}/keluarga"],
        "removed": ["POST /penduduk/{nik}/verifikasi"],
        "endpoint_grants_removed": 1,
    }


def test_a_bad_new_document_leaves_the_service_as_it_was(session: Session, world: World) -> None:
    service = register(session, world)
    with pytest.raises(InvalidOpenApiDocument):
        registry.update_service_document(
            session, world.region, service.id, '{"swagger": "2.0"}', ADMIN
        )
    assert len(repository.list_endpoints(session, world.region.id, service.id)) == 4
    assert service.version == "1.2.0"


def test_settings_are_validated_and_audited_with_old_and_new_values(
    session: Session, world: World
) -> None:
    service = register(session, world)
    with pytest.raises(InvalidInput) as caught:
        registry.update_service_settings(
            session, world.region, service.id, actor=ADMIN, upstream_url="sipenduduk:8080"
        )
    assert "upstream_url" in caught.value.field_errors()
    registry.update_service_settings(
        session,
        world.region,
        service.id,
        actor=ADMIN,
        upstream_url="https://sipenduduk.kota-gw.go.id/api",
        timeout_seconds=5,
        log_bodies=True,
    )
    assert service.timeout_seconds == 5.0 and service.log_bodies
    events, _n = repository.list_gateway_audit_events(session, world.region.id, limit=1)
    assert events[0].details["changes"] == {
        "upstream_url": ["http://10.0.3.7:8080/api", "https://sipenduduk.kota-gw.go.id/api"],
        "timeout_seconds": [30.0, 5.0],
        "log_bodies": [False, True],
    }
    before = len(actions(session, world.region))
    registry.update_service_settings(
        session, world.region, service.id, actor=ADMIN, log_bodies=True
    )
    assert len(actions(session, world.region)) == before  # nothing changed, nothing recorded


def test_the_provider_is_planned_again_when_its_last_service_is_disabled(
    session: Session, world: World
) -> None:
    first = register(session, world)
    second = register(session, world, code="status-saja")
    first_enabled_at = first.first_enabled_at
    registry.set_service_enabled(session, world.region, first.id, enabled=False, actor=ADMIN)
    session.refresh(world.provider)
    assert world.provider.integration_state is IntegrationState.INTEGRATED  # one still enabled
    registry.set_service_enabled(session, world.region, second.id, enabled=False, actor=ADMIN)
    session.refresh(world.provider)
    assert world.provider.integration_state is IntegrationState.PLANNED
    assert world.provider.planned_year == local_date(utcnow(), world.region.timezone).year
    assert world.provider.integrated_on is None
    registry.set_service_enabled(session, world.region, first.id, enabled=True, actor=ADMIN)
    session.refresh(world.provider)
    assert world.provider.integration_state is IntegrationState.INTEGRATED
    assert world.provider.planned_year is None
    assert first.first_enabled_at == first_enabled_at
    assert actions(session, world.region)[-5:] == [
        "gateway.service.update",
        "gateway.service.update",
        "gateway.app.integration",
        "gateway.service.update",
        "gateway.app.integration",
    ]


def test_endpoint_switches_are_audited_and_region_scoped(session: Session, world: World) -> None:
    service = register(session, world)
    target = endpoint(session, service, "GET /penduduk/{nik}")
    registry.set_endpoint_enabled(session, world.region, target.id, enabled=False, actor=ADMIN)
    assert not target.enabled
    registry.set_endpoint_enabled(session, world.region, target.id, enabled=True, actor=ADMIN)
    assert actions(session, world.region)[-2:] == [
        "gateway.endpoint.disable",
        "gateway.endpoint.enable",
    ]
    elsewhere = make_world(session, "kota-lain")
    with pytest.raises(NotFound):
        registry.set_endpoint_enabled(
            session, elsewhere.region, target.id, enabled=False, actor=ADMIN
        )
    with pytest.raises(NotFound):
        registry.set_service_enabled(
            session, elsewhere.region, service.id, enabled=False, actor=ADMIN
        )
    assert target.enabled and service.enabled


# -- clients and keys -------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_digest_is_stored(session: Session, world: World) -> None:
    client = registry.register_client(session, world.region, app_code="portal", actor=ADMIN)
    credential, key = registry.issue_key(session, world.region, client.id, ADMIN, label="prod")
    assert key.startswith("sgw_") and len(key) >= 4 + 43  # 256 bits of token_urlsafe
    assert credential.key_digest == hashlib.sha256(key.encode()).digest()
    assert credential.key_digest == registry.key_digest(key)
    assert credential.key_hint == key[4:12] and len(credential.key_hint) == 8
    assert registry.shown_hint(credential) == f"sgw_{key[4:12]}…"
    # the key itself is nowhere in the database: not in the row, not in the audit trail
    session.flush()
    row = session.execute(
        select(GatewayCredential.__table__).where(GatewayCredential.id == credential.id)
    ).one()
    assert all(key not in str(value) for value in row)
    events, _n = repository.list_gateway_audit_events(session, world.region.id)
    assert all(key not in json.dumps(event.details) for event in events)
    assert events[0].action == "gateway.key.issue"
    # the data plane finds the client by the key's digest
    snapshot = load_snapshot(session)
    assert snapshot.credentials[registry.key_digest(key)].client_id == client.id
    # a second key is another secret
    _other, second = registry.issue_key(session, world.region, client.id, ADMIN)
    assert second != key


def test_rotation_keeps_the_old_key_until_the_grace_period_ends(
    session: Session, world: World
) -> None:
    client = registry.register_client(session, world.region, app_code="portal", actor=ADMIN)
    old, old_key = registry.issue_key(session, world.region, client.id, ADMIN, label="prod")
    before = utcnow()
    new, new_key = registry.rotate_key(session, world.region, old.id, ADMIN, grace_hours=24)
    assert new_key != old_key and new.label == "prod" and new.client_id == client.id
    assert old.expires_at is not None
    assert before + timedelta(hours=24) <= old.expires_at <= utcnow() + timedelta(hours=24)
    snapshot = load_snapshot(session)
    assert snapshot.credentials[registry.key_digest(old_key)].expires_at == old.expires_at
    assert snapshot.credentials[registry.key_digest(new_key)].expires_at is None
    with pytest.raises(Conflict) as again:
        registry.rotate_key(session, world.region, old.id, ADMIN)
    assert "sudah dirotasi" in again.value.message
    # grace 0: the replaced key stops at once
    newest, _key = registry.rotate_key(session, world.region, new.id, ADMIN, grace_hours=0)
    assert new.expires_at is not None and new.expires_at <= utcnow()
    with pytest.raises(Conflict) as expired:
        registry.rotate_key(session, world.region, new.id, ADMIN)
    assert "kedaluwarsa" in expired.value.message
    with pytest.raises(InvalidInput) as bad:
        registry.rotate_key(session, world.region, newest.id, ADMIN, grace_hours=-1)
    assert "grace_hours" in bad.value.field_errors()
    rows, _n = repository.list_clients(session, world.region.id, now=utcnow())
    assert [c.id for c in rows[0].credentials] == [old.id, newest.id]  # the ones still working
    event = next(
        e
        for e in repository.list_gateway_audit_events(session, world.region.id)[0]
        if e.action == "gateway.key.rotate"
    )
    assert event.details["grace_hours"] == 0 and old_key not in json.dumps(event.details)


def test_revocation_stops_a_key_for_good(session: Session, world: World) -> None:
    client = registry.register_client(session, world.region, app_code="portal", actor=ADMIN)
    credential, key = registry.issue_key(session, world.region, client.id, ADMIN)
    with pytest.raises(InvalidInput) as no_reason:
        registry.revoke_key(session, world.region, credential.id, ADMIN, "  ")
    assert "reason" in no_reason.value.field_errors()
    registry.revoke_key(session, world.region, credential.id, ADMIN, "Bocor di repositori publik.")
    assert credential.revoked_at is not None
    assert credential.revoked_reason == "Bocor di repositori publik."
    assert registry.key_digest(key) not in load_snapshot(session).credentials
    with pytest.raises(Conflict):
        registry.revoke_key(session, world.region, credential.id, ADMIN, "Lagi.")
    with pytest.raises(Conflict):
        registry.rotate_key(session, world.region, credential.id, ADMIN)
    assert actions(session, world.region)[-1] == "gateway.key.revoke"


def test_clients_one_per_app_with_a_valid_rate_limit(session: Session, world: World) -> None:
    client = registry.register_client(
        session, world.region, app_code="portal", actor=ADMIN, rate_limit_per_minute=120
    )
    assert client.rate_limit_per_minute == 120 and client.enabled
    with pytest.raises(Conflict):
        registry.register_client(session, world.region, app_code="portal", actor=ADMIN)
    with pytest.raises(InvalidInput) as caught:
        registry.register_client(
            session, world.region, app_code="simpeg", actor=ADMIN, rate_limit_per_minute=0
        )
    assert "rate_limit_per_minute" in caught.value.field_errors()
    registry.update_client(
        session, world.region, client.id, actor=ADMIN, rate_limit_per_minute=60, enabled=False
    )
    assert client.rate_limit_per_minute == 60 and not client.enabled
    assert not load_snapshot(session).clients_by_id[client.id].enabled
    events, _n = repository.list_gateway_audit_events(session, world.region.id, limit=1)
    assert events[0].action == "gateway.client.update"
    assert events[0].details["changes"] == {
        "rate_limit_per_minute": [120, 60],
        "enabled": [True, False],
    }


# -- grants -----------------------------------------------------------------------------------


@dataclass
class Access:
    service: GatewayService
    portal: GatewayClient
    simpeg: GatewayClient


@pytest.fixture
def access(session: Session, world: World) -> Access:
    service = register(session, world)
    return Access(
        service=service,
        portal=registry.register_client(session, world.region, app_code="portal", actor=ADMIN),
        simpeg=registry.register_client(session, world.region, app_code="simpeg", actor=ADMIN),
    )


def test_access_is_denied_until_the_region_admin_approves(
    session: Session, world: World, access: Access
) -> None:
    assert not allowed(session, access.portal, access.service, "GET /penduduk/{nik}")
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=STAFF,
        reason="Portal menampilkan data pemohon.",
        client_id=access.portal.id,
    )
    assert grant.status is GrantStatus.PENDING and grant.requested_by == STAFF.label
    assert not allowed(session, access.portal, access.service, "GET /penduduk/{nik}")

    with pytest.raises(Forbidden):
        registry.approve_grant(session, world.region, grant.id, STAFF)
    with pytest.raises(Forbidden):
        registry.reject_grant(session, world.region, grant.id, STAFF, "Tidak perlu.")
    assert grant.status is GrantStatus.PENDING

    registry.approve_grant(session, world.region, grant.id, ADMIN, note="Sesuai SOP.")
    assert grant.status is GrantStatus.APPROVED
    assert grant.decided_by == ADMIN.label and grant.decided_at is not None
    for label in ("GET /penduduk/{nik}", "POST /penduduk/{nik}/verifikasi", "GET /status"):
        assert allowed(session, access.portal, access.service, label)
    assert not allowed(session, access.simpeg, access.service, "GET /penduduk/{nik}")

    with pytest.raises(Conflict) as twice:
        registry.approve_grant(session, world.region, grant.id, ADMIN)
    assert "sudah disetujui" in twice.value.message
    with pytest.raises(InvalidInput):
        registry.revoke_grant(session, world.region, grant.id, ADMIN, "")
    registry.revoke_grant(session, world.region, grant.id, STAFF, "Kontrak portal berakhir.")
    assert grant.status is GrantStatus.REVOKED and grant.decision_note == "Kontrak portal berakhir."
    assert not allowed(session, access.portal, access.service, "GET /penduduk/{nik}")
    with pytest.raises(Conflict):
        registry.revoke_grant(session, world.region, grant.id, ADMIN, "Lagi.")
    assert actions(session, world.region)[-3:] == [
        "gateway.grant.request",
        "gateway.grant.approve",
        "gateway.grant.revoke",
    ]
    events, _n = repository.list_gateway_audit_events(session, world.region.id, limit=1)
    assert events[0].details == {
        "service": "sipenduduk/data-penduduk",
        "client": "portal",
        "from": "approved",
        "to": "revoked",
        "note": "Kontrak portal berakhir.",
    }


def test_a_rejected_request_opens_nothing_and_may_be_asked_again(
    session: Session, world: World, access: Access
) -> None:
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=STAFF,
        reason="Uji.",
        client_id=access.portal.id,
    )
    with pytest.raises(InvalidInput) as no_note:
        registry.reject_grant(session, world.region, grant.id, ADMIN, " ")
    assert "note" in no_note.value.field_errors()
    with pytest.raises(Conflict) as duplicate:
        registry.request_grant(
            session,
            world.region,
            service_id=access.service.id,
            actor=STAFF,
            reason="Lagi.",
            client_id=access.portal.id,
        )
    assert "menunggu persetujuan" in duplicate.value.message
    registry.reject_grant(
        session, world.region, grant.id, ADMIN, "Data pribadi; ajukan per endpoint."
    )
    assert grant.status is GrantStatus.REJECTED
    assert not allowed(session, access.portal, access.service, "GET /status")
    with pytest.raises(Conflict):
        registry.approve_grant(session, world.region, grant.id, ADMIN)
    again = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=STAFF,
        reason="Ajukan lagi.",
        client_id=access.portal.id,
    )
    assert again.status is GrantStatus.PENDING


def test_an_endpoint_grant_opens_only_that_endpoint(
    session: Session, world: World, access: Access
) -> None:
    status = endpoint(session, access.service, "GET /status")
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=ADMIN,
        reason="Pemantauan.",
        client_id=access.simpeg.id,
        endpoint_id=status.id,
    )
    registry.approve_grant(session, world.region, grant.id, ADMIN)
    assert allowed(session, access.simpeg, access.service, "GET /status")
    assert not allowed(session, access.simpeg, access.service, "GET /penduduk/{nik}")
    # a whole-service grant for the same client is a different grant, not a duplicate
    registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=ADMIN,
        reason="Semua.",
        client_id=access.simpeg.id,
    )
    with pytest.raises(Conflict):
        registry.request_grant(
            session,
            world.region,
            service_id=access.service.id,
            actor=ADMIN,
            reason="Lagi.",
            client_id=access.simpeg.id,
            endpoint_id=status.id,
        )


def test_a_group_grant_reaches_every_member_and_only_them(
    session: Session, world: World, access: Access
) -> None:
    group = registry.create_group(
        session, world.region, code="opd-inti", name="OPD inti", actor=ADMIN
    )
    registry.add_group_member(session, world.region, group.id, access.portal.id, ADMIN)
    with pytest.raises(Conflict):
        registry.add_group_member(session, world.region, group.id, access.portal.id, ADMIN)
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=ADMIN,
        reason="Layanan dasar.",
        group_id=group.id,
    )
    registry.approve_grant(session, world.region, grant.id, ADMIN)
    assert allowed(session, access.portal, access.service, "GET /penduduk")
    assert not allowed(session, access.simpeg, access.service, "GET /penduduk")
    registry.add_group_member(session, world.region, group.id, access.simpeg.id, ADMIN)
    assert allowed(session, access.simpeg, access.service, "GET /penduduk")
    registry.remove_group_member(session, world.region, group.id, access.portal.id, ADMIN)
    assert not allowed(session, access.portal, access.service, "GET /penduduk")
    with pytest.raises(NotFound):
        registry.remove_group_member(session, world.region, group.id, access.portal.id, ADMIN)
    groups, _n = repository.list_groups(session, world.region.id)
    assert [(g.group.code, [m.app.code for m in g.members]) for g in groups] == [
        ("opd-inti", ["simpeg"])
    ]
    with pytest.raises(Conflict):
        registry.create_group(session, world.region, code="opd-inti", name="Lagi", actor=ADMIN)
    with pytest.raises(InvalidInput) as bad:
        registry.create_group(session, world.region, code="opd inti", name="", actor=ADMIN)
    assert set(bad.value.field_errors()) == {"code", "name"}
    assert actions(session, world.region)[-6:] == [
        "gateway.group.create",
        "gateway.group.member_add",
        "gateway.grant.request",
        "gateway.grant.approve",
        "gateway.group.member_add",
        "gateway.group.member_remove",
    ]


def test_a_grant_names_exactly_one_grantee_and_an_endpoint_of_its_service(
    session: Session, world: World, access: Access
) -> None:
    group = registry.create_group(session, world.region, code="g", name="G", actor=ADMIN)
    for grantee in ({}, {"client_id": access.portal.id, "group_id": group.id}):
        with pytest.raises(InvalidInput) as caught:
            registry.request_grant(
                session,
                world.region,
                service_id=access.service.id,
                actor=ADMIN,
                reason="Uji.",
                **grantee,  # type: ignore[arg-type]
            )
        assert "grantee" in caught.value.field_errors()
    other = register(session, world, code="lainnya")
    with pytest.raises(InvalidInput) as wrong:
        registry.request_grant(
            session,
            world.region,
            service_id=access.service.id,
            actor=ADMIN,
            reason="Uji.",
            client_id=access.portal.id,
            endpoint_id=endpoint(session, other, "GET /status").id,
        )
    assert "endpoint_id" in wrong.value.field_errors()
    with pytest.raises(InvalidInput) as no_reason:
        registry.request_grant(
            session,
            world.region,
            service_id=access.service.id,
            actor=ADMIN,
            reason="",
            client_id=access.portal.id,
        )
    assert "reason" in no_reason.value.field_errors()
    assert count(session, GatewayGrant, world.region) == 0


def test_ids_from_another_region_are_not_found(
    session: Session, world: World, access: Access
) -> None:
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=ADMIN,
        reason="Uji.",
        client_id=access.portal.id,
    )
    credential, _key = registry.issue_key(session, world.region, access.portal.id, ADMIN)
    group = registry.create_group(session, world.region, code="g", name="G", actor=ADMIN)
    lain = make_world(session, "kota-lain").region
    their_client = registry.register_client(session, lain, app_code="portal", actor=ADMIN)
    calls = [
        lambda: registry.approve_grant(session, lain, grant.id, ADMIN),
        lambda: registry.revoke_grant(session, lain, grant.id, ADMIN, "x"),
        lambda: registry.issue_key(session, lain, access.portal.id, ADMIN),
        lambda: registry.rotate_key(session, lain, credential.id, ADMIN),
        lambda: registry.revoke_key(session, lain, credential.id, ADMIN, "x"),
        lambda: registry.update_client(session, lain, access.portal.id, actor=ADMIN, enabled=False),
        lambda: registry.add_group_member(session, lain, group.id, their_client.id, ADMIN),
        lambda: registry.add_group_member(session, world.region, group.id, their_client.id, ADMIN),
        lambda: registry.update_service_document(
            session, lain, access.service.id, SAMPLE.read_text(), ADMIN
        ),
        lambda: registry.update_service_settings(
            session, lain, access.service.id, actor=ADMIN, title="x"
        ),
        lambda: registry.request_grant(
            session,
            lain,
            service_id=access.service.id,
            actor=ADMIN,
            reason="x",
            client_id=their_client.id,
        ),
        lambda: registry.request_grant(
            session,
            world.region,
            service_id=access.service.id,
            actor=ADMIN,
            reason="x",
            client_id=their_client.id,
        ),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert grant.status is GrantStatus.PENDING and credential.revoked_at is None
    assert repository.get_grant_row(session, lain.id, grant.id) is None
    assert repository.list_services(session, lain.id) == ([], 0)


def test_listing_grants_by_status_with_what_they_name(
    session: Session, world: World, access: Access
) -> None:
    status = endpoint(session, access.service, "GET /status")
    first = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=STAFF,
        reason="a",
        client_id=access.portal.id,
        endpoint_id=status.id,
    )
    registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=STAFF,
        reason="b",
        client_id=access.simpeg.id,
    )
    registry.approve_grant(session, world.region, first.id, ADMIN)
    pending, total = repository.list_grants(
        session, world.region.id, repository.GrantFilter(status=GrantStatus.PENDING)
    )
    assert total == 1 and pending[0].client_app is not None
    assert pending[0].client_app.code == "simpeg" and pending[0].endpoint is None
    approved, _n = repository.list_grants(
        session, world.region.id, repository.GrantFilter(status=GrantStatus.APPROVED)
    )
    assert approved[0].endpoint is not None and approved[0].endpoint.path == "/status"
    assert approved[0].provider.code == "sipenduduk"
    assert repository.count_grants_by_status(session, world.region.id) == {
        "pending": 1,
        "approved": 1,
    }
    page, total = repository.list_grants(session, world.region.id, limit=1, offset=1)
    assert total == 2 and len(page) == 1


def test_every_change_lands_in_the_audit_trail(
    session: Session, world: World, access: Access
) -> None:
    credential, _key = registry.issue_key(session, world.region, access.portal.id, ADMIN)
    registry.rotate_key(session, world.region, credential.id, ADMIN)
    registry.revoke_key(session, world.region, credential.id, ADMIN, "Uji.")
    registry.update_client(session, world.region, access.portal.id, actor=ADMIN, enabled=False)
    grant = registry.request_grant(
        session,
        world.region,
        service_id=access.service.id,
        actor=ADMIN,
        reason="Uji.",
        client_id=access.portal.id,
    )
    registry.reject_grant(session, world.region, grant.id, ADMIN, "Tidak.")
    assert actions(session, world.region) == [
        "gateway.service.register",
        "gateway.app.integration",
        "gateway.client.register",
        "gateway.client.register",
        "gateway.key.issue",
        "gateway.key.rotate",
        "gateway.key.revoke",
        "gateway.client.update",
        "gateway.grant.request",
        "gateway.grant.reject",
    ]
    assert set(actions(session, world.region)) <= set(registry.AUDIT_ACTION_LABELS)
    other_events = session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.region_id == world.region.id, AuditEvent.action.not_like("gateway.%")
        )
    )
    _events, total = repository.list_gateway_audit_events(session, world.region.id)
    assert total == 10 and other_events  # region.create etc. are not gateway events
