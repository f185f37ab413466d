"""``simpul open311 key issue|list|revoke --region R``: the region's Open311 API keys."""

from __future__ import annotations

import typer

from simpul.cli.common import RegionOption
from simpul.complaints.cli import open311_app

key_app = typer.Typer(no_args_is_help=True, help="Open311 API keys: issue, list, revoke.")
open311_app.add_typer(key_app, name="key")


@key_app.command("issue")
def issue(
    name: str = typer.Option(..., "--name", help="Who uses the key (the app's name)."),
    region: RegionOption = None,
) -> None:
    """Issue a key and print it (only now: just its digest is kept)."""
    from simpul.cli.common import _region, domain_errors, session_scope
    from simpul.complaints import service

    with domain_errors(), session_scope() as session:
        found = _region(session, region)
        key = service.issue_open311_key(session, found, name, "cli")
    typer.echo(key)


@key_app.command("list")
def list_keys(region: RegionOption = None) -> None:
    """The region's keys: prefix, name, created, last used, revoked."""
    from simpul.cli.common import _region, session_scope
    from simpul.complaints import service

    with session_scope() as session:
        found = _region(session, region)
        for key in service.open311_keys(session, found):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            used = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "-"
            typer.echo(f"{key.key_prefix}\t{key.name}\t{key.created_at:%Y-%m-%d}\t{used}\t{state}")


@key_app.command("revoke")
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as `list` shows it."),
    region: RegionOption = None,
) -> None:
    """Refuse the key from now on."""
    from simpul.cli.common import _region, domain_errors, session_scope
    from simpul.complaints import service

    with domain_errors(), session_scope() as session:
        found = _region(session, region)
        key = service.open311_key_by_prefix(session, found, prefix)
        service.revoke_open311_key(session, found, key.id, "cli")
        typer.echo(f"revoked {key.key_prefix}")
