"""What applications does when documents tell it something happened (``simpul.core.events``):
the history records it and the applicant is told, in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from simpul.applications import repository
from simpul.applications.notices import notify_applicant
from simpul.applications.submission import record_event
from simpul.core import events


def record_document_issued(session: Session, event: events.DocumentIssued) -> None:
    application = repository.get_application(session, event.region_id, event.application_id)
    if application is None:
        raise LookupError("the application is gone")
    record_event(
        session,
        application,
        actor=None,
        actor_label=event.signer_name,
        action="document_issued",
        from_status=application.status,
        note=event.number,
    )
    notify_applicant(session, application, "document_issued", document=event.number)


def record_document_revoked(session: Session, event: events.DocumentRevoked) -> None:
    application = repository.get_application(session, event.region_id, event.application_id)
    if application is None:
        return
    record_event(
        session,
        application,
        actor=None,
        actor_label=event.actor_label,
        action="document_revoked",
        from_status=application.status,
        note=event.reason,
    )
    notify_applicant(
        session, application, "document_revoked", document=event.number, note=event.reason
    )


def subscribe(registry: events.Registry) -> None:
    registry.subscribe(events.DocumentIssued, record_document_issued)
    registry.subscribe(events.DocumentRevoked, record_document_revoked)
