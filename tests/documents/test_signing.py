"""Independent validation (issue 5, part 4): pyHanko's validator and Poppler's pdfsig agree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from tests.documents.conftest import Issued, flip_byte_in_signed_range, pdfsig

needs_pdfsig = pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None,
    reason="Poppler's pdfsig (poppler-utils) and NSS certutil (libnss3-tools) are not installed",
)


def _pyhanko_status(pdf: bytes, issued: Issued) -> object:
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    [signature] = reader.embedded_signatures
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(issued.pki.ca_path))])
    return validate_pdf_signature(
        signature,
        context,
        key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}),
    )


def test_pyhanko_validates_the_signature_as_intact_valid_and_trusted(issued: Issued) -> None:
    status = _pyhanko_status(issued.signed, issued)
    assert status.intact and status.valid and status.trusted  # type: ignore[attr-defined]
    assert status.bottom_line  # type: ignore[attr-defined]
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE  # type: ignore[attr-defined]
    reader = PdfFileReader(BytesIO(issued.signed))
    signature_object = reader.embedded_signatures[0].sig_object
    assert signature_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert signature_object["/Reason"] == "Penerbitan dokumen layanan"


def test_signature_is_visible_on_the_last_page_with_a_qr_stamp(issued: Issued) -> None:
    reader = PdfFileReader(BytesIO(issued.signed))
    field = reader.embedded_signatures[0].sig_field
    assert field["/T"] == "Tanda_Tangan"
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    assert x2 - x1 > 100 and y2 - y1 > 50  # visible, not a zero-size field
    appearance = field["/AP"]["/N"]
    resources = appearance["/Resources"]
    # pyHanko's QR stamp draws the code as an XObject next to the text.
    assert "/XObject" in resources
    pages = reader.root["/Pages"]["/Kids"]
    assert any(annot.get_object() == field for annot in pages[len(pages) - 1]["/Annots"])


def test_pyhanko_rejects_a_copy_with_one_changed_byte(issued: Issued) -> None:
    status = _pyhanko_status(flip_byte_in_signed_range(issued.signed), issued)
    assert not status.intact  # type: ignore[attr-defined]
    assert not status.bottom_line  # type: ignore[attr-defined]


@needs_pdfsig
def test_pdfsig_calls_the_signature_valid_and_the_certificate_trusted(
    issued: Issued, nss_dir: str, tmp_path: Path
) -> None:
    output = pdfsig(issued.signed, nss_dir, tmp_path)
    assert "Signature Validation: Signature is Valid." in output
    assert "Certificate Validation: Certificate is Trusted." in output
    assert "Total document signed" in output
    assert "Dr. Budi Santoso, M.Si." in output


@needs_pdfsig
def test_pdfsig_rejects_a_copy_with_one_changed_byte(
    issued: Issued, nss_dir: str, tmp_path: Path
) -> None:
    output = pdfsig(flip_byte_in_signed_range(issued.signed), nss_dir, tmp_path)
    assert "Signature is Valid" not in output
    assert "Digest Mismatch" in output


@needs_pdfsig
def test_pdfsig_does_not_trust_a_signature_without_the_region_ca(
    issued: Issued, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-nss"
    empty.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{empty}", "--empty-password"], check=True)
    output = pdfsig(issued.signed, f"sql:{empty}", tmp_path)
    assert "Signature is Valid." in output
    assert "Certificate is Trusted." not in output


PYHANKO_CLI = Path(sys.executable).parent / "pyhanko"


@pytest.mark.skipif(not PYHANKO_CLI.exists(), reason="pyhanko-cli is not installed")
def test_pyhanko_cli_validates_and_rejects_as_the_checker_will(
    issued: Issued, tmp_path: Path
) -> None:
    def validate(pdf: bytes) -> subprocess.CompletedProcess[str]:
        path = tmp_path / "dokumen.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            [
                str(PYHANKO_CLI),
                "sign",
                "validate",
                "--trust",
                str(issued.pki.ca_path),
                "--trust-replace",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    good = validate(issued.signed)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip().endswith(":INTACT:TRUSTED,UNTOUCHED")
    bad = validate(flip_byte_in_signed_range(issued.signed))
    assert bad.returncode != 0 and ":INVALID" in bad.stdout
