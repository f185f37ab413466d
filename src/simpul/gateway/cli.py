"""`simpul gateway ...`: the control plane from the command line (the Diskominfo team's scripts).

Every command takes ``--region SLUG`` (optional when the deployment hosts one region), acts as
the actor ``cli`` (a region admin), prints JSON on stdout where data comes back, and exits
with code 2 and a message on stderr when something is refused. The main CLI (``simpul.cli``)
mounts ``gateway_admin``; its helpers are imported inside functions to avoid an import cycle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.gateway import registry
from simpul.gateway import registry_repository as repository
from simpul.gateway.models import (
    GOVERNMENT_MEMBER_CLASS,
    App,
    GatewayClient,
    GatewayClientGroup,
    GatewayCredential,
    GatewayEndpoint,
    GatewayGrant,
    GatewayService,
    GrantStatus,
)
from simpul.gateway.registry import API_KEY_PREFIX, KEY_HINT_LENGTH, Actor

#: Exit code of a refused command (a usage error in click's terms).
EXIT_REFUSED = 2
CLI_ACTOR = Actor(label="cli")
#: Rows fetched per query when a command lists everything.
_PAGE = 500

gateway_admin = typer.Typer(
    help="Gateway control plane: services, endpoints, clients, keys, groups, grants.",
    no_args_is_help=True,
)
service_app = typer.Typer(help="Services provider apps offer (OpenAPI 3).", no_args_is_help=True)
endpoint_app = typer.Typer(help="Switch single operations of a service.", no_args_is_help=True)
client_app = typer.Typer(help="Apps that call services through the gateway.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of clients (shown once).", no_args_is_help=True)
group_app = typer.Typer(help="Groups of clients, granted access together.", no_args_is_help=True)
member_app = typer.Typer(help="Members of a group.", no_args_is_help=True)
grant_app = typer.Typer(help="Access grants and their approval.", no_args_is_help=True)
gateway_admin.add_typer(service_app, name="service")
gateway_admin.add_typer(endpoint_app, name="endpoint")
gateway_admin.add_typer(client_app, name="client")
gateway_admin.add_typer(key_app, name="key")
gateway_admin.add_typer(group_app, name="group")
group_app.add_typer(member_app, name="member")
gateway_admin.add_typer(grant_app, name="grant")

RegionOption = Annotated[
    str | None, typer.Option("--region", help="Region slug (needed when there are several).")
]
AppCode = Annotated[str, typer.Argument(help="App code in the inventory.")]
ServiceCode = Annotated[str, typer.Argument(help="Service code of the provider app.")]
EndpointArg = Annotated[
    str, typer.Argument(help='Method and path template: "GET /penduduk/{nik}".')
]
KeyArg = Annotated[str, typer.Argument(help="Key id, its hint (sgw_AbCdEfGh) or the key itself.")]
GrantArg = Annotated[str, typer.Argument(help="Grant id (see: grant list).")]


# -- plumbing ---------------------------------------------------------------------------------


def refuse(message: str, details: list[dict[str, Any]] | None = None) -> typer.Exit:
    """Print ``message`` on stderr (as ``simpul.cli.fail`` does) and exit with code 2."""
    from simpul.cli import fail

    fail(message, details)
    return typer.Exit(code=EXIT_REFUSED)


@contextmanager
def transaction(region_slug: str | None) -> Iterator[tuple[Session, Region]]:
    """The command's session and region; committed on success, refusals exit with code 2."""
    from simpul.cli import _region, domain_errors, session_scope

    try:
        with session_scope() as session, domain_errors():
            yield session, _region(session, region_slug)
    except typer.Exit as exc:
        if exc.exit_code == 1:  # simpul.cli.fail's code: a refusal
            raise typer.Exit(code=EXIT_REFUSED) from None
        raise
    except IntegrityError:
        raise refuse(
            _("Perubahan bertabrakan dengan perubahan lain yang baru disimpan; coba lagi.")
        ) from None


