"""``simpul region ...`` (create, list, copy a catalogue, days off) and ``check-catalogue``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from simpul.cli.common import _region, domain_errors, fail, session_scope
from simpul.core.i18n import _, ngettext

region_app = typer.Typer(help="Regions hosted by this deployment.", no_args_is_help=True)


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
    from simpul.catalogue.service import count_services
    from simpul.core.regions import list_regions

    with session_scope() as session:
        for region in list_regions(session):
            count = count_services(session, region)
            typer.echo(
                f"{region.slug:<24} {region.name:<32} {region.status:<9} "
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


@region_app.command("set")
def region_set(
    region: Annotated[str, typer.Argument(help="Region slug.")],
    log_retention_months: Annotated[
        int | None,
        typer.Option(
            help="Months of the message log and audit trail kept in the database before "
            "`simpul audit archive` moves them to signed archives (at least 1)."
        ),
    ] = None,
) -> None:
    """Change a region's settings."""
    from simpul.core.regions import set_log_retention

    if log_retention_months is None:
        raise fail(_("Tidak ada yang diubah: berikan misalnya --log-retention-months 12."))
    with session_scope() as session, domain_errors():
        the_region = _region(session, region)
        set_log_retention(session, the_region, log_retention_months)
        typer.echo(
            _("Log %(name)s disimpan %(months)d bulan sebelum diarsipkan.")
            % {"name": the_region.name, "months": log_retention_months}
        )


@region_app.command("status")
def region_status(
    region: Annotated[str, typer.Argument(help="Region slug.")],
    status: Annotated[
        str,
        typer.Argument(
            help="active (listed and compared), test (a training copy) or inactive "
            "(left the deployment): only active regions are listed publicly and compared."
        ),
    ],
) -> None:
    """Mark a region active, test or inactive."""
    from simpul.core.regions import set_region_status

    with session_scope() as session, domain_errors():
        the_region = _region(session, region)
        set_region_status(session, the_region, status.strip().lower())
        typer.echo(_("Status %(name)s: %(status)s.") % {"name": the_region.name, "status": status})


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
