"""The receipt of a submitted application (bukti pendaftaran), rendered with the issued
documents' PDF pieces: the same page, fonts and region letterhead (``render``), so a region's
emblem and letterhead line appear on it as on its signed documents (decision 0051).

The receipt is not signed: it proves nothing the tracking page does not show. Its QR code
opens the region's tracking page with the number filled in, and a link annotation over the
code does the same for whoever reads the PDF on a screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from io import BytesIO
from typing import Final

# qrcode comes with pyhanko[qr] (it draws the signature stamp's QR code) and has no stubs.
import qrcode  # type: ignore[import-untyped]
from qrcode.constants import ERROR_CORRECT_M  # type: ignore[import-untyped]

from simpul.core import i18n
from simpul.documents.render import (
    DocumentContent,
    _Document,
    _letterhead,
    _without_hidden_characters,
    indonesian_date,
)

TITLE: Final = "Bukti Pendaftaran Permohonan"
#: The QR code's side on the page, in millimetres.
QR_MM: Final = 36.0


@dataclass(frozen=True)
class ReceiptContent:
    """What the receipt prints; ``letterhead`` carries the region's and agency's lines."""

    letterhead: DocumentContent
    service_name: str
    tracking_number: str
    submitted_at: datetime
    due_date: date | None
    documents: list[str]
    tracking_url: str
    tz: tzinfo | None = None


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG (black on white, a quiet zone of four modules)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(url)
    code.make(fit=True)
    buffer = BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer)
    return buffer.getvalue()


def render_receipt(content: ReceiptContent) -> bytes:
    """The receipt as PDF bytes (one A4 page; a long list of documents flows onward).

    Indonesian whatever the reader's language, as the region's documents are.
    """
    head = _without_hidden_characters(content.letterhead)
    pdf = _Document()
    t = pdf.printable
    pdf.set_title(f"{TITLE} {content.tracking_number}")
    pdf.set_subject(f"{TITLE} {content.tracking_number}")
    pdf.set_author(head.agency_name)
    pdf.set_creator("Simpul")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    _letterhead(pdf, head)
    submitted = i18n.format_datetime(content.submitted_at, content.tz, "id")
    rows = [
        ("Layanan", content.service_name),
        ("Nomor permohonan", content.tracking_number),
        ("Tanggal diajukan", submitted),
        (
            "Batas waktu penyelesaian",
            indonesian_date(content.due_date) if content.due_date else "-",
        ),
    ]
    pdf.set_font(pdf.body_font, "", 11)
    pdf.multi_cell(
        pdf.epw,
        6,
        t("Permohonan berikut telah diterima dan sedang diproses:"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    for label, value in rows:
        pdf.set_font(pdf.body_font, "", 11)
        pdf.cell(55, 7, t(label))
        pdf.cell(4, 7, ":")
        pdf.set_font(pdf.body_font, "B", 11)
        pdf.multi_cell(pdf.epw - 59, 7, t(value), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(pdf.body_font, "B", 11)
    pdf.cell(pdf.epw, 7, t("Dokumen yang dikirim"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.body_font, "", 10.5)
    for number, line in enumerate(content.documents or ["-"], start=1):
        prefix = f"{number}. " if content.documents else ""
        pdf.multi_cell(pdf.epw, 6, t(f"{prefix}{line}"), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    if pdf.get_y() + QR_MM + 10 > 277:
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(
        BytesIO(qr_png(content.tracking_url)),
        x=pdf.l_margin,
        y=top,
        w=QR_MM,
        h=QR_MM,
        link=content.tracking_url,
    )
    beside = pdf.l_margin + QR_MM + 6
    pdf.set_xy(beside, top + 2)
    pdf.set_font(pdf.body_font, "", 10)
    text_width = pdf.epw - QR_MM - 6
    pdf.multi_cell(
        text_width,
        5,
        align="L",
        text=t(
            "Pindai kode QR ini atau buka alamat di bawah untuk melacak permohonan. "
            "Siapkan tanggal lahir pemohon atau 4 angka terakhir NIK-nya."
        ),
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_xy(beside, pdf.get_y() + 1)
    pdf.set_font("Courier", "", 8.5)
    pdf.multi_cell(
        text_width,
        4.5,
        content.tracking_url.encode("latin-1", "replace").decode("latin-1"),
        align="L",
        link=content.tracking_url,
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + QR_MM) + 6)
    pdf.set_font(pdf.body_font, "", 8.5)
    pdf.multi_cell(
        pdf.epw,
        4.2,
        align="L",
        text=t(
            "Bukti ini dibuat otomatis oleh Simpul dan tidak memerlukan tanda tangan. "
            f"Dicetak untuk permohonan {content.tracking_number}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())
