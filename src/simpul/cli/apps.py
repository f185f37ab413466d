"""``simpul apps ...``: the region's app inventory as spreadsheets (import, export, template)."""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.cli.common import RegionOption, _region, domain_errors, fail, session_scope
from simpul.core.i18n import _, ngettext

apps_app = typer.Typer(
    help="The region's app inventory: import and export spreadsheets.", no_args_is_help=True
)


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

    from simpul.inventory.spreadsheet import write_csv, write_xlsx

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
    region: RegionOption = None,
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

    from simpul.inventory.service import import_apps
    from simpul.inventory.spreadsheet import parse_spreadsheet

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
    region: RegionOption = None,
) -> None:
    """Write the region's app inventory in the import's format."""
    from simpul.inventory.service import export_rows

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
    from simpul.inventory.spreadsheet import template_rows

    _write_file(file, template_rows()[1])
    typer.echo(_("Templat ditulis ke %(path)s.") % {"path": file})
