"""The smart city index: the weighted mean of five components and its improvement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from simpul.evaluation.smartcity import (
    COMPONENT_LABELS,
    COMPONENTS,
    DEFAULT_WEIGHTS,
    DIMENSIONS,
    SmartCityInputError,
    compute_index,
)

KEDIRI_2022 = {
    "baseline": 3.60,
    "output": 3.21,
    "outcome": 3.23,
    "impact": 3.07,
    "quick_win": 3.65,
}


def test_dimensions_components_and_default_weights() -> None:
    assert [d.code for d in DIMENSIONS] == [
        "governance",
        "branding",
        "economy",
        "living",
        "society",
        "environment",
    ]
    assert COMPONENTS == ("baseline", "output", "outcome", "impact", "quick_win")
    assert set(COMPONENT_LABELS) == set(COMPONENTS)
    assert dict(DEFAULT_WEIGHTS) == {
        "baseline": 10,
        "output": 20,
        "outcome": 30,
        "impact": 20,
        "quick_win": 20,
    }


def test_kota_kediri_2022_as_published() -> None:
    result = compute_index(KEDIRI_2022, previous_index=3.06)
    # 3.60*0.1 + 3.21*0.2 + 3.23*0.3 + 3.07*0.2 + 3.65*0.2 = 3.315 exactly; published 3.31.
    assert result.exact_index == Decimal("3.315")
    assert result.index == 3.31
    assert result.improvement == 0.25
    assert result.components["baseline"] == Decimal("3.6")
    assert result.weights["outcome"] == Decimal(30)


def test_index_is_truncated_not_rounded() -> None:
    scores = dict.fromkeys(COMPONENTS, 3.0)
    scores["outcome"] = 3.03  # exact index 3.009
    assert compute_index(scores).index == 3.0


def test_no_previous_index_means_no_improvement() -> None:
    assert compute_index(KEDIRI_2022).improvement is None


def test_a_decline_is_a_negative_improvement() -> None:
    assert compute_index(KEDIRI_2022, previous_index=Decimal("3.50")).improvement == -0.19


def test_custom_weights_and_decimal_inputs() -> None:
    scores = {key: Decimal(value) for key, value in zip(COMPONENTS, "12345", strict=True)}
    equal = dict.fromkeys(COMPONENTS, 20)
    assert compute_index(scores, equal).index == 3.0
    only_impact = {"baseline": 0, "output": 0, "outcome": 0, "impact": 100, "quick_win": 0}
    assert compute_index(scores, only_impact).index == 4.0
    # Float weights are taken as written: 33.3 + 33.3 + 33.4 is exactly 100.
    thirds = {"baseline": 33.3, "output": 33.3, "outcome": 33.4, "impact": 0, "quick_win": 0}
    # (1*33.3 + 2*33.3 + 3*33.4) / 100 = 2.001 -> 2.00
    assert compute_index(scores, thirds).index == 2.0


def test_missing_component_is_named() -> None:
    scores = dict(KEDIRI_2022)
    del scores["impact"]
    with pytest.raises(SmartCityInputError, match="komponen impact belum diisi") as caught:
        compute_index(scores)
    assert caught.value.field == "impact"


def test_unknown_component_is_named() -> None:
    with pytest.raises(SmartCityInputError, match="komponen quickwin tidak dikenal") as caught:
        compute_index({**KEDIRI_2022, "quickwin": 3.0})
    assert caught.value.field == "quickwin"


@pytest.mark.parametrize(
    ("score", "fragment"),
    [
        (5.01, "di luar skala 0-5"),
        (-0.1, "di luar skala 0-5"),
        ("3.5", "harus berupa angka"),
        (True, "harus berupa angka"),
        (None, "harus berupa angka"),
        (float("nan"), "harus berupa angka"),
        (float("inf"), "harus berupa angka"),
    ],
)
def test_bad_score_is_named(score: object, fragment: str) -> None:
    with pytest.raises(SmartCityInputError, match=fragment) as caught:
        compute_index({**KEDIRI_2022, "output": score})  # type: ignore[dict-item]
    assert caught.value.field == "output"


def test_scale_ends_are_allowed() -> None:
    assert compute_index(dict.fromkeys(COMPONENTS, 0)).index == 0.0
    assert compute_index(dict.fromkeys(COMPONENTS, 5)).index == 5.0


def test_weights_must_add_up_to_100_and_say_what_they_add_up_to() -> None:
    weights = {**DEFAULT_WEIGHTS, "baseline": 0}
    with pytest.raises(SmartCityInputError, match="berjumlah 90, seharusnya 100") as caught:
        compute_index(KEDIRI_2022, weights)
    assert caught.value.field == "weights"


def test_negative_missing_or_unknown_weight_is_named() -> None:
    with pytest.raises(SmartCityInputError, match="Bobot output tidak boleh negatif") as caught:
        compute_index(KEDIRI_2022, {**DEFAULT_WEIGHTS, "output": -20, "outcome": 70})
    assert caught.value.field == "output"
    partial = {k: v for k, v in DEFAULT_WEIGHTS.items() if k != "quick_win"}
    with pytest.raises(SmartCityInputError, match="Bobot: komponen quick_win belum diisi"):
        compute_index(KEDIRI_2022, partial)
    with pytest.raises(SmartCityInputError, match="komponen extra tidak dikenal"):
        compute_index(KEDIRI_2022, {**DEFAULT_WEIGHTS, "extra": 0})


def test_bad_previous_index_is_refused() -> None:
    with pytest.raises(SmartCityInputError, match="di luar skala") as caught:
        compute_index(KEDIRI_2022, previous_index=7)
    assert caught.value.field == "previous_index"
    with pytest.raises(SmartCityInputError, match="harus berupa angka"):
        compute_index(KEDIRI_2022, previous_index="3.06")  # type: ignore[arg-type]
