"""The GovStack IM directory (listClients, listMethods, allowedMethods, getOpenAPI) over a
snapshot loaded from real rows, every answer checked against the spec's own schemas
(../shared/govstack/information-mediator) the way an independent client would check it."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency
from simpul.core.models import Region, utcnow
from simpul.gateway.config import Snapshot, SubsystemId, load_snapshot
from simpul.gateway.directory import (
    DirectoryError,
    allowed_methods,
    get_openapi,
    list_clients,
    list_methods,
    parse_subsystem_id,
)
from simpul.gateway.models import (
    App,
    GatewayClient,
    GatewayClientGroup,
    GatewayClientGroupMember,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from tests.applications.test_registration_api import SPEC_DIR as REGISTRATION_SPEC_DIR
from tests.factories import make_region
from tests.gateway.conftest import add_app

#: Beside the registration documents: ``$SIMPUL_GOVSTACK_DIR`` or ``../shared/govstack``.
IM_SPEC = (
    REGISTRATION_SPEC_DIR.parent
    / "information-mediator"
    / "GovStack_IM_Directory_Services_API.yaml"
)


def _strict(node: Any) -> Any:
    """The spec's schemas with every listed property required and no other allowed.

    The spec lists properties without ``required``; a client relies on them all being there
    (``applicationCode`` only for applications), so the test holds the answers to that.
    """
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if out.get("type") == "object" and "properties" in out:
            out["additionalProperties"] = False
            out["required"] = [p for p in out["properties"] if p != "applicationCode"]
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@functools.cache
def _components() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(IM_SPEC.read_text())
    return spec["components"]  # type: ignore[no-any-return]


def conforms(body: Any, name: str) -> None:
    """Valid against ``#/components/schemas/<name>`` as written, and strictly."""
    for components in (_components(), _strict(copy.deepcopy(_components()))):
        validator = Draft202012Validator(
            {"$ref": f"#/components/schemas/{name}", "components": components}
        )
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        assert not problems, problems


OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Data penduduk", "version": "2.1.0"},
    "servers": [{"url": "http://10.0.3.7:8080/api"}],
    "paths": {
        "/penduduk/{nik}": {
            "servers": [{"url": "http://10.0.3.8/internal"}],
            "get": {"operationId": "getPenduduk", "responses": {"200": {"description": "ok"}}},
            "delete": {
                "operationId": "hapusPenduduk",
                "responses": {"204": {"description": "dihapus"}},
            },
        },
        "/keluarga": {
            "get": {"operationId": "daftarKeluarga", "responses": {"200": {"description": "ok"}}},
            "post": {
                "operationId": "tambahKeluarga",
                "servers": [{"url": "http://10.0.3.9"}],
                "responses": {"201": {"description": "dibuat"}},
            },
        },
        "/arsip": {
            "get": {"operationId": "arsip", "responses": {"200": {"description": "ok"}}},
        },
    },
}


@dataclass
class World:
    region: Region
    other: Region
    snapshot: Snapshot
    provider: SubsystemId
    portal: uuid.UUID
    kiosk: uuid.UUID
    grouped: uuid.UUID
    stranger: uuid.UUID


def _service(
    session: Session, app: App, code: str, *, enabled: bool = True, version: str = "1.0"
) -> GatewayService:
    service = GatewayService(
        region_id=app.region_id,
        app_id=app.id,
        code=code,
        title=f"Layanan {code}",
        version=version,
        upstream_url="http://10.0.3.7:8080/api",
        openapi=OPENAPI,
        enabled=enabled,
    )
    session.add(service)
    session.flush()
    return service


