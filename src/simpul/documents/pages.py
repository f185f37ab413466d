"""The public verification pages: ``/{region}/verifikasi`` (a code, the QR's link, or an upload)
and the region's CA certificate for relying parties.

Every answer is a page a bank clerk can read, never an error page: a file that is not a PDF, an
unsigned PDF or one signed by someone else gets a verdict in words. The routes are plain
``def``: pyHanko's validator runs its own event loop, so it must run in a worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from simpul.accounts.auth import PageUser
from simpul.core.database import DbSession
from simpul.core.i18n import _, lazy
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.documents.service import issued_record_lookup
from simpul.documents.verification import (
    code_from_input,
    get_public_document,
    read_region_ca,
)
from simpul.documents.verify import Verification, VerificationStatus, verify_pdf
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

logger = logging.getLogger(__name__)

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: A signed document of a few pages is well under 1 MB; bigger files are refused unread.
MAX_UPLOAD_BYTES: Final = 10 * 1024 * 1024
PEM_MEDIA_TYPE: Final = "application/x-pem-file"
#: How long a typed code may be before it is refused unread (a full QR URL fits easily).
MAX_CODE_INPUT: Final = 300


@dataclass(frozen=True)
class VerdictText:
    """How a verdict reads: a headline, what it means for the reader, and its tone."""

    title: str
    explanation: str
    tone: str  # "ok", "warn" or "bad": a CSS class; the words carry the meaning


#: Translated at render time (the template calls ``_`` with the region's name).
VERDICTS: Final[dict[VerificationStatus, VerdictText]] = {
    VerificationStatus.VALID: VerdictText(
        lazy("Dokumen sah"),
        lazy(
            "Tanda tangan elektronik utuh, dibuat dengan sertifikat %(region)s, dan berkas "
            "tidak diubah sejak ditandatangani. Dokumen ini tercatat dan masih berlaku."
        ),
        "ok",
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


def _page(
    request: Request,
    region: Region,
    *,
    ca_ready: bool,
    verdict: Verification | None = None,
    filename: str = "",
    code_input: str = "",
    code_error: str | None = None,
    upload_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "ca_ready": ca_ready,
        "verdict": verdict,
        "verdict_text": VERDICTS[verdict.status] if verdict else None,
        "statuses": VerificationStatus,
        "filename": filename,
        "code_input": code_input,
        "code_error": code_error,
        "upload_error": upload_error,
        "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return render(request, "documents/verify.html", context, status_code=status)


def _ca(request: Request, region: Region) -> bytes | None:
    return read_region_ca(request.app.state.settings.data_dir, region)


@router.get("/{region}/verifikasi/ca.pem", name="region_ca_certificate")
def ca_certificate(request: Request, region: CurrentRegion) -> Response:
    """The region's CA certificate, the trust root relying parties load into their PDF reader."""
    pem = _ca(request, region)
    if pem is None:
        return PlainTextResponse(
            _("Sertifikat CA wilayah ini belum tersedia: verifikasi dokumen belum disiapkan."),
            status_code=404,
        )
    return Response(
        pem,
        media_type=PEM_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="ca-{region.slug}.pem"'},
    )


@router.get("/{region}/verifikasi", response_class=HTMLResponse, name="verify_document")
def verify_form(
    request: Request, region: CurrentRegion, user: PageUser, kode: str | None = None
) -> Response:
    """The verification page; ``?kode=`` (a code or the QR's link) opens that code's page."""
    ca_ready = _ca(request, region) is not None
    if kode is None or not kode.strip():
        return _page(request, region, ca_ready=ca_ready)
    code = code_from_input(kode[:MAX_CODE_INPUT])
    if code is None:
        return _page(
            request,
            region,
            ca_ready=ca_ready,
            code_input=kode[:MAX_CODE_INPUT],
            code_error=_(
                "Kode verifikasi terdiri atas 22 huruf, angka, tanda hubung (-) atau garis bawah "
                "(_), tercetak di bawah kode QR. Periksa lagi yang Anda ketik."
            ),
            status=422,
        )
    return RedirectResponse(f"/{region.slug}/verifikasi/{code}", status_code=303)


@router.post("/{region}/verifikasi", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Check an uploaded PDF's signature against the region's CA and issued documents."""
    pem = _ca(request, region)
    if pem is None:
        return _page(request, region, ca_ready=False, status=503)
    data = file.file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    if not data:
        return _page(
            request,
            region,
            ca_ready=True,
            upload_error=_("Pilih berkas PDF dokumen yang ingin diperiksa."),
            status=422,
        )
    if len(data) > MAX_UPLOAD_BYTES:
        message = _("Berkas terlalu besar: maksimal %(n)d MB.") % {
            "n": MAX_UPLOAD_BYTES // (1024 * 1024)
        }
        return _page(request, region, ca_ready=True, upload_error=message, status=413)
    try:
        verdict = verify_pdf(data, pem, lookup=issued_record_lookup(session, region))
    except ValueError:
        # The published ca.pem is damaged: an operator's problem, not the visitor's.
        logger.exception("the CA certificate of region %s cannot be read", region.slug)
        return _page(request, region, ca_ready=False, status=503)
    return _page(request, region, ca_ready=True, verdict=verdict, filename=filename)


@router.get("/{region}/verifikasi/{code}", response_class=HTMLResponse, name="verify_code")
def verify_code(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, code: str
) -> HTMLResponse:
    """What the QR code opens: the record of the document with this code, or "unknown"."""
    document = get_public_document(session, region, code)
    return render(
        request,
        "documents/code.html",
        {
            "document": document,
            "ca_ready": _ca(request, region) is not None,
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        },
        status_code=200 if document else 404,
    )
