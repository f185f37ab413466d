"""Provider services: register one from its OpenAPI document, read it, switch it and its
endpoints on and off, replace its document, change its settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageAdmin
from simpul.core.database import DbSession, Session
from simpul.core.errors import DomainError, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.forms import (
    MAX_DOCUMENT_BYTES,
    NewServiceForm,
    ServiceSettingsForm,
    actor_of,
    area,
    attempt,
    document_problems,
    document_text,
    govstack_address,
    kept_paste,
    notice,
    page,
    parse_id,
    read_form,
    see,
)
from simpul.gateway.registry.models import END_USER_IDENTITY_LABELS, GatewayEndpoint
from simpul.gateway.registry.service import GrantQuery, ServiceDetail
from simpul.inventory import service as inventory
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

Url = Annotated[str, Form(max_length=500)]
Title = Annotated[str, Form(max_length=300)]
Short = Annotated[str, Form(max_length=20)]
Scopes = Annotated[str, Form(max_length=200)]
Checkbox = Annotated[str | None, Form()]
Pasted = Annotated[str, Form()]
Upload = Annotated[UploadFile | None, File()]
Pesan = Annotated[str | None, Query(max_length=40)]


def _service_or_404(session: Session, region: Region, service_id: str) -> ServiceDetail:
    parsed = parse_id(service_id)
    detail = registry.get_service_detail(session, region.id, parsed) if parsed else None
    if detail is None:
        raise NotFound(_("Layanan tidak ditemukan di gateway wilayah ini."))
    return detail


def _new_service_page(
    request: Request,
    session: Session,
    region: Region,
    values: dict[str, Any],
    error: DomainError | None = None,
) -> HTMLResponse:
    return page(
        request,
        "service_new.html",
        {
            "current": "service_new",
            "apps": inventory.list_all_apps(session, region),
            "values": values,
            "document_text": values.get("openapi", ""),
            "document_problems": document_problems(error),
            "max_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
        },
        error=error,
    )


@router.get(
    "/{region}/admin/integrasi/layanan/baru",
    response_class=HTMLResponse,
    name="integration_service_new",
)
def new_service_form(
    request: Request, region: CurrentRegion, session: DbSession, user: CurrentPageAdmin
) -> HTMLResponse:
    """The form to register a provider's service."""
    return _new_service_page(
        request, session, region, {"timeout_seconds": "30", "log_bodies": False}
    )


@router.post("/{region}/admin/integrasi/layanan/baru", response_class=HTMLResponse)
def register_service(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    app_code: Annotated[str, Form(max_length=60)] = "",
    code: Annotated[str, Form(max_length=100)] = "",
    title: Title = "",
    upstream_url: Url = "",
    timeout_seconds: Short = "",
    log_bodies: Checkbox = None,
    openapi: Pasted = "",
    openapi_file: Upload = None,
) -> Response:
    """Register a provider's service from its OpenAPI document (uploaded or pasted)."""
    values = {
        "app_code": app_code,
        "code": code,
        "title": title,
        "upstream_url": upstream_url,
        "timeout_seconds": timeout_seconds or "30",
        "log_bodies": log_bodies is not None,
        "openapi": kept_paste(openapi),
    }

    def change() -> Any:
        document = document_text(openapi_file, openapi)
        timeout = read_form(
            NewServiceForm, {"timeout_seconds": timeout_seconds or "30"}
        ).timeout_seconds
        return registry.register_service(
            session,
            region,
            app_code=app_code.strip(),
            code=code.strip(),
            upstream_url=upstream_url.strip(),
            openapi_text=document,
            actor=actor_of(user),
            title=title.strip() or None,
            log_bodies=log_bodies is not None,
            timeout_seconds=timeout,
        )

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _new_service_page(request, session, region, values, result)
    return see(f"{area(region)}/layanan/{result.id}?pesan=layanan-baru")


