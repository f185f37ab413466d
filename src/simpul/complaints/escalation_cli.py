"""``simpul complaints escalate``: escalate overdue complaints now (for cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.complaints.cli import complaints_app
from simpul.core.i18n import _, ngettext


@complaints_app.command("escalate")
def escalate(
    region: Annotated[
        str | None, typer.Option("--region", help="Only this region (its slug).")
    ] = None,
) -> None:
    """Escalate every overdue complaint deadline not yet escalated (each once)."""
    from sqlalchemy.orm import sessionmaker

    from simpul.complaints.escalation import escalate_all_regions
    from simpul.core.database import get_engine
    from simpul.core.regions import get_region_by_slug

    sessions = sessionmaker(bind=get_engine(), expire_on_commit=False)
    if region is not None:
        with sessions() as session:
            if get_region_by_slug(session, region) is None:
                typer.echo(_("Wilayah %(slug)s tidak ditemukan.") % {"slug": region}, err=True)
                raise typer.Exit(1)
    count = escalate_all_regions(sessions, slug=region)
    typer.echo(
        ngettext(
            "%(num)d batas waktu pengaduan dieskalasi.",
            "%(num)d batas waktu pengaduan dieskalasi.",
            count,
        )
        % {"num": count}
    )