def _endpoint(
    session: Session, service: GatewayService, method: str, path: str, *, enabled: bool = True
) -> GatewayEndpoint:
    endpoint = GatewayEndpoint(
        region_id=service.region_id,
        service_id=service.id,
        method=method,
        path=path,
        enabled=enabled,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def _client(session: Session, app: App, *, enabled: bool = True) -> GatewayClient:
    client = GatewayClient(region_id=app.region_id, app_id=app.id, enabled=enabled)
    session.add(client)
    session.flush()
    return client


def _grant(
    session: Session,
    service: GatewayService,
    *,
    client: GatewayClient | None = None,
    group: GatewayClientGroup | None = None,
    endpoint: GatewayEndpoint | None = None,
    status: GrantStatus = GrantStatus.APPROVED,
) -> None:
    session.add(
        GatewayGrant(
            region_id=service.region_id,
            service_id=service.id,
            endpoint_id=endpoint.id if endpoint else None,
            client_id=client.id if client else None,
            group_id=group.id if group else None,
            status=status,
            requested_by="uji@example.org",
            decided_by=None if status is GrantStatus.PENDING else "admin@example.org",
            decided_at=None if status is GrantStatus.PENDING else utcnow(),
        )
    )
    session.flush()


@pytest.fixture
def world(session: Session) -> World:
    """Kota A: a provider with three services, four client apps with different grants.
    Kabupaten B: its own provider and client, which Kota A must never see."""
    region = make_region(session, "kota-a", "Kota A")
    agency = session.query(Agency).filter_by(region_id=region.id).one()
    provider = add_app(session, region, agency, "sipenduduk", "Sistem Data Penduduk")
    portal_app = add_app(session, region, agency, "portal", "Portal Layanan")
    kiosk_app = add_app(session, region, agency, "anjungan", "Anjungan Mandiri")
    grouped_app = add_app(session, region, agency, "sikesehatan", "Sistem Kesehatan")
    stranger_app = add_app(session, region, agency, "tamu", "Aplikasi Tamu")
    add_app(session, region, agency, "belum-terhubung", "Aplikasi Tanpa Gateway")

    penduduk = _service(session, provider, "penduduk", version="2.1.0")
    one = _endpoint(session, penduduk, "GET", "/penduduk/{nik}")
    _endpoint(session, penduduk, "DELETE", "/penduduk/{nik}", enabled=False)
    listing = _endpoint(session, penduduk, "GET", "/keluarga")
    _endpoint(session, penduduk, "POST", "/keluarga")
    arsip = _service(session, provider, "arsip")
    _endpoint(session, arsip, "GET", "/arsip")
    lama = _service(session, provider, "lama", enabled=False)
    _endpoint(session, lama, "GET", "/arsip")

    portal = _client(session, portal_app)
    kiosk = _client(session, kiosk_app)
    grouped = _client(session, grouped_app)
    stranger = _client(session, stranger_app)
    _grant(session, penduduk, client=portal)  # the whole service
    _grant(session, lama, client=portal)  # a disabled service: never shown
    _grant(session, penduduk, client=kiosk, endpoint=one)
    _grant(session, penduduk, client=kiosk, endpoint=listing, status=GrantStatus.PENDING)
    _grant(session, arsip, client=stranger, status=GrantStatus.REVOKED)
    group = GatewayClientGroup(region_id=region.id, code="kesehatan", name="Kesehatan")
    session.add(group)
    session.flush()
    session.add(
        GatewayClientGroupMember(region_id=region.id, group_id=group.id, client_id=grouped.id)
    )
    _grant(session, arsip, group=group)

    other = make_region(session, "kab-b", "Kabupaten B", agency_slug="dinas-uji")
    other_agency = session.query(Agency).filter_by(region_id=other.id).one()
    other_provider = add_app(session, other, other_agency, "sipenduduk", "Penduduk Kabupaten B")
    other_service = _service(session, other_provider, "penduduk")
    _endpoint(session, other_service, "GET", "/penduduk/{nik}")
    _client(session, add_app(session, other, other_agency, "portal", "Portal Kabupaten B"))

    snapshot = load_snapshot(session)
    return World(
        region=region,
        other=other,
        snapshot=snapshot,
        provider=("kota-a", "GOV", "dinas-uji", "sipenduduk"),
        portal=portal.id,
        kiosk=kiosk.id,
        grouped=grouped.id,
        stranger=stranger.id,
    )


def _methods(body: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {
        s["serviceCode"]: [(e["method"], e["path"]) for e in s["endpointList"]["member"]]
        for s in body["member"]
    }


def test_list_clients_names_members_and_applications_of_the_instance_only(world: World) -> None:
    body = list_clients(world.snapshot, "kota-a")
    conforms(body, "restClientDetailsListType")
    ids = [
        (e["id"]["objectType"], e["id"].get("applicationCode"), e["name"]) for e in body["member"]
    ]
    assert ids == [
        ("MEMBER", None, "Dinas Uji Kota A"),
        ("APPLICATION", "anjungan", "Anjungan Mandiri"),
        ("APPLICATION", "portal", "Portal Layanan"),
        ("APPLICATION", "sikesehatan", "Sistem Kesehatan"),
        ("APPLICATION", "sipenduduk", "Sistem Data Penduduk"),
        ("APPLICATION", "tamu", "Aplikasi Tamu"),
    ]
    assert {e["id"]["instanceId"] for e in body["member"]} == {"kota-a"}
    assert body["member"][1]["id"] == {
        "objectType": "APPLICATION",
        "instanceId": "kota-a",
        "memberClass": "GOV",
        "memberCode": "dinas-uji",
        "applicationCode": "anjungan",
    }
    # An app in the inventory but not in the gateway is not a GovStack client.
    assert "belum-terhubung" not in json.dumps(body)


def test_list_clients_of_every_instance_and_of_an_unknown_one(world: World) -> None:
    everything = list_clients(world.snapshot, None)
    conforms(everything, "restClientDetailsListType")
    instances = [e["id"]["instanceId"] for e in everything["member"]]
    assert instances.count("kab-b") == 3  # its agency, its provider, its client
    assert instances.count("kota-a") == 6
    assert list_clients(world.snapshot, "kota-tidak-ada") == {"member": []}


def test_list_methods_shows_enabled_services_and_endpoints(world: World) -> None:
    body = list_methods(world.snapshot, world.provider, None)
    conforms(body, "restServiceDetailsListType")
    assert _methods(body) == {
        "arsip": [("GET", "/arsip")],
        "penduduk": [("GET", "/keluarga"), ("POST", "/keluarga"), ("GET", "/penduduk/{nik}")],
    }
    penduduk = next(s for s in body["member"] if s["serviceCode"] == "penduduk")
    assert {k: v for k, v in penduduk.items() if k != "endpointList"} == {
        "objectType": "SERVICE",
        "serviceType": "REST",
        "instanceId": "kota-a",
        "memberClass": "GOV",
        "memberCode": "dinas-uji",
        "applicationCode": "sipenduduk",
        "serviceCode": "penduduk",
        "serviceVersion": "2.1.0",
    }


def test_list_methods_narrowed_by_service_id(world: World) -> None:
    by_code = list_methods(world.snapshot, world.provider, "arsip")
    conforms(by_code, "restServiceDetailsListType")
    assert list(_methods(by_code)) == ["arsip"]
    full = list_methods(world.snapshot, world.provider, "kota-a/GOV/dinas-uji/sipenduduk/arsip")
    assert full == by_code
    assert list_methods(world.snapshot, world.provider, "lama") == {"member": []}
    assert list_methods(world.snapshot, world.provider, "tidak-ada") == {"member": []}
    with pytest.raises(DirectoryError) as refused:
        list_methods(world.snapshot, world.provider, "kab-b/GOV/dinas-uji/sipenduduk/penduduk")
    assert refused.value.status == 400


def test_unknown_provider_is_not_found(world: World) -> None:
    for provider in (
        ("kota-a", "GOV", "dinas-uji", "tidak-ada"),
        ("kota-a", "GOV", "dinas-uji", "belum-terhubung"),
        ("kota-x", "GOV", "dinas-uji", "sipenduduk"),
    ):
        with pytest.raises(DirectoryError) as missing:
            list_methods(world.snapshot, provider, None)
        assert missing.value.status == 404
        assert missing.value.code == "unknown_provider"


def test_other_regions_apps_are_never_listed_for_an_instance(world: World) -> None:
    kota = list_methods(world.snapshot, world.provider, None)
    kabupaten = list_methods(world.snapshot, ("kab-b", "GOV", "dinas-uji", "sipenduduk"), None)
    conforms(kabupaten, "restServiceDetailsListType")
    assert {s["instanceId"] for s in kota["member"]} == {"kota-a"}
    assert {s["instanceId"] for s in kabupaten["member"]} == {"kab-b"}
    assert "Kabupaten B" not in json.dumps(list_clients(world.snapshot, "kota-a"))


def test_allowed_methods_follow_the_approved_grants(world: World) -> None:
    clients = world.snapshot.clients_by_id
    portal = allowed_methods(world.snapshot, world.provider, clients[world.portal], None)
    conforms(portal, "restServiceDetailsListType")
    # A grant for the whole service covers its enabled endpoints; the disabled service is out.
    assert _methods(portal) == {
        "penduduk": [("GET", "/keluarga"), ("POST", "/keluarga"), ("GET", "/penduduk/{nik}")]
    }
    kiosk = allowed_methods(world.snapshot, world.provider, clients[world.kiosk], None)
    conforms(kiosk, "restServiceDetailsListType")
    # One approved endpoint grant; the pending one gives nothing yet.
    assert _methods(kiosk) == {"penduduk": [("GET", "/penduduk/{nik}")]}
    grouped = allowed_methods(world.snapshot, world.provider, clients[world.grouped], None)
    assert _methods(grouped) == {"arsip": [("GET", "/arsip")]}  # through its group
    stranger = allowed_methods(world.snapshot, world.provider, clients[world.stranger], None)
    assert stranger == {"member": []}  # its grant was revoked
    narrowed = allowed_methods(world.snapshot, world.provider, clients[world.portal], "arsip")
    assert narrowed == {"member": []}


def test_allowed_methods_of_a_disabled_client_are_none(world: World) -> None:
    portal = world.snapshot.clients_by_id[world.portal]
    disabled = dataclasses.replace(portal, enabled=False)
    assert allowed_methods(world.snapshot, world.provider, disabled, None) == {"member": []}


def test_get_openapi_points_at_the_gateway_and_hides_the_upstream(world: World) -> None:
    body, content_type = get_openapi(world.snapshot, world.provider, "penduduk")
    assert content_type == "application/json"
    document = json.loads(body)
    assert document["servers"][0]["url"] == "/r1/kota-a/GOV/dinas-uji/sipenduduk/penduduk"
    assert "10.0.3." not in body.decode()  # no internal address, at any level
    # The switched-off DELETE is gone; everything else of the document is kept.
    assert set(document["paths"]["/penduduk/{nik}"]) == {"get"}
    assert set(document["paths"]["/keluarga"]) == {"get", "post"}
    assert document["info"] == OPENAPI["info"]
    absolute, _ = get_openapi(
        world.snapshot, world.provider, "penduduk", gateway_url="https://gw.kota-a.go.id/"
    )
    assert json.loads(absolute)["servers"][0]["url"] == (
        "https://gw.kota-a.go.id/r1/kota-a/GOV/dinas-uji/sipenduduk/penduduk"
    )
    # The snapshot's copy is untouched (other requests read it too).
    assert world.snapshot.services[(*world.provider, "penduduk")].openapi == OPENAPI


def test_get_openapi_refuses_a_missing_or_unknown_service(world: World) -> None:
    for code, status in (
        (None, 400),
        ("", 400),
        ("tidak-ada", 404),
        ("lama", 404),  # disabled
    ):
        with pytest.raises(DirectoryError) as refused:
            get_openapi(world.snapshot, world.provider, code)
        assert refused.value.status == status, code
    with pytest.raises(DirectoryError) as unknown:
        get_openapi(world.snapshot, ("kota-a", "GOV", "dinas-uji", "x"), "penduduk")
    assert unknown.value.status == 404


def test_client_header_parsing() -> None:
    assert parse_subsystem_id("kota-a/GOV/dinas-uji/portal") == (
        "kota-a",
        "GOV",
        "dinas-uji",
        "portal",
    )
    for bad in ("kota-a/GOV/dinas-uji", "kota-a/GOV//portal", "a/b/c/d/e", ""):
        with pytest.raises(DirectoryError) as refused:
            parse_subsystem_id(bad)
        assert refused.value.status == 400
