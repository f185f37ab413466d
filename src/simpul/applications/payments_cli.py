"""``simpul payments secret --region R``: the secret a payment provider signs notifications
with (decision 0047). Imported by the main CLI; helpers are imported inside the command."""

from __future__ import annotations

import typer

from simpul.cli.common import RegionOption

payments_app = typer.Typer(help="Payments of retribusi: the provider's notification secret.")


@payments_app.callback()
def _payments() -> None:
    """Payments of retribusi."""


@payments_app.command("secret")
def secret(region: RegionOption = None) -> None:
    """Print the region's notification secret (HMAC-SHA256 key, hex) for the payment provider.

    It is derived from SIMPUL_SECRET_KEY: it changes only when that key changes.
    """
    from simpul.applications import payments
    from simpul.cli.common import _region, session_scope

    with session_scope() as session:
        found = _region(session, region)
        typer.echo(payments.webhook_secret(found))
