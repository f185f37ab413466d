"""The smart city evaluation: component means, the calculator's index, improvement, bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.evaluation import smartcity
from simpul.evaluation.assessments import service, smart_city
from simpul.evaluation.assessments.models import SmartCityEvaluation, SmartCityScore
from tests.evaluation.assessments.conftest import World

DIMENSIONS = [d.code for d in smartcity.DIMENSIONS]
DEFAULT = {smart_city.weight_field(c): str(w) for c, w in smartcity.DEFAULT_WEIGHTS.items()}


def grid(scores: dict[str, list[str]], **extra: str) -> dict[str, str]:
    """A form: per component, the six dimensions' scores in DIMENSIONS order."""
    form = dict(DEFAULT)
    for component, values in scores.items():
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            form[smart_city.score_field(dimension, component)] = value
    form.update(extra)
    return form


FULL = {
    "baseline": ["3", "3,5", "2.5", "3", "3", "3"],
    "output": ["4", "3.5", "3.5", "4", "3.5", "3.5"],
    "outcome": ["3.8", "3.6", "3.7", "3.7", "3.6", "3.8"],
    "impact": ["3.25", "3.5", "3.75", "3.5", "3.5", "3.5"],
    "quick_win": ["4", "4", "4", "3.5", "3.5", "4"],
}


def test_component_scores_are_means_and_the_index_is_the_calculators(
    session: Session, world: World
) -> None:
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.components["baseline"] == Decimal(3)
    assert view.components["output"] == Decimal("3.666666666666666666666666667")
    means = {c: sum(Decimal(v.replace(",", ".")) for v in FULL[c]) / 6 for c in FULL}
    expected = smartcity.compute_index(means)
    assert view.result is not None and view.result.index == expected.index
    assert view.result.improvement is None and view.previous.index is None
    assert view.filled == 30
    # Other pages see final evaluations only.
    assert service.smartcity_index(session, world.region.id, 2022) is None
    smart_city.finalise(session, world.region, world.admin, 2022)
    assert service.smartcity_index(session, world.region.id, 2022) == expected.index
    assert service.smartcity_index(session, world.other.id, 2022) is None


def test_improvement_from_last_years_final_or_the_number_typed_in(
    session: Session, world: World
) -> None:
    low = {c: ["3"] * 6 for c in smartcity.COMPONENTS}
    smart_city.save_evaluation(session, world.region, world.admin, 2021, grid(low))
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.result is not None and view.result.improvement is None  # 2021 is a draft
    smart_city.finalise(session, world.region, world.admin, 2021)
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.result is not None and view.previous == smart_city.Previous(
        Decimal(3), manual=False
    )
    assert view.result.improvement == round(view.result.index - 3, 2)

    manual = grid(FULL, **{smart_city.PREVIOUS_FIELD: "3,34"})
    smart_city.save_evaluation(session, world.region, world.admin, 2022, manual)
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.previous == smart_city.Previous(Decimal("3.34"), manual=True)
    assert view.result is not None
    assert view.result.improvement == round(view.result.index - 3.34, 2)
    rows = smart_city.year_rows(session, world.region)
    assert [r.evaluation.year for r in rows] == [2022, 2021]


def test_a_bad_score_names_dimension_and_component_and_saves_nothing(
    session: Session, world: World
) -> None:
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    bad = grid({**FULL, "impact": ["3", "3", "5.5", "3", "3", "tinggi"]})
    with pytest.raises(InvalidInput) as refused:
        smart_city.save_evaluation(session, world.region, world.admin, 2022, bad)
    errors = refused.value.field_errors()
    assert set(errors) == {"nilai-economy-impact", "nilai-environment-impact"}
    assert "Smart economy" in errors["nilai-economy-impact"]
    assert "Dampak (impact)" in errors["nilai-economy-impact"]
    assert "5.5" in errors["nilai-economy-impact"]
    view = smart_city.evaluation_view(session, world.region, 2022)
    assert view.values["nilai-economy-impact"] == "3.75"


def test_weights_not_adding_to_100_say_what_they_add_up_to(session: Session, world: World) -> None:
    form = grid(FULL, **{"bobot-outcome": "25"})
    with pytest.raises(InvalidInput) as refused:
        smart_city.save_evaluation(session, world.region, world.admin, 2022, form)
    assert refused.value.field_errors() == {
        "bobot": "Bobot komponen berjumlah 95 persen, seharusnya 100."
    }
    assert session.scalar(select(func.count(SmartCityEvaluation.id))) == 0
    assert session.scalar(select(func.count(SmartCityScore.id))) == 0
    custom = grid(FULL, **{"bobot-outcome": "25", "bobot-baseline": "15"})
    evaluation = smart_city.save_evaluation(session, world.region, world.admin, 2022, custom)
    assert smart_city.weights_of(evaluation)["baseline"] == Decimal(15)


def test_finalise_needs_every_score_and_a_final_evaluation_is_read_only(
    session: Session, world: World
) -> None:
    partial = grid({"baseline": ["3"] * 6})
    smart_city.save_evaluation(session, world.region, world.admin, 2022, partial)
    with pytest.raises(InvalidInput) as refused:
        smart_city.finalise(session, world.region, world.admin, 2022)
    assert len(refused.value.details) == 24
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    smart_city.finalise(session, world.region, world.admin, 2022)
    with pytest.raises(Conflict):
        smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    smart_city.reopen(session, world.region, world.admin, 2022)
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))


def test_another_regions_evaluation_is_invisible(session: Session, world: World) -> None:
    smart_city.save_evaluation(session, world.region, world.admin, 2022, grid(FULL))
    assert smart_city.evaluation_view(session, world.other, 2022).evaluation is None
    with pytest.raises(NotFound):
        smart_city.finalise(session, world.other, world.other_admin, 2022)
    assert smart_city.year_rows(session, world.other) == []
