"""Citizens' documents: uploading ahead of a submission, and downloading with accountability.

Used by the GovStack Registration API (``/documents``) and the web pages alike. A citizen
downloads their own files freely; an officer of the agency responsible for the application a
file belongs to may download it too, and every such download is recorded as a
``DocumentAccess`` row (UU 27/2022 PDP: who opened which personal document, when). Anyone
else is told the document does not exist.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import IO, Final

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications import access, repository, submission, upload_limits
from simpul.applications.files import StoredFile, content_disposition, safe_filename
from simpul.applications.models import ApplicationStatus, Document, DocumentAccess
from simpul.applications.uploads import UploadRules
from simpul.core.errors import Forbidden, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.core.storage import ChunkStream, Storage, StorageNotFound

log = logging.getLogger(__name__)

#: Files one upload request may carry (a service asks for a handful of documents).
MAX_FILES_PER_UPLOAD: Final = 10


def upload_documents(
    session: Session,
    region: Region,
    storage: Storage,
    owner: User,
    files: Sequence[tuple[IO[bytes], str]],
    *,
    rules: UploadRules,
    address: str,
) -> list[Document]:
    """Check and store a citizen's files (stream, file name) as documents not yet attached.

    Counted against the upload rates, checked (413/415/422 from ``files``), then the quota
    (``upload_limits``); when one fails nothing of this request is stored or recorded.
    Documents not attached within ``rules.unattached_hours`` are deleted by ``simpul worker``.
    """
    if owner.kind is not AccountKind.CITIZEN:
        raise Forbidden(_("Dokumen persyaratan diunggah dengan akun warga."))
    if not 1 <= len(files) <= MAX_FILES_PER_UPLOAD:
        raise InvalidInput(
            _("Kirim 1 sampai %(max)d berkas sekaligus.") % {"max": MAX_FILES_PER_UPLOAD},
            details=[{"field": "file", "message": _("Jumlah berkas tidak sesuai.")}],
        )

    def record(stored: StoredFile, filename: str) -> Document:
        name = safe_filename(filename, content_type=stored.content_type)
        return submission.upload_unattached(session, region, owner, stored, name)

    return upload_limits.receive_citizen_files(
        session, region, owner, files, storage=storage, rules=rules, address=address, record=record
    )


def upload_for_requirement(
    session: Session,
    region: Region,
    storage: Storage,
    applicant: User,
    application_id: uuid.UUID,
    requirement_code: str,
    upload: tuple[IO[bytes], str],
    *,
    rules: UploadRules,
    address: str,
) -> Document:
    """Upload a file for one requirement of the applicant's draft (or returned) application."""

    def record(stored: StoredFile, filename: str) -> Document:
        return submission.attach_document(
            session, region, applicant, application_id, requirement_code, stored, filename
        )

    (document,) = upload_limits.receive_citizen_files(
        session,
        region,
        applicant,
        [upload],
        storage=storage,
        rules=rules,
        address=address,
        record=record,
    )
    return document


def open_document(
    session: Session, region: Region, storage: Storage, user: User, document_id: uuid.UUID
) -> tuple[Document, ChunkStream]:
    """Start a download for the document's owner or a responsible officer; 404 for anyone else.

    An officer's download is recorded (``DocumentAccess``) in the caller's transaction. The
    stream is open when this returns: hand it to a ``StreamingResponse`` (or close it).
    """
    document = repository.get_document(session, region.id, document_id)
    if document is None:
        raise NotFound(_("Dokumen tidak ditemukan."))
    officer_read = document.owner_id != user.id
    if officer_read and not _officer_may_read(session, user, document):
        raise NotFound(_("Dokumen tidak ditemukan."))
    try:
        stream = storage.open(document.storage_key)
    except StorageNotFound:
        stream = None
    if stream is None:
        # The database knows the file but the storage lost it: an operator must look.
        log.error("document %s is missing from the storage", document.id)
        raise NotFound(_("Dokumen tidak ditemukan."))
    if officer_read:
        repository.add_document_access(
            session,
            DocumentAccess(
                region_id=region.id,
                document_id=document.id,
                application_id=document.application_id,
                user_id=user.id,
            ),
        )
    return document, stream


def _officer_may_read(session: Session, user: User, document: Document) -> bool:
    """An officer of the agency of the application the document is part of (once submitted)."""
    if document.application_id is None:
        return False
    application = repository.get_application(session, document.region_id, document.application_id)
    if application is None or application.status is ApplicationStatus.DRAFT:
        return False
    service = repository.get_service_of(session, application)
    return application.applicant_id != user.id and access.can_read(user, application, service)


def download_headers(document: Document) -> dict[str, str]:
    """Headers of a document download: a safe file name, its size, and no caching."""
    name = safe_filename(document.filename, content_type=document.content_type)
    return {
        "Content-Disposition": content_disposition(name),
        "Content-Length": str(document.size),
        "Cache-Control": "private, no-store",
    }
