"""Running Simpul: migrate, serve, seed-demo, demo, the gateway's data plane, and ``db``."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from simpul.cli.common import domain_errors, fail, session_scope
from simpul.core.database import get_engine
from simpul.core.i18n import _, ngettext
from simpul.core.settings import get_settings

db_app = typer.Typer(help="The database (embedded or configured).", no_args_is_help=True)


def migrate(
    to: Annotated[
        str,
        typer.Option(help="Revision to go to: head (the default), an id such as 0011, or base."),
    ] = "head",
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss", help="Let a downgrade delete rows (take a backup first)."
        ),
    ] = False,
) -> None:
    """Apply database migrations (Alembic) up to the newest, then encrypt the personal answers
    stored in clear text before (``protect-personal-data``; it needs the secret key, which a
    migration does not have). ``--to`` goes back to an older revision instead."""
    from simpul.applications.cli import protect_personal_data
    from simpul.core.migrate import DataLossRefused, MigrationRefused, migrate_to

    url = get_engine().url.render_as_string(hide_password=False)
    try:
        migrate_to(url, to, allow_data_loss=allow_data_loss)
    except DataLossRefused as refused:
        raise fail(
            _(
                "Turun ke bawah revisi %(revision)s akan menghapus data: %(losses)s. "
                "Tidak ada yang diubah. Buat cadangan (pg_dump) dulu; bila memang dimaksud, "
                "jalankan lagi dengan --allow-data-loss."
            )
            % {
                "revision": refused.revision,
                "losses": ", ".join(f"{table} ({rows})" for table, rows in refused.losses.items()),
            }
        ) from None
    except MigrationRefused as refused:
        raise fail(str(refused)) from None
    if to != "head":
        typer.echo(_("Basis data pada revisi %(revision)s.") % {"revision": to})
        return
    typer.echo(_("Basis data sudah mutakhir."))
    protect_personal_data(everything=False, undo=False)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the portal and the API. With several workers each listens on its own socket
    (SO_REUSEPORT), so the kernel spreads the connections over them (core.workers)."""
    import uvicorn

    from simpul.core.workers import ReusePortSupervisor, reuse_port_available

    settings = get_settings()
    get_engine()  # start the embedded database (if used) before the workers start
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": "simpul.web.protocol:PortalHttpProtocol",  # httptools with Simpul's HTTP limits
        "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        "access_log": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        "backlog": settings.http_backlog,
    }
    if workers > 1 and reuse_port_available():
        config = uvicorn.Config("simpul.web.asgi:app", **options)
        raise SystemExit(ReusePortSupervisor(config, workers).run())
    uvicorn.run("simpul.web.asgi:app", workers=workers, **options)


