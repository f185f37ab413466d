"""What people do with notifications: citizens choose channels, officers read the delivery log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from simpul.accounts import service as accounts_service
from simpul.accounts.models import User
from simpul.applications import service as applications_service
from simpul.core.errors import InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
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
    if config.whatsapp is not None:
        choices.append(ChannelChoice(Channel.WHATSAPP, user.phone, chosen[Channel.WHATSAPP]))
    if config.webhook_url is not None:
        choices.append(ChannelChoice(Channel.WEBHOOK, user.phone, chosen[Channel.WEBHOOK]))
    return choices


def save_channel_choices(
    session: Session,
    region: Region,
    user: User,
    enabled: Collection[str],
    config: NotifyConfig | None = None,
    *,
    phone: str | None = None,
) -> None:
    """Turn each offered channel on if it is in ``enabled``, off otherwise. ``phone`` (when
    the form has the field) becomes the account's number first; WhatsApp needs one. Checks
    everything before changing anything."""
    config = config or notify_config()
    offered = channel_choices(session, user, config)
    unknown = set(enabled) - {choice.channel.value for choice in offered}
    if unknown:
        raise InvalidInput(
            _("Saluran pemberitahuan tidak dikenal."),
            details=[{"field": "channel", "message": _("Pilih e-mail atau pesan.")}],
        )
    number = user.phone
    if phone is not None:
        number = ""
        if phone.strip():
            try:
                number = accounts_service.normalise_phone(phone)
            except ValueError as exc:
                raise InvalidInput(
                    _("Nomor WhatsApp tidak valid."),
                    details=[{"field": "phone", "message": str(exc)}],
                ) from None
    if Channel.WHATSAPP.value in enabled and not number:
        raise InvalidInput(
            _("Isi nomor WhatsApp Anda."),
            details=[
                {
                    "field": "phone",
                    "message": _("Isi nomor WhatsApp untuk menerima kabar lewat WhatsApp."),
                }
            ],
        )
    if number != user.phone:
        user.phone_verified_at = None  # a number typed here was never proved
    user.phone = number
    for choice in offered:
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


# The in-app notifications list and the header's bell (issue 16).


@dataclass(frozen=True)
class NotificationItem:
    id: uuid.UUID
    #: The notification in the reader's language.
    text: str
    application_id: uuid.UUID | None
    created_at: datetime
    unread: bool
    #: The page it is about, as a path inside the region (None: no page).
    link: str | None = None


def notifications_for(
    session: Session, region: Region, user: User, *, limit: int = 50
) -> list[NotificationItem]:
    """The user's newest notifications, each with whether it is still unread."""
    return [
        NotificationItem(
            n.id,
            applications_service.text_of(n),
            n.application_id,
            n.created_at,
            n.read_at is None,
            applications_service.link_of(n),
        )
        for n in repository.notifications_of(session, region.id, user.id, limit=limit)
    ]


def unread_count(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    return repository.count_unread(session, region_id, user_id)


def mark_notification_read(
    session: Session, region: Region, user: User, notification_id: uuid.UUID
) -> None:
    """Mark one of the user's own notifications read; anyone else's is 404 (as if absent)."""
    if repository.notification_of_user(session, region.id, user.id, notification_id) is None:
        raise NotFound(_("Pemberitahuan tidak ditemukan."))
    repository.mark_read(session, region.id, user.id, utcnow(), notification_id)


def mark_all_notifications_read(session: Session, region: Region, user: User) -> int:
    return repository.mark_read(session, region.id, user.id, utcnow())


# The citizen's data export (UU PDP, hak akses; identity.rights).


@dataclass(frozen=True)
class ExportedNotification:
    notification: applications_service.Notification
    #: The notification in the reader's language.
    text: str
    #: How it was sent out (e-mail, WhatsApp, SMS): to the user's own addresses only.
    deliveries: Sequence[Delivery]


def notifications_for_export(
    session: Session, region: Region, user: User
) -> list[ExportedNotification]:
    """Every notification of the user, oldest first, each with its deliveries."""
    deliveries: dict[uuid.UUID, list[Delivery]] = {}
    for delivery in repository.deliveries_of_user(session, region.id, user.id):
        deliveries.setdefault(delivery.notification_id, []).append(delivery)
    return [
        ExportedNotification(n, applications_service.text_of(n), deliveries.get(n.id, []))
        for n in repository.all_notifications_of(session, region.id, user.id)
    ]


def whatsapp_offered(config: NotifyConfig | None = None) -> bool:
    """Whether this deployment sends WhatsApp messages (phone verification needs it)."""
    return (config or notify_config()).whatsapp is not None


def forget_user(session: Session, region: Region, user: User) -> int:
    """Closing an account: delete every delivery to it (e-mail addresses, phone numbers)
    and its channel choices. Returns how many deliveries were deleted."""
    return repository.forget_user(session, region.id, user.id)
