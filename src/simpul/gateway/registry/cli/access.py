"""``simpul gateway client|key|group|grant ...``: who may call, with which key, granted what."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.gateway.registry import repository
from simpul.gateway.registry import service as registry
from simpul.gateway.registry.cli.common import (
    CLI_ACTOR,
    PAGE_SIZE,
    AppCode,
    GrantArg,
    KeyArg,
    RegionOption,
    ServiceCode,
    emit,
    find_client,
    find_credential,
    find_endpoint,
    find_group,
    find_service,
    parse_id,
    refuse,
    transaction,
)
from simpul.gateway.registry.models import (
    GOVERNMENT_MEMBER_CLASS,
    GatewayClient,
    GatewayClientGroup,
    GatewayCredential,
    GatewayGrant,
    GrantStatus,
)

client_app = typer.Typer(help="Apps that call services through the gateway.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of clients (shown once).", no_args_is_help=True)
group_app = typer.Typer(help="Groups of clients, granted access together.", no_args_is_help=True)
member_app = typer.Typer(help="Members of a group.", no_args_is_help=True)
grant_app = typer.Typer(help="Access grants and their approval.", no_args_is_help=True)
group_app.add_typer(member_app, name="member")


# -- clients and keys -------------------------------------------------------------------------


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
                session, the_region.id, now=utcnow(), limit=PAGE_SIZE, offset=offset
            )
            data.extend(client_json(row, the_region) for row in rows)
            offset += PAGE_SIZE
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
        rows, total = repository.list_groups(session, region.id, limit=PAGE_SIZE, offset=offset)
        result.extend(rows)
        offset += PAGE_SIZE
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
                limit=PAGE_SIZE,
                offset=offset,
            )
            data.extend(grant_json(row) for row in rows)
            offset += PAGE_SIZE
            if offset >= total:
                break
    emit(data)
