"""``simpul audit``: check, seal and export the gateway's message log (for auditors).

``verify`` prints one JSON report per region on stdout and a sentence per region on stderr;
it exits 0 when every region verifies, 1 when a problem is found, 2 on a usage error. It starts
after the last seal an earlier run found intact (``--full``: after the archived months) and
with ``--archive FILE`` checks an archive file offline (message log or audit trail). ``archive``
moves the months older than each region's retention, of the message log and of the audit trail
(``trail``), into signed archive files and drops their partitions; ``partitions``
creates the coming months' partitions.
``seal`` signs the unsealed tail, ``export`` writes records as JSON lines without bodies (the
hashes can be recomputed from them), ``keys`` prints the public keys an auditor should keep.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from simpul.core.i18n import _
from simpul.core.models import Region, utcnow

if TYPE_CHECKING:
    from simpul.gateway.msglog.retention import ArchiveStore

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
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Walk the whole live log, not only what follows the last check."
        ),
    ] = False,
    archive: Annotated[
        Path | None,
        typer.Option(
            "--archive",
            help="Check an archive file offline (its .manifest.json or .jsonl.gz); no database.",
        ),
    ] = None,
    keys_file: Annotated[
        Path | None,
        typer.Option(
            "--keys", help="The region's public keys as `simpul audit keys` printed them."
        ),
    ] = None,
) -> None:
    """Check the hash chain and the signed seals; name the first record that was tampered with.

    Starts after the last seal a previous run found intact (``--full``: after the archived
    months); remembers the newest intact seal for the next run.
    """
    if archive is not None:
        _verify_archive_file(archive, keys_file)
        return
    if keys_file is not None:
        raise _usage_error(_("--keys hanya dipakai bersama --archive."))
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
            report = verify_region(session, the_region.id, full=full, save_checkpoint=True)
            typer.echo(
                json.dumps({"region": the_region.slug, **report.as_dict()}, ensure_ascii=False)
            )
            if report.first_problem is None:
                typer.echo(
                    _(
                        "Wilayah %(region)s: log pesan utuh (%(records)d catatan mulai dari "
                        "%(first)d, %(seals)d segel, %(unsealed)d catatan belum disegel)."
                    )
                    % {
                        "region": the_region.slug,
                        "records": report.records_checked,
                        "first": report.first_seq,
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


def _archive_files(path: Path) -> tuple[Path, Path]:
    """The manifest and data file of an archive, given either."""
    name = path.name
    for suffix in (".manifest.json", ".jsonl.gz"):
        if name.endswith(suffix):
            base = name.removesuffix(suffix)
            return (
                path.with_name(base + ".manifest.json"),
                path.with_name(base + ".jsonl.gz"),
            )
    raise _usage_error(
        _("--archive harus berkas .manifest.json atau .jsonl.gz, bukan %(name)s.") % {"name": name}
    )


def _verify_archive_file(path: Path, keys_file: Path | None) -> None:
    from simpul.gateway.msglog.archive import public_keys_of, verify_archive
    from simpul.gateway.msglog.trail import is_audit_manifest

    manifest_path, data_path = _archive_files(path)
    trusted = None
    try:
        manifest_data = manifest_path.read_bytes()
        if keys_file is not None:
            lines = keys_file.read_text().splitlines()
            trusted = public_keys_of(json.loads(line) for line in lines if line.strip())
        if is_audit_manifest(manifest_data):
            _verify_audit_archive_file(manifest_data, data_path, trusted)
            return
        with data_path.open("rb") as data:
            report = verify_archive(
                manifest_data, iter(lambda: data.read(65536), b""), trusted_keys=trusted
            )
    except OSError as error:
        raise _usage_error(
            _("Berkas tidak bisa dibaca: %(error)s") % {"error": str(error)}
        ) from None
    except (ValueError, TypeError, KeyError) as error:
        raise _usage_error(
            _("Berkas --keys tidak terbaca: %(error)s") % {"error": str(error)}
        ) from None
    typer.echo(json.dumps({"archive": str(data_path), **report.as_dict()}, ensure_ascii=False))
    if report.first_problem is not None:
        typer.secho(
            _("Arsip %(name)s: %(problem)s")
            % {"name": data_path.name, "problem": report.first_problem.message},
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=1)
    typer.echo(
        _("Arsip %(name)s utuh: catatan %(first)d sampai %(last)d, %(seals)d segel.")
        % {
            "name": data_path.name,
            "first": report.first_seq,
            "last": report.last_seq,
            "seals": report.seals_checked,
        },
        err=True,
    )
    if trusted is None:
        typer.secho(
            _(
                "Perhatian: manifes diperiksa dengan kunci publik yang dibawanya sendiri; "
                "berikan --keys (keluaran `simpul audit keys`) untuk memastikan wilayah yang "
                "menandatanganinya."
            ),
            fg=typer.colors.YELLOW,
            err=True,
        )


def _verify_audit_archive_file(
    manifest_data: bytes, data_path: Path, trusted: dict[str, Any] | None
) -> None:
    """``--archive`` given an archive of the audit trail (raises ``typer.Exit`` when done)."""
    from simpul.gateway.msglog.trail import verify_audit_archive

    with data_path.open("rb") as data:
        report = verify_audit_archive(
            manifest_data, iter(lambda: data.read(65536), b""), trusted_keys=trusted
        )
    typer.echo(json.dumps({"archive": str(data_path), **report.as_dict()}, ensure_ascii=False))
    if report.first_problem is not None:
        typer.secho(
            _("Arsip %(name)s: %(problem)s")
            % {"name": data_path.name, "problem": report.first_problem.message},
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=1)
    typer.echo(
        _("Arsip jejak audit %(name)s utuh: %(count)d peristiwa.")
        % {"name": data_path.name, "count": report.records_checked},
        err=True,
    )
    if trusted is None:
        typer.secho(
            _(
                "Perhatian: manifes diperiksa dengan kunci publik yang dibawanya sendiri; "
                "berikan --keys (keluaran `simpul audit keys`) untuk memastikan wilayah yang "
                "menandatanganinya."
            ),
            fg=typer.colors.YELLOW,
            err=True,
        )


@audit_app.command("archive")
def archive(
    region: Annotated[str | None, typer.Option(help="Region slug; default: every region.")] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="A directory or s3://bucket/prefix; default: DATA_DIR/archives."),
    ] = None,
) -> None:
    """Archive the months older than each region's retention, of the message log and of the
    audit trail, into signed files, check them, then drop the partitions all archived."""
    from simpul.cli import _region, session_scope
    from simpul.core.regions import list_regions
    from simpul.core.settings import get_settings
    from simpul.gateway.msglog import retention

    settings = get_settings()
    try:
        store = retention.store_for(to or str(settings.data_dir / "archives"), settings)
    except ValueError as error:
        raise _usage_error(str(error)) from None
    now = utcnow()
    with session_scope() as session:
        if region is None:
            regions = [r.id for r in list_regions(session)]
        else:
            try:
                regions = [_region(session, region).id]
            except typer.Exit:
                raise typer.Exit(code=USAGE_ERROR) from None
        session.commit()
    for region_id in regions:
        with session_scope() as session:
            the_region = session.get(Region, region_id)
            assert the_region is not None
            months = retention.due_months(session, the_region, now)
            session.commit()
            for month in months:
                with _archive_errors(the_region.slug, month):
                    if retention.seal_month(session, the_region.id, month):
                        session.commit()  # the seal holds the region's lock: let go at once
                    row = retention.archive_month(session, the_region, month, store)
                session.commit()
                if row is not None:
                    typer.echo(
                        _(
                            "Wilayah %(region)s, bulan %(month)s: catatan %(first)d sampai "
                            "%(last)d diarsipkan ke %(where)s."
                        )
                        % {
                            "region": the_region.slug,
                            "month": f"{month:%Y-%m}",
                            "first": row.first_seq,
                            "last": row.last_seq,
                            "where": row.location,
                        }
                    )
    with session_scope() as session:
        for name in retention.drop_archived_partitions(session):
            typer.echo(
                _("Partisi %(name)s dihapus: semua catatannya sudah diarsipkan.") % {"name": name}
            )
    _archive_audit_trail(regions if region is not None else None, store, now)


@contextlib.contextmanager
def _archive_errors(region: str, month: date) -> Iterator[None]:
    """What stops an archive run (either log), said as the operator can act on it."""
    from simpul.cli import fail
    from simpul.gateway.msglog import retention
    from simpul.gateway.msglog.keys import SigningKeyUnavailable

    try:
        yield
    except SigningKeyUnavailable:
        raise fail(
            _(
                "Kunci tanda tangan wilayah %(region)s tidak bisa dibuka: apakah "
                "SIMPUL_SECRET_KEY sudah berganti?"
            )
            % {"region": region}
        ) from None
    except retention.ArchiveFailed as error:
        raise fail(
            _("Wilayah %(region)s, bulan %(month)s: arsip gagal: %(error)s")
            % {"region": region, "month": f"{month:%Y-%m}", "error": error}
        ) from None


def _archive_audit_trail(
    regions: list[uuid.UUID] | None, store: ArchiveStore, now: datetime
) -> None:
    """The audit trail's months: each region's (all regions, or ``regions``), then, when no
    region was named, the events without a region; then drop the partitions all archived."""
    from simpul.cli import session_scope
    from simpul.core.regions import list_regions
    from simpul.gateway.msglog import trail

    with session_scope() as session:
        ids = regions if regions is not None else [r.id for r in list_regions(session)]
        session.commit()
    owners: list[uuid.UUID | None] = [*ids]
    if regions is None:
        owners.append(None)
    for region_id in owners:
        with session_scope() as session:
            owner = trail.Owner(None if region_id is None else session.get(Region, region_id))
            for month in trail.due_months(session, owner, now):
                with _archive_errors(owner.name, month):
                    row = trail.archive_month(session, owner, month, store)
                session.commit()
                if row is not None:
                    typer.echo(
                        _(
                            "Jejak audit %(region)s, bulan %(month)s: %(count)d peristiwa "
                            "diarsipkan ke %(where)s."
                        )
                        % {
                            "region": owner.name,
                            "month": f"{month:%Y-%m}",
                            "count": row.records,
                            "where": row.location,
                        }
                    )
    with session_scope() as session:
        for name in trail.drop_archived_partitions(session):
            typer.echo(
                _("Partisi %(name)s dihapus: semua peristiwanya sudah diarsipkan.") % {"name": name}
            )


@audit_app.command("partitions")
def partitions(
    ahead: Annotated[int, typer.Option(min=0, max=24, help="Months ahead.")] = 3,
) -> None:
    """Create this month's and the next months' partitions of the log tables if missing."""
    from simpul.cli import session_scope
    from simpul.gateway.msglog.repository import ensure_partitions

    with session_scope() as session:
        created = ensure_partitions(session, ahead)
    typer.echo(_("%(count)d partisi baru dibuat.") % {"count": created})


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
    deployment: Annotated[
        bool,
        typer.Option(
            "--deployment",
            help="The deployment's key instead: it signs the audit-trail archives of events "
            "without a region.",
        ),
    ] = False,
) -> None:
    """Print the region's public keys (JSON lines): keep a copy to check seals against."""
    import base64

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from simpul.cli import _region, session_scope
    from simpul.gateway.msglog.repository import list_region_keys
    from simpul.gateway.msglog.trail import DEPLOYMENT, deployment_public_keys

    if deployment:
        for kid, public in deployment_public_keys().items():
            raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
            typer.echo(
                json.dumps(
                    {
                        "region": DEPLOYMENT,
                        "kid": kid,
                        "algorithm": "Ed25519",
                        "public_key": base64.b64encode(raw).decode(),
                    }
                )
            )
        return
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
