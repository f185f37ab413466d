"""WhatsApp as a notification channel: the channel value, and the provider's message id and
last status on a delivery, which the Cloud API's signed status webhooks update (decision 0050).

Revision ID: 0029_notify
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0029_notify"
down_revision: str | None = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL 12+ adds an enum value inside a transaction (it is usable once committed).
    op.execute("ALTER TYPE notification_channel ADD VALUE IF NOT EXISTS 'whatsapp'")
    op.add_column(
        "notification_delivery",
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
    )
    op.add_column(
        "notification_delivery",
        sa.Column("provider_status", sa.String(length=20), server_default="", nullable=False),
    )
    op.create_index(
        "ix_notification_delivery_provider_message",
        "notification_delivery",
        ["region_id", "provider_message_id"],
        unique=True,
        postgresql_where=sa.text("provider_message_id IS NOT NULL"),
    )


def downgrade() -> None:
    # WhatsApp deliveries and choices cannot survive without the channel: refuse unless allowed.
    refuse_data_loss(
        "0029_notify",
        "notification_delivery",
        "notification_preference",
        where="channel = 'whatsapp'",
        what="WhatsApp deliveries and channel choices",
    )
    op.drop_index(
        "ix_notification_delivery_provider_message",
        table_name="notification_delivery",
        postgresql_where=sa.text("provider_message_id IS NOT NULL"),
    )
    op.drop_column("notification_delivery", "provider_status")
    op.drop_column("notification_delivery", "provider_message_id")
    # An enum value cannot be dropped: rebuild the type without it (WhatsApp rows go first).
    op.execute("DELETE FROM notification_delivery WHERE channel = 'whatsapp'")
    op.execute("DELETE FROM notification_preference WHERE channel = 'whatsapp'")
    op.execute("ALTER TYPE notification_channel RENAME TO notification_channel_old")
    op.execute("CREATE TYPE notification_channel AS ENUM ('email', 'webhook')")
    for table in ("notification_delivery", "notification_preference"):
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN channel TYPE notification_channel "
            "USING channel::text::notification_channel"
        )
    op.execute("DROP TYPE notification_channel_old")
