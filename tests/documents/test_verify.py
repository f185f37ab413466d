"""`verify_pdf`: one clear verdict for every kind of file a relying party may upload."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.validation import add_validation_info
from pyhanko.stamp import TextStamp, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from simpul.documents import verify
from simpul.documents.verify import (
    IssuedRecord,
    Lookup,
    VerificationStatus,
    load_trust_root,
    verify_pdf,
)
from tests.documents.conftest import (
    CODE,
    Issued,
    content,
    fingerprint,
    flip_byte_in_signed_range,
    png,
    sign,
)

NUMBER = "503/0007/DPMPTSP/2026"


def record_of(issued: Issued) -> IssuedRecord:
    """The region's record of the fixture document: its hash and its signer's certificate."""
    return IssuedRecord(
        code=CODE,
        number=NUMBER,
        sha256=hashlib.sha256(issued.signed).hexdigest(),
        signer_fingerprint=fingerprint(issued.signer),
    )


def known_to(issued: Issued) -> Lookup:
    """A lookup that knows the fixture document's code and nothing else."""
    return {CODE: record_of(issued)}.get


def test_valid_document_says_who_signed_when_and_what(issued: Issued) -> None:
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.VALID and verdict.accepted
    assert verdict.signer_name == "Dr. Budi Santoso, M.Si."
    assert verdict.number == NUMBER
    assert verdict.code == CODE
    assert verdict.signing_time is not None
    assert abs((datetime.now(UTC) - verdict.signing_time).total_seconds()) < 3600
    # The document as issued is one revision: its hash is the file's hash.
    assert verdict.sha256 == hashlib.sha256(issued.signed).hexdigest()
    assert verdict.as_dict()["status"] == "valid"


def test_changed_after_signing(issued: Issued) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(issued.signed))
    stamp = TextStamp(writer, TextStampStyle(stamp_text="LUNAS"), text_params={})
    stamp.apply(0, 50, 400)
    out = BytesIO()
    writer.write(out)
    changed = out.getvalue()
    verdict = verify_pdf(changed, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.CHANGED and not verdict.accepted
    # What was signed is still reported: the signed revision is the original file.
    assert verdict.sha256 == hashlib.sha256(issued.signed).hexdigest()
    assert verdict.number == NUMBER


def test_one_changed_byte_is_invalid(issued: Issued) -> None:
    verdict = verify_pdf(
        flip_byte_in_signed_range(issued.signed), issued.ca_pem, lookup=known_to(issued)
    )
    assert verdict.status is VerificationStatus.INVALID
    assert verdict.signer_name is None


def test_truncated_file_is_invalid(issued: Issued) -> None:
    verdict = verify_pdf(
        issued.signed[: len(issued.signed) // 2], issued.ca_pem, lookup=known_to(issued)
    )
    assert verdict.status is VerificationStatus.INVALID


def test_unsigned_pdf(issued: Issued) -> None:
    verdict = verify_pdf(issued.rendered, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.UNSIGNED


@pytest.mark.parametrize("data", [png(), b"", b"Bukan PDF sama sekali", b"%PD"])
def test_not_a_pdf(issued: Issued, data: bytes) -> None:
    verdict = verify_pdf(data, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.NOT_PDF


def test_signed_by_someone_else(issued: Issued, foreign_signer: SimpleSigner) -> None:
    forged = sign(content(), foreign_signer)  # same names and code, another CA
    verdict = verify_pdf(forged, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.FOREIGN and not verdict.accepted
    assert verdict.signer_name == "Dr. Budi Santoso, M.Si."


def test_unknown_code(issued: Issued) -> None:
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup=lambda code: None)
    assert verdict.status is VerificationStatus.UNKNOWN and not verdict.accepted
    assert verdict.code == CODE


def test_revoked(issued: Issued) -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    record = replace(record_of(issued), revoked_at=at, revoked_reason="Salah ketik nama usaha")
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup={CODE: record}.get)
    assert verdict.status is VerificationStatus.REVOKED and not verdict.accepted
    assert verdict.revoked_at == at
    assert verdict.revoked_reason == "Salah ketik nama usaha"
    assert verdict.as_dict()["revoked_at"] == at.isoformat()


def test_a_file_that_is_not_a_certificate_is_the_callers_mistake(issued: Issued) -> None:
    with pytest.raises(ValueError, match="certificate"):
        verify_pdf(issued.signed, b"-----BEGIN NOTHING-----", lookup=known_to(issued))


def test_refuses_to_run_inside_an_event_loop(issued: Issued) -> None:
    async def inside() -> None:
        verify_pdf(issued.signed, issued.ca_pem, lookup=known_to(issued))

    with pytest.raises(RuntimeError, match="worker thread"):
        asyncio.run(inside())


def test_a_different_file_signed_by_the_same_certificate_is_not_the_issued_one(
    issued: Issued,
) -> None:
    other = sign(content(number=NUMBER), issued.signer)  # same code, number and signer
    assert other != issued.signed
    verdict = verify_pdf(other, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.MISMATCH and not verdict.accepted
    assert verdict.code == CODE and verdict.sha256 == hashlib.sha256(other).hexdigest()


def test_the_issued_file_is_not_valid_when_the_record_names_another_certificate(
    issued: Issued,
) -> None:
    record = replace(record_of(issued), signer_fingerprint="0" * 64)
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup={CODE: record}.get)
    assert verdict.status is VerificationStatus.MISMATCH
    assert verdict.signer_fingerprint == fingerprint(issued.signer)


def test_a_record_kept_before_fingerprints_is_bound_by_its_hash(issued: Issued) -> None:
    record = replace(record_of(issued), signer_fingerprint=None)
    lookup = {CODE: record}.get
    assert verify_pdf(issued.signed, issued.ca_pem, lookup=lookup).status is (
        VerificationStatus.VALID
    )
    other = sign(content(number=NUMBER), issued.signer)
    assert verify_pdf(other, issued.ca_pem, lookup=lookup).status is VerificationStatus.MISMATCH


def test_validation_data_added_after_signing_keeps_it_valid(issued: Issued) -> None:
    """PAdES long-term validation (a DSS with the chain) is the one thing that may follow."""
    reader = PdfFileReader(BytesIO(issued.signed))
    context = ValidationContext(trust_roots=[load_trust_root(issued.ca_pem)])
    with_dss = add_validation_info(
        reader.embedded_signatures[0], context, skip_timestamp=True
    ).getvalue()
    assert len(with_dss) > len(issued.signed)
    verdict = verify_pdf(with_dss, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.VALID, verdict
    assert verdict.sha256 == hashlib.sha256(issued.signed).hexdigest()


def test_more_revisions_after_signing_than_are_diffed_is_changed(
    issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = ValidationContext(trust_roots=[load_trust_root(issued.ca_pem)])
    pdf = issued.signed
    for _ in range(3):  # three validation-data updates: each alone would be fine
        signature = PdfFileReader(BytesIO(pdf)).embedded_signatures[0]
        pdf = add_validation_info(signature, context, skip_timestamp=True).getvalue()
    assert verify_pdf(pdf, issued.ca_pem, lookup=known_to(issued)).status is (
        VerificationStatus.VALID
    )
    monkeypatch.setattr(verify, "MAX_LATER_REVISIONS", 2)
    verdict = verify_pdf(pdf, issued.ca_pem, lookup=known_to(issued))
    assert verdict.status is VerificationStatus.CHANGED
