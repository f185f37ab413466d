"""``simpul catalogue ...``: checks over a region's catalogue.

``check-standards`` compares each published service's standard with what the system does
(``catalogue.standards_check``, decision 0046): it prints each disagreement (service,
component, what) and a summary, and exits 0 when all agree, 1 when some disagree and 2 on a
usage error (an unknown region or service). The main CLI mounts ``catalogue_app``; its
helpers are imported inside the command (``simpul.cli`` imports this module).
"""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.core.i18n import _, ngettext

USAGE_ERROR = 2
DISAGREE = 1

catalogue_app = typer.Typer(help="Checks over a region's catalogue.", no_args_is_help=True)


@catalogue_app.callback()
def _catalogue() -> None:
    """Checks over a region's catalogue."""


def _usage_error(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=USAGE_ERROR)


@catalogue_app.command("check-standards")
def check_standards(
    region: Annotated[str, typer.Option(help="Region slug, e.g. kota-bandung.")],
    service: Annotated[str | None, typer.Option(help="Check only this service (its slug).")] = None,
) -> None:
    """Check that each published service does what its standard promises (exit 0: all agree)."""
    from simpul.catalogue.service import standards_disagreements
    from simpul.cli import session_scope
    from simpul.core.errors import NotFound
    from simpul.core.regions import get_region_by_slug

    with session_scope() as session:
        the_region = get_region_by_slug(session, region)
        if the_region is None:
            raise _usage_error(
                _("Wilayah '%(slug)s' tidak ada. Lihat: simpul region list") % {"slug": region}
            )
        try:
            checked, found = standards_disagreements(session, the_region, service)
        except NotFound as exc:
            raise _usage_error(exc.message) from None
    for disagreement in found:
        typer.echo(f"{disagreement.service}\t{disagreement.component}\t{disagreement.what}")
    services = len({d.service for d in found})
    if found:
        typer.echo(
            ngettext(
                "%(num)d ketidaksesuaian pada %(services)d dari %(checked)d layanan.",
                "%(num)d ketidaksesuaian pada %(services)d dari %(checked)d layanan.",
                len(found),
            )
            % {"num": len(found), "services": services, "checked": checked}
        )
        raise typer.Exit(code=DISAGREE)
    typer.echo(
        ngettext(
            "%(num)d layanan diperiksa: standar dan sistem sesuai.",
            "%(num)d layanan diperiksa: standar dan sistem sesuai.",
            checked,
        )
        % {"num": checked}
    )
