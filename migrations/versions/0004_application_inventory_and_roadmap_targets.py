"""application inventory and roadmap targets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 19:24:08.254225
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roadmap_target",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("target >= 0", name=op.f("ck_roadmap_target_target_not_negative")),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_roadmap_target_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roadmap_target")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_roadmap_target_region_id_year")),
    )
    op.create_index(
        op.f("ix_roadmap_target_region_id"), "roadmap_target", ["region_id"], unique=False
    )
    op.create_table(
        "app",
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("users", sa.Enum("citizens", "staff", "both", name="app_users"), nullable=False),
        sa.Column("url", sa.String(length=300), nullable=False),
        sa.Column(
            "hosting",
            sa.Enum(
                "national_data_centre",
                "regional_data_centre",
                "cloud",
                "vendor",
                name="app_hosting",
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("operating", "in_development", "retired", name="app_status"),
            nullable=False,
        ),
        sa.Column("spbe_area", sa.String(length=40), nullable=False),
        sa.Column(
            "data_classification",
            sa.Enum("public", "internal", "personal", "secret", name="data_classification"),
            nullable=False,
        ),
        sa.Column(
            "integration_state",
            sa.Enum("not_planned", "planned", "integrated", name="integration_state"),
            nullable=False,
        ),
        sa.Column("planned_year", sa.Integer(), nullable=True),
        sa.Column("integrated_on", sa.Date(), nullable=True),
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
            "(integration_state = 'planned') = (planned_year IS NOT NULL)",
            name=op.f("ck_app_planned_has_year"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_app_region_id_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_app_region_id_region"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app")),
        sa.UniqueConstraint("region_id", "code", name=op.f("uq_app_region_id_code")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_app_region_id_id")),
    )
    op.create_index(op.f("ix_app_agency_id"), "app", ["agency_id"], unique=False)
    op.create_index(op.f("ix_app_region_id"), "app", ["region_id"], unique=False)
    op.create_index(op.f("ix_app_status"), "app", ["status"], unique=False)


def downgrade() -> None:
    refuse_data_loss("0004", "app", "roadmap_target")
    op.drop_index(op.f("ix_app_status"), table_name="app")
    op.drop_index(op.f("ix_app_region_id"), table_name="app")
    op.drop_index(op.f("ix_app_agency_id"), table_name="app")
    op.drop_table("app")
    op.drop_index(op.f("ix_roadmap_target_region_id"), table_name="roadmap_target")
    op.drop_table("roadmap_target")
    for type_name in (
        "app_users",
        "app_hosting",
        "app_status",
        "data_classification",
        "integration_state",
    ):
        op.execute(f"DROP TYPE IF EXISTS {type_name}")
