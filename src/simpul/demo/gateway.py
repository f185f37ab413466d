"""The demo region's gateway: one real provider, clients, keys and grants to try at once.

The provider is Simpul itself: its catalogue API (``/api/kota-bandung/services`` ...), served
by ``simpul serve`` beside the gateway, registered with the OpenAPI document FastAPI makes for
it. *Satu Data Bandung* (the open-data portal) may call it with the demo key printed by
``make demo``; *Gampil* has asked for access and waits for the region admin's approval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session

from simpul.catalogue import repository as catalogue_repository
from simpul.catalogue.models import Agency
from simpul.core.models import Region
from simpul.core.security import token_digest
from simpul.gateway.registry import repository as registry_repository
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.models import GatewayCredential
from simpul.inventory import repository
from simpul.inventory.models import (
    App,
    AppStatus,
    AppUsers,
    DataClassification,
    Hosting,
    IntegrationState,
)

#: Like the demo passwords: for trying the demo only, printed by ``make demo``.
DEMO_GATEWAY_KEY: Final = "sgw_demo-satu-data-bandung-0123456789abcdef"
DEMO_ACTOR: Final = registry.Actor("demo")
PROVIDER_APP: Final = "simpul"
SERVICE_CODE: Final = "katalog"
CLIENT_APP: Final = "satu-data-bandung"
WAITING_APP: Final = "gampil"
DEFAULT_UPSTREAM: Final = "http://127.0.0.1:8000"
DEMO_REGION_SLUG: Final = "kota-bandung"


@dataclass(frozen=True)
class DemoGateway:
    created: bool
    call_path: str
    client_header: str
    key: str


def catalogue_openapi(region_slug: str) -> dict[str, Any]:
    """The catalogue API's OpenAPI document, with paths relative to ``/api/{region}``."""
    from simpul.catalogue import api as catalogue_api

    document = get_openapi(
        title="Katalog Layanan Publik (Simpul)",
        version="1.0.0",
        description="Layanan publik wilayah beserta standar pelayanannya.",
        routes=catalogue_api.router.routes,
    )
    prefix = "/api/{region}"
    paths: dict[str, Any] = {}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if p.get("name") != "region"
            ]
            if not operation["parameters"]:
                del operation["parameters"]
        paths[path.removeprefix(prefix) or "/"] = operations
    document["paths"] = paths
    document["servers"] = [{"url": f"/api/{region_slug}"}]
    return document


def upstream_url(base: str, region: Region) -> str:
    return f"{base.rstrip('/')}/api/{region.slug}"


def seed_demo_gateway(
    session: Session, region: Region, *, base_url: str = DEFAULT_UPSTREAM
) -> DemoGateway:
    """Register the demo provider, clients, key and grants once; later calls change nothing."""
    provider = repository.get_app_by_code(session, region.id, PROVIDER_APP)
    created = provider is None
    if provider is None:
        agency = catalogue_repository.get_agency_by_slug(session, region.id, "diskominfo")
        assert agency is not None, "the demo catalogue has Diskominfo"
        provider = App(
            region_id=region.id,
            agency_id=agency.id,
            code=PROVIDER_APP,
            name="Simpul Layanan Publik",
            purpose="Katalog layanan, permohonan daring, dan gateway integrasi Kota Bandung.",
            users=AppUsers.BOTH,
            url="",
            hosting=Hosting.REGIONAL_DATA_CENTRE,
            status=AppStatus.OPERATING,
            spbe_area="layanan_publik",
            data_classification=DataClassification.PERSONAL,
            integration_state=IntegrationState.NOT_PLANNED,
        )
        session.add(provider)
        session.flush()
    agency_slug = session.get_one(Agency, provider.agency_id).slug
    client_app = repository.get_app_by_code(session, region.id, CLIENT_APP)
    assert client_app is not None, "the demo inventory has Satu Data Bandung"
    client_header = (
        f"{region.slug}/GOV/{session.get_one(Agency, client_app.agency_id).slug}/{CLIENT_APP}"
    )
    call_path = f"/r1/{region.slug}/GOV/{agency_slug}/{PROVIDER_APP}/{SERVICE_CODE}/services"
    result = DemoGateway(
        created=created, call_path=call_path, client_header=client_header, key=DEMO_GATEWAY_KEY
    )
    if registry_repository.get_service_by_code(session, region.id, provider.id, SERVICE_CODE):
        return result

    service = registry.register_service(
        session,
        region,
        app_code=PROVIDER_APP,
        code=SERVICE_CODE,
        upstream_url=upstream_url(base_url, region),
        openapi_text=json.dumps(catalogue_openapi(region.slug)),
        actor=DEMO_ACTOR,
        title="Katalog layanan publik",
        description="Daftar layanan, instansi, dan peristiwa hidup beserta standar pelayanannya.",
        timeout_seconds=10.0,
    )
    client = registry.register_client(
        session, region, app_code=CLIENT_APP, actor=DEMO_ACTOR, rate_limit_per_minute=600
    )
    session.add(
        GatewayCredential(
            region_id=region.id,
            client_id=client.id,
            key_digest=token_digest(DEMO_GATEWAY_KEY),
            key_hint=DEMO_GATEWAY_KEY[:12],
            label="Kunci demo",
            created_by="demo",
        )
    )
    grant = registry.request_grant(
        session,
        region,
        service_id=service.id,
        client_id=client.id,
        actor=DEMO_ACTOR,
        reason="Satu Data Bandung menampilkan katalog layanan publik sebagai data terbuka.",
    )
    registry.approve_grant(session, region, grant.id, DEMO_ACTOR, note="Data publik.")
    waiting = registry.register_client(session, region, app_code=WAITING_APP, actor=DEMO_ACTOR)
    registry.request_grant(
        session,
        region,
        service_id=service.id,
        client_id=waiting.id,
        actor=DEMO_ACTOR,
        reason="Gampil menautkan setiap izin ke standar pelayanannya di katalog.",
    )
    session.flush()
    return DemoGateway(
        created=True, call_path=call_path, client_header=client_header, key=DEMO_GATEWAY_KEY
    )


def point_demo_gateway_at(session: Session, base_url: str) -> DemoGateway:
    """Make the demo provider's upstream the portal at ``base_url`` (``simpul demo --port``)."""
    from simpul.core.regions import get_region_by_slug

    region = get_region_by_slug(session, DEMO_REGION_SLUG)
    assert region is not None, "seed the demo first"
    demo = seed_demo_gateway(session, region, base_url=base_url)
    provider = repository.get_app_by_code(session, region.id, PROVIDER_APP)
    assert provider is not None
    service = registry_repository.get_service_by_code(session, region.id, provider.id, SERVICE_CODE)
    assert service is not None
    wanted = upstream_url(base_url, region)
    if service.upstream_url != wanted:
        registry.update_service_settings(
            session, region, service.id, actor=DEMO_ACTOR, upstream_url=wanted
        )
    return demo
