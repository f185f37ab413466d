"""``simpul pki ...`` and ``simpul doc ...``: the region's signing keys and verifying a document.

``pki init`` writes a region CA and officer certificates (demo and tests). ``doc verify``
gives the verdict the verification page and API give (``verification.check_document``) as
JSON on stdout and in words on stderr; it exits 0 only for a valid document (the file the
region issued under its code, unrevoked), 1 for every other verdict, 2 on a usage error (a
file that cannot be read, an unknown region, no CA certificate). ``doc revoke`` revokes a
document as the operator (exit 2 when refused: unknown code, already revoked, no reason).
The main CLI mounts ``pki_app`` and ``doc_app``; its helpers are imported inside functions
(``simpul.cli`` imports this module).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simpul.core.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from simpul.accounts.models import User
    from simpul.core.models import Region
    from simpul.documents.models import SigningCredential

USAGE_ERROR = 2

pki_app = typer.Typer(help="The region's signing keys: CA and officer certificates.")
doc_app = typer.Typer(help="Issued documents: verify a signed PDF, revoke a document.")


def _usage_error(message: str) -> typer.Exit:
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=USAGE_ERROR)


@pki_app.callback()
def _pki() -> None:
    """The region's signing keys."""


@doc_app.callback()
def _doc() -> None:
    """Issued documents."""


def _region_name(slug: str, name: str | None) -> str:
    if name:
        return name
    from simpul.cli import _region, session_scope

    try:
        with session_scope() as session:
            return _region(session, slug).name
    except typer.Exit:
        raise typer.Exit(code=USAGE_ERROR) from None


@pki_app.command("init")
def init(
    region: Annotated[str, typer.Option(help="Region slug.")],
    out: Annotated[Path, typer.Option(help="Directory to write ca.pem and officer-*.p12 to.")],
    passphrase_env: Annotated[
        str, typer.Option(help="Environment variable holding the PKCS#12 passphrase.")
    ],
    officer: Annotated[
        list[str] | None, typer.Option(help='A signing officer, "Nama <email>"; repeatable.')
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Region name for the certificates (default: from the db).")
    ] = None,
) -> None:
    """Create a region CA and one certificate (PKCS#12) per signing officer."""
    from simpul.documents.pki import OfficerSpec, init_region_pki

    passphrase = _secret(
        passphrase_env,
        _("Variabel lingkungan %(var)s kosong; isi dengan kata sandi berkas PKCS#12."),
    )
    if not officer:
        raise _usage_error(_('Sebutkan minimal satu petugas: --officer "Nama <email>".'))
    officers: list[OfficerSpec] = []
    for text in officer:
        try:
            officers.append(OfficerSpec.parse(text))
        except ValueError:
            raise _usage_error(
                _('Petugas "%(text)s" harus ditulis "Nama <email>".') % {"text": text}
            ) from None
    region_name = _region_name(region, name)
    try:
        result = init_region_pki(out, region, region_name, officers, passphrase.encode())
    except (FileExistsError, ValueError) as exc:
        raise _usage_error(
            _("Kunci wilayah tidak dibuat: %(error)s") % {"error": str(exc)}
        ) from None
    except OSError as exc:
        raise _usage_error(
            _("Direktori %(path)s tidak bisa ditulisi: %(error)s")
            % {"path": out, "error": exc.strerror or exc}
        ) from None
    typer.echo(
        json.dumps(
            {
                "ca": str(result.ca_path),
                "officers": {email: str(path) for email, path in result.officer_paths.items()},
            },
            ensure_ascii=False,
            indent=2,
        )
    )


def _secret(variable: str, message: str) -> str:
    """A passphrase or PIN from the environment (never from the command line or its history)."""
    value = os.environ.get(variable, "")
    if not value:
        raise _usage_error(message % {"var": variable})
    return value


def _enrol_officer(
    region: str, email: str, enrol: Callable[[Session, Region, User], SigningCredential]
) -> None:
    """Run ``enrol`` for the officer ``email`` of ``region`` in one transaction; print JSON."""
    from simpul.cli import _region, domain_errors, session_scope
    from simpul.documents import repository as documents_repository

    try:
        with session_scope() as session, domain_errors():
            the_region = _region(session, region)
            user = documents_repository.find_user_by_email(session, the_region.id, email)
            if user is None:
                raise _usage_error(_("Tidak ada akun %(email)s di wilayah ini.") % {"email": email})
            credential = enrol(session, the_region, user)
            result = {
                "email": user.email,
                "kind": credential.kind,
                "subject": credential.subject_name,
                "fingerprint": credential.fingerprint,
                "not_after": credential.not_after.isoformat(),
            }
    except typer.Exit:
        raise typer.Exit(code=USAGE_ERROR) from None
    typer.echo(json.dumps(result, ensure_ascii=False))


