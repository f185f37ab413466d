"""The IKM calculator (PermenPANRB 14/2017): scores, grades, bad answers, sample size."""

from __future__ import annotations

import pytest

from simpul.evaluation.ikm import (
    ELEMENTS,
    IkmInputError,
    compute_ikm,
    element_codes,
    grade_for,
    krejcie_morgan,
    sample_sufficient,
)


def test_nine_elements_each_answered_on_a_four_point_scale() -> None:
    assert element_codes() == ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9")
    labels = [element.label for element in ELEMENTS]
    assert all(labels) and len(set(labels)) == len(labels)
    for element in ELEMENTS:
        assert len(element.answers) == 4 and len(set(element.answers)) == 4
        assert all(element.answers)


def test_all_fours_is_100_grade_a() -> None:
    result = compute_ikm([[4] * 9] * 12)
    assert (result.ikm, result.grade) == (100.0, "A")
    assert result.respondents == 12
    assert result.elements == (4.0,) * 9


def test_all_threes_is_75_grade_c() -> None:
    result = compute_ikm([[3] * 9] * 5)
    assert (result.ikm, result.grade) == (75.0, "C")


def test_all_ones_is_25_grade_d() -> None:
    result = compute_ikm([[1] * 9])
    assert (result.ikm, result.grade) == (25.0, "D")


def test_each_grade_has_its_own_label_and_results_carry_it() -> None:
    results = [compute_ikm([[answer] * 9]) for answer in (4, 3, 2, 1)]  # IKM 100, 75, 50, 25
    assert [result.grade for result in results] == ["A", "C", "D", "D"]
    assert all(result.label == grade_for(result.ikm)[1] for result in results)
    labels = {grade_for(ikm) for ikm in (100.0, 80.0, 70.0, 25.0)}
    assert len({grade for grade, _label in labels}) == len({label for _grade, label in labels}) == 4


def test_mixed_answers_computed_by_hand() -> None:
    responses = [
        [4, 4, 4, 4, 4, 4, 4, 4, 4],
        [3, 3, 3, 3, 3, 3, 3, 3, 3],
        [1, 2, 3, 4, 1, 2, 3, 4, 2],
    ]
    result = compute_ikm(responses)
    # Element means: u1 (4+3+1)/3 = 2.667, u2 9/3, u3 10/3, u4 11/3, u5 8/3, u6 9/3, u7 10/3,
    # u8 11/3, u9 9/3. IKM = sum(mean / 9) * 25 = (85 / 27) * 25 = 78.7037 -> 78.70, grade B.
    assert result.elements == (2.67, 3.0, 3.33, 3.67, 2.67, 3.0, 3.33, 3.67, 3.0)
    assert result.ikm == 78.70
    assert result.grade == "B"


@pytest.mark.parametrize(
    ("ikm", "grade"),
    [
        (100.0, "A"),
        (88.31, "A"),
        (88.305, "A"),  # rounds to 88.31
        (88.30, "B"),
        (88.304, "B"),
        (76.61, "B"),
        (76.60, "C"),
        (65.00, "C"),
        (64.99, "D"),
        (64.995, "C"),  # rounds to 65.00
        (25.0, "D"),
    ],
)
def test_grade_boundaries(ikm: float, grade: str) -> None:
    assert grade_for(ikm)[0] == grade


def test_no_respondents_is_refused() -> None:
    with pytest.raises(IkmInputError, match="Tidak ada responden") as caught:
        compute_ikm([])
    assert caught.value.row is None


def test_short_row_names_the_respondent() -> None:
    with pytest.raises(IkmInputError, match="Responden 2 memberi 8 jawaban") as caught:
        compute_ikm([[4] * 9, [4] * 8])
    assert (caught.value.row, caught.value.element) == (2, None)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (0, "di luar rentang 1-4"),
        (5, "di luar rentang 1-4"),
        (3.0, "bilangan bulat"),
        ("3", "bilangan bulat"),
        (True, "bilangan bulat"),
        ("", "kosong"),
        (None, "kosong"),
    ],
)
def test_bad_answer_names_row_and_element(answer: object, fragment: str) -> None:
    row: list[object] = [4] * 9
    row[6] = answer
    with pytest.raises(IkmInputError, match=fragment) as caught:
        compute_ikm([[3] * 9, [3] * 9, row])  # type: ignore[list-item]
    assert (caught.value.row, caught.value.element) == (3, "u7")
    assert "Responden 3, unsur U7" in str(caught.value)


@pytest.mark.parametrize(
    ("population", "sample"), [(0, 0), (1, 1), (10, 10), (100, 80), (1000, 278), (10000, 370)]
)
def test_krejcie_morgan(population: int, sample: int) -> None:
    assert krejcie_morgan(population) == sample


def test_krejcie_morgan_refuses_negative_population() -> None:
    with pytest.raises(ValueError, match="negatif"):
        krejcie_morgan(-1)


def test_sample_sufficient() -> None:
    assert sample_sufficient(80, 100)
    assert not sample_sufficient(79, 100)
    assert sample_sufficient(0, 0)
