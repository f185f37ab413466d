"""Providers' services and their endpoints; the provider app's integration state follows."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from simpul.applications.sla import local_date
from simpul.core.errors import Conflict, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.gateway.registry import repository
from simpul.gateway.registry.models import EndUserIdentity, GatewayEndpoint, GatewayService
from simpul.gateway.registry.openapi_docs import parse_openapi
from simpul.gateway.registry.service.common import (
    DEFAULT_MAX_BODY_BYTES,
    MAX_TEXT,
    Actor,
    audit,
    code_problem,
    max_body_problem,
    problem,
    raise_if,
    require_app,
    require_service,
    service_name,
    text_problem,
    timeout_problem,
    upstream_url_problem,
)
from simpul.identity.models import SCOPES
from simpul.inventory.models import IntegrationState


def end_user_scopes_of(text: str) -> tuple[list[str], dict[str, str] | None]:
    """The scopes typed in the service form (spaces or commas between them), ``openid``
    always among them, and the problem with the text, if any."""
    wanted = [s for s in text.replace(",", " ").split() if s]
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        return [], problem(
            "end_user_scopes",
            _("Cakupan tidak dikenal: %(unknown)s. Pilihan: %(known)s.")
            % {"unknown": ", ".join(unknown[:5])[:200], "known": ", ".join(SCOPES)},
        )
    return sorted({"openid", *wanted}), None


def end_user_identity_of(value: str) -> tuple[EndUserIdentity | None, dict[str, str] | None]:
    try:
        return EndUserIdentity(value), None
    except ValueError:
        return None, problem(
            "end_user_identity", _("Pilih salah satu: tidak dipakai, opsional, atau wajib.")
        )


# -- integration state of provider apps -------------------------------------------------------


def _sync_integration(session: Session, region: Region, app_id: uuid.UUID, actor: Actor) -> None:
    """An app is integrated while one of its services is enabled; planned again when none is."""
    app = repository.get_app(session, region.id, app_id)
    if app is None:
        return
    session.flush()
    enabled = repository.count_enabled_services_of_app(session, region.id, app.id)
    before = app.integration_state
    today = local_date(utcnow(), region.timezone)
    if enabled and before is not IntegrationState.INTEGRATED:
        app.integration_state = IntegrationState.INTEGRATED
        app.integrated_on = today
        app.planned_year = None
    elif not enabled and before is IntegrationState.INTEGRATED:
        app.integration_state = IntegrationState.PLANNED
        app.planned_year = today.year
        app.integrated_on = None
    else:
        return
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.app.integration",
        app,
        {
            "app_code": app.code,
            "from": before.value,
            "to": app.integration_state.value,
            "enabled_services": enabled,
        },
    )


# -- services and endpoints -------------------------------------------------------------------


def register_service(
    session: Session,
    region: Region,
    *,
    app_code: str,
    code: str,
    upstream_url: str,
    openapi_text: str | bytes,
    actor: Actor,
    title: str | None = None,
    description: str = "",
    log_bodies: bool = False,
    timeout_seconds: float = 30.0,
    max_body_bytes: int | None = None,
) -> GatewayService:
    """Register a provider app's service from its OpenAPI 3 document, enabled.

    Nothing is stored unless everything is valid: the fields, the app, the code's uniqueness
    and the document (``InvalidOpenApiDocument`` says where it is wrong).
    """
    code = code.strip()
    upstream_url = upstream_url.strip()
    title = title.strip() if title is not None else None
    body_limit = DEFAULT_MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes
    url_problem = upstream_url_problem(upstream_url)
    raise_if(
        [
            code_problem("code", code),
            problem("upstream_url", url_problem) if url_problem else None,
            timeout_problem(timeout_seconds),
            max_body_problem(body_limit),
            text_problem("title", title, 200, required=True) if title is not None else None,
            text_problem("description", description, MAX_TEXT, required=False),
        ],
        _("Layanan belum dapat didaftarkan."),
    )
    app = require_app(session, region, app_code)
    if repository.get_service_by_code(session, region.id, app.id, code) is not None:
        raise Conflict(
            _("Aplikasi %(app)s sudah punya layanan dengan kode '%(code)s'.")
            % {"app": app.code, "code": code},
            details=[problem("code", _("Kode layanan sudah dipakai aplikasi ini."))],
        )
    parsed = parse_openapi(openapi_text)
    now = utcnow()
    service = GatewayService(
        region_id=region.id,
        app_id=app.id,
        code=code,
        title=(title or parsed.title or code)[:200],
        description=description.strip() or parsed.description[:MAX_TEXT],
        version=parsed.version,
        upstream_url=upstream_url,
        openapi=parsed.document,
        enabled=True,
        log_bodies=log_bodies,
        timeout_seconds=float(timeout_seconds),
        max_body_bytes=body_limit,
        first_enabled_at=now,
    )
    repository.add(session, service)
    session.flush()
    for spec in parsed.endpoints:
        repository.add(
            session,
            GatewayEndpoint(
                region_id=region.id,
                service_id=service.id,
                method=spec.method,
                path=spec.path,
                operation_id=spec.operation_id,
                summary=spec.summary,
                enabled=True,
            ),
        )
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.service.register",
        service,
        {
            "service": f"{app.code}/{code}",
            "upstream_url": upstream_url,
            "version": parsed.version,
            "openapi": parsed.openapi_version,
            "endpoints": [spec.label for spec in parsed.endpoints],
            "log_bodies": log_bodies,
        },
    )
    _sync_integration(session, region, app.id, actor)
    return service


def update_service_document(
    session: Session,
    region: Region,
    service_id: uuid.UUID,
    openapi_text: str | bytes,
    actor: Actor,
) -> GatewayService:
    """Replace a service's document and re-sync its endpoints.

    Endpoints still in the document keep their enabled flag; new ones are added enabled;
    vanished ones are deleted, with the grants that named them.
    """
    service = require_service(session, region, service_id)
    parsed = parse_openapi(openapi_text)
    existing = {
        (e.method, e.path): e for e in repository.list_endpoints(session, region.id, service.id)
    }
    wanted = {(spec.method, spec.path): spec for spec in parsed.endpoints}
    added: list[str] = []
    for key, spec in wanted.items():
        endpoint = existing.get(key)
        if endpoint is None:
            repository.add(
                session,
                GatewayEndpoint(
                    region_id=region.id,
                    service_id=service.id,
                    method=spec.method,
                    path=spec.path,
                    operation_id=spec.operation_id,
                    summary=spec.summary,
                    enabled=True,
                ),
            )
            added.append(spec.label)
        else:
            endpoint.operation_id = spec.operation_id
            endpoint.summary = spec.summary
    vanished = [endpoint for key, endpoint in existing.items() if key not in wanted]
    grants_dropped = repository.count_grants_of_endpoints(
        session, region.id, [endpoint.id for endpoint in vanished]
    )
    for endpoint in vanished:
        repository.remove(session, endpoint)
    before_version = service.version
    service.openapi = parsed.document
    service.version = parsed.version
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.service.update",
        service,
        {
            "service": service_name(session, region, service),
            "document": {
                "version": [before_version, parsed.version],
                "added": added,
                "removed": [f"{e.method} {e.path}" for e in vanished],
                "endpoint_grants_removed": grants_dropped,
            },
        },
    )
    return service


def update_service_settings(
    session: Session,
    region: Region,
    service_id: uuid.UUID,
    *,
    actor: Actor,
    upstream_url: str | None = None,
    timeout_seconds: float | None = None,
    max_body_bytes: int | None = None,
    log_bodies: bool | None = None,
    title: str | None = None,
    end_user_identity: str | None = None,
    end_user_scopes: str | None = None,
) -> GatewayService:
    """Change what is given (None: leave as is); the audit event lists old and new values.

    ``end_user_identity`` (``none``, ``optional``, ``required``) and ``end_user_scopes`` (the
    scopes a user's access token must carry, ``openid`` always) say whether calls carry the
    end user's identity (``gateway.dataplane.usertoken``)."""
    service = require_service(session, region, service_id)
    upstream_url = upstream_url.strip() if upstream_url is not None else None
    title = title.strip() if title is not None else None
    url_problem = upstream_url_problem(upstream_url) if upstream_url is not None else None
    mode, mode_problem = (
        end_user_identity_of(end_user_identity.strip())
        if end_user_identity is not None
        else (None, None)
    )
    scopes, scopes_problem = (
        end_user_scopes_of(end_user_scopes) if end_user_scopes is not None else (None, None)
    )
    raise_if(
        [
            mode_problem,
            scopes_problem,
            problem("upstream_url", url_problem) if url_problem else None,
            timeout_problem(timeout_seconds) if timeout_seconds is not None else None,
            max_body_problem(max_body_bytes) if max_body_bytes is not None else None,
            text_problem("title", title, 200, required=True) if title is not None else None,
        ],
        _("Pengaturan layanan belum dapat disimpan."),
    )
    wanted: dict[str, Any] = {
        "upstream_url": upstream_url,
        "timeout_seconds": float(timeout_seconds) if timeout_seconds is not None else None,
        "max_body_bytes": max_body_bytes,
        "log_bodies": log_bodies,
        "title": title,
        "end_user_identity": mode,
        "end_user_scopes": scopes,
    }
    changes: dict[str, list[Any]] = {}
    for name, value in wanted.items():
        if value is not None and getattr(service, name) != value:
            changes[name] = [getattr(service, name), value]
            setattr(service, name, value)
    if not changes:
        return service
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.service.update",
        service,
        {"service": service_name(session, region, service), "changes": changes},
    )
    return service


