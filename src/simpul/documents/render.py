"""Render a service's product (a certificate, permit or letter) to PDF bytes with fpdf2.

Rendering needs no database: the caller fills a ``DocumentContent``. The document number and
the verification code are also written into the PDF's XMP metadata (``simpul:documentNumber``,
``simpul:verificationCode``) so ``verify.verify_pdf`` can read them back from the signed
revision. The lower right of the page (``SIGNATURE_BOX``) is left for the visible signature,
whose stamp carries the QR code of the verification URL (see ``signing.sign_pdf``); the
verification code itself is printed under the stamp's left edge, below the QR code, for
whoever types it instead of scanning.

Text is set in DejaVu Sans (Debian's fonts-dejavu-core) when installed, so any name an
applicant types prints; otherwise in the PDF core font Helvetica, which covers Latin-1 only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from html import escape
from io import BytesIO
from pathlib import Path
from typing import Any, Final, cast

from fpdf import FPDF

from simpul.core import i18n
from simpul.core.text import strip_unsafe_characters

# fontTools reports every table it drops while subsetting DejaVu; none matter for our text.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

FONT_DIR: Final = Path("/usr/share/fonts/truetype/dejavu")
MM: Final = 72 / 25.4
PAGE_HEIGHT_MM: Final = 297.0
#: Where the visible signature goes, in millimetres from the top left: (left, top, right, bottom).
#: Under it: the verification code (below the QR code), then the signer's name and NIP.
SIGNATURE_BOX_MM: Final = (105.0, 212.0, 195.0, 252.0)
#: The lowest the signer's name and NIP may reach (the certificate frame is at 287).
SIGNER_BOTTOM_MM: Final = 284.0
#: The same box in PDF points from the bottom left (x1, y1, x2, y2), as pyHanko wants it.
SIGNATURE_BOX: Final = (
    round(SIGNATURE_BOX_MM[0] * MM),
    round((PAGE_HEIGHT_MM - SIGNATURE_BOX_MM[3]) * MM),
    round(SIGNATURE_BOX_MM[2] * MM),
    round((PAGE_HEIGHT_MM - SIGNATURE_BOX_MM[1]) * MM),
)
XMP_NAMESPACE: Final = "https://simpul.id/ns/document/1.0/"
#: The width under the stamp's QR code that the verification code is printed in.
CODE_WIDTH_MM: Final = 40.0


@dataclass(frozen=True)
class DocumentContent:
    """Everything printed on an issued document.

    ``title`` is the product named in the service standard (``produk_pelayanan``); ``rows``
    are the application's data as (label, value) pairs in the order they are printed.
    """

    region_name: str
    agency_name: str
    title: str
    number: str
    code: str
    applicant_name: str
    issued_on: date
    verification_url: str
    service_name: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)
    signer_name: str = ""
    signer_position: str = ""
    #: Printed as "NIP. 19..." under the signer's name (empty: no NIP line).
    signer_nip: str = ""
    #: The letterhead's first line ("PEMERINTAH KOTA BANDUNG"); empty: "PEMERINTAH" and the
    #: region's name.
    letterhead_line: str = ""
    #: Address, telephone, e-mail, website under the agency's name.
    agency_contact: str = ""
    #: The region's emblem (a PNG re-encoded on upload, ``letterhead.clean_emblem``).
    emblem_png: bytes | None = None
    #: ``surat`` (a letter: statement, label : value rows) or ``sertifikat`` (framed, the
    #: title large, the fields centred).
    layout: str = "surat"
    #: The statement before the fields (empty: the generic letter's) and the words after.
    opening: str = ""
    closing: str = ""
    #: Whether the first row is the applicant's name (the generic letter); a template
    #: prints only its own fields.
    holder_row: bool = True
    product_code: str = "dokumen"
    #: A preview of a template: marked CONTOH on every page, no verification link.
    sample: bool = False

    @property
    def printed_position(self) -> str:
        """The line above the signature: the signer's position, else the agency's name."""
        return self.signer_position or self.agency_name


def verification_url(base_url: str, region_slug: str, code: str) -> str:
    """``{base_url}/{region}/verifikasi/{code}``: what the QR code opens."""
    return f"{base_url.rstrip('/')}/{region_slug}/verifikasi/{code}"


def indonesian_date(day: date) -> str:
    """``date(2026, 11, 27)`` -> ``"27 November 2026"``."""
    return i18n.format_date(day, "id")


def _xmp(content: DocumentContent) -> str:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:simpul="{XMP_NAMESPACE}"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<simpul:documentNumber>{escape(content.number)}</simpul:documentNumber>"
        f"<simpul:verificationCode>{escape(content.code)}</simpul:verificationCode>"
        f"<simpul:region>{escape(content.region_name)}</simpul:region>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )


class _Document(FPDF):
    def __init__(self, *, framed: bool = False, sample: bool = False) -> None:
        self.framed = framed
        self.sample = sample
        super().__init__(orientation="P", unit="mm", format="A4")
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.body_font = "Body"
            self.unicode = True
        else:
            self.body_font = "Helvetica"
            self.unicode = False

    def header(self) -> None:
        """Every page: a certificate's double frame; a preview's CONTOH across the page."""
        if self.framed:
            self.set_draw_color(90, 70, 20)
            self.set_line_width(1.2)
            self.rect(8, 8, 194, PAGE_HEIGHT_MM - 16)
            self.set_line_width(0.3)
            self.rect(10.5, 10.5, 189, PAGE_HEIGHT_MM - 21)
            self.set_draw_color(0, 0, 0)
            self.set_line_width(0.2)
        if self.sample:
            x, y = self.get_x(), self.get_y()
            self.set_font(self.body_font, "B", 96)
            self.set_text_color(225, 225, 225)
            with self.rotation(45, 105, 150):
                self.text(35, 175, "CONTOH")
            self.set_text_color(0, 0, 0)
            self.set_xy(x, y)

    def printable(self, value: str) -> str:
        """The value as the chosen font can print it (Latin-1 for the core font)."""
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")


def render_document(content: DocumentContent, *, created_at: datetime | None = None) -> bytes:
    """The document as PDF bytes (one A4 page; long data flows onto further pages).

    Its wording is Indonesian whatever the reader's language: it is an official document.
    No NUL or bidirectional control is printed or put in the metadata (``core.text``).
    """
    content = _without_hidden_characters(content)
    pdf = _Document(framed=content.layout == "sertifikat", sample=content.sample)
    pdf.set_title(f"CONTOH {content.title}" if content.sample else content.title)
    pdf.set_subject(f"{content.title} {content.number}")
    pdf.set_author(content.agency_name)
    pdf.set_creator("Simpul")
    pdf.set_keywords(f"{content.number} {content.code}")
    pdf.set_xmp_metadata(_xmp(content))
    if created_at is not None:
        pdf.set_creation_date(created_at)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    _letterhead(pdf, content)
    if content.layout == "sertifikat":
        _certificate_body(pdf, content)
    else:
        _body(pdf, content)
    _signature_block(pdf, content)
    return bytes(pdf.output())


def _without_hidden_characters(content: DocumentContent) -> DocumentContent:
    clean = strip_unsafe_characters
    texts: dict[str, Any] = {
        f.name: clean(value)
        for f in fields(content)
        if isinstance(value := getattr(content, f.name), str)
    }
    return replace(
        content, **texts, rows=[(clean(label), clean(value)) for label, value in content.rows]
    )


#: The emblem's box at the letterhead's left, in millimetres.
EMBLEM_MM: Final = 24.0


def _emblem(pdf: _Document, content: DocumentContent, top: float) -> float:
    """Draw the emblem at the left of the letterhead; returns its bottom (``top``: none)."""
    if not content.emblem_png:
        return top
    try:
        # Fitted into the square box whatever its proportions: text beside it never overlaps.
        pdf.image(
            BytesIO(content.emblem_png),
            x=pdf.l_margin,
            y=top,
            w=EMBLEM_MM,
            h=EMBLEM_MM,
            keep_aspect_ratio=True,
        )
    except Exception:  # noqa: BLE001 (a damaged stored emblem must not stop issuing)
        logging.getLogger(__name__).warning("the region's emblem cannot be drawn")
        return top
    return top + EMBLEM_MM


def _letterhead(pdf: _Document, content: DocumentContent) -> None:
    """The emblem at the left, the region line, the agency and its contacts centred beside it,
    over a double rule; then the title and the number."""
    t, width = pdf.printable, pdf.epw
    top = pdf.get_y()
    emblem_bottom = _emblem(pdf, content, top)
    # With an emblem the text is centred in the space right of it (so nothing overlaps).
    indent = EMBLEM_MM + 4 if content.emblem_png else 0.0
    left, text_width = pdf.l_margin + indent, width - 2 * indent
    pdf.set_xy(left, top)
    pdf.set_font(pdf.body_font, "B", 13)
    # A local government's letterhead opens with "PEMERINTAH <region>" unless it says otherwise.
    first_line = content.letterhead_line or f"Pemerintah {content.region_name}"
    pdf.multi_cell(text_width, 6.5, t(first_line.upper()), align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font(pdf.body_font, "B", 15)
    pdf.multi_cell(
        text_width, 7, t(content.agency_name.upper()), align="C", new_x="LEFT", new_y="NEXT"
    )
    if content.agency_contact:
        pdf.set_font(pdf.body_font, "", 8.5)
        pdf.multi_cell(
            text_width, 4.2, t(content.agency_contact), align="C", new_x="LEFT", new_y="NEXT"
        )
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), emblem_bottom) + 2)
    y = pdf.get_y()
    pdf.set_line_width(0.8)
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + 1.2, pdf.l_margin + width, y + 1.2)
    pdf.ln(8)
    certificate = content.layout == "sertifikat"
    if certificate:
        pdf.ln(4)
    pdf.set_font(pdf.body_font, "B", 20 if certificate else 14)
    pdf.multi_cell(
        width,
        9 if certificate else 7,
        t(content.title.upper()),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(pdf.body_font, "", 11)
    pdf.multi_cell(
        width, 6, t(f"Nomor: {content.number}"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(8 if certificate else 6)


def _body(pdf: _Document, content: DocumentContent) -> None:
    """The statement and the application's data as label : value rows."""
    t, width = pdf.printable, pdf.epw
    pdf.set_font(pdf.body_font, "", 11)
    intro = content.opening
    if not intro:
        intro = "Yang bertanda tangan di bawah ini menerangkan bahwa permohonan"
        if content.service_name:
            intro += f" {content.service_name}"
        intro += " atas nama berikut telah disetujui:"
    pdf.multi_cell(width, 6, t(intro), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    label_width = 60.0
    holder = [("Nama pemohon", content.applicant_name)] if content.holder_row else []
    for label, value in [*holder, *content.rows]:
        pdf.set_font(pdf.body_font, "", 11)
        top = pdf.get_y()
        pdf.multi_cell(label_width, 6, t(label), new_x="RIGHT", new_y="TOP")
        label_lines = cast(
            "list[str]",
            pdf.multi_cell(label_width, 6, t(label), dry_run=True, output="LINES"),
        )
        label_bottom = top + 6 * len(label_lines)
        pdf.cell(4, 6, ":")
        pdf.set_font(pdf.body_font, "B", 11)
        pdf.multi_cell(width - label_width - 4, 6, t(value or "-"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), label_bottom))
    pdf.ln(6)
    _closing(pdf, content, align="L")


