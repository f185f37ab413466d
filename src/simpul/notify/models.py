"""The notification outbox: one delivery per channel, its attempts, and citizens' choices."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.i18n import lazy
from simpul.core.models import Base, IdMixin, RegionScoped, utcnow, value_enum


class Channel(enum.StrEnum):
    """Where a notification goes besides the app (in-app is the ``notification`` row itself)."""

    EMAIL = "email"
    #: A JSON POST to the region's messaging gateway adapter (WhatsApp, SMS).
    WEBHOOK = "webhook"
    #: A template message through the WhatsApp Business Cloud API to the citizen's number.
    WHATSAPP = "whatsapp"


CHANNEL_LABELS = {
    "email": lazy("E-mail"),
    "webhook": lazy("Pesan (WhatsApp/SMS)"),
    "whatsapp": lazy("WhatsApp"),
}


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first try
    SENDING = "sending"  # claimed by a worker until ``next_attempt_at`` (the lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # the last try failed; retried at ``next_attempt_at``
    DEAD = "dead"  # given up: out of attempts, or refused for good


DELIVERY_STATUS_LABELS = {
    "pending": lazy("Menunggu"),
    "sending": lazy("Sedang dikirim"),
    "delivered": lazy("Terkirim"),
    "failed": lazy("Gagal, akan dicoba lagi"),
    "dead": lazy("Gagal permanen"),
}


class AttemptOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    #: The worker that held the delivery stopped before it told how the try went.
    LOST = "lost"


ATTEMPT_OUTCOME_LABELS = {
    "delivered": lazy("terkirim"),
    "failed": lazy("gagal"),
    "lost": lazy("terputus (pengirim berhenti)"),
}


class Delivery(IdMixin, RegionScoped, Base):
    """One in-app notification on its way to one channel (the outbox row)."""

    __tablename__ = "notification_delivery"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
        # What the worker asks for: due rows of the states it works on.
        Index(
            "ix_notification_delivery_due",
            "next_attempt_at",
            postgresql_where="status IN ('pending', 'sending', 'failed')",
        ),
        # What a provider's status callback looks its message up by, within the region.
        Index(
            "ix_notification_delivery_provider_message",
            "region_id",
            "provider_message_id",
            unique=True,
            postgresql_where="provider_message_id IS NOT NULL",
        ),
    )

    # ``notification`` has no (region_id, id) key to refer to, so this one is not composite.
    notification_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, "notification_channel"))
    #: The e-mail address or the webhook URL, as it was when the notification was made.
    #: Personal data: shown to officers, never written to logs.
    recipient: Mapped[str] = mapped_column(String(500))
    status: Mapped[DeliveryStatus] = mapped_column(
        value_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    #: When a worker may take it: the next retry, or the end of a sending worker's lease.
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: Why the last try failed, short and free of secrets and addresses.
    last_error: Mapped[str] = mapped_column(String(300), default="")
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    #: The provider's id of the message it accepted (WhatsApp: ``wamid...``).
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    #: The furthest status the provider reported (sent, delivered, read, failed).
    provider_status: Mapped[str] = mapped_column(String(20), default="", server_default="")


class DeliveryAttempt(IdMixin, RegionScoped, Base):
    """One try to deliver (append-only): what officers read in the delivery log."""

    __tablename__ = "notification_delivery_attempt"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    outcome: Mapped[AttemptOutcome] = mapped_column(value_enum(AttemptOutcome, "attempt_outcome"))
    detail: Mapped[str] = mapped_column(String(300), default="")


class NotificationPreference(IdMixin, RegionScoped, Base):
    """A citizen's choice for one channel. No row: the channel's default (see outbox)."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        UniqueConstraint("user_id", "channel"),
        ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            ondelete="CASCADE",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    channel: Mapped[Channel] = mapped_column(
        value_enum(Channel, "notification_channel", create_type=False)
    )
    enabled: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, onupdate=utcnow
    )
