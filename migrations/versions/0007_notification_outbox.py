"""Notification outbox: deliveries per channel, their attempts, citizens' channel choices

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 21:41:56.455599
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_delivery",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel", sa.Enum("email", "webhook", name="notification_channel"), nullable=False
        ),
        sa.Column("recipient", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "sending", "delivered", "failed", "dead", name="delivery_status"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_delivery_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_notification_delivery_region_id_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_notification_delivery_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            name=op.f("uq_notification_delivery_notification_id_channel"),
        ),
    )
    op.create_index(
        "ix_notification_delivery_due",
        "notification_delivery",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status IN ('pending', 'sending', 'failed')",
    )
    op.create_index(
        op.f("ix_notification_delivery_notification_id"),
        "notification_delivery",
        ["notification_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_delivery_region_id"),
        "notification_delivery",
        ["region_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_delivery_user_id"), "notification_delivery", ["user_id"], unique=False
    )
    op.create_table(
        "notification_preference",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            postgresql.ENUM("email", "webhook", name="notification_channel", create_type=False),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "user_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_notification_preference_region_id_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_notification_preference_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "user_id", "channel", name=op.f("uq_notification_preference_user_id_channel")
        ),
    )
    op.create_index(
        op.f("ix_notification_preference_region_id"),
        "notification_preference",
        ["region_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_preference_user_id"),
        "notification_preference",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "notification_delivery_attempt",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "outcome",
            sa.Enum("delivered", "failed", "lost", name="attempt_outcome"),
            nullable=False,
        ),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_delivery.id"],
            name=op.f("fk_notification_delivery_attempt_delivery_id_notification_delivery"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_notification_delivery_attempt_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery_attempt")),
    )
    op.create_index(
        op.f("ix_notification_delivery_attempt_delivery_id"),
        "notification_delivery_attempt",
        ["delivery_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_delivery_attempt_region_id"),
        "notification_delivery_attempt",
        ["region_id"],
        unique=False,
    )


def downgrade() -> None:
    refuse_data_loss("0007", "notification_delivery", "notification_preference")
    op.drop_index(
        op.f("ix_notification_delivery_attempt_region_id"),
        table_name="notification_delivery_attempt",
    )
    op.drop_index(
        op.f("ix_notification_delivery_attempt_delivery_id"),
        table_name="notification_delivery_attempt",
    )
    op.drop_table("notification_delivery_attempt")
    op.drop_index(op.f("ix_notification_preference_user_id"), table_name="notification_preference")
    op.drop_index(
        op.f("ix_notification_preference_region_id"), table_name="notification_preference"
    )
    op.drop_table("notification_preference")
    op.drop_index(op.f("ix_notification_delivery_user_id"), table_name="notification_delivery")
    op.drop_index(op.f("ix_notification_delivery_region_id"), table_name="notification_delivery")
    op.drop_index(
        op.f("ix_notification_delivery_notification_id"), table_name="notification_delivery"
    )
    op.drop_index(
        "ix_notification_delivery_due",
        table_name="notification_delivery",
        postgresql_where="status IN ('pending', 'sending', 'failed')",
    )
    op.drop_table("notification_delivery")
    for type_name in ("attempt_outcome", "delivery_status", "notification_channel"):
        op.execute(f"DROP TYPE IF EXISTS {type_name}")
