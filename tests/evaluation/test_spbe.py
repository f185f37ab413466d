"""The SPBE index (PermenPANRB 59/2020) as a rule set shipped as data."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from simpul.evaluation import spbe
from simpul.evaluation.spbe import (
    DEFAULT_RULESET,
    RuleSetError,
    SpbeInputError,
    available_rulesets,
    clear_ruleset_cache,
    compute_index,
    load_ruleset,
    load_ruleset_dir,
    predicate_for,
)

SHIPPED = Path(str(resources.files("simpul.evaluation.rulesets").joinpath("spbe-2020")))


def all_levels(level: int) -> dict[int, int]:
    return dict.fromkeys(range(1, 48), level)


def test_shipped_csv_weights_add_up_to_100() -> None:
    with (SHIPPED / "indicators.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 47
    assert sum(Decimal(row["weight_percent"]) for row in rows) == Decimal(100)


def test_default_ruleset_is_discovered_and_cached() -> None:
    assert DEFAULT_RULESET in available_rulesets()
    ruleset = load_ruleset()
    assert ruleset is load_ruleset("spbe-2020")
    assert ruleset.code == "spbe-2020"
    assert "59 Tahun 2020" in ruleset.regulation
    assert (ruleset.min_level, ruleset.max_level) == (1, 5)
    assert [i.number for i in ruleset.indicators] == list(range(1, 48))


def test_domains_aspects_and_scales_as_published() -> None:
    ruleset = load_ruleset()
    assert {d.code: d.weight for d in ruleset.domains()} == {
        "D1": Decimal(13),
        "D2": Decimal(25),
        "D3": Decimal("16.5"),
        "D4": Decimal("45.5"),
    }
    assert {a.code: a.weight for a in ruleset.aspects()} == {
        "A1": Decimal(13),
        "A2": Decimal(10),
        "A3": Decimal(10),
        "A4": Decimal(5),
        "A5": Decimal(12),
        "A6": Decimal("4.5"),
        "A7": Decimal("27.5"),
        "A8": Decimal(18),
    }
    assert ruleset.indicator(31).scale == "process"
    assert ruleset.indicator(32).scale == "technical"
    assert ruleset.level_name(1, 4) == "Terintegrasi dan Terukur"
    assert ruleset.level_name(47, 3) == "Transaksi"
    with pytest.raises(KeyError):
        ruleset.indicator(48)


def test_unknown_ruleset_is_refused() -> None:
    with pytest.raises(RuleSetError, match="spbe-1999 tidak dikenal"):
        load_ruleset("spbe-1999")


def test_all_levels_three() -> None:
    result = compute_index(all_levels(3))
    assert (result.ruleset, result.index, result.predicate) == ("spbe-2020", 3.0, "Baik")
    assert [d.index for d in result.domains] == [3.0] * 4
    assert [a.index for a in result.aspects] == [3.0] * 8


def test_mixed_levels_computed_by_hand() -> None:
    levels = {}
    levels.update(dict.fromkeys(range(1, 11), 1))  # D1 / A1, weight 13
    levels.update(dict.fromkeys(range(11, 21), 2))  # D2 / A2-A4, weight 25
    levels.update(dict.fromkeys(range(21, 32), 3))  # D3 / A5-A6, weight 16.5
    levels.update(dict.fromkeys(range(32, 42), 4))  # D4 / A7, weight 27.5
    levels.update(dict.fromkeys(range(42, 48), 5))  # D4 / A8, weight 18
    result = compute_index(levels)
    # (13*1 + 25*2 + 16.5*3 + 27.5*4 + 18*5) / 100 = 312.5 / 100 = 3.125 -> 3.13 (half-up).
    assert result.index == 3.13
    assert result.predicate == "Baik"
    # D4 = (27.5*4 + 18*5) / 45.5 = 200 / 45.5 = 4.3956 -> 4.40.
    assert [(d.code, d.index) for d in result.domains] == [
        ("D1", 1.0),
        ("D2", 2.0),
        ("D3", 3.0),
        ("D4", 4.4),
    ]
    assert [a.index for a in result.aspects] == [1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0, 5.0]
    assert result.domains[3].weight == Decimal("45.5")


def test_one_indicator_moves_the_index_by_its_weight() -> None:
    levels = all_levels(3)
    levels[47] = 5  # weight 3.0: + 2 * 3.0 / 100 = 0.06
    result = compute_index(levels)
    assert result.index == 3.06
    assert result.aspects[-1].index == pytest.approx(3 + 2 / 6, abs=0.005)


@pytest.mark.parametrize(
    ("index", "predicate"),
    [
        (5.0, "Memuaskan"),
        (4.2, "Memuaskan"),
        (4.195, "Memuaskan"),  # published as 4.20
        (4.19, "Sangat Baik"),
        (3.5, "Sangat Baik"),
        (3.49, "Baik"),
        (2.6, "Baik"),
        (2.59, "Cukup"),
        (1.8, "Cukup"),
        (1.79, "Kurang"),
        (1.0, "Kurang"),
    ],
)
def test_predicates(index: float, predicate: str) -> None:
    assert predicate_for(index, load_ruleset()) == predicate


def test_missing_indicators_are_named() -> None:
    levels = all_levels(3)
    for number in (5, 6, 7, 8, 9, 10, 40):
        del levels[number]
    with pytest.raises(SpbeInputError) as caught:
        compute_index(levels)
    message = str(caught.value)
    assert caught.value.indicator == 5
    assert "7 indikator" in message
    assert "5, 6, 7, 8, 9, …" in message
    assert load_ruleset().indicator(5).name in message


@pytest.mark.parametrize("number", [0, 48, -1])
def test_unknown_indicator_is_refused(number: int) -> None:
    levels = all_levels(3)
    levels[number] = 3
    with pytest.raises(SpbeInputError, match=f"Indikator {number} tidak ada") as caught:
        compute_index(levels)
    assert caught.value.indicator == number


@pytest.mark.parametrize(
    ("level", "fragment"),
    [
        (0, "di luar rentang 1-5"),
        (6, "di luar rentang 1-5"),
        (3.0, "bilangan bulat"),
        ("3", "bilangan bulat"),
        (True, "bilangan bulat"),
    ],
)
def test_bad_level_names_the_indicator(level: object, fragment: str) -> None:
    levels: dict[int, object] = dict(all_levels(3))
    levels[12] = level
    with pytest.raises(SpbeInputError, match=fragment) as caught:
        compute_index(levels)  # type: ignore[arg-type]
    assert caught.value.indicator == 12
    assert str(caught.value).startswith("Indikator 12 (")


def test_non_integer_indicator_number_is_refused() -> None:
    levels: dict[object, int] = dict(all_levels(3))
    levels["satu"] = 3
    with pytest.raises(SpbeInputError, match="Nomor indikator harus bilangan bulat"):
        compute_index(levels)  # type: ignore[arg-type]


def copy_shipped(tmp_path: Path, name: str = "spbe-2020") -> Path:
    target = tmp_path / name
    shutil.copytree(SHIPPED, target)
    return target


def test_ruleset_whose_weights_do_not_add_up_is_refused(tmp_path: Path) -> None:
    directory = copy_shipped(tmp_path)
    path = directory / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",3.0,technical", ",3.1,technical", 1), encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"bobot indikator berjumlah 100\.1, seharusnya 100"):
        load_ruleset_dir(directory)


def test_ruleset_with_an_unknown_scale_is_refused(tmp_path: Path) -> None:
    directory = copy_shipped(tmp_path)
    path = directory / "indicators.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",technical", ",teknis", 1), encoding="utf-8")
    with pytest.raises(RuleSetError, match="skala teknis yang tidak dikenal"):
        load_ruleset_dir(directory)


NEW_RULESET_TOML = """
code = "pemdi-2026"
title = "Evaluasi Pemerintah Digital"
regulation = "Contoh aturan baru"
min_level = 1
max_level = 3

