"""What notify does when another domain tells it something happened (``simpul.core.events``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from simpul.core import events
from simpul.notify import repository
from simpul.notify.models import Channel
from simpul.notify.outbox import enqueue_for_notification


def queue_deliveries(session: Session, event: events.NotificationCreated) -> None:
    """Queue the new notification's deliveries to its reader's channels (e-mail only for an
    account's security notices), in the transaction that wrote it."""
    notification = repository.get_notification(session, event.notification_id)
    if notification is None:
        raise LookupError("the notification is gone")
    if event.channel:
        enqueue_for_notification(
            session,
            notification,
            channels=(Channel(event.channel),),
            recipient=event.recipient or None,
        )
        return
    enqueue_for_notification(
        session, notification, channels=(Channel.EMAIL,) if event.email_only else None
    )


def subscribe(registry: events.Registry) -> None:
    registry.subscribe(events.NotificationCreated, queue_deliveries)
