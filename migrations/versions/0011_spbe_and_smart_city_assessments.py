"""SPBE self-assessments (answers, evidence) and smart city evaluations (scores)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 22:51:26.181009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from simpul.core.migrate import refuse_data_loss

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spbe_assessment",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("ruleset", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Enum("draft", "final", name="assessment_status"), nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by_id", sa.Uuid(), nullable=True),
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
            "(status = 'final') = (finalised_at IS NOT NULL)",
            name=op.f("ck_spbe_assessment_final_has_a_date"),
        ),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_spbe_assessment_year_plausible")
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "finalised_by_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_spbe_assessment_region_id_finalised_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_spbe_assessment_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spbe_assessment")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_spbe_assessment_region_id_id")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_spbe_assessment_region_id_year")),
    )
    op.create_index(
        op.f("ix_spbe_assessment_region_id"), "spbe_assessment", ["region_id"], unique=False
    )
    op.create_table(
        "spbe_answer",
        sa.Column("assessment_id", sa.Uuid(), nullable=False),
        sa.Column("indicator", sa.SmallInteger(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "char_length(justification) <= 4000", name=op.f("ck_spbe_answer_justification_length")
        ),
        sa.CheckConstraint(
            "indicator BETWEEN 1 AND 99", name=op.f("ck_spbe_answer_indicator_number")
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_spbe_answer_level_1_to_5")),
        sa.ForeignKeyConstraint(
            ["region_id", "assessment_id"],
            ["spbe_assessment.region_id", "spbe_assessment.id"],
            name=op.f("fk_spbe_answer_region_id_assessment_id_spbe_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "updated_by_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_spbe_answer_region_id_updated_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_spbe_answer_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spbe_answer")),
        sa.UniqueConstraint(
            "assessment_id", "indicator", name=op.f("uq_spbe_answer_assessment_id_indicator")
        ),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_spbe_answer_region_id_id")),
    )
    op.create_index(
        op.f("ix_spbe_answer_assessment_id"), "spbe_answer", ["assessment_id"], unique=False
    )
    op.create_index(op.f("ix_spbe_answer_region_id"), "spbe_answer", ["region_id"], unique=False)
    op.create_table(
        "spbe_evidence",
        sa.Column("answer_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_spbe_evidence_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["region_id", "answer_id"],
            ["spbe_answer.region_id", "spbe_answer.id"],
            name=op.f("fk_spbe_evidence_region_id_answer_id_spbe_answer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "uploaded_by_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_spbe_evidence_region_id_uploaded_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_spbe_evidence_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spbe_evidence")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_spbe_evidence_storage_key")),
    )
    op.create_index(
        op.f("ix_spbe_evidence_answer_id"), "spbe_evidence", ["answer_id"], unique=False
    )
    op.create_index(
        op.f("ix_spbe_evidence_region_id"), "spbe_evidence", ["region_id"], unique=False
    )

    op.create_table(
        "smart_city_evaluation",
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("weight_baseline", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("weight_output", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("weight_outcome", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("weight_impact", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("weight_quick_win", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("previous_index", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column(
            "status",
            postgresql.ENUM("draft", "final", name="assessment_status", create_type=False),
            nullable=False,
        ),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finalised_by_id", sa.Uuid(), nullable=True),
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
            "(status = 'final') = (finalised_at IS NOT NULL)",
            name=op.f("ck_smart_city_evaluation_final_has_a_date"),
        ),
        sa.CheckConstraint(
            "previous_index BETWEEN 0 AND 5",
            name=op.f("ck_smart_city_evaluation_previous_index_0_to_5"),
        ),
        sa.CheckConstraint(
            "weight_baseline + weight_output + weight_outcome + weight_impact + weight_quick_win = 100",
            name=op.f("ck_smart_city_evaluation_weights_add_to_100"),
        ),
        sa.CheckConstraint(
            "weight_baseline BETWEEN 0 AND 100 AND weight_output BETWEEN 0 AND 100 AND weight_outcome BETWEEN 0 AND 100 AND weight_impact BETWEEN 0 AND 100 AND weight_quick_win BETWEEN 0 AND 100",
            name=op.f("ck_smart_city_evaluation_weights_are_percentages"),
        ),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_smart_city_evaluation_year_plausible")
        ),
        sa.ForeignKeyConstraint(
            ["region_id", "finalised_by_id"],
            ["user_account.region_id", "user_account.id"],
            name=op.f("fk_smart_city_evaluation_region_id_finalised_by_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_smart_city_evaluation_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_city_evaluation")),
        sa.UniqueConstraint("region_id", "id", name=op.f("uq_smart_city_evaluation_region_id_id")),
        sa.UniqueConstraint(
            "region_id", "year", name=op.f("uq_smart_city_evaluation_region_id_year")
        ),
    )
    op.create_index(
        op.f("ix_smart_city_evaluation_region_id"),
        "smart_city_evaluation",
        ["region_id"],
        unique=False,
    )
    op.create_table(
        "smart_city_score",
        sa.Column("evaluation_id", sa.Uuid(), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("component", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "char_length(note) <= 1000", name=op.f("ck_smart_city_score_note_length")
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 5", name=op.f("ck_smart_city_score_score_0_to_5")),
        sa.ForeignKeyConstraint(
            ["region_id", "evaluation_id"],
            ["smart_city_evaluation.region_id", "smart_city_evaluation.id"],
            name=op.f("fk_smart_city_score_region_id_evaluation_id_smart_city_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_smart_city_score_region_id_region"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_city_score")),
        sa.UniqueConstraint(
            "evaluation_id",
            "dimension",
            "component",
            name=op.f("uq_smart_city_score_evaluation_id_dimension_component"),
        ),
    )
    op.create_index(
        op.f("ix_smart_city_score_evaluation_id"),
        "smart_city_score",
        ["evaluation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_smart_city_score_region_id"), "smart_city_score", ["region_id"], unique=False
    )


def downgrade() -> None:
    refuse_data_loss("0011", "spbe_assessment", "smart_city_evaluation")
    op.drop_index(op.f("ix_spbe_evidence_region_id"), table_name="spbe_evidence")
    op.drop_index(op.f("ix_spbe_evidence_answer_id"), table_name="spbe_evidence")
    op.drop_table("spbe_evidence")
    op.drop_index(op.f("ix_spbe_answer_region_id"), table_name="spbe_answer")
    op.drop_index(op.f("ix_spbe_answer_assessment_id"), table_name="spbe_answer")
    op.drop_table("spbe_answer")
    op.drop_index(op.f("ix_smart_city_score_region_id"), table_name="smart_city_score")
    op.drop_index(op.f("ix_smart_city_score_evaluation_id"), table_name="smart_city_score")
    op.drop_table("smart_city_score")
    op.drop_index(op.f("ix_spbe_assessment_region_id"), table_name="spbe_assessment")
    op.drop_table("spbe_assessment")
    op.drop_index(op.f("ix_smart_city_evaluation_region_id"), table_name="smart_city_evaluation")
    op.drop_table("smart_city_evaluation")
    op.execute("DROP TYPE IF EXISTS assessment_status")