[level_names.basic]
1 = "Awal"
2 = "Menengah"
3 = "Lanjut"

[[predicates]]
min = "2.5"
name = "Tinggi"

[[predicates]]
min = "0"
name = "Rendah"
"""

NEW_RULESET_CSV = (
    "indicator,domain_code,domain,aspect_code,aspect,name,weight_percent,capability_scale\n"
    "1,D1,Tata Kelola,A1,Kebijakan,Kebijakan data,60,basic\n"
    "2,D2,Layanan,A2,Layanan publik,Layanan daring,40,basic\n"
)


def test_a_new_regulation_is_a_directory_of_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_shipped(tmp_path)
    new = tmp_path / "pemdi-2026"
    new.mkdir()
    (new / "ruleset.toml").write_text(NEW_RULESET_TOML, encoding="utf-8")
    (new / "indicators.csv").write_text(NEW_RULESET_CSV, encoding="utf-8")
    (tmp_path / "notes").mkdir()  # a directory without ruleset.toml is not a rule set
    monkeypatch.setattr(spbe, "_rulesets_root", lambda: tmp_path)
    clear_ruleset_cache()
    try:
        assert available_rulesets() == ["pemdi-2026", "spbe-2020"]
        ruleset = load_ruleset("pemdi-2026")
        result = compute_index({1: 3, 2: 2}, ruleset)
        # (3*60 + 2*40) / 100 = 2.6 -> Tinggi.
        assert (result.ruleset, result.index, result.predicate) == ("pemdi-2026", 2.6, "Tinggi")
        with pytest.raises(SpbeInputError, match="di luar rentang 1-3"):
            compute_index({1: 4, 2: 2}, ruleset)
    finally:
        clear_ruleset_cache()
