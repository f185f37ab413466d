"""The GovStack IM directory (listClients, listMethods, allowedMethods, getOpenAPI) over a
snapshot loaded from real rows, every answer checked against the spec's own schemas
(../shared/govstack/information-mediator) the way an independent client would check it; then
as a real ``simpul gateway`` serves it, with ``X-GovStack-Client`` required where the spec
requires it, and the document it publishes held to the spec's operations and parameters."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import yaml
from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session, sessionmaker

from simpul.catalogue.models import Agency
from simpul.core.models import Region, utcnow
from simpul.gateway.dataplane.config import Snapshot, SubsystemId, load_snapshot
from simpul.gateway.dataplane.directory import (
    DirectoryError,
    allowed_methods,
    get_openapi,
    list_clients,
    list_methods,
    parse_subsystem_id,
)
from simpul.gateway.dataplane.directory_openapi import directory_openapi
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import (
    GatewayClient,
    GatewayClientGroup,
    GatewayClientGroupMember,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.inventory.models import App
from tests.conftest import TEST_SECRET
from tests.contracts import specs
from tests.factories import make_region
from tests.gateway.conftest import GatewayWorld, add_app
from tests.gateway.upstream import openapi_text, running_upstream
from tests.support.devserver import server_process

IM_SPEC = specs.GOVSTACK_DIR / specs.IM_DIRECTORY


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
    for bad in (
        "kota-a/GOV/dinas-uji",
        "kota-a/GOV//portal",
        "a/b/c/d/e",
        "",
        "kota-a%2FGOV%2Fdinas-uji%2Fportal",  # an encoded separator is not one
        "kota-a/GOV/dinas-uji%2Fx/portal",
        "kota-a/GOV/dinas uji/portal",
        "kota-a/GOV/dinas-uji/portal\\x",
    ):
        with pytest.raises(DirectoryError) as refused:
            parse_subsystem_id(bad)
        assert refused.value.status == 400
        assert refused.value.code == "invalid_client_id"


# -- the directory as a real ``simpul gateway`` serves it ------------------------------------

METASERVICES = ("listMethods", "allowedMethods", "getOpenAPI")
ADMIN = registry.Actor("admin@uji.example")
#: What ``client_missing`` tells the caller to send, in Indonesian and in English.
CLIENT_MISSING = {
    "id": (
        "Header X-GovStack-Client (atau Information-Mediator-Client) wajib dikirim: sebutkan "
        "aplikasi pemanggil sebagai INSTANCE/CLASS/MEMBER/APPLICATION, misalnya "
        "kota-bandung/GOV/diskominfo/portal."
    ),
    "en": (
        "The X-GovStack-Client header (or Information-Mediator-Client) is required: name the "
        "calling application as INSTANCE/CLASS/MEMBER/APPLICATION, for example "
        "kota-bandung/GOV/diskominfo/portal."
    ),
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with running_upstream() as url:
        yield url


@pytest.fixture(scope="module")
def gateway(committed_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with server_process(
        committed_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path_factory.mktemp("gateway"),
        program="gateway",
        env={
            "SIMPUL_GATEWAY_REFRESH_SECONDS": "0.5",
            "SIMPUL_GATEWAY_UNIDENTIFIED_PER_MINUTE": "100000",
        },
    ) as server:
        yield server.base_url


@dataclass
class Served:
    base_url: str
    provider: str  # /r1/<instance>/GOV/<agency>/sipenduduk
    caller: str  # the consumer app: <instance>/GOV/<agency>/portal

    def get(self, method: str, headers: dict[str, str] | None = None) -> httpx2.Response:
        query = {"serviceCode": "penduduk"} if method == "getOpenAPI" else {}
        return httpx2.get(
            f"{self.base_url}{self.provider}/{method}", params=query, headers=headers or {}
        )


@pytest.fixture
def served(
    gateway: str,
    upstream: str,
    committed_sessions: sessionmaker[Session],
    gateway_world: GatewayWorld,
) -> Served:
    """A provider service and a consumer client with an approved grant, once the gateway
    serves them."""
    world = gateway_world
    with committed_sessions() as session, session.begin():
        region = session.get_one(Region, world.region.id)
        service = registry.register_service(
            session,
            region,
            app_code=world.provider.code,
            code="penduduk",
            upstream_url=upstream,
            openapi_text=openapi_text(),
            actor=ADMIN,
        )
        client = registry.register_client(
            session, region, app_code=world.consumer.code, actor=ADMIN
        )
        grant = registry.request_grant(
            session, region, service_id=service.id, client_id=client.id, actor=ADMIN, reason="uji"
        )
        registry.approve_grant(session, region, grant.id, ADMIN)
    member = f"{world.region.slug}/GOV/{world.agency.slug}"
    served = Served(gateway, f"/r1/{member}/{world.provider.code}", f"{member}/portal")
    deadline = time.monotonic() + 15
    while served.get("allowedMethods", {"X-GovStack-Client": served.caller}).status_code != 200:
        assert time.monotonic() < deadline, "the gateway never served the new configuration"
        time.sleep(0.1)
    return served


def _refused(response: httpx2.Response, status: int, code: str) -> str:
    """The refusal's message, once the status and the body's shape and code are checked."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {
        "error": {"code": code, "message": body["error"]["message"], "details": []},
        "request_id": response.headers["x-request-id"],
    }
    message: str = body["error"]["message"]
    return message


