"""SPBE self-assessments (a level, a justification and evidence per indicator) and smart city
evaluations (a 0-5 score per dimension and component, weights per component)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from simpul.core.models import Base, IdMixin, RegionScoped, TimestampMixin, utcnow, value_enum

#: Longest justification of one SPBE indicator (characters).
MAX_JUSTIFICATION: Final = 4000
#: Longest note on one smart city score (characters).
MAX_SCORE_NOTE: Final = 1000


class AssessmentStatus(enum.StrEnum):
    """A draft may be changed; a final one is read-only until an admin reopens it."""

    DRAFT = "draft"
    FINAL = "final"


def _user_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["region_id", column],
        ["user_account.region_id", "user_account.id"],
        ondelete="RESTRICT",
    )


class SpbeAssessment(IdMixin, TimestampMixin, RegionScoped, Base):
    """The region's SPBE self-assessment of one year, under one rule set (e.g. spbe-2020)."""

    __tablename__ = "spbe_assessment"
    __table_args__ = (
        UniqueConstraint("region_id", "year"),
        UniqueConstraint("region_id", "id"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
        CheckConstraint("(status = 'final') = (finalised_at IS NOT NULL)", name="final_has_a_date"),
        _user_fk("finalised_by_id"),
    )

    year: Mapped[int] = mapped_column(SmallInteger)
    ruleset: Mapped[str] = mapped_column(String(40))
    status: Mapped[AssessmentStatus] = mapped_column(
        value_enum(AssessmentStatus, "assessment_status"), default=AssessmentStatus.DRAFT
    )
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[uuid.UUID | None]


class SpbeAnswer(IdMixin, RegionScoped, Base):
    """The maturity level the region claims for one indicator, and why."""

    __tablename__ = "spbe_answer"
    __table_args__ = (
        UniqueConstraint("assessment_id", "indicator"),
        UniqueConstraint("region_id", "id"),
        ForeignKeyConstraint(
            ["region_id", "assessment_id"],
            ["spbe_assessment.region_id", "spbe_assessment.id"],
            ondelete="CASCADE",
        ),
        _user_fk("updated_by_id"),
        CheckConstraint("indicator BETWEEN 1 AND 99", name="indicator_number"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level_1_to_5"),
        CheckConstraint(
            f"char_length(justification) <= {MAX_JUSTIFICATION}", name="justification_length"
        ),
    )

    assessment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    indicator: Mapped[int] = mapped_column(SmallInteger)
    level: Mapped[int] = mapped_column(SmallInteger)
    justification: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), default=utcnow, onupdate=utcnow
    )
    updated_by_id: Mapped[uuid.UUID | None]


class SpbeEvidence(IdMixin, RegionScoped, Base):
    """A file (PDF, JPEG, PNG) that supports an answer, kept in the storage backend."""

    __tablename__ = "spbe_evidence"
    __table_args__ = (
        ForeignKeyConstraint(
            ["region_id", "answer_id"],
            ["spbe_answer.region_id", "spbe_answer.id"],
            ondelete="CASCADE",
        ),
        _user_fk("uploaded_by_id"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    answer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(server_default=func.now(), default=utcnow)
    uploaded_by_id: Mapped[uuid.UUID | None]


class SmartCityEvaluation(IdMixin, TimestampMixin, RegionScoped, Base):
    """The region's smart city evaluation of one year: component weights and the scores.

    ``previous_index`` is typed in only where the previous year is not in Simpul (the first
    year); otherwise the previous year's final evaluation gives it.
    """

    __tablename__ = "smart_city_evaluation"
    __table_args__ = (
        UniqueConstraint("region_id", "year"),
        UniqueConstraint("region_id", "id"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
        CheckConstraint(
            "weight_baseline BETWEEN 0 AND 100 AND weight_output BETWEEN 0 AND 100 "
            "AND weight_outcome BETWEEN 0 AND 100 AND weight_impact BETWEEN 0 AND 100 "
            "AND weight_quick_win BETWEEN 0 AND 100",
            name="weights_are_percentages",
        ),
        CheckConstraint(
            "weight_baseline + weight_output + weight_outcome + weight_impact "
            "+ weight_quick_win = 100",
            name="weights_add_to_100",
        ),
        CheckConstraint("previous_index BETWEEN 0 AND 5", name="previous_index_0_to_5"),
        CheckConstraint("(status = 'final') = (finalised_at IS NOT NULL)", name="final_has_a_date"),
        _user_fk("finalised_by_id"),
    )

    year: Mapped[int] = mapped_column(SmallInteger)
    weight_baseline: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    weight_output: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    weight_outcome: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    weight_impact: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    weight_quick_win: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    previous_index: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    status: Mapped[AssessmentStatus] = mapped_column(
        value_enum(AssessmentStatus, "assessment_status", create_type=False),
        default=AssessmentStatus.DRAFT,
    )
    finalised_at: Mapped[datetime | None]
    finalised_by_id: Mapped[uuid.UUID | None]


class SmartCityScore(IdMixin, RegionScoped, Base):
    """The score (0-5) of one smart city dimension on one component."""

    __tablename__ = "smart_city_score"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "dimension", "component"),
        ForeignKeyConstraint(
            ["region_id", "evaluation_id"],
            ["smart_city_evaluation.region_id", "smart_city_evaluation.id"],
            ondelete="CASCADE",
        ),
        CheckConstraint("score BETWEEN 0 AND 5", name="score_0_to_5"),
        CheckConstraint(f"char_length(note) <= {MAX_SCORE_NOTE}", name="note_length"),
    )

    evaluation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    dimension: Mapped[str] = mapped_column(String(40))
    component: Mapped[str] = mapped_column(String(20))
    score: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    note: Mapped[str] = mapped_column(Text, default="")
