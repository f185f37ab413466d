"""Officers away from the desk and who stands in; the retribusi paid for an application.

``officer_absence``: an agency's admin records that an officer is away (cuti, sakit, dinas
luar, lainnya) from one date to another and names a delegate; ``application_payment``: the
payment of an application's payment step, recorded by an officer or by the payment provider's
signed notification, one reference once per region (decision 0047).

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer_absence",
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("officer_id", sa.Uuid(), nullable=False),
        sa.Column("delegate_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_officer_absence_absence_period"),
        sa.CheckConstraint(
            "officer_id <> delegate_id", name="ck_officer_absence_absence_other_delegate"
        ),
        sa.CheckConstraint(
            "reason IN ('cuti', 'sakit', 'dinas_luar', 'lainnya')",
            name="ck_officer_absence_absence_reason",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "officer_id"],
            ["user_account.region_id", "user_account.id"],
            name="fk_officer_absence_region_id_officer_id_user_account",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "delegate_id"],
            ["user_account.region_id", "user_account.id"],
            name="fk_officer_absence_region_id_delegate_id_user_account",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name="fk_officer_absence_region_id_agency_id_agency",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name="fk_officer_absence_region_id_region",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_officer_absence"),
    )
    op.create_index(
        "ix_officer_absence_officer", "officer_absence", ["region_id", "officer_id", "ends_on"]
    )
    op.create_index("ix_officer_absence_region_id", "officer_absence", ["region_id"])
    op.create_table(
        "application_payment",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_application_payment_payment_amount_positive"),
        sa.CheckConstraint(
            "source IN ('officer', 'provider')", name="ck_application_payment_payment_source"
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name="fk_application_payment_region_id_application_id_application",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name="fk_application_payment_region_id_region",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_application_payment"),
        sa.UniqueConstraint(
            "region_id", "reference", name="uq_application_payment_region_id_reference"
        ),
        sa.UniqueConstraint(
            "region_id",
            "application_id",
            "step",
            name="uq_application_payment_region_id_application_id_step",
        ),
    )
    op.create_index("ix_application_payment_region_id", "application_payment", ["region_id"])


def downgrade() -> None:
    op.drop_table("application_payment")
    op.drop_table("officer_absence")
