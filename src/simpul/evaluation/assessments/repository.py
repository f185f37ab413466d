"""Every query of the SPBE self-assessments and the smart city evaluations (region-scoped)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from simpul.evaluation.assessments.models import (
    AssessmentStatus,
    SmartCityEvaluation,
    SmartCityScore,
    SpbeAnswer,
    SpbeAssessment,
    SpbeEvidence,
)


def list_spbe_assessments(session: Session, region_id: uuid.UUID) -> Sequence[SpbeAssessment]:
    """The region's assessments, the latest year first."""
    return session.scalars(
        select(SpbeAssessment)
        .where(SpbeAssessment.region_id == region_id)
        .order_by(SpbeAssessment.year.desc())
    ).all()


def get_spbe_assessment(
    session: Session, region_id: uuid.UUID, year: int, *, for_update: bool = False
) -> SpbeAssessment | None:
    statement = select(SpbeAssessment).where(
        SpbeAssessment.region_id == region_id, SpbeAssessment.year == year
    )
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def get_final_spbe_assessment(
    session: Session, region_id: uuid.UUID, year: int
) -> SpbeAssessment | None:
    return session.scalars(
        select(SpbeAssessment).where(
            SpbeAssessment.region_id == region_id,
            SpbeAssessment.year == year,
            SpbeAssessment.status == AssessmentStatus.FINAL,
        )
    ).first()


def latest_final_spbe_before(
    session: Session, region_id: uuid.UUID, year: int
) -> SpbeAssessment | None:
    """The region's latest final assessment of a year before ``year``."""
    return session.scalars(
        select(SpbeAssessment)
        .where(
            SpbeAssessment.region_id == region_id,
            SpbeAssessment.year < year,
            SpbeAssessment.status == AssessmentStatus.FINAL,
        )
        .order_by(SpbeAssessment.year.desc())
        .limit(1)
    ).first()


def latest_spbe_before(session: Session, region_id: uuid.UUID, year: int) -> SpbeAssessment | None:
    """The region's latest assessment (draft or final) of a year before ``year``."""
    return session.scalars(
        select(SpbeAssessment)
        .where(SpbeAssessment.region_id == region_id, SpbeAssessment.year < year)
        .order_by(SpbeAssessment.year.desc())
        .limit(1)
    ).first()


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def list_answers(
    session: Session, region_id: uuid.UUID, assessment_id: uuid.UUID
) -> Sequence[SpbeAnswer]:
    return session.scalars(
        select(SpbeAnswer)
        .where(SpbeAnswer.region_id == region_id, SpbeAnswer.assessment_id == assessment_id)
        .order_by(SpbeAnswer.indicator)
    ).all()


def get_answer(
    session: Session, region_id: uuid.UUID, assessment_id: uuid.UUID, indicator: int
) -> SpbeAnswer | None:
    return session.scalars(
        select(SpbeAnswer).where(
            SpbeAnswer.region_id == region_id,
            SpbeAnswer.assessment_id == assessment_id,
            SpbeAnswer.indicator == indicator,
        )
    ).first()


def evidence_counts(
    session: Session, region_id: uuid.UUID, assessment_id: uuid.UUID
) -> dict[int, int]:
    """How many files support each indicator of the assessment."""
    rows = session.execute(
        select(SpbeAnswer.indicator, func.count(SpbeEvidence.id))
        .join(
            SpbeEvidence,
            (SpbeEvidence.answer_id == SpbeAnswer.id)
            & (SpbeEvidence.region_id == SpbeAnswer.region_id),
        )
        .where(SpbeAnswer.region_id == region_id, SpbeAnswer.assessment_id == assessment_id)
        .group_by(SpbeAnswer.indicator)
    ).all()
    return {int(indicator): int(count) for indicator, count in rows}


def list_evidence(
    session: Session, region_id: uuid.UUID, answer_id: uuid.UUID
) -> Sequence[SpbeEvidence]:
    return session.scalars(
        select(SpbeEvidence)
        .where(SpbeEvidence.region_id == region_id, SpbeEvidence.answer_id == answer_id)
        .order_by(SpbeEvidence.uploaded_at, SpbeEvidence.filename)
    ).all()


def get_evidence(
    session: Session, region_id: uuid.UUID, assessment_id: uuid.UUID, evidence_id: uuid.UUID
) -> tuple[SpbeEvidence, SpbeAnswer] | None:
    """A file of the region's assessment, with the answer it supports."""
    row = session.execute(
        select(SpbeEvidence, SpbeAnswer)
        .join(
            SpbeAnswer,
            (SpbeAnswer.id == SpbeEvidence.answer_id)
            & (SpbeAnswer.region_id == SpbeEvidence.region_id),
        )
        .where(
            SpbeEvidence.region_id == region_id,
            SpbeEvidence.id == evidence_id,
            SpbeAnswer.assessment_id == assessment_id,
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def delete_evidence(session: Session, region_id: uuid.UUID, evidence_id: uuid.UUID) -> None:
    session.execute(
        delete(SpbeEvidence).where(
            SpbeEvidence.region_id == region_id, SpbeEvidence.id == evidence_id
        )
    )


def list_smart_city_evaluations(
    session: Session, region_id: uuid.UUID
) -> Sequence[SmartCityEvaluation]:
    """The region's evaluations, the latest year first."""
    return session.scalars(
        select(SmartCityEvaluation)
        .where(SmartCityEvaluation.region_id == region_id)
        .order_by(SmartCityEvaluation.year.desc())
    ).all()


def get_smart_city_evaluation(
    session: Session, region_id: uuid.UUID, year: int, *, for_update: bool = False
) -> SmartCityEvaluation | None:
    statement = select(SmartCityEvaluation).where(
        SmartCityEvaluation.region_id == region_id, SmartCityEvaluation.year == year
    )
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def list_smart_city_scores(
    session: Session, region_id: uuid.UUID, evaluation_id: uuid.UUID
) -> Sequence[SmartCityScore]:
    return session.scalars(
        select(SmartCityScore).where(
            SmartCityScore.region_id == region_id,
            SmartCityScore.evaluation_id == evaluation_id,
        )
    ).all()


def delete_smart_city_scores(
    session: Session, region_id: uuid.UUID, evaluation_id: uuid.UUID
) -> None:
    session.execute(
        delete(SmartCityScore).where(
            SmartCityScore.region_id == region_id,
            SmartCityScore.evaluation_id == evaluation_id,
        )
    )
