"""Sign a rendered document: a PAdES signature with a visible stamp that carries the QR code.

pyHanko appends the signature as an incremental update, so the rendered bytes stay intact and
the signature's ByteRange covers all of them. The stamp is drawn in ``render.SIGNATURE_BOX`` on
the last page: the QR code of the verification URL on the left, the stamp text on the right.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Final
from zoneinfo import ZoneInfo

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.stamp import QRStampStyle

from simpul.documents.render import SIGNATURE_BOX

#: The stamp's default text: ``%(officer)s`` is the certificate's common name, ``%(waktu)s``
#: the signing time, ``%(url)s`` the QR code's URL.
DEFAULT_STAMP_TEXT: Final = "Ditandatangani secara\nelektronik oleh\n%(officer)s\n%(waktu)s"
TIMESTAMP_FORMAT: Final = "%d-%m-%Y %H:%M:%S %Z"


def _stamp_style(stamp_text: str) -> QRStampStyle:
    # pyHanko's built-in Courier: its OpenType engine (uharfbuzz) would be one more native
    # dependency for a few words of Latin text.
    return QRStampStyle(
        stamp_text=stamp_text,
        text_box_style=TextBoxStyle(font_size=8),
        border_width=1,
        timestamp_format=TIMESTAMP_FORMAT,
    )


def sign_pdf(
    pdf_bytes: bytes,
    signer: signers.Signer,
    *,
    reason: str,
    location: str,
    field_name: str = "Tanda_Tangan",
    stamp_text: str = DEFAULT_STAMP_TEXT,
    qr_url: str,
    timestamper: TimeStamper | None = None,
    timezone: str = "Asia/Jakarta",
) -> bytes:
    """The signed PDF (PAdES baseline B, or B-T when ``timestamper`` is given).

    ``stamp_text`` is a template: ``%(officer)s`` (the certificate's common name),
    ``%(waktu)s`` (the signing time on ``timezone``'s clock), ``%(ts)s`` (the same in UTC) and
    ``%(url)s`` are available, so a literal ``%`` must be written ``%%``. ``timestamper`` is an
    RFC 3161 TSA client (``pki.http_timestamper(url)``); when the TSA cannot be reached
    pyHanko raises ``TimestampRequestError`` (an ``OSError``), so the job that signs fails and
    is retried.
    """
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        timestamper=timestamper,
        stamp_style=_stamp_style(stamp_text),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=field_name, on_page=-1, box=SIGNATURE_BOX
        ),
    )
    officer = signer_common_name(signer)
    # The region's wall clock (WIB, WITA, WIT), as the document's own date is.
    waktu = datetime.now(ZoneInfo(timezone)).strftime(TIMESTAMP_FORMAT)
    output = pdf_signer.sign_pdf(
        writer, appearance_text_params={"url": qr_url, "officer": officer, "waktu": waktu}
    )
    assert isinstance(output, BytesIO)
    return output.getvalue()


def signer_common_name(signer: signers.Signer) -> str:
    """The common name in the signer's certificate (the officer's name)."""
    certificate = signer.signing_cert
    if certificate is None:
        raise ValueError("the signer has no certificate")
    name: str = certificate.subject.native.get("common_name", "")
    return name
