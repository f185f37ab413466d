"""The SPBE index (Sistem Pemerintahan Berbasis Elektronik), PermenPANRB 59/2020.

The regulation is not code but a versioned rule set shipped as data: each directory under
``simpul/evaluation/rulesets/`` with a ``ruleset.toml`` (code, title, regulation, level range,
level names per capability scale, predicate thresholds) and an indicators CSV (number, domain,
aspect, name, weight in percent, scale) is one rule set. A newer regulation is another directory.

Index = sum(level x weight) / 100; a domain's or aspect's index is the weighted mean over its own
indicators. Arithmetic is exact (``Decimal``); published numbers are rounded half-up to two
decimals and the predicate is taken from the rounded index, as the published reports show it.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from simpul.core.i18n import _

__all__ = [
    "DEFAULT_RULESET",
    "INDICATOR_COLUMNS",
    "Group",
    "GroupIndex",
    "Indicator",
    "RuleSet",
    "RuleSetError",
    "SpbeInputError",
    "SpbeResult",
    "available_rulesets",
    "clear_ruleset_cache",
    "compute_index",
    "load_ruleset",
    "load_ruleset_dir",
    "predicate_for",
]

DEFAULT_RULESET: Final = "spbe-2020"
RULESET_FILE: Final = "ruleset.toml"
INDICATOR_COLUMNS: Final = (
    "indicator",
    "domain_code",
    "domain",
    "aspect_code",
    "aspect",
    "name",
    "weight_percent",
    "capability_scale",
)
TOTAL_WEIGHT: Final = Decimal(100)
TWO_PLACES: Final = Decimal("0.01")
MISSING_SHOWN: Final = 5


class RuleSetError(ValueError):
    """A rule set that does not exist or whose data is inconsistent."""


class SpbeInputError(ValueError):
    """Levels that cannot be scored; ``indicator`` is the indicator number concerned, if one."""

    def __init__(self, message: str, *, indicator: int | None = None):
        super().__init__(message)
        self.message = message
        self.indicator = indicator


@dataclass(frozen=True)
class Indicator:
    number: int
    domain_code: str
    domain: str
    aspect_code: str
    aspect: str
    name: str
    weight: Decimal
    scale: str


@dataclass(frozen=True)
class Group:
    """A domain or an aspect: its code, name, total weight and indicator numbers."""

    code: str
    name: str
    weight: Decimal
    indicators: tuple[int, ...]


@dataclass(frozen=True)
class RuleSet:
    """One evaluation regulation as data. ``predicates`` are (minimum index, name), best first."""

    code: str
    title: str
    regulation: str
    indicators: tuple[Indicator, ...]
    level_names: Mapping[str, Mapping[int, str]]
    predicates: tuple[tuple[Decimal, str], ...]
    min_level: int
    max_level: int

    def indicator(self, number: int) -> Indicator:
        """The indicator with this number; ``KeyError`` if the rule set has none."""
        for indicator in self.indicators:
            if indicator.number == number:
                return indicator
        raise KeyError(number)

    def domains(self) -> tuple[Group, ...]:
        """The domains in the rule set's order, with their total weights."""
        return _groups(self.indicators, domain=True)

    def aspects(self) -> tuple[Group, ...]:
        """The aspects in the rule set's order, with their total weights."""
        return _groups(self.indicators, domain=False)

    def level_name(self, number: int, level: int) -> str:
        """The name of a capability level on the scale of indicator ``number``."""
        return self.level_names[self.indicator(number).scale][level]


@dataclass(frozen=True)
class GroupIndex:
    code: str
    name: str
    weight: Decimal
    index: float


@dataclass(frozen=True)
class SpbeResult:
    """The SPBE index and the per-domain and per-aspect indices, each rounded to two decimals."""

    ruleset: str
    index: float
    predicate: str
    domains: tuple[GroupIndex, ...]
    aspects: tuple[GroupIndex, ...]


def _groups(indicators: tuple[Indicator, ...], *, domain: bool) -> tuple[Group, ...]:
    names: dict[str, str] = {}
    weights: dict[str, Decimal] = {}
    members: dict[str, list[int]] = {}
    for indicator in indicators:
        code = indicator.domain_code if domain else indicator.aspect_code
        names.setdefault(code, indicator.domain if domain else indicator.aspect)
        weights[code] = weights.get(code, Decimal(0)) + indicator.weight
        members.setdefault(code, []).append(indicator.number)
    return tuple(Group(code, names[code], weights[code], tuple(members[code])) for code in names)


def _rulesets_root() -> Traversable:
    return resources.files("simpul.evaluation.rulesets")


def available_rulesets() -> list[str]:
    """The codes of the rule sets shipped with Simpul, sorted (each directory is one)."""
    return sorted(
        entry.name
        for entry in _rulesets_root().iterdir()
        if entry.is_dir() and entry.joinpath(RULESET_FILE).is_file()
    )


