"""The applications domain's public API for other domains (documents; notify, for the
notices it delivers).

Other domains import only this module (and learn what happens through
``simpul.core.events``); the pages and routes of applications use its own modules directly.
Functions flush at most, never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import access, listing, repository
from simpul.applications.answers import answers_for_document, answers_in_full, personal_fields_of
from simpul.applications.display import Answer, describe
from simpul.applications.files import content_disposition
from simpul.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Document,
    Notification,
    Task,
)
from simpul.applications.notices import (
    ACCOUNT_TEXTS,
    OTHER_TEXTS,
    NoticeText,
    link_of,
    notify_user,
    register_notice_texts,
    text_of,
)
from simpul.applications.submission import calendar_for
from simpul.applications.workflow import read_application
from simpul.catalogue.models import Agency, Service
from simpul.core import file_removals
from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region

__all__ = [
    "ACCOUNT_TEXTS",
    "OTHER_TEXTS",
    "Application",
    "Document",
    "DocumentSubject",
    "ExportedApplication",
    "NoticeText",
    "Notification",
    "agency_of_application",
    "answers_for_document",
    "applications_of_applicant",
    "applications_of_user_for_export",
    "calendar_for",
    "content_disposition",
    "current_documents",
    "describe",
    "document_subject",
    "events_of",
    "is_completed",
    "link_of",
    "notify_user",
    "personal_fields_of",
    "read_application",
    "readable_application",
    "register_notice_texts",
    "service_of",
    "task_in_region",
    "text_of",
    "visible_application_rows",
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


# -- reads for the domain's own routes (routes call services, never the repository) ---------


def applications_of_applicant(
    session: Session, region: Region, applicant: User, *, limit: int, offset: int
) -> tuple[Sequence[Application], int]:
    """The citizen's own applications, newest first, and how many there are."""
    return repository.list_applications_of_applicant(
        session, region.id, applicant.id, limit=limit, offset=offset
    )


def visible_application_rows(
    session: Session,
    region: Region,
    user: User,
    *,
    limit: int,
    offset: int = 0,
    cursor: str | None = None,
) -> tuple[list[repository.ApplicationListRow], str | None]:
    """A citizen's own applications, or an officer's: those of their agencies' services,
    newest first, a page at a time; with the cursor of the next page (None on the last)."""
    roles = access.agency_roles(user)
    page = listing.keyset(
        "files", cursor, field="cursor", limit=limit, offset=offset, descending=True
    )
    found, _count = repository.list_application_rows(
        session,
        region.id,
        applicant_id=None if roles else user.id,
        agency_ids=sorted({agency for agency, _role in roles}) if roles else None,
        service_id=None,
        page=page,
    )
    return found.rows, listing.cursor_after("files", found.next_after, descending=True)


def service_of(session: Session, application: Application) -> Service:
    return repository.get_service_of(session, application)


def current_documents(session: Session, application_id: uuid.UUID) -> Sequence[Document]:
    """The uploaded documents the application holds now (not those replaced)."""
    return repository.current_documents(session, application_id)


