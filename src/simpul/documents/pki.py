"""The region's signing keys: a demo/test CA, officer certificates, and loading a signer.

Keys are ECDSA on P-256. It gives the strength of RSA-3072 with 32-byte keys and fast
signing, and every validator that matters (pyHanko, Poppler/NSS, Adobe Reader) accepts it.
A region that signs with BSrE certificates (often RSA) only swaps the ``SignerSource``: the
PDF side does not care which key type signs.

Production seams: ``SignerSource`` is what the signing code needs. ``Pkcs12SignerSource``
reads a PKCS#12 file (ours from ``init_region_pki``, or one issued by BSrE); a key on a
PKCS#11 token (an HSM or a smart card) signs through ``token_signer``, pyHanko's
``PKCS11Signer`` (the key never leaves the token). An RFC 3161 time-stamp authority is
optional: ``http_timestamper(url)`` gives what ``signing.sign_pdf`` takes as
``timestamper``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.sign import signers
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

#: RFC 9336 id-kp-documentSigning.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
CA_VALIDITY = timedelta(days=10 * 365)
OFFICER_VALIDITY = timedelta(days=2 * 365)
_OFFICER = re.compile(r"^\s*(?P<name>[^<>]+?)\s*<(?P<email>[^<>@\s]+@[^<>@\s]+)>\s*$")


@dataclass(frozen=True)
class OfficerSpec:
    """An officer who signs documents: the name and e-mail put in the certificate's subject."""

    name: str
    email: str

    @property
    def slug(self) -> str:
        """The file-name part for ``officer-<slug>.p12``: the e-mail's local part, made safe."""
        local = unicodedata.normalize("NFKD", self.email.split("@", 1)[0])
        return re.sub(r"[^a-z0-9]+", "-", local.lower()).strip("-") or "officer"

    @classmethod
    def parse(cls, text: str) -> OfficerSpec:
        """``"Nama Lengkap <email@domain>"`` -> an ``OfficerSpec``; ``ValueError`` otherwise."""
        match = _OFFICER.match(text)
        if match is None:
            raise ValueError(f"expected 'Name <email>', got {text!r}")
        return cls(name=match["name"], email=match["email"])


@dataclass(frozen=True)
class RegionPki:
    """What ``init_region_pki`` wrote: the CA certificate and one PKCS#12 per officer."""

    ca_path: Path
    officer_paths: dict[str, Path]


class SignerSource(Protocol):
    """Where an officer's signing key lives (a PKCS#12 file today, a PKCS#11 token later)."""

    def signer(self) -> signers.Signer:
        """A pyHanko signer carrying the officer's certificate and its chain."""
        ...


@dataclass(frozen=True)
class Pkcs12SignerSource:
    """A PKCS#12 file protected by a passphrase (the officer's second factor when signing)."""

    path: Path
    passphrase: bytes

    def signer(self) -> signers.Signer:
        return load_signer(self.path, self.passphrase)


@dataclass(frozen=True)
class Pkcs12DataSignerSource:
    """PKCS#12 bytes (as kept in ``signing_credential``) and the passphrase that opens them."""

    data: bytes
    passphrase: bytes

    def signer(self) -> signers.Signer:
        return load_signer_data(self.data, self.passphrase)


