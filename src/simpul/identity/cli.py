"""``simpul pdp``: the region's duties under UU 27/2022 (PDP) from the command line: who a
breach touched (``breach-scope``) and the retention purge of closed accounts (``purge``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time
from typing import Annotated

import typer

pdp_app = typer.Typer(
    help="Pelindungan data pribadi: cakupan kebocoran data, pembersihan retensi.",
    no_args_is_help=True,
)


def _day(raw: str | None, option: str) -> datetime | None:
    from simpul.cli.common import fail

    if not raw:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
    except ValueError:
        raise fail(f"{option}: YYYY-MM-DD") from None


@pdp_app.command("breach-scope")
def breach_scope(
    region: Annotated[str | None, typer.Option(help="Region slug.")] = None,
    service: Annotated[
        list[str] | None, typer.Option(help="A service (slug) whose data leaked; repeatable.")
    ] = None,
    app: Annotated[
        str | None, typer.Option(help="An inventory app (code): what its OIDC client was given.")
    ] = None,
    agency: Annotated[
        str | None, typer.Option(help="An agency (slug): its services, complaints.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Records active from this day (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Records made before this day (YYYY-MM-DD).")
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option(help="A leaked table: user_account, application, document, complaint."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """List the data subjects a breach touched, with their contact and the kinds of their
    data in scope. The output IS personal data: keep it only to notify them, then delete it."""
    from simpul.cli.common import _region, domain_errors, fail, session_scope
    from simpul.identity import breach

    if output_format not in {"csv", "json"}:
        raise fail("--format: csv | json")
    scope = breach.Scope(
        services=list(service or []),
        agency=agency,
        app=app,
        tables=list(table or []),
        since=_day(since, "--since"),
        until=_day(until, "--until"),
    )
    with session_scope() as session, domain_errors():
        found = breach.breach_scope(session, _region(session, region), scope)
    if output_format == "json":
        rows = [
            {
                "account_id": str(a.account_id),
                "email": a.email,
                "phone": a.phone,
                "closed": a.closed,
                "kinds": a.kinds,
            }
            for a in found
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account_id", "email", "phone", "closed", "kinds"])
    for a in found:
        writer.writerow(
            [str(a.account_id), a.email, a.phone, "ya" if a.closed else "", ";".join(a.kinds)]
        )
    typer.echo(out.getvalue(), nl=False)


@pdp_app.command("purge")
def purge(region: Annotated[str | None, typer.Option(help="Region slug.")] = None) -> None:
    """Erase what closed accounts left once its retention period has passed."""
    from simpul.cli.common import _region, session_scope
    from simpul.identity import closure

    with session_scope() as session:
        result = closure.purge(session, _region(session, region))
    typer.echo(
        f"{result.accounts} akun tertutup diperiksa; {result.applications_erased} permohonan "
        f"dihapus isinya; {result.uploads_deleted} berkas dihapus."
    )
