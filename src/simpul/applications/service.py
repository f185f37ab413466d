"""The applications domain's public API for other domains (documents; notify, for the
notices it delivers).

Other domains import only this module (and learn what happens through
``simpul.core.events``); the pages and routes of applications use its own modules directly.
Functions flush at most, never commit.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import access, repository
from simpul.applications.answers import answers_for_document
from simpul.applications.display import describe
from simpul.applications.files import content_disposition
from simpul.applications.models import Application, ApplicationStatus, Notification
from simpul.applications.notices import ACCOUNT_TEXTS, text_of
from simpul.applications.workflow import read_application
from simpul.catalogue.models import Agency, Service
from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region

__all__ = [
    "ACCOUNT_TEXTS",
    "Application",
    "DocumentSubject",
    "Notification",
    "agency_of_application",
    "answers_for_document",
    "content_disposition",
    "describe",
    "document_subject",
    "is_completed",
    "read_application",
    "readable_application",
    "text_of",
]

#: What a document is made from: the region, application, service, agency, applicant.
DocumentSubject = tuple[Region, Application, Service, Agency, User]


def readable_application(
    session: Session,
    region: Region,
    user: User,
    application_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> tuple[Application, Service]:
    """The application and its service for its applicant or a responsible officer; 404 for
    anyone else (``access.can_read``)."""
    application = repository.get_application(
        session, region.id, application_id, for_update=for_update
    )
    if application is None:
        raise NotFound(_("Permohonan tidak ditemukan."))
    service = repository.get_service_of(session, application)
    if not access.can_read(user, application, service):
        raise NotFound(_("Permohonan tidak ditemukan."))
    return application, service


def is_completed(application: Application) -> bool:
    return application.status is ApplicationStatus.COMPLETED


def agency_of_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Agency | None:
    """The agency responsible for the application's service."""
    return repository.get_agency_of_application(session, region_id, application_id)


def document_subject(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> DocumentSubject | None:
    """What the application's document is made from (None: the application is gone)."""
    return repository.get_document_subject(session, region_id, application_id)
