"""The public verification pages: ``/{region}/verifikasi`` (a code, the QR's link, or an upload)
and the region's CA certificate for relying parties.

Every answer is a page a bank clerk can read, never an error page: a file that is not a PDF, an
unsigned PDF, one signed by someone else or one that is not the issued document gets a verdict
in words (``verification.check_document``, shared with the API and the CLI). Lookups are
rate-limited per source address (``throttle``). The routes are plain ``def``: pyHanko's
validator runs its own event loop, so it must run in a worker thread.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from simpul.accounts.auth import PageUser
from simpul.core.database import DbSession
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.regions import CurrentRegion
from simpul.documents import codes
from simpul.documents.throttle import limit_lookups
from simpul.documents.verification import (
    MAX_UPLOAD_BYTES,
    VERDICTS,
    DocumentCheck,
    check_document,
    get_public_document,
    read_region_ca,
)
from simpul.documents.verify import VerificationStatus
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

logger = logging.getLogger(__name__)

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

PEM_MEDIA_TYPE: Final = "application/x-pem-file"
#: How long a typed code may be before it is refused unread (a full QR URL fits easily).
MAX_CODE_INPUT: Final = 300


def _page(
    request: Request,
    region: Region,
    *,
    ca_ready: bool,
    check: DocumentCheck | None = None,
    filename: str = "",
    code_input: str = "",
    code_error: str | None = None,
    upload_error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "ca_ready": ca_ready,
        "verdict": check.verification if check else None,
        "record": check.document if check else None,
        "verdict_text": VERDICTS[check.verification.status] if check else None,
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
    code = codes.from_input(kode[:MAX_CODE_INPUT])
    if code is None:
        return _page(
            request,
            region,
            ca_ready=ca_ready,
            code_input=kode[:MAX_CODE_INPUT],
            code_error=_(
                "Kode verifikasi terdiri atas 16 huruf dan angka dalam empat kelompok, misalnya "
                "K7QM-3XH2-9TFA-WP4D, tercetak di bawah kode QR. Periksa lagi yang Anda ketik."
            ),
            status=422,
        )
    return RedirectResponse(f"/{region.slug}/verifikasi/{code}", status_code=303)


@router.post(
    "/{region}/verifikasi", response_class=HTMLResponse, dependencies=[Depends(limit_lookups)]
)
def verify_upload(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    user: PageUser,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Is the uploaded PDF the document the region issued under the code it carries?"""
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
        check = check_document(session, region, data, pem)
    except ValueError:
        # The published ca.pem is damaged: an operator's problem, not the visitor's.
        logger.exception("the CA certificate of region %s cannot be read", region.slug)
        return _page(request, region, ca_ready=False, status=503)
    return _page(request, region, ca_ready=True, check=check, filename=filename)


@router.get(
    "/{region}/verifikasi/{code}",
    response_class=HTMLResponse,
    name="verify_code",
    dependencies=[Depends(limit_lookups)],
)
def verify_code(
    request: Request, region: CurrentRegion, session: DbSession, user: PageUser, code: str
) -> HTMLResponse:
    """What the QR code opens: whose document the code belongs to (to compare with the paper in
    the reader's hand) and whether it is still in force, or "unknown"."""
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
