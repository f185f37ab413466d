"""`verify_pdf`: one clear verdict for every kind of file a relying party may upload."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import SimpleSigner
from pyhanko.stamp import TextStamp, TextStampStyle

from simpul.documents.verify import IssuedRecord, VerificationStatus, verify_pdf
from tests.documents.conftest import (
    CODE,
    Issued,
    content,
    flip_byte_in_signed_range,
    png,
    sign,
)

NUMBER = "503/0007/DPMPTSP/2026"


def known(code: str) -> IssuedRecord | None:
    return IssuedRecord(code=code, number=NUMBER) if code == CODE else None


def test_valid_document_says_who_signed_when_and_what(issued: Issued) -> None:
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup=known)
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
    verdict = verify_pdf(changed, issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.CHANGED and not verdict.accepted
    # What was signed is still reported: the signed revision is the original file.
    assert verdict.sha256 == hashlib.sha256(issued.signed).hexdigest()
    assert verdict.number == NUMBER


def test_one_changed_byte_is_invalid(issued: Issued) -> None:
    verdict = verify_pdf(flip_byte_in_signed_range(issued.signed), issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.INVALID
    assert verdict.signer_name is None


def test_truncated_file_is_invalid(issued: Issued) -> None:
    verdict = verify_pdf(issued.signed[: len(issued.signed) // 2], issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.INVALID


def test_unsigned_pdf(issued: Issued) -> None:
    verdict = verify_pdf(issued.rendered, issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.UNSIGNED


@pytest.mark.parametrize("data", [png(), b"", b"Bukan PDF sama sekali", b"%PD"])
def test_not_a_pdf(issued: Issued, data: bytes) -> None:
    verdict = verify_pdf(data, issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.NOT_PDF


def test_signed_by_someone_else(issued: Issued, foreign_signer: SimpleSigner) -> None:
    forged = sign(content(), foreign_signer)  # same names and code, another CA
    verdict = verify_pdf(forged, issued.ca_pem, lookup=known)
    assert verdict.status is VerificationStatus.FOREIGN and not verdict.accepted
    assert verdict.signer_name == "Dr. Budi Santoso, M.Si."


def test_unknown_code(issued: Issued) -> None:
    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup=lambda code: None)
    assert verdict.status is VerificationStatus.UNKNOWN and not verdict.accepted
    assert verdict.code == CODE


def test_revoked(issued: Issued) -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def revoked(code: str) -> IssuedRecord:
        return IssuedRecord(code, NUMBER, revoked_at=at, revoked_reason="Salah ketik nama usaha")

    verdict = verify_pdf(issued.signed, issued.ca_pem, lookup=revoked)
    assert verdict.status is VerificationStatus.REVOKED and not verdict.accepted
    assert verdict.revoked_at == at
    assert verdict.revoked_reason == "Salah ketik nama usaha"
    assert verdict.as_dict()["revoked_at"] == at.isoformat()


def test_a_file_that_is_not_a_certificate_is_the_callers_mistake(issued: Issued) -> None:
    with pytest.raises(ValueError, match="certificate"):
        verify_pdf(issued.signed, b"-----BEGIN NOTHING-----", lookup=known)


def test_refuses_to_run_inside_an_event_loop(issued: Issued) -> None:
    async def inside() -> None:
        verify_pdf(issued.signed, issued.ca_pem, lookup=known)

    with pytest.raises(RuntimeError, match="worker thread"):
        asyncio.run(inside())
