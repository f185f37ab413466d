"""``simpul protect-personal-data``: move stored answers out of clear text (decision 0022).

``simpul migrate`` runs it after every upgrade, so an operator who upgrades does nothing else;
on its own it is for after a service's personal marks changed (``--all``) and, before a
downgrade past migration 0015, for writing the answers back in clear (``--undo``). Each batch
is its own transaction, so an interrupted run keeps what it did and a second run continues.
Imported by the main CLI; its helpers are imported inside the function (``simpul --help``
stays fast).
"""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.core.i18n import _, ngettext


def protect_personal_data(
    everything: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Check every application again, not only those still in clear text "
            "(after a service's personal fields changed).",
        ),
    ] = False,
    undo: Annotated[
        bool,
        typer.Option(
            "--undo",
            help="Write encrypted answers back in clear text (only before a downgrade).",
        ),
    ] = False,
) -> None:
    """Store the personal answers of applications encrypted, masked and hashed."""
    from simpul.applications import answers
    from simpul.cli.common import session_scope
    from simpul.core.regions import list_regions

    changed = unreadable = 0
    if undo:
        after = None
        while True:
            with session_scope() as session:
                result = answers.unprotect_batch(session, after=after)
            changed += result.changed
            unreadable += result.unreadable
            if result.last_id is None:
                break
            after = result.last_id
        typer.echo(
            ngettext(
                "Jawaban %(n)d permohonan ditulis kembali tanpa enkripsi.",
                "Jawaban %(n)d permohonan ditulis kembali tanpa enkripsi.",
                changed,
            )
            % {"n": changed}
        )
    else:
        with session_scope() as session:
            region_ids = [region.id for region in list_regions(session)]
        for region_id in region_ids:
            after = None
            while True:
                with session_scope() as session:
                    region = next(r for r in list_regions(session) if r.id == region_id)
                    services = answers.services_with_personal_fields(session, region)
                    result = answers.protect_batch(
                        session, services, after=after, everything=everything
                    )
                changed += result.changed
                unreadable += result.unreadable
                if result.last_id is None:
                    break
                after = result.last_id
        typer.echo(
            ngettext(
                "Data pribadi dalam jawaban %(n)d permohonan kini tersimpan terenkripsi.",
                "Data pribadi dalam jawaban %(n)d permohonan kini tersimpan terenkripsi.",
                changed,
            )
            % {"n": changed}
        )
    if unreadable:
        typer.secho(
            _(
                "%(n)d permohonan terenkripsi dengan kunci lain (SIMPUL_SECRET_KEY berbeda) "
                "dan dibiarkan apa adanya."
            )
            % {"n": unreadable},
            err=True,
            fg=typer.colors.YELLOW,
        )
