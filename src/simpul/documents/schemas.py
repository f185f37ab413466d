"""JSON shapes of the document verification API (``api.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from simpul.documents.verification import PublicDocument
from simpul.documents.verify import VerificationStatus


class IssuedDocumentOut(BaseModel):
    """What the region recorded for a verification code: what the document prints."""

    code: str = Field(description="The verification code, as printed under the QR code.")
    number: str
    product: str = Field(description="The document's type: the product the service standard names.")
    issued_on: date = Field(description="The date printed as 'Ditetapkan pada'.")
    agency: str = Field(description="The issuing agency.")
    signer: str
    signer_position: str
    holder: str = Field(description="The holder's name, masked: 'N*** A*****'.")
    signed_at: datetime
    sha256: str = Field(description="SHA-256 of the PDF as issued.")
    status: Literal["in_force", "revoked"]
    revoked_at: datetime | None
    revoked_reason: str | None


class VerificationOut(BaseModel):
    """The verdict on an uploaded PDF, the same the page and ``simpul doc verify`` give."""

    status: VerificationStatus = Field(
        description=(
            "valid: the file is the document issued under its code, intact, signed by the "
            "certificate on record, nothing but long-term validation data added since; "
            "mismatch: a good signature of the region, but not the file issued under the code "
            "it carries; changed: that file with other content added after signing; revoked; "
            "unknown: the code is not one the region issued; foreign: not signed with the "
            "region's CA; invalid, unsigned, not_pdf."
        )
    )
    title: str = Field(description="The verdict in words (Accept-Language: id or en).")
    explanation: str
    accepted: bool = Field(description="True only for 'valid'.")
    signer: str | None = Field(description="What the file says: its signer's name.")
    signing_time: datetime | None
    number: str | None = Field(description="The document number in the file's signed revision.")
    code: str | None = Field(description="The verification code in the file's signed revision.")
    sha256: str | None = Field(description="SHA-256 of the file's signed revision.")
    signer_fingerprint: str | None = Field(description="SHA-256 of the signing certificate.")
    document: IssuedDocumentOut | None = Field(
        description="The issued document the file's code names (valid, changed, revoked, mismatch)."
    )


def issued_document_out(document: PublicDocument) -> IssuedDocumentOut:
    return IssuedDocumentOut(
        code=document.code,
        number=document.number,
        product=document.product,
        issued_on=document.issued_on,
        agency=document.agency_name,
        signer=document.signer_name,
        signer_position=document.signer_position,
        holder=document.holder_masked,
        signed_at=document.signed_at,
        sha256=document.sha256,
        status="revoked" if document.revoked else "in_force",
        revoked_at=document.revoked_at,
        revoked_reason=document.revoked_reason,
    )
