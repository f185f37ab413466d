"""Verify an issued document: is this file the document the region issued under its code?

Pure: no database. The caller passes the region's CA certificate (``ca.pem``) and ``lookup``,
which gives the issued record of a verification code (its hash, its signer's certificate,
whether it was revoked). The answer is one ``VerificationStatus``, checked in this order:

``not_pdf`` (no PDF header), ``unsigned`` (no signature), ``invalid`` (the signature does not
match the bytes, or the file is damaged), ``foreign`` (a valid signature whose certificate does
not chain to the region's CA), ``unknown`` (the code in the signed revision is not one the
region issued), ``mismatch`` (a good signature of the region, but the signed revision is not
the file issued under that code, or its signer's certificate is not the record's),
``changed`` (the issued file, with something other than long-term validation data added after
signing), ``revoked``, ``valid``.

Valid therefore means all of: the signature is intact and chains to the region's CA; the
SHA-256 of the signed revision (the file's first bytes up to the end of the signature's
ByteRange: for a document as Simpul issued it, the whole file) equals the record's; the
signing certificate's SHA-256 fingerprint is the record's; and every revision after the
signed one adds PAdES long-term validation data (the DSS, a document time stamp) and nothing
else pyHanko's difference analysis would rate above ``LTA_UPDATES``. pyHanko rates updates of
the ``/Info`` dictionary and the XMP metadata ``LTA_UPDATES`` too (its own LTV writer rewrites
them), so a revision that makes only such updates, or adds objects nothing refers to, is
"changed": it adds no validation data. A file with more than ``MAX_LATER_REVISIONS`` revisions
after the signed one is "changed" without diffing them all.

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
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from simpul.documents.render import XMP_NAMESPACE

logger = logging.getLogger(__name__)

#: A PDF header may follow a little junk (PDF 32000-1, 7.5.2; readers accept up to 1 KiB).
HEADER_WINDOW: Final = 1024
#: Revisions after the signed one that are diffed; a file with more is "changed". Each
#: renewal of a long-term signature adds two (validation data, a document time stamp), so
#: this covers decades of renewals while bounding the work one upload can cause.
MAX_LATER_REVISIONS: Final = 32
#: The DSS entries whose objects a long-term validation update writes.
_DSS_ENTRIES: Final = ("/Certs", "/OCSPs", "/CRLs", "/VRI")


class VerificationStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    CHANGED = "changed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    MISMATCH = "mismatch"
    NOT_PDF = "not_pdf"
    UNSIGNED = "unsigned"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class IssuedRecord:
    """What the region knows about a verification code (from ``issued_document``).

    ``sha256`` is the hash of the file as issued; ``signer_fingerprint`` the SHA-256 of the
    signing certificate's DER (``None`` only for documents issued before it was kept: their
    hash, which covers the signature and its certificate, binds them alone).
    """

    code: str
    number: str
    sha256: str
    signer_fingerprint: str | None = None
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
    signer_fingerprint: str | None = None
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
            "signer_fingerprint": self.signer_fingerprint,
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


def _reference(value: object) -> tuple[int, int] | None:
    if isinstance(value, generic.IndirectObject):
        return value.idnum, value.generation
    return None


def _adds_validation_data(reader: PdfFileReader, revision: int, time_stamped: set[int]) -> bool:
    """Whether ``revision`` adds a document time stamp or writes the DSS (PAdES LTV data)."""
    if revision in time_stamped:
        return True
    root = reader.get_historical_root(revision)
    if "/DSS" not in root:
        return False
    dss_ref = root.raw_get("/DSS")
    dss = dss_ref.get_object()
    refs = {_reference(dss_ref)}
    if isinstance(dss, generic.DictionaryObject):
        refs |= {_reference(dss.raw_get(key)) for key in _DSS_ENTRIES if key in dss}
    written = {
        (ref.idnum, ref.generation) for ref in reader.xrefs.explicit_refs_in_revision(revision)
    }
    return bool(written & (refs - {None}))


def _changed_after_signing(
    reader: PdfFileReader, signature: EmbeddedPdfSignature, result: PdfSignatureStatus
) -> bool:
    """Whether anything but long-term validation data was added after the signed revision."""
    if result.coverage is SignatureCoverageLevel.ENTIRE_FILE:
        return False
    level = result.modification_level
    if (
        result.coverage is not SignatureCoverageLevel.ENTIRE_REVISION
        or level is None
        or level > ModificationLevel.LTA_UPDATES
    ):
        return True
    time_stamped = {ts.signed_revision for ts in reader.embedded_timestamp_signatures}
    later = range(signature.signed_revision + 1, reader.xrefs.total_revisions)
    return not all(_adds_validation_data(reader, revision, time_stamped) for revision in later)


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
        later = reader.xrefs.total_revisions - 1 - signature.signed_revision
        too_many_revisions = later > MAX_LATER_REVISIONS
        result = validate_pdf_signature(signature, context, skip_diff=too_many_revisions)
        sha256 = _signed_revision_sha256(pdf_bytes, signature)
        number, code = _signed_metadata(reader, signature)
        changed = too_many_revisions or _changed_after_signing(reader, signature, result)
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
        signer_fingerprint=hashlib.sha256(result.signing_cert.dump()).hexdigest(),
    )
    record = lookup(code) if code and result.trusted else None
    return _verdict(facts, trusted=result.trusted, record=record, changed=changed)


def _verdict(
    facts: Verification, *, trusted: bool, record: IssuedRecord | None, changed: bool
) -> Verification:
    """The status of a file whose signature is intact, from what it was checked against."""
    if not trusted:
        return replace(facts, status=VerificationStatus.FOREIGN)
    if record is None:
        return replace(facts, status=VerificationStatus.UNKNOWN)
    if record.sha256 != facts.sha256 or record.signer_fingerprint not in (
        None,
        facts.signer_fingerprint,
    ):
        return replace(facts, status=VerificationStatus.MISMATCH)
    if changed:
        return replace(facts, status=VerificationStatus.CHANGED)
    if record.revoked_at is not None:
        return replace(
            facts,
            status=VerificationStatus.REVOKED,
            revoked_at=record.revoked_at,
            revoked_reason=record.revoked_reason,
        )
    return facts