def _name(common_name: str, organisation: str, email: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email is not None:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attributes)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_ca(
    region_name: str, *, now: datetime | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A self-signed region CA: CA:true (path length 0), keyCertSign and cRLSign only."""
    now = now or datetime.now(UTC)
    key = _new_key()
    subject = _name(f"Simpul CA {region_name}", region_name)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def make_officer_certificate(
    officer: OfficerSpec,
    region_name: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_certificate: x509.Certificate,
    *,
    now: datetime | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """An end-entity certificate for signing documents, issued by the region CA.

    keyUsage digitalSignature + nonRepudiation (content commitment); extendedKeyUsage
    documentSigning (RFC 9336) and emailProtection, which NSS (Poppler's ``pdfsig``) asks of
    a signer's certificate.
    """
    now = now or datetime.now(UTC)
    key = _new_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(officer.name, region_name, officer.email))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + OFFICER_VALIDITY, ca_certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(officer.email)]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, certificate


def init_region_pki(
    directory: Path,
    region_slug: str,
    region_name: str,
    officers: list[OfficerSpec],
    passphrase: bytes,
) -> RegionPki:
    """Create a region CA and officer certificates for the demo and tests.

    Writes ``ca.pem`` (the certificate only: the CA key is not kept, so no further officer
    can be added without a new CA) and ``officer-<slug>.p12`` per officer, encrypted with
    ``passphrase``. Refuses to overwrite an existing ``ca.pem``.
    """
    if not passphrase:
        raise ValueError("the passphrase must not be empty")
    if not officers:
        raise ValueError("at least one officer is needed")
    slugs = [officer.slug for officer in officers]
    if len(set(slugs)) != len(slugs):
        raise ValueError("two officers would share a file name; use distinct e-mails")
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / "ca.pem"
    if ca_path.exists():
        raise FileExistsError(f"{ca_path} exists; choose an empty directory")
    ca_key, ca_certificate = make_ca(region_name)
    ca_path.write_bytes(ca_certificate.public_bytes(serialization.Encoding.PEM))
    encryption = serialization.BestAvailableEncryption(passphrase)
    paths: dict[str, Path] = {}
    for officer in officers:
        key, certificate = make_officer_certificate(officer, region_name, ca_key, ca_certificate)
        path = directory / f"officer-{officer.slug}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                name=f"{region_slug}:{officer.slug}".encode(),
                key=key,
                cert=certificate,
                cas=[ca_certificate],
                encryption_algorithm=encryption,
            )
        )
        path.chmod(0o600)
        paths[officer.email] = path
    return RegionPki(ca_path=ca_path, officer_paths=paths)


def load_signer(p12_path: Path, passphrase: bytes) -> signers.SimpleSigner:
    """A pyHanko signer from a PKCS#12 file; ``ValueError`` when the passphrase is wrong."""
    return load_signer_data(p12_path.read_bytes(), passphrase)


def load_signer_data(data: bytes, passphrase: bytes) -> signers.SimpleSigner:
    """A pyHanko signer from PKCS#12 bytes; ``ValueError`` when the passphrase is wrong."""
    signer: signers.SimpleSigner = signers.SimpleSigner.load_pkcs12_data(
        data, other_certs=[], passphrase=passphrase
    )
    return signer


@contextmanager
def token_session(module: str, token_label: str, pin: str) -> Iterator[Any]:
    """A logged-in PKCS#11 session on the token labelled ``token_label`` (closed afterwards).

    ``module`` is the token's PKCS#11 library (an HSM vendor's, a smart card's, or SoftHSM's
    ``libsofthsm2.so``). Raises ``pkcs11.exceptions.PinIncorrect`` for a wrong PIN and
    ``pkcs11.exceptions.NoSuchToken`` when no token has that label.
    """
    session = open_pkcs11_session(
        module, token_criteria=TokenCriteria(label=token_label), user_pin=pin
    )
    try:
        yield session
    finally:
        session.close()


def token_certificate(session: Any, key_label: str) -> x509.Certificate:
    """The certificate stored on the token under ``key_label`` (``LookupError`` if none)."""
    from pkcs11 import Attribute, ObjectClass

    for item in session.get_objects(
        {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.LABEL: key_label}
    ):
        return x509.load_der_x509_certificate(bytes(item[Attribute.VALUE]))
    raise LookupError(f"no certificate labelled {key_label!r} on the token")


@contextmanager
def token_signer(
    module: str, token_label: str, key_label: str, pin: str, certificate_pem: str
) -> Iterator[signers.Signer]:
    """A pyHanko signer whose key stays on the token; usable inside the ``with`` only."""
    (certificate,) = load_certs_from_pemder_data(certificate_pem.encode())
    with token_session(module, token_label, pin) as session:
        # Hash here, sign on the token with the raw mechanism (CKM_ECDSA / CKM_RSA_PKCS):
        # every token has those, not every one has the combined hash-and-sign mechanisms.
        yield PKCS11Signer(
            session,
            signing_cert=certificate,
            key_label=key_label,
            bulk_fetch=False,
            use_raw_mechanism=True,
        )


def http_timestamper(url: str) -> TimeStamper:
    """An RFC 3161 time-stamp authority client for ``signing.sign_pdf(timestamper=...)``."""
    stamper: TimeStamper = HTTPTimeStamper(url)
    return stamper


def default_pki_dir(data_dir: Path, region_slug: str) -> Path:
    """Where a region's ``ca.pem`` is looked for unless given: ``<data_dir>/pki/<region>``."""
    return data_dir / "pki" / region_slug
