"""``simpul rollups rebuild [--region SLUG]``: recount the KPI rollups from the source rows.

One transaction per region; the rollups are kept in step with every change anyway, so this is
for a restore, a bulk import done by SQL (``bench/scale.py``) or a suspicion.
"""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.core.i18n import _

rollups_app = typer.Typer(
    help="The KPI dashboards' daily rollups: rebuild them from the applications.",
    no_args_is_help=True,
)


@rollups_app.callback()
def _rollups() -> None:
    """The KPI dashboards' daily rollups."""


@rollups_app.command("rebuild")
def rebuild(
    region: Annotated[
        str | None, typer.Option("--region", help="Only this region (its slug).")
    ] = None,
) -> None:
    """Recount every rollup from the applications, one transaction per region."""
    from simpul.cli import _region, session_scope
    from simpul.evaluation.rollups import service

    with session_scope() as session:
        regions = (
            [(_region(session, region).id, region)]
            if region is not None
            else service.list_regions(session)
        )
    for region_id, slug in regions:
        with session_scope() as session:
            counted = service.rebuild_region(session, region_id)
        typer.echo(
            _("%(region)s: %(n)d permohonan dihitung ulang.") % {"region": slug, "n": counted}
        )
