"""Public verification: the one check that the page, the JSON API and ``simpul doc verify``
share (``check_document``), a code's public record (``get_public_document``), the words of
every verdict, and the region's CA certificate.

Public means anyone holding the QR code sees it, so ``PublicDocument`` carries only what the
printed document already shows a relying party, enough to tell whose document it is: the
product, number, date, issuing agency, signer and position, the holder's name masked
("N*** A*****"), the hash kept at issue, and whether (and why) it was revoked. Never the
holder's full name, a NIK or the application's data. Everything is read from the issued
record itself (``issued_document`` keeps what the document prints), so no other domain is
asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from simpul.core.errors import DomainError
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.documents import codes, repository
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import default_pki_dir
from simpul.documents.verify import (
    IssuedRecord,
    Lookup,
    Verification,
    VerificationStatus,
    verify_pdf,
)

#: Stars after each word's first letter at least, so a short name does not show its length.
MASK_MIN_STARS: Final = 3
#: A signed document of a few pages is well under 1 MB; bigger files are refused unread.
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024


class FileTooLarge(DomainError):
    status_code = 413
    code = "file_too_large"


class VerificationNotReady(DomainError):
    """The region has not published its CA certificate (or it cannot be read)."""

    status_code = 503
    code = "verification_not_ready"


@dataclass(frozen=True)
class PublicDocument:
    """An issued document as the public verification answers show it."""

    number: str
    code: str
    product: str
    agency_name: str
    issued_on: date
    signer_name: str
    signer_position: str
    holder_masked: str
    signed_at: datetime
    sha256: str
    revoked_at: datetime | None
    revoked_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def mask_name(name: str) -> str:
    """``"Nur Aisyah"`` -> ``"N*** A*****"``: each word's first letter, then stars."""
    return " ".join(word[0] + "*" * max(MASK_MIN_STARS, len(word) - 1) for word in name.split())


def public_document(document: IssuedDocument) -> PublicDocument:
    return PublicDocument(
        number=document.number,
        code=document.code,
        product=document.product,
        agency_name=document.agency_name,
        issued_on=document.issued_on,
        signer_name=document.signer_name,
        signer_position=document.signer_position,
        holder_masked=document.holder_masked,
        signed_at=document.signed_at,
        sha256=document.sha256,
        revoked_at=document.revoked_at,
        revoked_reason=document.revoked_reason,
    )


def find_issued_document(session: Session, region: Region, code: str) -> IssuedDocument | None:
    """The region's issued document with the code a person typed (any case, dashes, spaces,
    look-alikes), revoked or not; ``None`` if there is none or ``code`` cannot be one.

    Another region's code is unknown here: each region vouches only for what it issued.
    """
    return repository.get_issued_document_by_codes(session, region.id, codes.candidates(code))


def get_public_document(session: Session, region: Region, code: str) -> PublicDocument | None:
    """What the QR code's page shows for ``code``; ``None`` when the region issued no such code."""
    document = find_issued_document(session, region, code)
    return None if document is None else public_document(document)


def issued_record(document: IssuedDocument) -> IssuedRecord:
    """What ``verify.verify_pdf`` compares a file with."""
    return IssuedRecord(
        code=document.code,
        number=document.number,
        sha256=document.sha256,
        signer_fingerprint=document.signer_fingerprint,
        revoked_at=document.revoked_at,
        revoked_reason=document.revoked_reason,
    )


def issued_record_lookup(session: Session, region: Region) -> Lookup:
    """``verify.verify_pdf``'s ``lookup`` for ``region``: its issued documents by code."""

    def lookup(code: str) -> IssuedRecord | None:
        document = find_issued_document(session, region, code)
        return None if document is None else issued_record(document)

    return lookup


@dataclass(frozen=True)
class DocumentCheck:
    """The verdict on a file, and the issued document its code names when that matters to the
    verdict (valid, changed, revoked, or not the issued file)."""

    verification: Verification
    document: PublicDocument | None


#: The verdicts that name an issued document (the file's code is one the region issued).
_ABOUT_A_RECORD: Final = frozenset(
    {
        VerificationStatus.VALID,
        VerificationStatus.CHANGED,
        VerificationStatus.REVOKED,
        VerificationStatus.MISMATCH,
    }
)


def check_document(
    session: Session, region: Region, pdf_bytes: bytes, trust_root_pem: bytes
) -> DocumentCheck:
    """Is ``pdf_bytes`` the document ``region`` issued under the code it carries?

    The one check behind the page, the API and ``simpul doc verify``. ``ValueError`` when
    ``trust_root_pem`` is not a certificate; run it in a worker thread (see ``verify``).
    """
    seen: dict[str, IssuedDocument] = {}

    def lookup(code: str) -> IssuedRecord | None:
        document = find_issued_document(session, region, code)
        if document is None:
            return None
        seen[code] = document
        return issued_record(document)

    verification = verify_pdf(pdf_bytes, trust_root_pem, lookup=lookup)
    document = seen.get(verification.code or "")
    if document is None or verification.status not in _ABOUT_A_RECORD:
        return DocumentCheck(verification, None)
    return DocumentCheck(verification, public_document(document))


