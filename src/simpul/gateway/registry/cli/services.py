"""``simpul gateway service ...`` and ``endpoint ...``: what provider apps offer."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.gateway.registry import repository
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.cli.common import (
    CLI_ACTOR,
    PAGE_SIZE,
    AppCode,
    EndpointArg,
    RegionOption,
    ServiceCode,
    emit,
    find_endpoint,
    find_service,
    read_document,
    transaction,
)
from simpul.gateway.registry.models import GOVERNMENT_MEMBER_CLASS, GatewayService

service_app = typer.Typer(help="Services provider apps offer (OpenAPI 3).", no_args_is_help=True)
endpoint_app = typer.Typer(help="Switch single operations of a service.", no_args_is_help=True)


def service_json(
    session: Session, region: Region, service: GatewayService, *, with_endpoints: bool = True
) -> dict[str, Any]:
    detail = repository.get_service_detail(session, region.id, service.id)
    assert detail is not None  # the service was just read in the same region
    data: dict[str, Any] = {
        "id": str(service.id),
        "service": "/".join(
            (
                region.slug,
                GOVERNMENT_MEMBER_CLASS,
                detail.agency.slug,
                detail.app.code,
                service.code,
            )
        ),
        "app": detail.app.code,
        "code": service.code,
        "title": service.title,
        "version": service.version,
        "upstream_url": service.upstream_url,
        "enabled": service.enabled,
        "log_bodies": service.log_bodies,
        "timeout_seconds": service.timeout_seconds,
        "max_body_bytes": service.max_body_bytes,
    }
    if with_endpoints:
        data["endpoints"] = [
            {
                "id": str(e.id),
                "endpoint": f"{e.method} {e.path}",
                "operation_id": e.operation_id,
                "enabled": e.enabled,
            }
            for e in detail.endpoints
        ]
    return data


@service_app.command("add")
def service_add(
    app_code: AppCode,
    service_code: ServiceCode,
    upstream: Annotated[str, typer.Option(help="Base URL requests are forwarded to.")],
    openapi: Annotated[str, typer.Option(help="OpenAPI 3.0/3.1 document (JSON or YAML).")],
    title: Annotated[str | None, typer.Option(help="Title (default: info.title).")] = None,
    log_bodies: Annotated[
        bool, typer.Option("--log-bodies", help="Keep bodies (encrypted) in the message log.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Upstream timeout in seconds.")] = 30.0,
    region: RegionOption = None,
) -> None:
    """Register a provider app's service from its OpenAPI document."""
    document = read_document(openapi)
    with transaction(region) as (session, the_region):
        service = registry.register_service(
            session,
            the_region,
            app_code=app_code,
            code=service_code,
            upstream_url=upstream,
            openapi_text=document,
            actor=CLI_ACTOR,
            title=title,
            log_bodies=log_bodies,
            timeout_seconds=timeout,
        )
        data = service_json(session, the_region, service)
    emit(data)


@service_app.command("update")
def service_update(
    app_code: AppCode,
    service_code: ServiceCode,
    openapi: Annotated[
        str | None, typer.Option(help="A new OpenAPI document: endpoints are re-synced.")
    ] = None,
    upstream: Annotated[str | None, typer.Option(help="New base URL.")] = None,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    timeout: Annotated[float | None, typer.Option(help="Upstream timeout in seconds.")] = None,
    log_bodies: Annotated[
        bool | None, typer.Option("--log-bodies/--no-log-bodies", help="Keep bodies or not.")
    ] = None,
    region: RegionOption = None,
) -> None:
    """Replace a service's document or change its settings."""
    document = read_document(openapi) if openapi else None
    with transaction(region) as (session, the_region):
        service = find_service(session, the_region, app_code, service_code)
        if document is not None:
            registry.update_service_document(session, the_region, service.id, document, CLI_ACTOR)
        registry.update_service_settings(
            session,
            the_region,
            service.id,
            actor=CLI_ACTOR,
            upstream_url=upstream,
            timeout_seconds=timeout,
            log_bodies=log_bodies,
            title=title,
        )
        data = service_json(session, the_region, service)
    emit(data)


@service_app.command("list")
def service_list(region: RegionOption = None) -> None:
    """List the region's services with their provider and endpoint counts."""
    with transaction(region) as (session, the_region):
        data: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows, total = repository.list_services(
                session, the_region.id, limit=PAGE_SIZE, offset=offset
            )
            for row in rows:
                item = service_json(session, the_region, row.service, with_endpoints=False)
                item["endpoints"] = row.endpoints
                item["enabled_endpoints"] = row.enabled_endpoints
                data.append(item)
            offset += PAGE_SIZE
            if offset >= total:
                break
    emit(data)


def _set_service(app_code: str, service_code: str, region: str | None, *, enabled: bool) -> None:
    with transaction(region) as (session, the_region):
        service = find_service(session, the_region, app_code, service_code)
        registry.set_service_enabled(
            session, the_region, service.id, enabled=enabled, actor=CLI_ACTOR
        )
        data = service_json(session, the_region, service, with_endpoints=False)
    emit(data)


@service_app.command("enable")
def service_enable(
    app_code: AppCode, service_code: ServiceCode, region: RegionOption = None
) -> None:
    """Switch a service on (its app then counts as integrated)."""
    _set_service(app_code, service_code, region, enabled=True)


@service_app.command("disable")
def service_disable(
    app_code: AppCode, service_code: ServiceCode, region: RegionOption = None
) -> None:
    """Switch a service off: every call to it is refused."""
    _set_service(app_code, service_code, region, enabled=False)


def _set_endpoint(
    app_code: str, service_code: str, operation: str, region: str | None, *, enabled: bool
) -> None:
    with transaction(region) as (session, the_region):
        service = find_service(session, the_region, app_code, service_code)
        endpoint = find_endpoint(session, the_region, service, operation)
        registry.set_endpoint_enabled(
            session, the_region, endpoint.id, enabled=enabled, actor=CLI_ACTOR
        )
        data = {
            "id": str(endpoint.id),
            "endpoint": f"{endpoint.method} {endpoint.path}",
            "enabled": endpoint.enabled,
        }
    emit(data)


@endpoint_app.command("enable")
def endpoint_enable(
    app_code: AppCode, service_code: ServiceCode, endpoint: EndpointArg, region: RegionOption = None
) -> None:
    """Switch one operation on."""
    _set_endpoint(app_code, service_code, endpoint, region, enabled=True)


@endpoint_app.command("disable")
def endpoint_disable(
    app_code: AppCode, service_code: ServiceCode, endpoint: EndpointArg, region: RegionOption = None
) -> None:
    """Switch one operation off (refused even for granted clients)."""
    _set_endpoint(app_code, service_code, endpoint, region, enabled=False)
