"""Every query of the notification outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.models import Notification
from simpul.core.kit.queries import get_in_region
from simpul.core.models import Region
from simpul.core.queue import Queue
from simpul.notify.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    NotificationPreference,
)

#: PostgreSQL NOTIFY channel that wakes the workers when deliveries are queued.
OUTBOX_CHANNEL: Final = "simpul_outbox"

#: The outbox as a job queue (``simpul.core.queue``): a delivery waits while ``pending`` or
#: ``failed``, is held by a worker while ``sending``, and is ``dead`` once given up.
DELIVERIES: Final = Queue(
    Delivery,
    channel=OUTBOX_CHANNEL,
    waiting=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
    working=DeliveryStatus.SENDING,
    retry=DeliveryStatus.FAILED,
    dead=DeliveryStatus.DEAD,
)


def add(session: Session, row: object) -> None:
    session.add(row)


def wake_workers(session: Session) -> None:
    """Tell listening workers there is work; PostgreSQL sends it only if the transaction commits."""
    DELIVERIES.wake(session)


def get_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    return get_in_region(session, User, region_id, user_id)


def get_region(session: Session, region_id: uuid.UUID) -> Region | None:
    return session.get(Region, region_id)


def get_notification(session: Session, notification_id: uuid.UUID) -> Notification | None:
    return session.get(Notification, notification_id)


def preferences_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> dict[Channel, bool]:
    """The user's explicit choices; channels without a row are absent (their default applies)."""
    rows = session.scalars(
        select(NotificationPreference).where(
            NotificationPreference.region_id == region_id,
            NotificationPreference.user_id == user_id,
        )
    )
    return {row.channel: row.enabled for row in rows}


def set_preference(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, channel: Channel, *, enabled: bool
) -> None:
    statement = insert(NotificationPreference).values(
        id=uuid.uuid4(), region_id=region_id, user_id=user_id, channel=channel, enabled=enabled
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "channel"],
            set_={"enabled": enabled, "updated_at": text("now()")},
        )
    )


def claim_due(session: Session, now: datetime, limit: int) -> Sequence[Delivery]:
    """Due deliveries nobody else holds, locked until the caller's transaction ends (a
    ``sending`` row is due once its worker's lease has run out)."""
    return DELIVERIES.claim(session, now, limit)


def held(session: Session, delivery_id: uuid.UUID, attempt: int) -> Delivery | None:
    """The delivery, locked, unless another worker has taken it over since attempt
    ``attempt`` began (its lease ran out)."""
    return DELIVERIES.held(session, delivery_id, attempt)


def deliveries_for_application(
    session: Session, region_id: uuid.UUID, application_id: uuid.UUID
) -> Sequence[tuple[Delivery, Notification]]:
    """The delivery log of one application, newest first (for officers)."""
    rows = session.execute(
        select(Delivery, Notification)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.region_id == region_id, Notification.application_id == application_id)
        .order_by(Delivery.created_at.desc(), Delivery.channel)
    )
    return [(row[0], row[1]) for row in rows]


def attempts_of(
    session: Session, region_id: uuid.UUID, delivery_ids: Sequence[uuid.UUID]
) -> Sequence[DeliveryAttempt]:
    return session.scalars(
        select(DeliveryAttempt)
        .where(
            DeliveryAttempt.region_id == region_id,
            DeliveryAttempt.delivery_id.in_(delivery_ids),
        )
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number, DeliveryAttempt.at)
    ).all()


def delivery_by_provider_id(
    session: Session, region_id: uuid.UUID, channel: Channel, provider_message_id: str
) -> Delivery | None:
    """The region's delivery the provider knows by this id, locked (a status callback of
    another region's message finds nothing here)."""
    return session.scalars(
        select(Delivery)
        .where(
            Delivery.region_id == region_id,
            Delivery.channel == channel,
            Delivery.provider_message_id == provider_message_id,
        )
        .with_for_update()
    ).first()


def notifications_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, *, limit: int
) -> Sequence[Notification]:
    """The user's newest notifications, unread and read."""
    return session.scalars(
        select(Notification)
        .where(Notification.region_id == region_id, Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id)
        .limit(limit)
    ).all()


def count_unread(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """One count on ``ix_notification_user_unread`` (user_id, read_at): what the bell shows."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.read_at.is_(None),
                Notification.region_id == region_id,
            )
        )
        or 0
    )


def mark_read(
    session: Session,
    region_id: uuid.UUID,
    user_id: uuid.UUID,
    now: datetime,
    notification_id: uuid.UUID | None = None,
) -> int:
    """Mark the user's unread notifications read (only ``notification_id``, if given); how
    many changed. Another user's notification is never touched."""
    statement = update(Notification).where(
        Notification.region_id == region_id,
        Notification.user_id == user_id,
        Notification.read_at.is_(None),
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    result = session.execute(
        statement.values(read_at=now), execution_options={"synchronize_session": False}
    )
    return int(getattr(result, "rowcount", 0) or 0)


def notification_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return session.scalars(
        select(Notification).where(
            Notification.region_id == region_id,
            Notification.user_id == user_id,
            Notification.id == notification_id,
        )
    ).first()


def all_notifications_of(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[Notification]:
    """Every notification of the user, oldest first (their data export)."""
    return session.scalars(
        select(Notification)
        .where(Notification.region_id == region_id, Notification.user_id == user_id)
        .order_by(Notification.created_at, Notification.id)
    ).all()


def deliveries_of_user(
    session: Session, region_id: uuid.UUID, user_id: uuid.UUID
) -> Sequence[Delivery]:
    """Every delivery addressed to the user, oldest first (their data export)."""
    return session.scalars(
        select(Delivery)
        .where(Delivery.region_id == region_id, Delivery.user_id == user_id)
        .order_by(Delivery.created_at, Delivery.id)
    ).all()


def forget_user(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Delete the user's deliveries (their addresses) and channel choices; returns how many
    deliveries."""
    result = session.execute(
        delete(Delivery).where(Delivery.region_id == region_id, Delivery.user_id == user_id)
    )
    session.execute(
        delete(NotificationPreference).where(
            NotificationPreference.region_id == region_id,
            NotificationPreference.user_id == user_id,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
