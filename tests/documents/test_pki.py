"""`init_region_pki`: a CA and officer certificates fit for signing documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from simpul.documents.pki import DOCUMENT_SIGNING, OfficerSpec, init_region_pki, load_signer
from tests.documents.conftest import OFFICER, PASSPHRASE, Issued


def test_ca_is_a_ca_that_only_certifies(issued: Issued) -> None:
    ca = x509.load_pem_x509_certificate(issued.ca_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert ca.subject == ca.issuer
    assert b"PRIVATE KEY" not in issued.ca_pem


def test_officer_certificate_is_for_non_repudiable_document_signing(issued: Issued) -> None:
    data = issued.pki.officer_paths[OFFICER.email].read_bytes()
    key, certificate, extra = pkcs12.load_key_and_certificates(data, PASSPHRASE)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert certificate is not None
    ca = x509.load_pem_x509_certificate(issued.ca_pem)
    assert certificate.issuer == ca.subject
    certificate.verify_directly_issued_by(ca)
    assert [c.subject for c in extra] == [ca.subject]
    subject = certificate.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == OFFICER.name
    assert subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)[0].value == OFFICER.email
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    purposes = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in purposes
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in purposes
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_signer_loads_with_the_passphrase_only(issued: Issued) -> None:
    path = issued.pki.officer_paths[OFFICER.email]
    assert path.name == "officer-budi-santoso.p12"
    assert path.stat().st_mode & 0o077 == 0
    signer = load_signer(path, PASSPHRASE)
    assert signer.signing_cert is not None
    assert signer.signing_cert.subject.native["common_name"] == OFFICER.name
    with pytest.raises(ValueError, match="PKCS#12"):
        load_signer(path, b"salah")


def test_refuses_to_overwrite_a_ca_and_bad_input(tmp_path: Path) -> None:
    init_region_pki(tmp_path, "kota-uji", "Kota Uji", [OFFICER], PASSPHRASE)
    with pytest.raises(FileExistsError):
        init_region_pki(tmp_path, "kota-uji", "Kota Uji", [OFFICER], PASSPHRASE)
    with pytest.raises(ValueError, match="passphrase"):
        init_region_pki(tmp_path / "a", "kota-uji", "Kota Uji", [OFFICER], b"")
    with pytest.raises(ValueError, match="officer"):
        init_region_pki(tmp_path / "b", "kota-uji", "Kota Uji", [], PASSPHRASE)
    twins = [OFFICER, OfficerSpec("Budi Lain", "budi.santoso@example.org")]
    with pytest.raises(ValueError, match="distinct"):
        init_region_pki(tmp_path / "c", "kota-uji", "Kota Uji", twins, PASSPHRASE)


def test_officer_spec_parses_name_and_email() -> None:
    spec = OfficerSpec.parse("  Rina Marlina, S.H. <rina@bandung.go.id> ")
    assert spec == OfficerSpec("Rina Marlina, S.H.", "rina@bandung.go.id")
    for bad in ("Rina", "<rina@bandung.go.id>", "Rina <rina>", "Rina rina@bandung.go.id"):
        with pytest.raises(ValueError, match="Name <email>"):
            OfficerSpec.parse(bad)