@pytest.mark.parametrize("method", METASERVICES)
def test_the_provider_metaservices_require_the_caller_header(served: Served, method: str) -> None:
    assert _refused(served.get(method), 400, "client_missing") == CLIENT_MISSING["id"]
    english = served.get(method, {"Accept-Language": "en"})
    assert _refused(english, 400, "client_missing") == CLIENT_MISSING["en"]
    empty = served.get(method, {"X-GovStack-Client": ""})
    assert _refused(empty, 400, "client_missing") == CLIENT_MISSING["id"]

    answer = served.get(method, {"X-GovStack-Client": served.caller})
    assert answer.status_code == 200, answer.text
    # The gateway takes Information-Mediator-Client as the same identity.
    same = served.get(method, {"Information-Mediator-Client": served.caller})
    assert same.status_code == 200, same.text
    assert same.content == answer.content
    if method == "getOpenAPI":
        assert "/penduduk/{nik}" in answer.json()["paths"]
    else:
        conforms(answer.json(), "restServiceDetailsListType")
        assert [s["serviceCode"] for s in answer.json()["member"]] == ["penduduk"]


def test_list_clients_needs_no_caller_and_answers_in_the_spec_shape(served: Served) -> None:
    instance = served.caller.split("/")[0]
    answer = httpx2.get(served.base_url + "/listClients", params={"instanceId": instance})
    assert answer.status_code == 200, answer.text
    conforms(answer.json(), "restClientDetailsListType")
    codes = {m["id"].get("applicationCode") for m in answer.json()["member"]}
    assert codes == {None, "sipenduduk", "portal"}


def test_a_caller_the_gateway_does_not_know(served: Served) -> None:
    """A well-formed name is enough to read the directory, which is not secret; only
    allowedMethods, which answers for the caller, needs a registered client. A value that is
    not an identity at all is refused by all three."""
    stranger = {"X-GovStack-Client": served.caller.rsplit("/", 1)[0] + "/tidak-terdaftar"}
    assert served.get("listMethods", stranger).status_code == 200
    assert served.get("getOpenAPI", stranger).status_code == 200
    _refused(served.get("allowedMethods", stranger), 400, "client_missing")
    for method in METASERVICES:
        for malformed in ("portal", served.caller + "/lagi", served.caller.replace("/", "%2F")):
            refused = served.get(method, {"X-GovStack-Client": malformed})
            _refused(refused, 400, "invalid_client_id")


def _parameters(document: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """The parameters of ``path``'s GET by name, path-item ones included, $refs resolved."""
    item = document["paths"][path]
    found = {}
    components = document["components"]["parameters"]
    for written in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
        parameter = components[written["$ref"].rsplit("/", 1)[1]] if "$ref" in written else written
        found[parameter["name"]] = parameter
    return found


def test_the_published_directory_document_follows_the_spec() -> None:
    spec: dict[str, Any] = yaml.safe_load(IM_SPEC.read_text())
    ours = directory_openapi()
    for path, item in spec["paths"].items():
        assert ours["paths"][path]["get"]["operationId"] == item["get"]["operationId"], path
        theirs, mine = _parameters(spec, path), _parameters(ours, path)
        assert set(theirs) <= set(mine), path
        for name, parameter in theirs.items():
            assert mine[name]["in"] == parameter["in"], (path, name)
            assert mine[name].get("required", False) == parameter.get("required", False), (
                path,
                name,
            )
    for operation in METASERVICES:
        path = f"/r1/{{instanceId}}/{{memberClass}}/{{memberCode}}/{{applicationCode}}/{operation}"
        assert _parameters(ours, path)["X-GovStack-Client"]["required"] is True
    assert _parameters(ours, "/listClients")["X-GovStack-Client"]["required"] is False