# -- the words of each verdict -----------------------------------------------------------


@dataclass(frozen=True)
class VerdictText:
    """How a verdict reads: a headline, what it means for the reader, and its tone."""

    title: str
    explanation: str
    tone: str  # "ok", "warn" or "bad": a CSS class; the words carry the meaning


#: Translated when used (``verdict_words``; templates call ``_`` with the region's name).
VERDICTS: Final[dict[VerificationStatus, VerdictText]] = {
    VerificationStatus.VALID: VerdictText(
        lazy("Dokumen sah"),
        lazy(
            "Tanda tangan elektronik utuh, dibuat dengan sertifikat %(region)s, dan berkas ini "
            "sama persis dengan dokumen yang diterbitkan dengan kode ini. Dokumen ini tercatat "
            "dan masih berlaku."
        ),
        "ok",
    ),
    VerificationStatus.MISMATCH: VerdictText(
        lazy("Tanda tangan sah, tetapi berkas ini bukan dokumen yang diterbitkan dengan kode ini"),
        lazy(
            "Berkas ini ditandatangani dengan sertifikat %(region)s, tetapi isinya atau "
            "penanda tangannya tidak sama dengan dokumen yang tercatat untuk kode verifikasinya. "
            "Jangan terima berkas ini; minta dokumen asli kepada pemiliknya."
        ),
        "bad",
    ),
    VerificationStatus.CHANGED: VerdictText(
        lazy("Dokumen diubah setelah ditandatangani"),
        lazy(
            "Tanda tangannya sah, tetapi ada isi yang ditambahkan ke berkas setelah "
            "penandatanganan. Jangan terima berkas ini; minta salinan asli kepada pemiliknya."
        ),
        "bad",
    ),
    VerificationStatus.INVALID: VerdictText(
        lazy("Tanda tangan tidak sah"),
        lazy(
            "Berkas ini rusak atau isinya diubah setelah ditandatangani, sehingga tanda "
            "tangannya tidak cocok lagi. Jangan terima berkas ini."
        ),
        "bad",
    ),
    VerificationStatus.UNSIGNED: VerdictText(
        lazy("PDF ini tidak bertanda tangan elektronik."),
        lazy(
            "Dokumen resmi dari %(region)s selalu ditandatangani secara elektronik. Berkas ini "
            "mungkin hasil pindaian atau cetak ulang; minta berkas asli kepada pemiliknya."
        ),
        "bad",
    ),
    VerificationStatus.NOT_PDF: VerdictText(
        lazy("Berkas ini bukan PDF."),
        lazy(
            "Unggah berkas PDF yang diterima pemilik dokumen, bukan foto atau tangkapan layar. "
            "Untuk dokumen cetak, pindai kode QR-nya atau ketik kode verifikasinya."
        ),
        "bad",
    ),
    VerificationStatus.FOREIGN: VerdictText(
        lazy("Ditandatangani pihak lain"),
        lazy(
            "Tanda tangan di berkas ini tidak dibuat dengan sertifikat %(region)s. Dokumen "
            "ini bukan terbitan %(region)s."
        ),
        "bad",
    ),
    VerificationStatus.UNKNOWN: VerdictText(
        lazy("Dokumen tidak dikenal"),
        lazy(
            "Tanda tangannya dibuat dengan sertifikat %(region)s, tetapi kode verifikasinya "
            "tidak tercatat sebagai dokumen terbitan wilayah ini. Hubungi instansi penerbit."
        ),
        "bad",
    ),
    VerificationStatus.REVOKED: VerdictText(
        lazy("Dokumen sudah dicabut"),
        lazy(
            "Dokumen ini pernah diterbitkan dan ditandatangani dengan sah, tetapi sudah "
            "dicabut dan tidak berlaku lagi."
        ),
        "bad",
    ),
}


def verdict_words(status: VerificationStatus, region_name: str) -> tuple[str, str]:
    """The headline and explanation of ``status`` in the current language."""
    text = VERDICTS[status]
    return _(text.title), _(text.explanation) % {"region": region_name}


# -- the region's CA ---------------------------------------------------------------------


def region_ca_path(data_dir: Path, region: Region) -> Path:
    """Where the region's CA certificate is published from (``<data_dir>/pki/<region>/ca.pem``)."""
    return default_pki_dir(data_dir, region.slug) / "ca.pem"


def read_region_ca(data_dir: Path, region: Region) -> bytes | None:
    """The region's CA certificate (PEM), or ``None`` when verification is not set up yet."""
    path = region_ca_path(data_dir, region)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return data if b"-----BEGIN CERTIFICATE-----" in data else None