def emit(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def read_document(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise refuse(
            _("Berkas %(path)s tidak bisa dibaca: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from None


def parse_operation(text: str) -> tuple[str, str]:
    """``"GET /penduduk/{nik}"`` -> ``("GET", "/penduduk/{nik}")``."""
    method, _sep, path = text.strip().partition(" ")
    path = path.strip()
    if not method or not path.startswith("/"):
        raise refuse(_('Tulis endpoint sebagai METODE /jalur, misalnya "GET /penduduk/{nik}".'))
    return method.upper(), path


def parse_id(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise refuse(
            _("'%(text)s' bukan ID %(what)s yang sah.") % {"text": text, "what": what}
        ) from None


def find_app(session: Session, region: Region, app_code: str) -> App:
    app = repository.get_app_by_code(session, region.id, app_code)
    if app is None:
        raise NotFound(
            _("Aplikasi '%(code)s' tidak ada di inventaris wilayah ini.") % {"code": app_code}
        )
    return app


def find_service(
    session: Session, region: Region, app_code: str, service_code: str
) -> GatewayService:
    app = find_app(session, region, app_code)
    service = repository.get_service_by_code(session, region.id, app.id, service_code)
    if service is None:
        raise NotFound(
            _("Aplikasi %(app)s tidak punya layanan '%(code)s'.")
            % {"app": app_code, "code": service_code}
        )
    return service


def find_endpoint(
    session: Session, region: Region, service: GatewayService, operation: str
) -> GatewayEndpoint:
    method, path = parse_operation(operation)
    endpoint = repository.get_endpoint_by_operation(session, region.id, service.id, method, path)
    if endpoint is None:
        raise NotFound(
            _("Layanan %(service)s tidak punya endpoint %(endpoint)s.")
            % {"service": service.code, "endpoint": f"{method} {path}"}
        )
    return endpoint


def find_client(session: Session, region: Region, app_code: str) -> GatewayClient:
    app = find_app(session, region, app_code)
    client = repository.get_client_of_app(session, region.id, app.id)
    if client is None:
        raise NotFound(
            _("Aplikasi %(app)s belum terdaftar sebagai klien: simpul gateway client add %(app)s")
            % {"app": app_code}
        )
    return client


def find_group(session: Session, region: Region, code: str) -> GatewayClientGroup:
    group = repository.get_group_by_code(session, region.id, code)
    if group is None:
        raise NotFound(_("Kelompok klien '%(code)s' tidak ada.") % {"code": code})
    return group


def find_credential(session: Session, region: Region, text: str) -> GatewayCredential:
    """A key by its id, by the key itself, or by its hint (``sgw_AbCdEfGh``, ``AbCdEfGh``)."""
    text = text.strip()
    try:
        credential_id: uuid.UUID | None = uuid.UUID(text)
    except ValueError:
        credential_id = None
    if credential_id is not None:
        credential = repository.get_credential(session, region.id, credential_id)
    elif text.startswith(API_KEY_PREFIX) and len(text) > len(API_KEY_PREFIX) + KEY_HINT_LENGTH + 1:
        credential = repository.get_credential_by_digest(
            session, region.id, registry.key_digest(text)
        )
    else:
        hint = text.removeprefix(API_KEY_PREFIX).rstrip("….")
        found = repository.find_credentials_by_hint(session, region.id, hint)
        if len(found) > 1:
            raise refuse(
                _("Ada %(n)d kunci dengan petunjuk itu; sebutkan ID kuncinya (client list).")
                % {"n": len(found)}
            )
        credential = found[0] if found else None
    if credential is None:
        raise NotFound(_("Kunci API '%(key)s' tidak ditemukan.") % {"key": text[:20]})
    return credential


# -- JSON shapes ------------------------------------------------------------------------------


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


def client_json(row: repository.ClientRow, region: Region) -> dict[str, Any]:
    return {
        "id": str(row.client.id),
        "client": "/".join((region.slug, GOVERNMENT_MEMBER_CLASS, row.agency.slug, row.app.code)),
        "app": row.app.code,
        "enabled": row.client.enabled,
        "rate_limit_per_minute": row.client.rate_limit_per_minute,
        "keys": [credential_json(c) for c in row.credentials],
    }


def credential_json(credential: GatewayCredential) -> dict[str, Any]:
    return {
        "id": str(credential.id),
        "key_hint": registry.shown_hint(credential),
        "label": credential.label,
        "created_at": credential.created_at,
        "expires_at": credential.expires_at,
        "revoked_at": credential.revoked_at,
    }


def grant_json(row: repository.GrantRow) -> dict[str, Any]:
    grant = row.grant
    return {
        "id": str(grant.id),
        "status": grant.status.value,
        "service": f"{row.provider.code}/{row.service.code}",
        "endpoint": f"{row.endpoint.method} {row.endpoint.path}" if row.endpoint else None,
        "client": row.client_app.code if row.client_app else None,
        "group": row.group.code if row.group else None,
        "reason": grant.reason,
        "requested_by": grant.requested_by,
        "requested_at": grant.created_at,
        "decided_by": grant.decided_by,
        "decided_at": grant.decided_at,
        "decision_note": grant.decision_note,
    }


def one_grant_json(session: Session, region: Region, grant: GatewayGrant) -> dict[str, Any]:
    row = repository.get_grant_row(session, region.id, grant.id)
    assert row is not None  # the grant was just read in the same region
    return grant_json(row)


# -- services and endpoints -------------------------------------------------------------------


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
                session, the_region.id, limit=_PAGE, offset=offset
            )
            for row in rows:
                item = service_json(session, the_region, row.service, with_endpoints=False)
                item["endpoints"] = row.endpoints
                item["enabled_endpoints"] = row.enabled_endpoints
                data.append(item)
            offset += _PAGE
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


# -- clients and keys -------------------------------------------------------------------------


def one_client_json(session: Session, region: Region, client: GatewayClient) -> dict[str, Any]:
    row = repository.get_client_row(session, region.id, client.id, now=utcnow())
    assert row is not None  # the client was just read in the same region
    return client_json(row, region)


@client_app.command("add")
def client_add(
    app_code: AppCode,
    rate_limit: Annotated[int, typer.Option(help="Requests per minute, all services.")] = 600,
    region: RegionOption = None,
) -> None:
    """Register an app as a client (it still needs a key and an approved grant)."""
    with transaction(region) as (session, the_region):
        client = registry.register_client(
            session,
            the_region,
            app_code=app_code,
            actor=CLI_ACTOR,
            rate_limit_per_minute=rate_limit,
        )
        data = one_client_json(session, the_region, client)
    emit(data)


@client_app.command("list")
def client_list(region: RegionOption = None) -> None:
    """List the clients with their keys that still work (hints only)."""
    with transaction(region) as (session, the_region):
        data: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows, total = repository.list_clients(
                session, the_region.id, now=utcnow(), limit=_PAGE, offset=offset
            )
            data.extend(client_json(row, the_region) for row in rows)
            offset += _PAGE
            if offset >= total:
                break
    emit(data)


def _show_key(client: str, credential: GatewayCredential, key: str) -> None:
    emit(
        {
            "client": client,
            "credential_id": str(credential.id),
            "key_hint": registry.shown_hint(credential),
            "expires_at": credential.expires_at,
            "key": key,
        }
    )
    typer.secho(
        _(
            "Simpan kunci ini sekarang: Simpul hanya menyimpan sidiknya "
            "dan tidak dapat menampilkannya lagi."
        ),
        fg=typer.colors.YELLOW,
        err=True,
    )


@key_app.command("issue")
def key_issue(
    app_code: AppCode,
    label: Annotated[str, typer.Option(help="What the key is for, e.g. server prod.")] = "",
    region: RegionOption = None,
) -> None:
    """Issue an API key for a client app and print it (only now)."""
    with transaction(region) as (session, the_region):
        client = find_client(session, the_region, app_code)
        credential, key = registry.issue_key(session, the_region, client.id, CLI_ACTOR, label)
    # Printed after the commit: a key that is shown always exists.
    _show_key(app_code, credential, key)


@key_app.command("rotate")
def key_rotate(
    key: KeyArg,
    grace_hours: Annotated[
        int, typer.Option(help="Hours the old key keeps working (0: stops now).")
    ] = 24,
    region: RegionOption = None,
) -> None:
    """Replace a key; the old one keeps working for the grace period."""
    with transaction(region) as (session, the_region):
        old = find_credential(session, the_region, key)
        credential, new_key = registry.rotate_key(
            session, the_region, old.id, CLI_ACTOR, grace_hours=grace_hours
        )
        row = repository.get_client_row(session, the_region.id, credential.client_id, now=utcnow())
        client = row.app.code if row else ""
    _show_key(client, credential, new_key)


@key_app.command("revoke")
def key_revoke(
    key: KeyArg,
    reason: Annotated[str, typer.Option(help="Why (e.g. leaked in a repository).")],
    region: RegionOption = None,
) -> None:
    """Stop a key at once, for good."""
    with transaction(region) as (session, the_region):
        credential = find_credential(session, the_region, key)
        registry.revoke_key(session, the_region, credential.id, CLI_ACTOR, reason)
        data = credential_json(credential)
    emit(data)


# -- groups -----------------------------------------------------------------------------------


def _group_json(row: repository.GroupRow) -> dict[str, Any]:
    return {
        "id": str(row.group.id),
        "code": row.group.code,
        "name": row.group.name,
        "members": [member.app.code for member in row.members],
    }


def _groups(session: Session, region: Region) -> list[repository.GroupRow]:
    result: list[repository.GroupRow] = []
    offset = 0
    while True:
        rows, total = repository.list_groups(session, region.id, limit=_PAGE, offset=offset)
        result.extend(rows)
        offset += _PAGE
        if offset >= total:
            return result


@group_app.command("add")
def group_add(
    code: Annotated[str, typer.Argument(help="Group code, e.g. opd-layanan-dasar.")],
    name: Annotated[str, typer.Argument(help="Name people read.")],
    region: RegionOption = None,
) -> None:
    """Create a group of clients."""
    with transaction(region) as (session, the_region):
        group = registry.create_group(session, the_region, code=code, name=name, actor=CLI_ACTOR)
        data = {"id": str(group.id), "code": group.code, "name": group.name, "members": []}
    emit(data)


@group_app.command("list")
def group_list(region: RegionOption = None) -> None:
    """List the groups and their members."""
    with transaction(region) as (session, the_region):
        data = [_group_json(row) for row in _groups(session, the_region)]
    emit(data)


def _members(session: Session, region: Region, group: GatewayClientGroup) -> dict[str, Any]:
    row = repository.get_group_row(session, region.id, group.id)
    assert row is not None  # the group was just read in the same region
    return _group_json(row)


@member_app.command("add")
def group_member_add(
    group_code: Annotated[str, typer.Argument(help="Group code.")],
    app_code: AppCode,
    region: RegionOption = None,
) -> None:
    """Put a client app in a group."""
    with transaction(region) as (session, the_region):
        group = find_group(session, the_region, group_code)
        client = find_client(session, the_region, app_code)
        registry.add_group_member(session, the_region, group.id, client.id, CLI_ACTOR)
        data = _members(session, the_region, group)
    emit(data)


@member_app.command("remove")
def group_member_remove(
    group_code: Annotated[str, typer.Argument(help="Group code.")],
    app_code: AppCode,
    region: RegionOption = None,
) -> None:
    """Take a client app out of a group."""
    with transaction(region) as (session, the_region):
        group = find_group(session, the_region, group_code)
        client = find_client(session, the_region, app_code)
        registry.remove_group_member(session, the_region, group.id, client.id, CLI_ACTOR)
        data = _members(session, the_region, group)
    emit(data)


# -- grants -----------------------------------------------------------------------------------


@grant_app.command("request")
def grant_request(
    app_code: Annotated[str, typer.Argument(help="Provider app code.")],
    service_code: ServiceCode,
    reason: Annotated[str, typer.Option(help="Why the client needs the service.")],
    client: Annotated[str | None, typer.Option(help="Client app code.")] = None,
    group: Annotated[str | None, typer.Option(help="Client group code.")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help='Only this endpoint: "GET /penduduk/{nik}".')
    ] = None,
    region: RegionOption = None,
) -> None:
    """Ask for access for a client (or a group); it stays pending until approved."""
    if (client is None) == (group is None):
        raise refuse(_("Sebutkan tepat satu penerima: --client APP atau --group KODE."))
    with transaction(region) as (session, the_region):
        service = find_service(session, the_region, app_code, service_code)
        grant = registry.request_grant(
            session,
            the_region,
            service_id=service.id,
            actor=CLI_ACTOR,
            reason=reason,
            client_id=find_client(session, the_region, client).id if client else None,
            group_id=find_group(session, the_region, group).id if group else None,
            endpoint_id=find_endpoint(session, the_region, service, endpoint).id
            if endpoint
            else None,
        )
        data = one_grant_json(session, the_region, grant)
    emit(data)


@grant_app.command("approve")
def grant_approve(
    grant_id: GrantArg,
    note: Annotated[str, typer.Option(help="A note for the record.")] = "",
    region: RegionOption = None,
) -> None:
    """Approve a pending grant (the region admin's decision)."""
    the_id = parse_id(grant_id, _("izin"))
    with transaction(region) as (session, the_region):
        grant = registry.approve_grant(session, the_region, the_id, CLI_ACTOR, note)
        data = one_grant_json(session, the_region, grant)
    emit(data)


@grant_app.command("reject")
def grant_reject(
    grant_id: GrantArg,
    note: Annotated[str, typer.Option(help="Why the request is refused.")],
    region: RegionOption = None,
) -> None:
    """Reject a pending grant, saying why."""
    the_id = parse_id(grant_id, _("izin"))
    with transaction(region) as (session, the_region):
        grant = registry.reject_grant(session, the_region, the_id, CLI_ACTOR, note)
        data = one_grant_json(session, the_region, grant)
    emit(data)


@grant_app.command("revoke")
def grant_revoke(
    grant_id: GrantArg,
    note: Annotated[str, typer.Option(help="Why the access ends.")],
    region: RegionOption = None,
) -> None:
    """Revoke an approved grant, saying why."""
    the_id = parse_id(grant_id, _("izin"))
    with transaction(region) as (session, the_region):
        grant = registry.revoke_grant(session, the_region, the_id, CLI_ACTOR, note)
        data = one_grant_json(session, the_region, grant)
    emit(data)


@grant_app.command("list")
def grant_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, rejected or revoked.")
    ] = None,
    region: RegionOption = None,
) -> None:
    """List grants, newest first."""
    try:
        wanted = GrantStatus(status) if status else None
    except ValueError:
        raise refuse(
            _("Status '%(status)s' tidak dikenal; pilih: %(options)s.")
            % {"status": status, "options": ", ".join(s.value for s in GrantStatus)}
        ) from None
    with transaction(region) as (session, the_region):
        data: list[dict[str, Any]] = []
        offset = 0
        while True:
            rows, total = repository.list_grants(
                session,
                the_region.id,
                repository.GrantFilter(status=wanted),
                limit=_PAGE,
                offset=offset,
            )
            data.extend(grant_json(row) for row in rows)
            offset += _PAGE
            if offset >= total:
                break
    emit(data)
