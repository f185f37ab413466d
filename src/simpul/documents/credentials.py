"""Officers' signing credentials: enrolling a PKCS#12, unlocking it with the passphrase.

A region signs documents once at least one of its officers holds an active credential; from
then on the last approval of every application must be signed by the approving officer, who
types the passphrase of their key (the second factor that a stolen session cannot supply).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.documents import pki, repository
from simpul.documents.models import SigningCredential

PASSPHRASE_MAX = 200


@dataclass(frozen=True)
class Unlocked:
    """A credential whose passphrase was just proven: what a signing job needs."""

    credential: SigningCredential
    passphrase: str


def _passphrase_error(message: str) -> InvalidInput:
    return InvalidInput(message, details=[{"field": "passphrase", "message": message}])


def _load(data: bytes, passphrase: str) -> pkcs12.PKCS12KeyAndCertificates:
    try:
        bundle = pkcs12.load_pkcs12(data, passphrase.encode())
    except ValueError as exc:
        raise _passphrase_error(_("Frasa sandi tanda tangan salah.")) from exc
    if bundle.key is None or bundle.cert is None:
        raise InvalidInput(
            _("Berkas PKCS#12 tidak berisi kunci dan sertifikat penandatangan."),
            details=[{"field": "pkcs12", "message": _("Kunci atau sertifikat tidak ada.")}],
        )
    return bundle


def _require_officer(region: Region, officer: User) -> None:
    if officer.region_id != region.id or officer.kind is AccountKind.CITIZEN:
        raise InvalidInput(
            _("Hanya petugas wilayah ini yang dapat memiliki sertifikat tanda tangan."),
            details=[{"field": "user", "message": _("Bukan petugas wilayah ini.")}],
        )


def _check_certificate(certificate: x509.Certificate, now: datetime) -> None:
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise Conflict(
            _("Sertifikat tanda tangan Anda tidak berlaku (berlaku %(start)s sampai %(end)s).")
            % {
                "start": certificate.not_valid_before_utc.date().isoformat(),
                "end": certificate.not_valid_after_utc.date().isoformat(),
            }
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise InvalidInput(
            _("Sertifikat ini tidak boleh dipakai untuk menandatangani dokumen."),
            details=[
                {"field": "pkcs12", "message": _("Key usage tidak mengizinkan tanda tangan.")}
            ],
        )


def enrol(
    session: Session,
    region: Region,
    officer: User,
    pkcs12_data: bytes,
    passphrase: str,
    *,
    actor_label: str,
) -> SigningCredential:
    """Store ``officer``'s PKCS#12 as their active credential (a previous one is disabled).

    The passphrase is checked here and not kept: the file stays encrypted by it.
    """
    _require_officer(region, officer)
    bundle = _load(pkcs12_data, passphrase)
    assert bundle.cert is not None
    return _store(
        session,
        region,
        officer,
        bundle.cert.certificate,
        actor_label=actor_label,
        kind="pkcs12",
        pkcs12=pkcs12_data,
    )


def _store(
    session: Session,
    region: Region,
    officer: User,
    certificate: x509.Certificate,
    *,
    actor_label: str,
    kind: str,
    pkcs12: bytes | None = None,
    token_label: str | None = None,
    key_label: str | None = None,
) -> SigningCredential:
    """Check the certificate, disable the officer's previous credential, store and audit."""
    _check_certificate(certificate, datetime.now(UTC))
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    subject_name = str(names[0].value) if names else officer.full_name
    now = utcnow()
    for old in repository.active_credentials_of(session, region.id, officer.id):
        old.disabled_at = now
    session.flush()
    credential = SigningCredential(
        region_id=region.id,
        user_id=officer.id,
        kind=kind,
        pkcs12=pkcs12,
        token_label=token_label,
        key_label=key_label,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        subject_name=subject_name[:200],
        fingerprint=hashlib.sha256(
            certificate.public_bytes(serialization.Encoding.DER)
        ).hexdigest(),
        not_after=certificate.not_valid_after_utc,
    )
    session.add(credential)
    session.flush()
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=actor_label,
        action="signing_credential.enrol",
        target_type="user_account",
        target_id=str(officer.id),
        details={
            "fingerprint": credential.fingerprint,
            "subject": credential.subject_name,
            "kind": kind,
        },
    )
    return credential