def events_of(session: Session, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
    """The application's history, oldest first."""
    return repository.list_events(session, application_id)


def task_in_region(session: Session, region: Region, task_id: uuid.UUID) -> Task | None:
    return repository.get_task(session, region.id, task_id)


# -- the citizen's data export (UU PDP, hak akses; identity.rights) -------------------------


@dataclass(frozen=True)
class ExportedApplication:
    """One application as its applicant is entitled to it: the answers in full (decrypted:
    they are the applicant's own), each under its question, the history as the applicant's
    page shows it, and the files they uploaded. Officers' internal data (``officer_data``,
    task notes, who a task was handed to and why) is not part of it."""

    application: Application
    service: Service
    answers: dict[str, Any]
    described: list[Answer]
    events: list[ApplicationEvent]
    documents: list[Document]


def _as_applicant_sees(event: ApplicationEvent) -> ApplicationEvent:
    """The event with the note an applicant does not see (the reason of a hand-over) blanked;
    a detached copy, so nothing is written back."""
    note = "" if event.action == "assign" else event.note
    return ApplicationEvent(
        id=event.id,
        region_id=event.region_id,
        application_id=event.application_id,
        at=event.at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        from_status=event.from_status,
        to_status=event.to_status,
        step=event.step,
        note=note,
    )


def applications_of_user_for_export(
    session: Session, region: Region, user: User, *, with_answers: bool = True
) -> tuple[list[ExportedApplication], list[Document]]:
    """Every application of the user (drafts too), oldest first, and the files they uploaded
    that belong to no application (uploaded through the API, not attached yet).
    ``with_answers=False`` leaves the answers out (not decrypted: the "who saw my data"
    page needs only the numbers)."""
    applications = repository.list_all_applications_of_applicant(session, region.id, user.id)
    ids = [a.id for a in applications]
    events: dict[uuid.UUID, list[ApplicationEvent]] = {}
    for event in repository.list_events_of_applications(session, region.id, ids) if ids else ():
        events.setdefault(event.application_id, []).append(_as_applicant_sees(event))
    documents: dict[uuid.UUID | None, list[Document]] = {}
    for document in repository.list_documents_of_owner(session, region.id, user.id):
        documents.setdefault(document.application_id, []).append(document)
    services: dict[uuid.UUID, Service] = {}
    exported = []
    for application in applications:
        service = services.get(application.service_id)
        if service is None:
            service = services[application.service_id] = repository.get_service_of(
                session, application
            )
        answers = answers_in_full(application) if with_answers else {}
        exported.append(
            ExportedApplication(
                application,
                service,
                answers,
                describe((service.eform or {}).get("schema", {}), answers) if with_answers else [],
                events.get(application.id, []),
                documents.get(application.id, []),
            )
        )
    return exported, documents.get(None, [])


# -- erasure of a closed account (identity.closure, UU PDP Pasal 43) -----------------------


@dataclass(frozen=True)
class ApplicationErasure:
    """What closing an account did to its applications."""

    #: Completed applications kept whole (answers, uploads) for the archive.
    kept: list[Application]
    #: Applications whose answers were erased now (the record of the service stays).
    erased: list[Application]
    uploads_deleted: int
    notifications_deleted: int


def erase_applicant(
    session: Session,
    region_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    keep_completed: bool = True,
) -> ApplicationErasure:
    """Erase what the law does not require the region to keep of a closing account's
    applications: a completed application (its product was issued) stays whole as the
    archive's file; every other one keeps only its record (number, service, status, dates,
    history) and loses its answers, looked-up identifiers and uploads (their files are
    removed crash-safely after commit through ``core.file_removals``). Uploads never
    attached are deleted; in-app notifications (and their deliveries) are deleted. The
    history (``application_event``) is append-only and stays as it was: it is part of the
    record the law keeps. ``keep_completed=False`` (the retention purge, once the archive's
    period has passed) erases completed ones too."""
    applications = repository.applications_of_applicant_for_update(session, region_id, user_id)
    kept = [a for a in applications if keep_completed and a.status is ApplicationStatus.COMPLETED]
    erased = [
        a
        for a in applications
        if a not in kept and (a.data or a.data_encrypted or a.application_name)
    ]
    kept_ids = {a.id for a in kept}
    for application in erased:
        application.data = {}
        application.data_encrypted = None
        application.application_name = ""
    repository.delete_identifiers_of(session, [a.id for a in applications if a.id not in kept_ids])
    documents = [
        d
        for d in repository.documents_of_owner(session, region_id, user_id)
        if d.application_id not in kept_ids
    ]
    repository.delete_documents_by_id(session, [d.id for d in documents])
    file_removals.queue_removals(session, [d.storage_key for d in documents])
    deleted = repository.delete_notifications_of_user(session, region_id, user_id)
    session.flush()
    return ApplicationErasure(kept, erased, len(documents), deleted)


def applications_of_closed(
    session: Session, region_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> Sequence[Application]:
    """The applications left of closed accounts (for the retention purge)."""
    return repository.applications_of_applicants(session, region_id, user_ids) if user_ids else []


@dataclass(frozen=True)
class ApplicationInScope:
    applicant_id: uuid.UUID
    service_id: uuid.UUID
    has_answers: bool
    has_uploads: bool


def applications_in_scope(
    session: Session,
    region: Region,
    *,
    service_ids: Sequence[uuid.UUID] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[ApplicationInScope]:
    """Who applied, for what, with which kinds of data (a breach's scope)."""
    rows = repository.applicant_ids_in_scope(
        session, region.id, service_ids=service_ids, since=since, until=until
    )
    return [ApplicationInScope(*row) for row in rows]
