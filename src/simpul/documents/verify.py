"""Verify an issued document: is it a PDF, signed, intact, by the region, unchanged, known, live?

Pure: no database. The caller passes the region's CA certificate (``ca.pem``) and ``lookup``,
which says whether a verification code belongs to a document the region issued and whether it
was revoked. The answer is one ``VerificationStatus``, checked in this order:

``not_pdf`` (no PDF header), ``unsigned`` (no signature), ``invalid`` (the signature does not
match the bytes, or the file is damaged), ``foreign`` (a valid signature whose certificate does
not chain to the region's CA), ``changed`` (signed by the region, but content was added after
signing), ``unknown`` (the code is not one the region issued), ``revoked``, ``valid``.

``sha256`` is the SHA-256 of the signed revision: the file's first bytes up to the end of the
signature's ByteRange. For a document as Simpul issued it that is the whole file, so it equals
the hash kept with the issued document.

pyHanko's validator runs its own event loop (``asyncio.run``): call ``verify_pdf`` from
synchronous code (a sync route runs in a worker thread).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import Any, Final
from xml.etree import ElementTree

from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from simpul.documents.render import XMP_NAMESPACE

logger = logging.getLogger(__name__)

#: A PDF header may follow a little junk (PDF 32000-1, 7.5.2; readers accept up to 1 KiB).
HEADER_WINDOW: Final = 1024


class VerificationStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    CHANGED = "changed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    NOT_PDF = "not_pdf"
    UNSIGNED = "unsigned"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class IssuedRecord:
    """What the region knows about a verification code (from ``issued_document``)."""

    code: str
    number: str
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


@dataclass(frozen=True)
class Verification:
    """The verdict on one file, with what the signed revision says about itself."""

    status: VerificationStatus
    signer_name: str | None = None
    signing_time: datetime | None = None
    number: str | None = None
    code: str | None = None
    sha256: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    @property
    def accepted(self) -> bool:
        """A valid, unrevoked document of the region: the only case a relying party accepts."""
        return self.status is VerificationStatus.VALID

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "signer": self.signer_name,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "number": self.number,
            "code": self.code,
            "sha256": self.sha256,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_reason": self.revoked_reason,
        }


Lookup = Callable[[str], IssuedRecord | None]


def load_trust_root(trust_root_pem: bytes) -> Any:
    """The region CA certificate (asn1crypto) from PEM bytes; ``ValueError`` if there is none."""
    try:
        certificates = list(load_certs_from_pemder_data(trust_root_pem))
    except ValueError as exc:
        raise ValueError(f"not a certificate: {exc}") from exc
    if len(certificates) != 1:
        raise ValueError("expected exactly one certificate")
    return certificates[0]


def _xmp_fields(xmp: bytes) -> dict[str, str]:
    """Simpul's fields in an XMP packet, written as elements (fpdf2) or attributes (pyHanko)."""
    if b"<!DOCTYPE" in xmp or b"<!ENTITY" in xmp:  # no DTD, so no entity expansion either
        return {}
    try:
        tree = ElementTree.fromstring(xmp)  # noqa: S314 - DTDs refused above
    except ElementTree.ParseError:
        return {}
    prefix = "{" + XMP_NAMESPACE + "}"
    fields: dict[str, str] = {}
    for element in tree.iter():
        if element.tag.startswith(prefix) and element.text and element.text.strip():
            fields[element.tag.removeprefix(prefix)] = element.text.strip()
        for key, value in element.attrib.items():
            if key.startswith(prefix) and value.strip():
                fields[key.removeprefix(prefix)] = value.strip()
    return fields


def _signed_metadata(
    reader: PdfFileReader, signature: EmbeddedPdfSignature
) -> tuple[str | None, str | None]:
    """The document number and code in the XMP metadata of the signed revision."""
    root = reader.get_historical_root(signature.signed_revision)
    metadata = root.get("/Metadata")
    if metadata is None:
        return None, None
    fields = _xmp_fields(metadata.get_object().data)
    return fields.get("documentNumber"), fields.get("verificationCode")


def _signed_revision_sha256(pdf_bytes: bytes, signature: EmbeddedPdfSignature) -> str:
    _start, _len1, start2, len2 = (int(v) for v in signature.byte_range)
    return hashlib.sha256(pdf_bytes[: start2 + len2]).hexdigest()


def _changed_after_signing(coverage: SignatureCoverageLevel | None, level: Any) -> bool:
    if coverage is SignatureCoverageLevel.ENTIRE_FILE:
        return False
    # Later revisions that only add validation data or document time stamps are fine.
    return not (
        coverage is SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
    )


def _issuing_signature(
    pdf_bytes: bytes,
) -> Verification | tuple[PdfFileReader, EmbeddedPdfSignature]:
    """The reader and the issuing signature, or the verdict when there is none to check."""
    if b"%PDF-" not in pdf_bytes[:HEADER_WINDOW]:
        return Verification(VerificationStatus.NOT_PDF)
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes), strict=False)
        signatures = reader.embedded_regular_signatures
    except Exception as exc:  # noqa: BLE001 - any file gets an answer, never an error page
        # A PDF header on a file pyHanko cannot read: damaged, so not what was signed.
        logger.info("unreadable PDF: %s", exc)
        return Verification(VerificationStatus.INVALID)
    if not signatures:
        return Verification(VerificationStatus.UNSIGNED)
    # The issuing signature is the first; later ones (a countersignature) do not replace it.
    return reader, min(signatures, key=lambda s: s.signed_revision)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def verify_pdf(pdf_bytes: bytes, trust_root_pem: bytes, *, lookup: Lookup) -> Verification:
    """The verdict on ``pdf_bytes`` for the region whose CA is ``trust_root_pem``.

    ``ValueError`` when ``trust_root_pem`` holds no certificate (the caller's mistake);
    ``RuntimeError`` when called inside a running event loop (pyHanko runs its own).
    """
    if _in_event_loop():
        raise RuntimeError("verify_pdf runs its own event loop; call it from a worker thread")
    context = ValidationContext(trust_roots=[load_trust_root(trust_root_pem)], allow_fetching=False)
    found = _issuing_signature(pdf_bytes)
    if isinstance(found, Verification):
        return found
    reader, signature = found
    try:
        result = validate_pdf_signature(signature, context)
        sha256 = _signed_revision_sha256(pdf_bytes, signature)
        number, code = _signed_metadata(reader, signature)
    except Exception as exc:  # noqa: BLE001 - a damaged signature is an answer, not an error
        logger.info("signature could not be validated: %s", exc)
        return Verification(VerificationStatus.INVALID)
    if not (result.intact and result.valid):
        return Verification(VerificationStatus.INVALID, sha256=sha256)

    signing_time = result.signer_reported_dt
    if result.timestamp_validity is not None and result.timestamp_validity.valid:
        signing_time = result.timestamp_validity.timestamp
    facts = Verification(
        VerificationStatus.VALID,
        signer_name=result.signing_cert.subject.native.get("common_name"),
        signing_time=signing_time,
        number=number,
        code=code,
        sha256=sha256,
    )
    record = lookup(code) if code else None
    if not result.trusted:
        status = VerificationStatus.FOREIGN
    elif _changed_after_signing(result.coverage, result.modification_level):
        status = VerificationStatus.CHANGED
    elif record is None:
        status = VerificationStatus.UNKNOWN
    elif record.revoked_at is not None:
        return replace(
            facts,
            status=VerificationStatus.REVOKED,
            revoked_at=record.revoked_at,
            revoked_reason=record.revoked_reason,
        )
    else:
        return facts
    return replace(facts, status=status)