def _service_page(
    request: Request,
    session: Session,
    region: Region,
    detail: ServiceDetail,
    *,
    pesan: str | None = None,
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The service page; ``form`` names the form an ``error`` and ``values`` belong to."""
    service = detail.service
    settings: dict[str, Any] = {
        "upstream_url": service.upstream_url,
        "title": service.title,
        "timeout_seconds": f"{service.timeout_seconds:g}",
        "max_body_mb": f"{service.max_body_bytes / (1024 * 1024):g}",
        "log_bodies": service.log_bodies,
        "end_user_identity": service.end_user_identity.value,
        "end_user_scopes": " ".join(service.end_user_scopes),
    }
    if form == "settings" and values:
        settings = values
    grants, _total = registry.list_grants_for_review(
        session, region.id, GrantQuery(service_id=service.id), limit=200
    )
    return page(
        request,
        "service.html",
        {
            "current": "services",
            "detail": detail,
            "service": service,
            "address": govstack_address(region, detail.agency.slug, detail.app.code, service.code),
            "endpoints": detail.endpoints,
            "grants": grants,
            "notice": notice(pesan),
            "form": form,
            "settings": settings,
            "end_user_labels": END_USER_IDENTITY_LABELS,
            "document_text": (values or {}).get("openapi", "") if form == "document" else "",
            "document_problems": document_problems(error),
            "back": f"{area(region)}/layanan/{service.id}",
            "max_mb": MAX_DOCUMENT_BYTES // (1024 * 1024),
        },
        error=error,
    )


@router.get(
    "/{region}/admin/integrasi/layanan/{service_id}",
    response_class=HTMLResponse,
    name="integration_service",
)
def service_page(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: str,
    pesan: Pesan = None,
) -> HTMLResponse:
    """One service: its GovStack address, endpoints, grants, document and settings."""
    detail = _service_or_404(session, region, service_id)
    return _service_page(request, session, region, detail, pesan=pesan)


@router.post("/{region}/admin/integrasi/layanan/{service_id}/status", response_class=HTMLResponse)
def set_service_enabled(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: str,
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Switch the whole service on (``ya``) or off (anything else)."""
    detail = _service_or_404(session, region, service_id)
    result = attempt(
        session,
        lambda: registry.set_service_enabled(
            session, region, detail.service.id, enabled == "ya", actor_of(user)
        ),
    )
    if isinstance(result, DomainError):
        return _service_page(request, session, region, detail, error=result, form="status")
    return see(f"{area(region)}/layanan/{detail.service.id}?pesan=status")


@router.post(
    "/{region}/admin/integrasi/layanan/{service_id}/endpoint/{endpoint_id}/status",
    response_class=HTMLResponse,
)
def set_endpoint_enabled(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: str,
    endpoint_id: str,
    enabled: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Switch one endpoint on or off; with htmx only its table row comes back."""
    detail = _service_or_404(session, region, service_id)
    parsed = parse_id(endpoint_id)
    endpoint = registry.get_endpoint(session, region.id, parsed) if parsed else None
    if endpoint is None or endpoint.service_id != detail.service.id:
        raise NotFound(_("Endpoint tidak ditemukan pada layanan ini."))
    result = attempt(
        session,
        lambda: registry.set_endpoint_enabled(
            session, region, endpoint.id, enabled == "ya", actor_of(user)
        ),
    )
    if request.headers.get("HX-Request") == "true":
        session.refresh(endpoint)
        return _endpoint_row(request, detail, endpoint, result)
    if isinstance(result, DomainError):
        return _service_page(request, session, region, detail, error=result, form="endpoints")
    return see(f"{area(region)}/layanan/{detail.service.id}?pesan=endpoint#ep-{endpoint.id}")


def _endpoint_row(
    request: Request, detail: ServiceDetail, endpoint: GatewayEndpoint, result: object
) -> HTMLResponse:
    error = result if isinstance(result, DomainError) else None
    return page(
        request,
        "_endpoint_row.html",
        {
            "service": detail.service,
            "endpoint": endpoint,
            "row_error": error.message if error else None,
        },
        error=error,
    )


@router.post("/{region}/admin/integrasi/layanan/{service_id}/dokumen", response_class=HTMLResponse)
def replace_service_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: str,
    openapi: Pasted = "",
    openapi_file: Upload = None,
) -> Response:
    """Replace the OpenAPI document; the endpoints follow the new document."""
    detail = _service_or_404(session, region, service_id)
    result = attempt(
        session,
        lambda: registry.update_service_document(
            session, region, detail.service.id, document_text(openapi_file, openapi), actor_of(user)
        ),
    )
    if isinstance(result, DomainError):
        return _service_page(
            request,
            session,
            region,
            detail,
            error=result,
            form="document",
            values={"openapi": kept_paste(openapi)},
        )
    return see(f"{area(region)}/layanan/{detail.service.id}?pesan=dokumen")


@router.post(
    "/{region}/admin/integrasi/layanan/{service_id}/pengaturan", response_class=HTMLResponse
)
def change_service_settings(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: CurrentPageAdmin,
    service_id: str,
    upstream_url: Url = "",
    title: Title = "",
    timeout_seconds: Short = "",
    max_body_mb: Short = "",
    log_bodies: Checkbox = None,
    end_user_identity: Short = "none",
    end_user_scopes: Scopes = "",
) -> Response:
    """Change where requests go, the time limit, the size limit, whether bodies are kept and
    whether calls carry the end user's identity."""
    detail = _service_or_404(session, region, service_id)
    values = {
        "upstream_url": upstream_url,
        "title": title,
        "timeout_seconds": timeout_seconds,
        "max_body_mb": max_body_mb,
        "log_bodies": log_bodies is not None,
        "end_user_identity": end_user_identity,
        "end_user_scopes": end_user_scopes,
    }

    def change() -> Any:
        form = read_form(
            ServiceSettingsForm,
            {"timeout_seconds": timeout_seconds, "max_body_mb": max_body_mb},
        )
        timeout, size_mb = form.timeout_seconds, form.max_body_mb
        return registry.update_service_settings(
            session,
            region,
            detail.service.id,
            actor=actor_of(user),
            upstream_url=upstream_url.strip(),
            timeout_seconds=timeout,
            max_body_bytes=round(size_mb * 1024 * 1024),
            log_bodies=log_bodies is not None,
            title=title,
            end_user_identity=end_user_identity,
            end_user_scopes=end_user_scopes,
        )

    result = attempt(session, change)
    if isinstance(result, DomainError):
        return _service_page(
            request, session, region, detail, error=result, form="settings", values=values
        )
    return see(f"{area(region)}/layanan/{detail.service.id}?pesan=pengaturan")
