"""``simpul oidc``: the provider's keys (rotation, for cron)."""

from __future__ import annotations

from typing import Annotated

import typer

from simpul.core.i18n import _

oidc_app = typer.Typer(help="The region's OpenID Connect provider: signing keys.")


@oidc_app.command("rotate-keys")
def rotate_keys(
    region: Annotated[
        str | None, typer.Option("--region", help="Only this region (its slug).")
    ] = None,
    now: Annotated[
        bool, typer.Option("--now", help="Rotate even when the key is not due yet.")
    ] = False,
) -> None:
    """Give each region a new signing key once its key is older than
    SIMPUL_OIDC_KEY_ROTATION_DAYS (run daily); the old key stays in the JWKS until the tokens
    it signed have expired."""
    from simpul.cli.common import session_scope
    from simpul.core.regions import get_region_by_slug, list_regions
    from simpul.identity.oidc import keys

    with session_scope() as session:
        if region is not None:
            found = get_region_by_slug(session, region)
            if found is None:
                typer.echo(_("Wilayah %(slug)s tidak ditemukan.") % {"slug": region}, err=True)
                raise typer.Exit(1)
            regions = [found]
        else:
            regions = list(list_regions(session))
        for each in regions:
            fresh = keys.rotate(session, each, force=now)
            if fresh is None:
                typer.echo(_("%(slug)s: kunci belum perlu diganti.") % {"slug": each.slug})
            else:
                typer.echo(
                    _("%(slug)s: kunci baru %(kid)s menandatangani token mulai sekarang.")
                    % {"slug": each.slug, "kid": fresh.kid}
                )
