"""What the savings ledger does when applications tell it something happened
(``simpul.core.events``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from simpul.core import events
from simpul.evaluation.savings import ledger, repository


def record_savings_of_completed(session: Session, event: events.ApplicationCompleted) -> None:
    """What the offline path would have cost, at today's rates, in the approval's transaction."""
    application = repository.get_application(session, event.region_id, event.application_id)
    if application is not None:
        ledger.record_completion(session, application)


def subscribe(registry: events.Registry) -> None:
    registry.subscribe(events.ApplicationCompleted, record_savings_of_completed)
