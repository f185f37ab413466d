"""Queue a notification's deliveries in the transaction that makes the notification."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.orm import Session

from simpul.accounts.models import AccountKind, User
from simpul.applications.models import Notification
from simpul.core.errors import InvalidInput
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.notify import repository
from simpul.notify.channels import whatsapp_number
from simpul.notify.config import NotifyConfig, notify_config
from simpul.notify.models import Channel, Delivery


def channel_defaults(user: User, config: NotifyConfig) -> dict[Channel, bool]:
    """What a user gets before choosing: e-mail for citizens who have an address, and the
    region's messaging gateway when one is configured. WhatsApp only when chosen."""
    return {
        Channel.EMAIL: user.kind is AccountKind.CITIZEN and bool(user.email),
        Channel.WEBHOOK: config.webhook_url is not None,
        Channel.WHATSAPP: False,
    }


def _available(user: User, config: NotifyConfig) -> dict[Channel, bool]:
    """Whether each channel can reach this user at all (it has its address)."""
    return {
        Channel.EMAIL: bool(user.email),
        Channel.WEBHOOK: config.webhook_url is not None,
        Channel.WHATSAPP: config.whatsapp is not None and bool(whatsapp_number(user.phone)),
    }


def channels_for(session: Session, user: User, config: NotifyConfig) -> dict[Channel, bool]:
    """The user's channels: their choices over the defaults (a channel needs its address)."""
    chosen = {
        **channel_defaults(user, config),
        **repository.preferences_of(session, user.region_id, user.id),
    }
    available = _available(user, config)
    return {channel: chosen.get(channel, False) and available[channel] for channel in Channel}


def enqueue_for_notification(
    session: Session,
    notification: Notification,
    *,
    config: NotifyConfig | None = None,
    channels: Collection[Channel] | None = None,
    recipient: str | None = None,
) -> Sequence[Delivery]:
    """Queue the deliveries of an in-app notification to its reader's chosen channels (or
    exactly ``channels``, whatever the reader chose: an account's security notices).

    Call it in the transaction that writes the notification: the deliveries commit or roll
    back with it, and the workers are woken only if it commits. Only flushes.

    ``recipient`` (with one channel in ``channels``): the address to use instead of the
    account's own, a new e-mail address or phone number its owner is proving.
    """
    config = config or notify_config()
    user = repository.get_user(session, notification.region_id, notification.user_id)
    if user is None or not user.is_active:
        return []
    if notification.id is None:
        session.flush()  # the deliveries refer to the notification's id
    recipients = {
        Channel.EMAIL: user.email,
        Channel.WEBHOOK: config.webhook_url or "",
        Channel.WHATSAPP: whatsapp_number(user.phone),
    }
    chosen = _chosen(session, user, config, channels)
    if recipient is not None and channels is not None and len(channels) == 1:
        (only,) = channels
        address = whatsapp_number(recipient) if only is Channel.WHATSAPP else recipient
        recipients[only] = address
        reachable = {Channel.EMAIL: True, Channel.WHATSAPP: config.whatsapp is not None}
        chosen = {c: c is only and bool(address) and reachable.get(c, False) for c in Channel}
    deliveries = [
        Delivery(
            region_id=notification.region_id,
            notification_id=notification.id,
            user_id=user.id,
            channel=channel,
            recipient=recipients[channel],
        )
        for channel, enabled in chosen.items()
        if enabled
    ]
    for delivery in deliveries:
        repository.add(session, delivery)
    if deliveries:
        session.flush()
        repository.wake_workers(session)
    return deliveries


def _chosen(
    session: Session, user: User, config: NotifyConfig, only: Collection[Channel] | None
) -> dict[Channel, bool]:
    if only is None:
        return channels_for(session, user, config)
    available = _available(user, config)
    return {channel: channel in only and available[channel] for channel in Channel}


def set_channel(
    session: Session, region: Region, user: User, channel: str, *, enabled: bool
) -> None:
    """Record a user's choice for one channel (in the caller's transaction)."""
    try:
        chosen = Channel(channel)
    except ValueError:
        raise InvalidInput(
            _("Saluran pemberitahuan tidak dikenal."),
            details=[{"field": "channel", "message": _("Pilih e-mail atau pesan.")}],
        ) from None
    repository.set_preference(session, region.id, user.id, chosen, enabled=enabled)