def _closing(pdf: _Document, content: DocumentContent, *, align: str) -> None:
    t, width = pdf.printable, pdf.epw
    pdf.set_font(pdf.body_font, "", 11)
    if content.closing:
        pdf.multi_cell(width, 6, t(content.closing), align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.multi_cell(
        width,
        6,
        t("Dokumen ini diterbitkan secara elektronik dan sah tanpa tanda tangan basah."),
        align=align,
        new_x="LMARGIN",
        new_y="NEXT",
    )


#: A certificate with more fields than this sets them in two columns (one page, room to sign).
CERTIFICATE_ONE_COLUMN_MAX: Final = 4


def _certificate_cell(
    pdf: _Document, x: float, y: float, width: float, label: str, value: str, *, draw: bool
) -> float:
    """A certificate's field, its label small over its value in bold, centred in ``width``
    at (x, y); returns its height (``draw`` False: only measures)."""
    t = pdf.printable
    pdf.set_font(pdf.body_font, "", 8.5)
    label_lines = cast(
        "list[str]", pdf.multi_cell(width, 4.2, t(label), dry_run=True, output="LINES")
    )
    pdf.set_font(pdf.body_font, "B", 12)
    value_lines = cast(
        "list[str]", pdf.multi_cell(width, 5.8, t(value or "-"), dry_run=True, output="LINES")
    )
    height = 4.2 * len(label_lines) + 5.8 * len(value_lines) + 2.5
    if draw:
        pdf.set_xy(x, y)
        pdf.set_font(pdf.body_font, "", 8.5)
        pdf.multi_cell(width, 4.2, t(label), align="C", new_x="LEFT", new_y="NEXT")
        pdf.set_font(pdf.body_font, "B", 12)
        pdf.multi_cell(width, 5.8, t(value or "-"), align="C", new_x="LEFT", new_y="NEXT")
    return height


def _certificate_body(pdf: _Document, content: DocumentContent) -> None:
    """A certificate: the statement, then each field centred, its label small over its value
    in bold (two columns when there are many; long values wrap inside their column)."""
    t, width = pdf.printable, pdf.epw
    if content.opening:
        pdf.set_font(pdf.body_font, "", 11)
        pdf.multi_cell(width, 6, t(content.opening), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    holder = [("Nama pemohon", content.applicant_name)] if content.holder_row else []
    items = [*holder, *content.rows]
    columns = 2 if len(items) > CERTIFICATE_ONE_COLUMN_MAX else 1
    gap = 6.0
    column_width = (width - gap * (columns - 1)) / columns
    for start in range(0, len(items), columns):
        row = items[start : start + columns]
        height = max(
            _certificate_cell(pdf, 0, 0, column_width, label, value, draw=False)
            for label, value in row
        )
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        for number, (label, value) in enumerate(row):
            # A last field alone in its row is centred across the page.
            x = pdf.l_margin + number * (column_width + gap)
            cell_width = column_width
            if len(row) < columns:
                x, cell_width = pdf.l_margin, width
            _certificate_cell(pdf, x, top, cell_width, label, value, draw=True)
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(3)
    _closing(pdf, content, align="C")


def _code_under_the_qr(pdf: _Document, content: DocumentContent) -> float:
    """The verification code, to be typed by whoever cannot scan: under the stamp's left edge,
    where its QR code is drawn (``signing.sign_pdf``), in a monospaced face. Returns the
    bottom of what it printed."""
    left, _top, _right, bottom = SIGNATURE_BOX_MM
    pdf.set_xy(left, bottom + 0.5)
    if content.sample:
        pdf.set_font(pdf.body_font, "B", 8)
        pdf.cell(90, 4, "CONTOH: tidak ditandatangani, bukan dokumen resmi")
        return bottom + 5
    pdf.set_font(pdf.body_font, "", 7)
    pdf.cell(CODE_WIDTH_MM, 3.5, "Kode verifikasi", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Courier", "B", 10)
    pdf.cell(CODE_WIDTH_MM, 4.5, content.code.encode("latin-1", "replace").decode("latin-1"))
    return bottom + 0.5 + 3.5 + 4.5


def _signer_lines(pdf: _Document, content: DocumentContent, top: float) -> None:
    """The signer's name (bold) and "NIP. ..." under the stamp, across its width; a long name
    is set smaller until it fits above ``SIGNER_BOTTOM_MM`` (it never runs off the page)."""
    t = pdf.printable
    left, _top, right, _bottom = SIGNATURE_BOX_MM
    width = right - left
    nip = f"NIP. {content.signer_nip}" if content.signer_nip else ""
    name = t(content.signer_name)
    if not name and not nip:
        return
    size = 10.0
    while True:
        height = size * 0.45
        pdf.set_font(pdf.body_font, "B", size)
        lines = cast("list[str]", pdf.multi_cell(width, height, name, dry_run=True, output="LINES"))
        needed = height * (len(lines) if name else 0) + (height if nip else 0)
        if top + 1 + needed <= SIGNER_BOTTOM_MM or size <= 5.5:
            break
        size -= 0.5
    pdf.set_xy(left, top + 1)
    if name:
        pdf.multi_cell(width, height, name, align="L", new_x="LEFT", new_y="NEXT")
    if nip:
        pdf.set_font(pdf.body_font, "", size)
        pdf.cell(width, height, t(nip))


def _signature_block(pdf: _Document, content: DocumentContent) -> None:
    """Date and position above ``SIGNATURE_BOX_MM`` (left for the stamp), the verification
    code, the signer's name and NIP under it, a footer beside it."""
    t = pdf.printable
    left, top, right, _bottom = SIGNATURE_BOX_MM
    position = t(content.printed_position)
    pdf.set_font(pdf.body_font, "", 11)
    # A long position or agency name takes several lines: they all end above the stamp's box.
    lines = cast(
        "list[str]", pdf.multi_cell(right - left, 5, position, dry_run=True, output="LINES")
    )
    start = top - 2 - 6 - 5 * len(lines)
    if pdf.get_y() > start - 2:
        pdf.add_page()
    pdf.set_xy(left, start)
    pdf.cell(right - left, 6, t(f"Ditetapkan pada {indonesian_date(content.issued_on)}"))
    pdf.set_xy(left, start + 6)
    pdf.multi_cell(right - left, 5, position, align="L")
    pdf.set_auto_page_break(auto=False)
    _signer_lines(pdf, content, _code_under_the_qr(pdf, content))
    pdf.set_font(pdf.body_font, "", 8)
    pdf.set_xy(pdf.l_margin, PAGE_HEIGHT_MM - 28)
    footer = (
        "CONTOH tampilan dokumen: tidak ditandatangani dan tidak berlaku."
        if content.sample
        else "Keaslian dokumen dapat diperiksa dengan memindai kode QR atau membuka "
        f"{content.verification_url}"
    )
    pdf.multi_cell(left - pdf.l_margin - 5, 4, align="L", text=t(footer))
