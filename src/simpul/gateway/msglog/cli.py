"""``simpul audit``: check, seal and export the gateway's message log (for auditors).

``verify`` prints one JSON report per region on stdout and a sentence per region on stderr;
it exits 0 when every region verifies, 1 when a problem is found, 2 on a usage error.
``seal`` signs the unsealed tail, ``export`` writes records as JSON lines without bodies (the
hashes can be recomputed from them), ``keys`` prints the public keys an auditor should keep.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from simpul.core.i18n import _

audit_app = typer.Typer(
    help="The gateway's message log: verify the chain and seals, seal, export.",
    no_args_is_help=True,
)

USAGE_ERROR = 2


def _usage_error(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=USAGE_ERROR)


@audit_app.command("verify")
def verify(
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
    all_regions: Annotated[bool, typer.Option("--all", help="Verify every region.")] = False,
) -> None:
    """Check the hash chain and the signed seals; name the first record that was tampered with."""
    from simpul.cli import _region, session_scope
    from simpul.core.regions import list_regions
    from simpul.gateway.msglog import verify_region

    if region is not None and all_regions:
        raise _usage_error(_("Pilih salah satu: --region atau --all."))
    all_ok = True
    with session_scope() as session:
        if all_regions:
            regions = list(list_regions(session))
        else:
            try:
                regions = [_region(session, region)]
            except typer.Exit:
                raise typer.Exit(code=USAGE_ERROR) from None
        for the_region in regions:
            report = verify_region(session, the_region.id)
            typer.echo(
                json.dumps({"region": the_region.slug, **report.as_dict()}, ensure_ascii=False)
            )
            if report.first_problem is None:
                typer.echo(
                    _(
                        "Wilayah %(region)s: log pesan utuh (%(records)d catatan, %(seals)d "
                        "segel, %(unsealed)d catatan belum disegel)."
                    )
                    % {
                        "region": the_region.slug,
                        "records": report.records_checked,
                        "seals": report.seals_checked,
                        "unsealed": report.unsealed,
                    },
                    err=True,
                )
            else:
                all_ok = False
                typer.secho(
                    _("Wilayah %(region)s: %(problem)s")
                    % {"region": the_region.slug, "problem": report.first_problem.message},
                    fg=typer.colors.RED,
                    err=True,
                )
    if not all_ok:
        raise typer.Exit(code=1)


@audit_app.command("seal")
def seal(
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
) -> None:
    """Sign the records not yet covered by a seal (the gateway also does this by itself)."""
    from simpul.cli import _region, fail, session_scope
    from simpul.gateway.msglog import seal_pending
    from simpul.gateway.msglog.keys import SigningKeyUnavailable

    with session_scope() as session:
        the_region = _region(session, region)
        try:
            new_seal = seal_pending(session, the_region.id)
        except SigningKeyUnavailable:
            raise fail(
                _(
                    "Kunci tanda tangan wilayah %(region)s tidak bisa dibuka: apakah "
                    "SIMPUL_SECRET_KEY sudah berganti?"
                )
                % {"region": the_region.slug}
            ) from None
        if new_seal is None:
            typer.echo(
                _("Wilayah %(region)s: semua catatan sudah disegel.") % {"region": the_region.slug}
            )
            return
        typer.echo(
            _(
                "Wilayah %(region)s: segel %(seal)d dibuat untuk catatan %(first)d sampai "
                "%(last)d (kunci %(kid)s)."
            )
            % {
                "region": the_region.slug,
                "seal": new_seal.seq,
                "first": new_seal.first_seq,
                "last": new_seal.last_seq,
                "kid": new_seal.kid,
            }
        )


def export_line(region_slug: str, row: Any) -> str:
    """One record as a JSON line, bodies left out but their digest kept (to recompute hashes)."""
    from simpul.gateway.msglog import bodies_digest

    digest = bodies_digest(row.bodies_encrypted)
    return json.dumps(
        {
            "region": region_slug,
            "seq": row.seq,
            "at": row.at.isoformat(),
            "request_id": str(row.request_id),
            "client": row.client,
            "service": row.service,
            "endpoint": row.endpoint,
            "method": row.method,
            "path": row.path,
            "status": row.status,
            "error": row.error,
            "duration_us": row.duration_us,
            "request_bytes": row.request_bytes,
            "response_bytes": row.response_bytes,
            "bodies_sha256": None if digest is None else digest.hex(),
            "prev_hash": row.prev_hash.hex(),
            "hash": row.hash.hex(),
        },
        ensure_ascii=False,
    )


@audit_app.command("export")
def export(
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
    first: Annotated[int, typer.Option("--from", min=1, help="First record (seq).")] = 1,
    last: Annotated[
        int | None, typer.Option("--to", min=1, help="Last record (seq); default: the newest.")
    ] = None,
) -> None:
    """Write records as JSON lines (without bodies) for an auditor; hashes can be recomputed."""
    from simpul.cli import _region, session_scope
    from simpul.gateway.msglog.repository import stream_messages

    if last is not None and last < first:
        raise _usage_error(_("--to harus sama dengan atau lebih besar dari --from."))
    with session_scope() as session:
        the_region = _region(session, region)
        for row in stream_messages(session, the_region.id, first_seq=first, last_seq=last):
            typer.echo(export_line(the_region.slug, row))


@audit_app.command("hash")
def hash_value() -> None:
    """Print the keyed hash the log keeps for a personal value (a NIK...), typed in unseen.

    The value is asked for without echo (or read from standard input, one per line, when it is
    not a terminal) and never printed. Search the log's paths or an export for the hash to find
    every call about that value. Needs the deployment's SIMPUL_SECRET_KEY.
    """
    import sys

    from simpul.gateway.msglog.personal import personal_token

    if sys.stdin.isatty():
        values = [typer.prompt(_("Nilai (tidak ditampilkan)"), hide_input=True, err=True)]
    else:
        values = [line.rstrip("\r\n") for line in sys.stdin]
    for value in values:
        if value.strip():
            typer.echo(personal_token(value.strip().encode()))


@audit_app.command("keys")
def keys(
    region: Annotated[
        str | None, typer.Option(help="Region slug (needed when there are several).")
    ] = None,
) -> None:
    """Print the region's public keys (JSON lines): keep a copy to check seals against."""
    import base64

    from simpul.cli import _region, session_scope
    from simpul.gateway.msglog.repository import list_region_keys

    with session_scope() as session:
        the_region = _region(session, region)
        for key in list_region_keys(session, the_region.id):
            typer.echo(
                json.dumps(
                    {
                        "region": the_region.slug,
                        "kid": key.kid,
                        "algorithm": key.algorithm,
                        "public_key": base64.b64encode(key.public_key).decode(),
                        "created_at": key.created_at.isoformat(),
                        "retired_at": key.retired_at.isoformat() if key.retired_at else None,
                    }
                )
            )