def load_ruleset(code: str = DEFAULT_RULESET) -> RuleSet:
    """The shipped rule set ``code`` (cached). Raises ``RuleSetError`` for an unknown code."""
    return _cached_ruleset(code)


def clear_ruleset_cache() -> None:
    """Forget loaded rule sets (tests that change the rule set directories)."""
    _cached_ruleset.cache_clear()


@lru_cache
def _cached_ruleset(code: str) -> RuleSet:
    if code not in available_rulesets():
        raise RuleSetError(
            _("Aturan evaluasi %(code)s tidak dikenal. Yang tersedia: %(available)s.")
            % {"code": code, "available": ", ".join(available_rulesets())}
        )
    return load_ruleset_dir(_rulesets_root().joinpath(code))


def load_ruleset_dir(directory: Traversable | Path) -> RuleSet:
    """Read and check one rule set directory (``ruleset.toml`` + indicators CSV)."""
    where = directory.name
    try:
        meta = tomllib.loads(directory.joinpath(RULESET_FILE).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: %(file)s tidak dapat dibaca (%(error)s).")
            % {"where": where, "file": RULESET_FILE, "error": exc}
        ) from exc
    try:
        code = str(meta["code"])
        min_level = int(meta["min_level"])
        max_level = int(meta["max_level"])
        level_names = _level_names(meta["level_names"])
        predicates = tuple(
            (Decimal(str(item["min"])), str(item["name"])) for item in meta["predicates"]
        )
        csv_name = str(meta.get("indicators", "indicators.csv"))
        title = str(meta["title"])
        regulation = str(meta["regulation"])
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: isian %(file)s tidak lengkap atau salah (%(error)s).")
            % {"where": where, "file": RULESET_FILE, "error": exc}
        ) from exc
    try:
        csv_text = directory.joinpath(csv_name).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: %(file)s tidak dapat dibaca (%(error)s).")
            % {"where": where, "file": csv_name, "error": exc}
        ) from exc
    indicators = _indicators(csv_text, where, level_names)
    ruleset = RuleSet(
        code=code,
        title=title,
        regulation=regulation,
        indicators=indicators,
        level_names=level_names,
        predicates=predicates,
        min_level=min_level,
        max_level=max_level,
    )
    _check(ruleset, where)
    return ruleset


def _level_names(raw: Any) -> Mapping[str, Mapping[int, str]]:
    return MappingProxyType(
        {
            str(scale): MappingProxyType({int(level): str(name) for level, name in names.items()})
            for scale, names in raw.items()
        }
    )


def _indicators(
    text: str, where: str, level_names: Mapping[str, Mapping[int, str]]
) -> tuple[Indicator, ...]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in INDICATOR_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: kolom indikator %(columns)s tidak ada.")
            % {"where": where, "columns": ", ".join(missing)}
        )
    indicators = []
    for line, row in enumerate(reader, start=2):
        try:
            indicator = Indicator(
                number=int(row["indicator"]),
                domain_code=row["domain_code"].strip(),
                domain=row["domain"].strip(),
                aspect_code=row["aspect_code"].strip(),
                aspect=row["aspect"].strip(),
                name=row["name"].strip(),
                weight=Decimal(row["weight_percent"].strip()),
                scale=row["capability_scale"].strip(),
            )
        except (ValueError, InvalidOperation, AttributeError) as exc:
            raise RuleSetError(
                _("Aturan evaluasi %(where)s: baris %(line)d daftar indikator salah (%(error)s).")
                % {"where": where, "line": line, "error": exc}
            ) from exc
        if indicator.weight < 0:
            raise RuleSetError(
                _("Aturan evaluasi %(where)s: bobot indikator %(number)d negatif.")
                % {"where": where, "number": indicator.number}
            )
        if indicator.scale not in level_names:
            raise RuleSetError(
                _(
                    "Aturan evaluasi %(where)s: indikator %(number)d memakai skala %(scale)s "
                    "yang tidak dikenal."
                )
                % {"where": where, "number": indicator.number, "scale": indicator.scale}
            )
        indicators.append(indicator)
    return tuple(indicators)


def _check(ruleset: RuleSet, where: str) -> None:
    if not ruleset.indicators:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s tidak berisi indikator.") % {"where": where}
        )
    numbers = [indicator.number for indicator in ruleset.indicators]
    duplicates = sorted({number for number in numbers if numbers.count(number) > 1})
    if duplicates:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: nomor indikator ganda %(numbers)s.")
            % {"where": where, "numbers": ", ".join(map(str, duplicates))}
        )
    total = sum((indicator.weight for indicator in ruleset.indicators), Decimal(0))
    if total != TOTAL_WEIGHT:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: bobot indikator berjumlah %(total)s, seharusnya 100.")
            % {"where": where, "total": f"{total.normalize():f}"}
        )
    if ruleset.min_level >= ruleset.max_level:
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: rentang tingkat %(low)d-%(high)d tidak sah.")
            % {"where": where, "low": ruleset.min_level, "high": ruleset.max_level}
        )
    levels = set(range(ruleset.min_level, ruleset.max_level + 1))
    for scale, names in ruleset.level_names.items():
        if set(names) != levels:
            raise RuleSetError(
                _(
                    "Aturan evaluasi %(where)s: skala %(scale)s harus menamai "
                    "tingkat %(low)d-%(high)d."
                )
                % {
                    "where": where,
                    "scale": scale,
                    "low": ruleset.min_level,
                    "high": ruleset.max_level,
                }
            )
    thresholds = [minimum for minimum, _name in ruleset.predicates]
    if not thresholds or thresholds != sorted(thresholds, reverse=True):
        raise RuleSetError(
            _("Aturan evaluasi %(where)s: predikat harus diurutkan dari ambang tertinggi.")
            % {"where": where}
        )


