"""The demo region's assessment history: final SPBE assessments 2023 and 2024 and final smart
city evaluations 2021 and 2022, rising year on year."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Final

from sqlalchemy.orm import Session

from simpul.core.audit import record_audit_event
from simpul.core.models import Region, utcnow
from simpul.evaluation import smartcity, spbe
from simpul.evaluation.assessments import repository
from simpul.evaluation.assessments.models import (
    AssessmentStatus,
    SmartCityEvaluation,
    SmartCityScore,
    SpbeAnswer,
    SpbeAssessment,
)

DEMO_ACTOR: Final = "demo"
#: A rising SPBE history: levels per domain, one more on every fourth indicator (2023), and
#: one more again on every even indicator a year later (2024).
_SPBE_BASE: Final = {"D1": 3, "D2": 2, "D3": 2, "D4": 3}
_SPBE_JUSTIFICATION: Final = (
    "Tingkat {level} ({name}) {year}: ditetapkan tim koordinasi SPBE berdasarkan dokumen "
    "kebijakan, laporan pelaksanaan dan hasil reviu internal."
)
#: Smart city component means (2021 gives 3.34, 2022 gives 3.71 with the default weights)
#: and each dimension's distance from the mean (adding up to zero, so the means hold).
_SMART_CITY_MEANS: Final = {
    2021: {
        "baseline": "3.20",
        "output": "3.40",
        "outcome": "3.30",
        "impact": "3.30",
        "quick_win": "3.45",
    },
    2022: {
        "baseline": "3.50",
        "output": "3.80",
        "outcome": "3.70",
        "impact": "3.60",
        "quick_win": "3.85",
    },
}
_SMART_CITY_OFFSETS: Final = {
    "governance": "0.30",
    "branding": "-0.20",
    "economy": "0.10",
    "living": "0.00",
    "society": "-0.10",
    "environment": "-0.10",
}


def demo_spbe_levels(year: int, ruleset: spbe.RuleSet) -> dict[int, int]:
    """The demo region's SPBE levels of 2023 or 2024."""
    levels = {}
    for indicator in ruleset.indicators:
        level = _SPBE_BASE.get(indicator.domain_code, 2) + (indicator.number % 4 == 0)
        if year >= 2024 and indicator.number % 2 == 0:
            level += 1
        levels[indicator.number] = min(level, ruleset.max_level)
    return levels


def demo_smart_city_scores(year: int) -> dict[tuple[str, str], Decimal]:
    """The demo region's score per (dimension, component) of 2021 or 2022."""
    return {
        (dimension, component): Decimal(mean) + Decimal(offset)
        for component, mean in _SMART_CITY_MEANS[year].items()
        for dimension, offset in _SMART_CITY_OFFSETS.items()
    }


def seed_demo_assessments(session: Session, region: Region) -> None:
    """Final SPBE assessments 2023 and 2024 and final smart city evaluations 2021 and 2022 for
    the demo region (years it already has are left alone)."""
    ruleset = spbe.load_ruleset(spbe.DEFAULT_RULESET)
    now = utcnow()
    for year in (2023, 2024):
        if repository.get_spbe_assessment(session, region.id, year) is not None:
            continue
        assessment = SpbeAssessment(
            region_id=region.id,
            year=year,
            ruleset=ruleset.code,
            status=AssessmentStatus.FINAL,
            finalised_at=now,
        )
        repository.add(session, assessment)
        for number, level in demo_spbe_levels(year, ruleset).items():
            name = ruleset.level_name(number, level)
            session.add(
                SpbeAnswer(
                    region_id=region.id,
                    assessment_id=assessment.id,
                    indicator=number,
                    level=level,
                    justification=_SPBE_JUSTIFICATION.format(level=level, name=name, year=year),
                )
            )
        session.flush()
        _audit_demo(session, region, "spbe.assessment_finalised", "spbe_assessment", assessment.id)
    for year in (2021, 2022):
        if repository.get_smart_city_evaluation(session, region.id, year) is not None:
            continue
        weights = smartcity.DEFAULT_WEIGHTS
        evaluation = SmartCityEvaluation(
            region_id=region.id,
            year=year,
            weight_baseline=Decimal(weights["baseline"]),
            weight_output=Decimal(weights["output"]),
            weight_outcome=Decimal(weights["outcome"]),
            weight_impact=Decimal(weights["impact"]),
            weight_quick_win=Decimal(weights["quick_win"]),
            status=AssessmentStatus.FINAL,
            finalised_at=now,
        )
        repository.add(session, evaluation)
        for (dimension, component), score in demo_smart_city_scores(year).items():
            session.add(
                SmartCityScore(
                    region_id=region.id,
                    evaluation_id=evaluation.id,
                    dimension=dimension,
                    component=component,
                    score=score,
                )
            )
        session.flush()
        _audit_demo(
            session,
            region,
            "smart_city.evaluation_finalised",
            "smart_city_evaluation",
            evaluation.id,
        )


def _audit_demo(
    session: Session, region: Region, action: str, target_type: str, target_id: uuid.UUID
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=None,
        actor_label=DEMO_ACTOR,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        details={"demo": True},
    )
