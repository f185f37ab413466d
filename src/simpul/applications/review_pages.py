"""Officers' inline previews of a citizen's documents: an image, or a PDF page as a PNG.

Every request is a recorded view (``DocumentAccess`` and an audit event). The responses carry
their own strict policy: shown inline, never sniffed, no script and no subresource, sandboxed
even if opened on their own.
"""

from __future__ import annotations

import uuid
from typing import Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from simpul.accounts.auth import CurrentPageStaff
from simpul.applications import checks
from simpul.applications.files import content_disposition
from simpul.applications.uploads import AppStorage
from simpul.core.database import DbSession
from simpul.core.regions import CurrentRegion
from simpul.web.csrf import csrf_protect
from simpul.web.routing import CommittingRoute
from simpul.web.templating import render

router = APIRouter(
    route_class=CommittingRoute, include_in_schema=False, dependencies=[Depends(csrf_protect)]
)

#: A preview is an image and nothing else: no script, style, frame or form, even on its own.
PREVIEW_CSP: Final = "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'self'"


@router.get("/{region}/petugas/dokumen/{document_id}/pratinjau/{page}", name="document_preview")
def document_preview(
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    storage: AppStorage,
    document_id: uuid.UUID,
    page: int,
) -> Response:
    """One page of the document as an image, for the task page's inline preview."""
    preview = checks.preview_document(session, region, storage, officer, document_id, page)
    extension = ".png" if preview.content_type == "image/png" else ".jpg"
    return Response(
        preview.body,
        media_type=preview.content_type,
        headers={
            "Content-Disposition": content_disposition(f"pratinjau-{page}{extension}", inline=True),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": PREVIEW_CSP,
            "Cache-Control": "private, no-store",
            "X-Page-Count": str(preview.pages),
        },
    )


@router.get(
    "/{region}/petugas/dokumen/{document_id}/lihat",
    response_class=HTMLResponse,
    name="document_viewer",
)
def document_viewer(
    request: Request,
    region: CurrentRegion,
    session: DbSession,
    officer: CurrentPageStaff,
    storage: AppStorage,
    document_id: uuid.UUID,
    halaman: int = 1,
) -> HTMLResponse:
    """A PDF page by page (the page drawn into the HTML, so one request is one view)."""
    preview = checks.preview_document(session, region, storage, officer, document_id, halaman)
    page = render(request, "applications/document_viewer.html", {"preview": preview})
    page.headers["Cache-Control"] = "private, no-store"
    return page