def _token_error(exc: Exception) -> DomainError:
    from pkcs11 import exceptions as p11

    if isinstance(exc, p11.PinIncorrect | p11.PinLenRange | p11.ArgumentsBad):
        return _passphrase_error(_("PIN token tanda tangan salah."))
    if isinstance(exc, p11.PinLocked):
        return Conflict(_("PIN token terkunci karena terlalu sering salah; hubungi admin wilayah."))
    if isinstance(exc, p11.NoSuchToken):
        return Conflict(_("Token tanda tangan tidak terhubung ke server; hubungi admin wilayah."))
    return Conflict(_("Token tanda tangan tidak dapat dibuka; hubungi admin wilayah."))


def _module() -> str:
    from simpul.core.settings import get_settings

    module = get_settings().pkcs11_module
    if not module:
        raise Conflict(
            _("Server belum diatur untuk token tanda tangan (SIMPUL_PKCS11_MODULE kosong).")
        )
    return module


def _open_token(module: str, token_label: str, pin: str, key_label: str) -> x509.Certificate:
    """The key's certificate, read after logging in with ``pin`` (proves the PIN)."""
    from pkcs11 import exceptions as p11

    try:
        with pki.token_session(module, token_label, pin) as session:
            return pki.token_certificate(session, key_label)
    except LookupError as exc:
        raise InvalidInput(
            _("Token tidak berisi sertifikat berlabel %(label)s.") % {"label": key_label},
            details=[{"field": "key_label", "message": _("Label kunci tidak ditemukan.")}],
        ) from exc
    except (p11.PKCS11Error, OSError) as exc:
        raise _token_error(exc) from exc


def enrol_token(
    session: Session,
    region: Region,
    officer: User,
    *,
    token_label: str,
    key_label: str,
    pin: str,
    actor_label: str,
    module: str | None = None,
) -> SigningCredential:
    """Register a key on a PKCS#11 token (an HSM or smart card) as the officer's credential.

    The PIN is checked by logging in, and not kept; signing asks for it each time.
    """
    _require_officer(region, officer)
    certificate = _open_token(module or _module(), token_label, pin, key_label)
    return _store(
        session,
        region,
        officer,
        certificate,
        actor_label=actor_label,
        kind="pkcs11",
        token_label=token_label,
        key_label=key_label,
    )


def region_signs_documents(session: Session, region: Region) -> bool:
    """Whether the region has set up electronic signatures (any active credential)."""
    return repository.region_has_active_credential(session, region.id)


def active_credential(session: Session, region: Region, officer: User) -> SigningCredential | None:
    """The officer's active signing credential, if any."""
    credentials = repository.active_credentials_of(session, region.id, officer.id)
    return credentials[0] if credentials else None


def unlock(session: Session, region: Region, officer: User, passphrase: str) -> Unlocked:
    """Prove ``passphrase`` opens the officer's key; clear errors otherwise, nothing changed."""
    credential = active_credential(session, region, officer)
    if credential is None:
        raise Conflict(
            _(
                "Anda belum memiliki sertifikat tanda tangan elektronik, jadi belum dapat "
                "menyetujui tahap terakhir. Minta admin wilayah mendaftarkan sertifikat Anda."
            )
        )
    if not passphrase:
        raise _passphrase_error(_("Isi frasa sandi tanda tangan elektronik Anda."))
    if len(passphrase) > PASSPHRASE_MAX:
        raise _passphrase_error(_("Frasa sandi tanda tangan salah."))
    if credential.kind == "pkcs11":
        assert credential.token_label is not None
        assert credential.key_label is not None
        certificate = _open_token(
            _module(), credential.token_label, passphrase, credential.key_label
        )
    else:
        assert credential.pkcs12 is not None
        bundle = _load(credential.pkcs12, passphrase)
        assert bundle.cert is not None
        certificate = bundle.cert.certificate
    _check_certificate(certificate, datetime.now(UTC))
    return Unlocked(credential=credential, passphrase=passphrase)


def require_second_factor(region: Region, second_factor: bool | None) -> None:
    """Refuse to sign for a login not proven with a second factor (``second_factor`` is
    False; None: not asked, the deployment requires none or no browser login is involved)."""
    if second_factor is False:
        raise Forbidden(
            _(
                "Menandatangani dokumen memerlukan login dengan verifikasi dua langkah. "
                "Pasang atau gunakan verifikasi dua langkah di halaman Keamanan akun "
                "(%(url)s), lalu keluar dan masuk lagi."
            )
            % {"url": f"/{region.slug}/akun/keamanan"}
        )
