"""Every query of the notification outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import select, text
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