def set_service_enabled(
    session: Session, region: Region, service_id: uuid.UUID, enabled: bool, actor: Actor
) -> GatewayService:
    """Switch a whole service on or off; its provider app's integration state follows."""
    service = require_service(session, region, service_id)
    if service.enabled == enabled:
        return service
    service.enabled = enabled
    if enabled and service.first_enabled_at is None:
        service.first_enabled_at = utcnow()
    session.flush()
    audit(
        session,
        region,
        actor,
        "gateway.service.update",
        service,
        {
            "service": service_name(session, region, service),
            "changes": {"enabled": [not enabled, enabled]},
        },
    )
    _sync_integration(session, region, service.app_id, actor)
    return service


def set_endpoint_enabled(
    session: Session, region: Region, endpoint_id: uuid.UUID, enabled: bool, actor: Actor
) -> GatewayEndpoint:
    """Switch one operation on or off (a disabled one answers no client, granted or not)."""
    endpoint = repository.get_endpoint(session, region.id, endpoint_id)
    if endpoint is None:
        raise NotFound(_("Endpoint tidak ditemukan."))
    if endpoint.enabled == enabled:
        return endpoint
    endpoint.enabled = enabled
    session.flush()
    service = require_service(session, region, endpoint.service_id)
    audit(
        session,
        region,
        actor,
        "gateway.endpoint.enable" if enabled else "gateway.endpoint.disable",
        endpoint,
        {
            "service": service_name(session, region, service),
            "endpoint": f"{endpoint.method} {endpoint.path}",
        },
    )
    return endpoint