def seed_demo_command() -> None:
    """Create (or complete) the demo region Kota Bandung with its catalogue and accounts."""
    from simpul.applications.uploads import storage_from_settings
    from simpul.demo.seed import seed_demo

    settings = get_settings()
    storage = storage_from_settings(settings)
    with session_scope() as session, domain_errors():
        report = seed_demo(session, storage, settings.data_dir, past=True)
    # The demo citizen's completed applications get their signed documents now, so they can
    # be downloaded and verified at once (later ones are made by ``simpul worker``).
    from simpul.core import jobs
    from simpul.documents.issuing import issue_config, issuing_step

    issued = jobs.run_steps_once([issuing_step(get_engine(), storage, issue_config())])
    if (
        report.created_region
        or report.services
        or report.accounts
        or report.applications
        or report.apps
        or report.past_applications
        or report.past_complaints
    ):
        typer.echo(
            _(
                "Wilayah demo %(region)s: ditambah %(agencies)d instansi, "
                "%(services)d layanan, %(accounts)d akun, %(applications)d permohonan, "
                "%(apps)d aplikasi di inventaris, %(past)d permohonan masa lalu, "
                "%(complaints)d pengaduan masa lalu."
            )
            % {
                "region": report.region.name,
                "agencies": report.agencies,
                "services": report.services,
                "accounts": report.accounts,
                "applications": report.applications,
                "apps": report.apps,
                "past": report.past_applications,
                "complaints": report.past_complaints,
            }
        )
    else:
        typer.echo(_("Wilayah demo %(region)s sudah lengkap.") % {"region": report.region.name})
    if issued:
        typer.echo(
            ngettext(
                "%(num)d dokumen bertanda tangan elektronik diterbitkan.",
                "%(num)d dokumen bertanda tangan elektronik diterbitkan.",
                issued,
            )
            % {"num": issued}
        )


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    gateway_port: Annotated[int, typer.Option(help="Port of the gateway.")] = 8080,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve after seeding.")
    ] = True,
) -> None:
    """Migrate, seed the demo region, print the demo accounts, serve the portal and the gateway."""
    from simpul.demo.complaints import DEMO_OPEN311_KEY
    from simpul.demo.gateway import DEMO_GATEWAY_KEY, point_demo_gateway_at
    from simpul.demo.seed import DEMO_ACCOUNTS
    from simpul.demo.signing import DEMO_SIGNING_PASSPHRASE

    migrate(to="head", allow_data_loss=False)
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
    typer.echo(
        _("Frasa sandi tanda tangan elektronik petugas demo: %(passphrase)s")
        % {"passphrase": DEMO_SIGNING_PASSPHRASE}
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
    typer.echo(_("Pengaduan lewat Open311 GeoReport v2 (kunci demo):"))
    typer.echo(
        f"  curl '{base}/open311/kota-bandung/v2/requests.json?status=open'\n"
        f"  curl -d api_key={DEMO_OPEN311_KEY} -d service_code=jalan-rusak "
        "-d lat=-6.9147 -d long=107.6098 -d 'description=Jalan berlubang di depan sekolah' \\\n"
        f"       '{base}/open311/kota-bandung/v2/requests.json'"
    )
    typer.echo("")
    if serve_after:
        helpers = _start_demo_helpers(host, gateway_port)

        def stop(signum: int, _frame: object) -> None:
            # uvicorn re-raises SIGTERM after its own shutdown: take the helpers down with us.
            for process in helpers:
                process.terminate()
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGHUP, stop)
        try:
            serve(host=host, port=port, workers=1)
        finally:
            for process in helpers:
                process.terminate()
            for process in helpers:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _start_demo_helpers(host: str, gateway_port: int) -> list[subprocess.Popen[bytes]]:
    """What runs beside the portal in the demo (production runs each on its own):
    ``simpul gateway``, ``simpul worker`` (notifications), and, when the SMTP settings are the
    local defaults and aiosmtpd is installed, a mail server that prints what it receives."""
    simpul = str(Path(sys.executable).parent / "simpul")
    commands = [
        [simpul, "gateway", "--host", host, "--port", str(gateway_port)],
        [simpul, "worker"],
    ]
    settings = get_settings()
    if settings.smtp_host == "127.0.0.1" and importlib.util.find_spec("aiosmtpd") is not None:
        typer.echo(
            _("Surel demo dicetak di sini (server SMTP lokal di port %(port)d).")
            % {"port": settings.smtp_port}
        )
        listen = f"127.0.0.1:{settings.smtp_port}"
        commands.append([sys.executable, "-m", "aiosmtpd", "-n", "-l", listen])
    return [subprocess.Popen(command) for command in commands]  # noqa: S603 - fixed commands


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
        "simpul.gateway.dataplane.server:create_gateway",
        factory=True,
        host=host or settings.gateway_host,
        port=port or settings.gateway_port,
        workers=workers,
        loop="uvloop",
        # httptools with the HTTP limits
        http="simpul.gateway.dataplane.protocol:GatewayHttpProtocol",
        lifespan="on",
        proxy_headers=False,  # callers are apps on the internal network, not behind a proxy
        access_log=False,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
    )


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
