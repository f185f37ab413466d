"""What people do with notifications: citizens choose channels, officers read the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import service as applications_service
from simpul.core.models import Region
from simpul.notify import repository
from simpul.notify.config import NotifyConfig, notify_config
from simpul.notify.models import Channel, Delivery, DeliveryAttempt
from simpul.notify.outbox import channels_for, set_channel


@dataclass(frozen=True)
class ChannelChoice:
    channel: Channel
    #: Where it goes, shown so the citizen knows (their e-mail address or phone number).
    address: str
    enabled: bool


def channel_choices(
    session: Session, user: User, config: NotifyConfig | None = None
) -> list[ChannelChoice]:
    """The channels this deployment offers the user, and whether each is on."""
    config = config or notify_config()
    chosen = channels_for(session, user, config)
    choices = [ChannelChoice(Channel.EMAIL, user.email, chosen[Channel.EMAIL])]
    if config.webhook_url is not None:
        choices.append(ChannelChoice(Channel.WEBHOOK, user.phone, chosen[Channel.WEBHOOK]))
    return choices


def save_channel_choices(
    session: Session,
    region: Region,
    user: User,
    enabled: Collection[str],
    config: NotifyConfig | None = None,
) -> None:
    """Turn each offered channel on if it is in ``enabled``, off otherwise."""
    for choice in channel_choices(session, user, config):
        set_channel(session, region, user, choice.channel.value, enabled=choice.channel in enabled)


@dataclass(frozen=True)
class DeliveryLogEntry:
    delivery: Delivery
    #: The notification as the officer reads it (in their language).
    text: str
    attempts: Sequence[DeliveryAttempt]


def delivery_log(
    session: Session, region: Region, officer: User, application_id: uuid.UUID
) -> list[DeliveryLogEntry]:
    """How the applicant was told about one application, for an officer who may read it
    (anyone else gets 404, as for the application itself; the read is audited)."""
    applications_service.read_application(session, region, officer, application_id)
    rows = repository.deliveries_for_application(session, region.id, application_id)
    attempts = repository.attempts_of(session, region.id, [d.id for d, _ in rows])
    by_delivery: dict[uuid.UUID, list[DeliveryAttempt]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
    return [
        DeliveryLogEntry(
            delivery, applications_service.text_of(notice), by_delivery.get(delivery.id, [])
        )
        for delivery, notice in rows
    ]
