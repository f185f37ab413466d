"""The document verification API: what the public page answers, as JSON, for scripts of banks
and other agencies.

``GET /api/{region}/documents/{code}`` gives a code's public record (as the QR code's page
shows it); ``POST /api/{region}/documents/verify`` (multipart, field ``file``) checks a PDF
with ``verification.check_document``, the same function the page and ``simpul doc verify``
use. Both are public and rate-limited per source address (429 with ``Retry-After``). The
routes are plain ``def``: pyHanko's validator runs its own event loop.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile

from simpul.core.database import DbSession
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.regions import CurrentRegion
from simpul.documents.schemas import (
    IssuedDocumentOut,
    VerificationOut,
    issued_document_out,
)
from simpul.documents.throttle import limit_lookups
from simpul.documents.verification import (
    MAX_UPLOAD_BYTES,
    FileTooLarge,
    VerificationNotReady,
    check_document,
    get_public_document,
    read_region_ca,
    verdict_words,
)
from simpul.web.routing import CommittingRoute

logger = logging.getLogger(__name__)

router = APIRouter(
    prefix="/api/{region}",
    tags=["documents"],
    route_class=CommittingRoute,
    dependencies=[Depends(limit_lookups)],
)


@router.get("/documents/{code}", response_model=IssuedDocumentOut)
def get_issued_document(region: CurrentRegion, session: DbSession, code: str) -> IssuedDocumentOut:
    """The public record of the region's document with this verification code.

    The code may be typed in any case, with or without dashes and spaces. 404 when the region
    issued no such code. What a printed document can be compared with; to check a PDF, post it
    to `/documents/verify`.
    """
    document = get_public_document(session, region, code)
    if document is None:
        raise NotFound(_("Dokumen dengan kode itu tidak diterbitkan wilayah ini."))
    return issued_document_out(document)


@router.post("/documents/verify", response_model=VerificationOut)
def verify_document(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    file: Annotated[UploadFile | None, File(description="The PDF to check.")] = None,
) -> VerificationOut:
    """Is this PDF the document the region issued under the code it carries?

    Always 200 with a verdict for any file (`accepted` is true only for `valid`); 422 without
    a file, 413 above 10 MB, 503 while the region has not published its CA certificate.
    """
    data = file.file.read(MAX_UPLOAD_BYTES + 1) if file is not None else b""
    if not data:
        message = _("Pilih berkas PDF dokumen yang ingin diperiksa.")
        raise InvalidInput(message, details=[{"field": "file", "message": message}])
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileTooLarge(
            _("Berkas terlalu besar: maksimal %(n)d MB.") % {"n": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    not_ready = VerificationNotReady(
        _("Verifikasi berkas belum disiapkan: wilayah ini belum menerbitkan sertifikat CA.")
    )
    pem = read_region_ca(request.app.state.settings.data_dir, region)
    if pem is None:
        raise not_ready
    try:
        check = check_document(session, region, data, pem)
    except ValueError:
        logger.exception("the CA certificate of region %s cannot be read", region.slug)
        raise not_ready from None
    verdict = check.verification
    title, explanation = verdict_words(verdict.status, region.name)
    return VerificationOut(
        status=verdict.status,
        title=title,
        explanation=explanation,
        accepted=verdict.accepted,
        signer=verdict.signer_name,
        signing_time=verdict.signing_time,
        number=verdict.number,
        code=verdict.code,
        sha256=verdict.sha256,
        signer_fingerprint=verdict.signer_fingerprint,
        document=issued_document_out(check.document) if check.document else None,
    )
