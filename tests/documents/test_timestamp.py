"""An RFC 3161 time-stamp authority over HTTP: PAdES B-T through `pki.http_timestamper`.

The TSA is real HTTP on loopback (aiohttp in a thread) answering with pyHanko's
``DummyTimeStamper`` (a genuine RFC 3161 token signed by a TSA certificate of the region CA).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from aiohttp import web
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper, SimpleSigner
from pyhanko.sign.timestamps import DummyTimeStamper, TimestampRequestError
from pyhanko.sign.validation import add_validation_info, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from simpul.documents.pki import http_timestamper, make_ca, make_officer_certificate
from simpul.documents.render import render_document
from simpul.documents.signing import sign_pdf
from simpul.documents.verify import (
    IssuedRecord,
    VerificationStatus,
    load_trust_root,
    verify_pdf,
)
from tests.documents.conftest import OFFICER, content


def _tsa_certificate(
    ca_key: object, ca: x509.Certificate
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA Uji")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return key, certificate


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def region_ca() -> Iterator[tuple[bytes, SimpleSigner, str]]:
    """The region CA's PEM, an officer signer, and the URL of a TSA it certified."""
    ca_key, ca = make_ca("Kota Bandung")
    officer_key, officer = make_officer_certificate(OFFICER, "Kota Bandung", ca_key, ca)
    signer = SimpleSigner.load_pkcs12_data(
        pkcs12.serialize_key_and_certificates(
            b"officer", officer_key, officer, [ca], serialization.NoEncryption()
        ),
        other_certs=[],
    )
    tsa_key, tsa = _tsa_certificate(ca_key, ca)
    dummy = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    requests: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        requests.append(1)
        assert request.content_type == "application/timestamp-query"
        reply = dummy.request_tsa_response(tsp.TimeStampReq.load(await request.read()))
        return web.Response(body=reply.dump(), content_type="application/timestamp-reply")

    app = web.Application()
    app.router.add_post("/tsa", answer)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    port = _free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield ca.public_bytes(serialization.Encoding.PEM), signer, f"http://127.0.0.1:{port}/tsa"
        assert requests, "the TSA was never asked"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_signature_carries_a_trusted_time_stamp(
    region_ca: tuple[bytes, SimpleSigner, str],
) -> None:
    ca_pem, signer, url = region_ca
    document = content()
    signed = sign_pdf(
        render_document(document),
        signer,
        reason="Penerbitan",
        location="Kota Bandung",
        qr_url=document.verification_url,
        timestamper=http_timestamper(url),
    )
    reader = PdfFileReader(BytesIO(signed))
    [signature] = reader.embedded_signatures
    trust = ValidationContext(
        trust_roots=[
            asn1_x509.Certificate.load(
                x509.load_pem_x509_certificate(ca_pem).public_bytes(serialization.Encoding.DER)
            )
        ]
    )
    status = validate_pdf_signature(signature, trust)
    assert status.bottom_line
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact and status.timestamp_validity.trusted
    record = IssuedRecord(document.code, document.number, hashlib.sha256(signed).hexdigest())
    verdict = verify_pdf(signed, ca_pem, lookup={document.code: record}.get)
    assert verdict.status is VerificationStatus.VALID
    # The signing time reported is the TSA's, not the signer's own clock.
    assert verdict.signing_time == status.timestamp_validity.timestamp


def test_an_unreachable_tsa_fails_the_signing() -> None:
    ca_key, ca = make_ca("Kota Bandung")
    officer_key, officer = make_officer_certificate(OFFICER, "Kota Bandung", ca_key, ca)
    signer = SimpleSigner.load_pkcs12_data(
        pkcs12.serialize_key_and_certificates(
            b"officer", officer_key, officer, [ca], serialization.NoEncryption()
        ),
        other_certs=[],
    )
    document = content()
    with pytest.raises(TimestampRequestError):
        sign_pdf(
            render_document(document),
            signer,
            reason="Penerbitan",
            location="Kota Bandung",
            qr_url=document.verification_url,
            timestamper=http_timestamper(f"http://127.0.0.1:{_free_port()}/tsa"),
        )


def test_a_document_time_stamp_and_validation_data_added_later_keep_it_valid(
    region_ca: tuple[bytes, SimpleSigner, str],
) -> None:
    """PAdES long-term validation: the DSS and a document time stamp in later revisions."""
    ca_pem, signer, url = region_ca
    document = content()
    signed = sign_pdf(
        render_document(document),
        signer,
        reason="Penerbitan",
        location="Kota Bandung",
        qr_url=document.verification_url,
    )
    trust = ValidationContext(trust_roots=[load_trust_root(ca_pem)], allow_fetching=False)
    signature = PdfFileReader(BytesIO(signed)).embedded_signatures[0]
    with_dss = add_validation_info(signature, trust, skip_timestamp=True).getvalue()
    writer = IncrementalPdfFileWriter(BytesIO(with_dss))
    archived = PdfTimeStamper(http_timestamper(url)).timestamp_pdf(
        writer, "sha256", validation_context=trust
    )
    pdf = archived.getvalue()
    reader = PdfFileReader(BytesIO(pdf))
    assert [s.sig_object_type for s in reader.embedded_signatures] == [
        "/Sig",
        "/DocTimeStamp",
    ]
    record = IssuedRecord(document.code, document.number, hashlib.sha256(signed).hexdigest())
    verdict = verify_pdf(pdf, ca_pem, lookup={document.code: record}.get)
    assert verdict.status is VerificationStatus.VALID, verdict
