"""IKM survey: one response (nine answers on the 1-4 scale) per completed application

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:50:52.227980
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from simpul.core.migrate import refuse_data_loss

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_response",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("u1", sa.SmallInteger(), nullable=False),
        sa.Column("u2", sa.SmallInteger(), nullable=False),
        sa.Column("u3", sa.SmallInteger(), nullable=False),
        sa.Column("u4", sa.SmallInteger(), nullable=False),
        sa.Column("u5", sa.SmallInteger(), nullable=False),
        sa.Column("u6", sa.SmallInteger(), nullable=False),
        sa.Column("u7", sa.SmallInteger(), nullable=False),
        sa.Column("u8", sa.SmallInteger(), nullable=False),
        sa.Column("u9", sa.SmallInteger(), nullable=False),
        sa.Column("suggestion", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "submitted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "char_length(suggestion) <= 1000", name=op.f("ck_survey_response_suggestion_length")
        ),
        sa.CheckConstraint(
            "u1 BETWEEN 1 AND 4 AND u2 BETWEEN 1 AND 4 AND u3 BETWEEN 1 AND 4 AND u4 BETWEEN 1 AND 4 AND u5 BETWEEN 1 AND 4 AND u6 BETWEEN 1 AND 4 AND u7 BETWEEN 1 AND 4 AND u8 BETWEEN 1 AND 4 AND u9 BETWEEN 1 AND 4",
            name=op.f("ck_survey_response_answers_between_1_and_4"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "agency_id"],
            ["agency.region_id", "agency.id"],
            name=op.f("fk_survey_response_region_id_agency_id_agency"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "application_id"],
            ["application.region_id", "application.id"],
            name=op.f("fk_survey_response_region_id_application_id_application"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "service_id"],
            ["service.region_id", "service.id"],
            name=op.f("fk_survey_response_region_id_service_id_service"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_survey_response_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_response")),
        sa.UniqueConstraint(
            "region_id", "application_id", name=op.f("uq_survey_response_region_id_application_id")
        ),
    )
    op.create_index(
        op.f("ix_survey_response_region_id"), "survey_response", ["region_id"], unique=False
    )
    op.create_index(
        "ix_survey_response_region_service",
        "survey_response",
        ["region_id", "service_id"],
        unique=False,
    )


def downgrade() -> None:
    refuse_data_loss("0010", "survey_response")
    op.drop_index("ix_survey_response_region_service", table_name="survey_response")
    op.drop_index(op.f("ix_survey_response_region_id"), table_name="survey_response")
    op.drop_table("survey_response")
