"""What other parts of Simpul ask of the assessments: the indices of a region's final years.

The rules live in ``spbe_assessment`` (the SPBE self-assessment) and ``smart_city`` (the smart
city evaluation); the pages call those directly.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from simpul.evaluation import spbe
from simpul.evaluation.assessments import repository, smart_city, spbe_assessment


def spbe_index_and_predicate(
    session: Session, region_id: uuid.UUID, year: int
) -> tuple[float, str] | None:
    """The SPBE index and predicate of the region's final assessment of ``year``, or None."""
    assessment = repository.get_final_spbe_assessment(session, region_id, year)
    if assessment is None:
        return None
    answers = repository.list_answers(session, region_id, assessment.id)
    levels = spbe_assessment.levels_of(answers)
    ruleset = spbe_assessment.ruleset_of(assessment)
    if any(indicator.number not in levels for indicator in ruleset.indicators):
        return None
    result = spbe.compute_index(levels, ruleset)
    return result.index, result.predicate


def spbe_index(session: Session, region_id: uuid.UUID, year: int) -> float | None:
    """The SPBE index of the region's final assessment of ``year``, or None."""
    found = spbe_index_and_predicate(session, region_id, year)
    return found[0] if found is not None else None


def smartcity_index(session: Session, region_id: uuid.UUID, year: int) -> float | None:
    """The smart city index of the region's final evaluation of ``year``, or None."""
    return smart_city.index_of(session, region_id, year)
