"""The HTTP answer that hands out an application's issued PDF (the page and the API share it)."""

from __future__ import annotations

import uuid

from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.models import Region
from simpul.core.storage import Storage
from simpul.documents import service


def issued_pdf(
    session: Session, region: Region, storage: Storage, user: User, application_id: uuid.UUID
) -> StreamingResponse:
    """The signed PDF for its owner or a responsible officer (audited); 404 for anyone else."""
    document, stream = service.open_issued_document(session, region, storage, user, application_id)
    return StreamingResponse(
        stream, media_type="application/pdf", headers=service.download_headers(document)
    )
