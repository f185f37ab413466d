"""``simpul user ...``: create accounts and personal API tokens."""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from simpul.cli.common import RegionOption, _region, domain_errors, fail, session_scope
from simpul.core.i18n import _

user_app = typer.Typer(help="Accounts: create users and API tokens.", no_args_is_help=True)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument()],
    region: RegionOption = None,
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    kind: Annotated[str, typer.Option(help="citizen, staff or region_admin.")] = "staff",
    agency: Annotated[
        list[str] | None, typer.Option(help="Agency slug (staff), repeatable.")
    ] = None,
    role: Annotated[
        list[str] | None, typer.Option(help="verifikator, penyetuju or admin_opd; repeatable.")
    ] = None,
    nik: Annotated[str | None, typer.Option(help="NIK (required for citizens).")] = None,
    password_env: Annotated[
        str,
        typer.Option(help="Read the password from this environment variable instead of asking."),
    ] = "SIMPUL_NEW_PASSWORD",  # noqa: S107 - the name of a variable, not a password
) -> None:
    """Create an account. The password is asked for (or read from $SIMPUL_NEW_PASSWORD)."""
    from simpul.accounts.models import AccountKind, StaffRoleName
    from simpul.accounts.service import RoleGrant, create_user

    try:
        account_kind = AccountKind(kind)
        roles = [StaffRoleName(r) for r in (role or ["verifikator"])]
    except ValueError as exc:
        raise fail(str(exc)) from None
    password = os.environ.get(password_env) or getpass.getpass("Password: ")
    grants = [RoleGrant(a, r) for a in (agency or []) for r in roles]
    with session_scope() as session, domain_errors():
        user = create_user(
            session,
            _region(session, region),
            email=email,
            full_name=name or email,
            password=password,
            kind=account_kind,
            nik=nik,
            roles=grants,
        )
        typer.echo(_("Akun %(email)s dibuat.") % {"email": user.email})


@user_app.command("token")
def user_token(
    email: Annotated[str, typer.Argument()],
    region: RegionOption = None,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Create a personal API token for EMAIL and print it (only now; it is stored hashed)."""
    from simpul.accounts.service import create_api_token, users_with_email

    with session_scope() as session, domain_errors():
        users = users_with_email(
            session, email, None if region is None else _region(session, region)
        )
        if len(users) > 1:
            raise fail(_("E-mail ini ada di beberapa wilayah: sebutkan --region."))
        user = users[0] if users else None
        if user is None:
            raise fail(_("Tidak ada akun %(email)s.") % {"email": email})
        _token, raw = create_api_token(session, user, name)
    typer.echo(raw)


@user_app.command("reset-mfa")
def user_reset_mfa(email: Annotated[str, typer.Argument()], region: RegionOption = None) -> None:
    """Remove EMAIL's authenticator and recovery codes (they lost their phone). Their next
    login sets up a new one (region admins and signing officers must). Audited."""
    from simpul.accounts.service import users_with_email
    from simpul.identity import mfa

    with session_scope() as session, domain_errors():
        the_region = _region(session, region)
        users = users_with_email(session, email, the_region)
        if not users:
            raise fail(_("Tidak ada akun %(email)s.") % {"email": email})
        had = mfa.reset(session, the_region, users[0], actor_label="cli")
    if had:
        typer.echo(_("Verifikasi dua langkah %(email)s sudah dihapus.") % {"email": email})
    else:
        typer.echo(_("Akun %(email)s belum memakai verifikasi dua langkah.") % {"email": email})


@user_app.command("demo-totp")
def user_demo_totp(email: Annotated[str, typer.Argument()]) -> None:
    """Print the current verification code of a demo account (demo only: their secrets are
    published in the README)."""
    from simpul.demo.second_factors import demo_totp_code

    code = demo_totp_code(email)
    if code is None:
        raise fail(_("%(email)s bukan akun demo dengan verifikasi dua langkah.") % {"email": email})
    typer.echo(code)