def _round2(value: Decimal) -> Decimal:
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def predicate_for(index: float | Decimal, ruleset: RuleSet | None = None) -> str:
    """The predicate (e.g. "Baik") of an index, judged on its two-decimal value."""
    ruleset = ruleset or load_ruleset()
    value = _round2(Decimal(str(index)))
    for minimum, name in ruleset.predicates:
        if value >= minimum:
            return name
    return ruleset.predicates[-1][1]


def _checked_levels(levels: Mapping[int, int], ruleset: RuleSet) -> dict[int, int]:
    known = {indicator.number for indicator in ruleset.indicators}
    for number in levels:
        if isinstance(number, bool) or not isinstance(number, int):
            raise SpbeInputError(
                _("Nomor indikator harus bilangan bulat, bukan %(value)s.")
                % {"value": repr(number)}
            )
        if number not in known:
            raise SpbeInputError(
                _("Indikator %(number)d tidak ada dalam aturan %(code)s (indikator 1-%(count)d).")
                % {"number": number, "code": ruleset.code, "count": len(known)},
                indicator=number,
            )
    for indicator in ruleset.indicators:
        if indicator.number not in levels:
            continue
        level = levels[indicator.number]
        if isinstance(level, bool) or not isinstance(level, int):
            raise SpbeInputError(
                _(
                    "Indikator %(number)d (%(name)s): tingkat harus bilangan bulat "
                    "%(low)d-%(high)d, bukan %(value)s."
                )
                % {
                    "number": indicator.number,
                    "name": indicator.name,
                    "low": ruleset.min_level,
                    "high": ruleset.max_level,
                    "value": repr(level),
                },
                indicator=indicator.number,
            )
        if not ruleset.min_level <= level <= ruleset.max_level:
            raise SpbeInputError(
                _(
                    "Indikator %(number)d (%(name)s): tingkat %(value)d di luar rentang "
                    "%(low)d-%(high)d."
                )
                % {
                    "number": indicator.number,
                    "name": indicator.name,
                    "value": level,
                    "low": ruleset.min_level,
                    "high": ruleset.max_level,
                },
                indicator=indicator.number,
            )
    missing = [indicator for indicator in ruleset.indicators if indicator.number not in levels]
    if missing:
        shown = ", ".join(str(indicator.number) for indicator in missing[:MISSING_SHOWN])
        if len(missing) > MISSING_SHOWN:
            shown += ", …"
        raise SpbeInputError(
            _(
                "Tingkat belum diisi untuk %(count)d indikator: %(numbers)s "
                "(pertama: indikator %(first)d, %(name)s)."
            )
            % {
                "count": len(missing),
                "numbers": shown,
                "first": missing[0].number,
                "name": missing[0].name,
            },
            indicator=missing[0].number,
        )
    return dict(levels)


def _group_indices(
    groups: tuple[Group, ...], levels: Mapping[int, int], ruleset: RuleSet
) -> tuple[GroupIndex, ...]:
    results = []
    for group in groups:
        weighted = sum(
            (ruleset.indicator(number).weight * levels[number] for number in group.indicators),
            Decimal(0),
        )
        # A group whose indicators all weigh 0 has no index of its own; report its lowest level.
        index = weighted / group.weight if group.weight else Decimal(ruleset.min_level)
        results.append(GroupIndex(group.code, group.name, group.weight, float(_round2(index))))
    return tuple(results)


def compute_index(levels: Mapping[int, int], ruleset: RuleSet | None = None) -> SpbeResult:
    """Score a self-assessment: the capability level of every indicator of the rule set.

    Raises ``SpbeInputError`` naming the indicator for a missing, unknown or out-of-range level.
    """
    ruleset = ruleset or load_ruleset()
    checked = _checked_levels(levels, ruleset)
    total = sum(
        (indicator.weight * checked[indicator.number] for indicator in ruleset.indicators),
        Decimal(0),
    )
    index = _round2(total / TOTAL_WEIGHT)
    return SpbeResult(
        ruleset=ruleset.code,
        index=float(index),
        predicate=predicate_for(index, ruleset),
        domains=_group_indices(ruleset.domains(), checked, ruleset),
        aspects=_group_indices(ruleset.aspects(), checked, ruleset),
    )
