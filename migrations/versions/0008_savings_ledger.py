"""Savings ledger: the region's unit costs, services' offline paths, one entry per completion

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 22:02:06.451293
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "savings_rate",
        sa.Column("sheet_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("printed_copy_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("courier_trip_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("citizen_trip_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "sheet_rupiah >= 0 AND printed_copy_rupiah >= 0 AND courier_trip_rupiah >= 0 AND citizen_trip_rupiah >= 0",
            name=op.f("ck_savings_rate_rates_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_savings_rate_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_rate")),
        sa.UniqueConstraint("region_id", name=op.f("uq_savings_rate_region_id")),
    )
    op.create_index(op.f("ix_savings_rate_region_id"), "savings_rate", ["region_id"], unique=False)
    op.create_table(
        "service_savings_profile",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("sheets", sa.Integer(), nullable=False),
        sa.Column("printed_copies", sa.Integer(), nullable=False),
        sa.Column("courier_trips", sa.Integer(), nullable=False),
        sa.Column("citizen_trips", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "sheets >= 0 AND printed_copies >= 0 AND courier_trips >= 0 AND citizen_trips >= 0",
            name=op.f("ck_service_savings_profile_quantities_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["service.region_id", "service.id"],
            name=op.f("fk_service_savings_profile_region_id_service_id_service"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_service_savings_profile_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_savings_profile")),
        sa.UniqueConstraint("service_id", name=op.f("uq_service_savings_profile_service_id")),
    )
    op.create_index(
        op.f("ix_service_savings_profile_region_id"),
        "service_savings_profile",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "savings_entry",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sheets", sa.Integer(), nullable=False),
        sa.Column("printed_copies", sa.Integer(), nullable=False),
        sa.Column("courier_trips", sa.Integer(), nullable=False),
        sa.Column("citizen_trips", sa.Integer(), nullable=False),
        sa.Column("sheet_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("printed_copy_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("courier_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("citizen_trip_rupiah", sa.BigInteger(), nullable=False),
        sa.Column("total_rupiah", sa.BigInteger(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_savings_entry_region_id_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_savings_entry_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_savings_entry")),
        sa.UniqueConstraint("application_id", name=op.f("uq_savings_entry_application_id")),
    )
    op.create_index(
        "ix_savings_entry_region_completed",
        "savings_entry",
        ["region_id", "completed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_savings_entry_region_id"), "savings_entry", ["region_id"], unique=False
    )


def downgrade() -> None:
    refuse_data_loss("0008", "savings_entry", "savings_rate", "service_savings_profile")
    op.drop_index(op.f("ix_savings_entry_region_id"), table_name="savings_entry")
    op.drop_index("ix_savings_entry_region_completed", table_name="savings_entry")
    op.drop_table("savings_entry")
    op.drop_index(
        op.f("ix_service_savings_profile_region_id"), table_name="service_savings_profile"
    )
    op.drop_table("service_savings_profile")
    op.drop_index(op.f("ix_savings_rate_region_id"), table_name="savings_rate")
    op.drop_table("savings_rate")