@pki_app.command("enrol")
def enrol(
    p12: Annotated[Path, typer.Argument(help="The officer's PKCS#12 file (.p12 / .pfx).")],
    region: Annotated[str, typer.Option(help="Region slug.")],
    email: Annotated[str, typer.Option(help="The officer's account e-mail.")],
    passphrase_env: Annotated[
        str, typer.Option(help="Environment variable holding the PKCS#12 passphrase.")
    ],
) -> None:
    """Register an officer's signing key and certificate (from ``pki init`` or from BSrE).

    The file is stored encrypted by its passphrase; the passphrase is checked, not kept. From
    the first enrolment on, the region signs the documents it issues.
    """
    from simpul.documents import credentials

    passphrase = _secret(
        passphrase_env,
        _("Variabel lingkungan %(var)s kosong; isi dengan kata sandi berkas PKCS#12."),
    )
    data = _read(p12, "PKCS#12")
    _enrol_officer(
        region,
        email,
        lambda session, the_region, user: credentials.enrol(
            session, the_region, user, data, passphrase, actor_label="cli"
        ),
    )


@pki_app.command("enrol-token")
def enrol_token(
    region: Annotated[str, typer.Option(help="Region slug.")],
    email: Annotated[str, typer.Option(help="The officer's account e-mail.")],
    token_label: Annotated[str, typer.Option(help="The label of the officer's token.")],
    key_label: Annotated[str, typer.Option(help="The label of the key and its certificate.")],
    pin_env: Annotated[str, typer.Option(help="Environment variable holding the token's PIN.")],
) -> None:
    """Register a signing key on a PKCS#11 token (an HSM or a smart card) for an officer.

    The server reaches tokens through SIMPUL_PKCS11_MODULE (the token's PKCS#11 library). The
    PIN is checked by logging in and not kept: the officer types it when signing.
    """
    from simpul.documents import credentials

    pin = _secret(pin_env, _("Variabel lingkungan %(var)s kosong; isi dengan PIN token."))
    _enrol_officer(
        region,
        email,
        lambda session, the_region, user: credentials.enrol_token(
            session,
            the_region,
            user,
            token_label=token_label,
            key_label=key_label,
            pin=pin,
            actor_label="cli",
        ),
    )


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _usage_error(
            _("Berkas %(what)s %(path)s tidak bisa dibaca: %(error)s")
            % {"what": what, "path": path, "error": exc.strerror or exc}
        ) from None


@doc_app.command("verify")
def verify(
    file: Annotated[Path, typer.Argument(help="The PDF to verify.")],
    region: Annotated[str, typer.Option(help="Region slug whose document it claims to be.")],
    ca: Annotated[
        Path | None,
        typer.Option(help="The region's CA certificate (default: <data_dir>/pki/<region>/ca.pem)."),
    ] = None,
) -> None:
    """Is this PDF a valid, unrevoked document of the region? Exit 0 only if so."""
    from simpul.cli import _region, session_scope
    from simpul.core.settings import get_settings
    from simpul.documents.pki import default_pki_dir
    from simpul.documents.verification import check_document, verdict_words

    pdf_bytes = _read(file, "PDF")
    ca_path = ca or default_pki_dir(get_settings().data_dir, region) / "ca.pem"
    trust_root = _read(ca_path, "CA")
    try:
        with session_scope() as session:
            the_region = _region(session, region)
            check = check_document(session, the_region, pdf_bytes, trust_root)
            region_name = the_region.name
    except typer.Exit:
        raise typer.Exit(code=USAGE_ERROR) from None
    except ValueError as exc:  # the CA file is not a certificate
        raise _usage_error(
            _("%(path)s bukan sertifikat CA: %(error)s") % {"path": ca_path, "error": exc}
        ) from None
    verdict = check.verification
    record = check.document
    report = {
        "region": region,
        **verdict.as_dict(),
        "document": None
        if record is None
        else {
            "code": record.code,
            "number": record.number,
            "product": record.product,
            "issued_on": record.issued_on.isoformat(),
            "agency": record.agency_name,
            "signer": record.signer_name,
            "signer_position": record.signer_position,
            "holder": record.holder_masked,
            "sha256": record.sha256,
            "revoked": record.revoked,
        },
    }
    typer.echo(json.dumps(report, ensure_ascii=False))
    title, explanation = verdict_words(verdict.status, region_name)
    headline = title if title.endswith((".", "!", "?")) else f"{title}."
    typer.echo(f"{headline} {explanation}", err=True)
    raise typer.Exit(code=0 if verdict.accepted else 1)


@doc_app.command("revoke")
def revoke(
    code: Annotated[str, typer.Argument(help="The document's verification code (in its QR URL).")],
    region: Annotated[str, typer.Option(help="Region slug.")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (shown to whoever verifies).")],
) -> None:
    """Revoke an issued document as the operator (``cli``); verification says so from then on."""
    from simpul.cli import _region, domain_errors, session_scope
    from simpul.documents.service import get_issued_document, revoke_document

    try:
        with session_scope() as session, domain_errors():
            the_region = _region(session, region)
            document = get_issued_document(session, the_region, code)
            revoke_document(
                session, the_region, document, reason=reason, actor_id=None, actor_label="cli"
            )
            result = {
                "number": document.number,
                "code": document.code,
                "revoked_at": document.revoked_at.isoformat() if document.revoked_at else None,
                "revoked_reason": document.revoked_reason,
            }
    except typer.Exit:
        raise typer.Exit(code=USAGE_ERROR) from None
    typer.echo(json.dumps(result, ensure_ascii=False))
