"""What the public verification pages read: a code typed or scanned, the region's CA, a
document's public facts.

Public means anyone holding the QR code sees it, so ``PublicDocument`` carries only what the
printed document already shows to a relying party: its number, product, issuing agency,
signer, signing time, the hash kept at issue, and whether (and why) it was revoked. Never the
applicant or the application's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from simpul.catalogue.models import Agency, Service
from simpul.core.models import Region
from simpul.documents import repository
from simpul.documents.content import product_title
from simpul.documents.models import IssuedDocument
from simpul.documents.pki import default_pki_dir

#: A verification code as ``service.new_verification_code`` makes it (URL-safe base64), with
#: room for the longest code the column holds.
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{8,40}")
_URL_CODE: Final = re.compile(r"/verifikasi/([^/?#\s]+)")


@dataclass(frozen=True)
class PublicDocument:
    """An issued document as the public verification page shows it."""

    number: str
    code: str
    product: str
    service_name: str
    agency_name: str
    signer_name: str
    signed_at: datetime
    sha256: str
    revoked_at: datetime | None
    revoked_reason: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def code_from_input(text: str) -> str | None:
    """The verification code in what a visitor typed: the code itself, or the QR code's URL.

    ``None`` when it cannot be a code (so no lookup is made for it).
    """
    text = text.strip()
    match = _URL_CODE.search(text)
    candidate = match.group(1) if match else text
    return candidate if is_code(candidate) else None


def is_code(text: str) -> bool:
    """Whether ``text`` has the shape of a verification code."""
    return CODE_PATTERN.fullmatch(text) is not None


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


# -- service ------------------------------------------------------------------------------


def _public(document: IssuedDocument, found: tuple[Service, Agency] | None) -> PublicDocument:
    service_name = agency_name = product = ""
    if found is not None:
        service, agency = found
        service_name, agency_name = service.name, agency.name
        product = product_title(str(service.standard.get("produk_pelayanan", "")), service.name)
    return PublicDocument(
        number=document.number,
        code=document.code,
        product=product,
        service_name=service_name,
        agency_name=agency_name,
        signer_name=document.signer_name,
        signed_at=document.signed_at,
        sha256=document.sha256,
        revoked_at=document.revoked_at,
        revoked_reason=document.revoked_reason,
    )


def get_public_document(session: Session, region: Region, code: str) -> PublicDocument | None:
    """The region's issued document with this code, as the public sees it; ``None`` if unknown.

    Another region's code is unknown here: each region vouches only for what it issued.
    """
    if not is_code(code):
        return None
    document = repository.get_issued_document_by_code(session, region.id, code)
    if document is None:
        return None
    return _public(
        document,
        repository.get_service_and_agency_of_application(
            session, region.id, document.application_id
        ),
    )
