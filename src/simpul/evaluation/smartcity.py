"""The smart city index and its year-over-year improvement.

The evaluation (Gerakan Menuju 100 Smart City and the provincial evaluations modelled on it)
scores a region on five components (baseline, output, outcome, impact, quick win) on a 0-5
scale across six dimensions; the index is the weighted mean of the component scores, weights in
percent adding up to 100. The published index is truncated to two decimals (``ROUND_DOWN``),
which reproduces the published figures (Kota Kediri 2022: exact mean 3.315, published 3.31);
the improvement is that published index minus the previous year's, rounded half-up to two
decimals (it is exact whenever the previous index has two decimals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Final

from simpul.core.i18n import _, lazy

__all__ = [
    "COMPONENTS",
    "COMPONENT_LABELS",
    "DEFAULT_WEIGHTS",
    "DIMENSIONS",
    "SCORE_MAX",
    "SCORE_MIN",
    "Dimension",
    "SmartCityInputError",
    "SmartCityResult",
    "compute_index",
]

SCORE_MIN: Final = Decimal(0)
SCORE_MAX: Final = Decimal(5)
TOTAL_WEIGHT: Final = Decimal(100)
TWO_PLACES: Final = Decimal("0.01")


@dataclass(frozen=True)
class Dimension:
    code: str
    label: str


DIMENSIONS: Final[tuple[Dimension, ...]] = (
    Dimension("governance", lazy("Smart governance (tata kelola pemerintahan)")),
    Dimension("branding", lazy("Smart branding (citra daerah)")),
    Dimension("economy", lazy("Smart economy (ekonomi)")),
    Dimension("living", lazy("Smart living (lingkungan hidup yang layak)")),
    Dimension("society", lazy("Smart society (masyarakat)")),
    Dimension("environment", lazy("Smart environment (lingkungan alam)")),
)

COMPONENTS: Final = ("baseline", "output", "outcome", "impact", "quick_win")
COMPONENT_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "baseline": lazy("Kondisi awal (baseline)"),
        "output": lazy("Keluaran (output)"),
        "outcome": lazy("Hasil (outcome)"),
        "impact": lazy("Dampak (impact)"),
        "quick_win": lazy("Program cepat (quick win)"),
    }
)
DEFAULT_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {"baseline": 10, "output": 20, "outcome": 30, "impact": 20, "quick_win": 20}
)


class SmartCityInputError(ValueError):
    """Component scores or weights that cannot be used; ``field`` names the one at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class SmartCityResult:
    """The index (truncated to two decimals), its improvement, and the inputs used."""

    index: float
    improvement: float | None
    weights: Mapping[str, Decimal]
    components: Mapping[str, Decimal]
    exact_index: Decimal


def _number(value: object, field: str) -> Decimal:
    """A finite Decimal from an int, float or Decimal; a float via its repr (3.6 -> 3.6)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise SmartCityInputError(
            _("%(field)s harus berupa angka, bukan %(value)s.")
            % {"field": field, "value": repr(value)},
            field=field,
        )
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        raise SmartCityInputError(
            _("%(field)s harus berupa angka, bukan %(value)s.")
            % {"field": field, "value": repr(value)},
            field=field,
        )
    return number


def _check_keys(given: Mapping[str, object], what: str) -> None:
    unknown = [key for key in given if key not in COMPONENTS]
    if unknown:
        raise SmartCityInputError(
            _("%(what)s: komponen %(name)s tidak dikenal (yang dikenal: %(known)s).")
            % {"what": what, "name": unknown[0], "known": ", ".join(COMPONENTS)},
            field=str(unknown[0]),
        )
    missing = [key for key in COMPONENTS if key not in given]
    if missing:
        raise SmartCityInputError(
            _("%(what)s: komponen %(names)s belum diisi.")
            % {"what": what, "names": ", ".join(missing)},
            field=missing[0],
        )


def _scores(components: Mapping[str, float | Decimal]) -> dict[str, Decimal]:
    _check_keys(components, _("Nilai komponen"))
    scores = {}
    for key in COMPONENTS:
        score = _number(components[key], key)
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise SmartCityInputError(
                _("Nilai %(field)s %(value)s di luar skala 0-5.") % {"field": key, "value": score},
                field=key,
            )
        scores[key] = score
    return scores


def _weights(weights: Mapping[str, float | Decimal] | None) -> dict[str, Decimal]:
    if weights is None:
        return {key: Decimal(DEFAULT_WEIGHTS[key]) for key in COMPONENTS}
    _check_keys(weights, _("Bobot"))
    checked = {}
    for key in COMPONENTS:
        weight = _number(weights[key], key)
        if weight < 0:
            raise SmartCityInputError(
                _("Bobot %(field)s tidak boleh negatif (%(value)s).")
                % {"field": key, "value": weight},
                field=key,
            )
        checked[key] = weight
    total = sum(checked.values(), Decimal(0))
    if total != TOTAL_WEIGHT:
        raise SmartCityInputError(
            _("Bobot komponen berjumlah %(total)s, seharusnya 100.")
            % {"total": f"{total.normalize():f}"},
            field="weights",
        )
    return checked


def compute_index(
    components: Mapping[str, float | Decimal],
    weights: Mapping[str, float | Decimal] | None = None,
    previous_index: float | Decimal | None = None,
) -> SmartCityResult:
    """The weighted mean of the five component scores (0-5) and, given last year's index, the
    improvement. ``weights`` are percent (default ``DEFAULT_WEIGHTS``) and must add up to 100.
    """
    scores = _scores(components)
    checked_weights = _weights(weights)
    exact = sum((scores[key] * checked_weights[key] for key in COMPONENTS), Decimal(0))
    exact /= TOTAL_WEIGHT
    index = exact.quantize(TWO_PLACES, rounding=ROUND_DOWN)
    improvement = None
    if previous_index is not None:
        previous = _number(previous_index, "previous_index")
        if not SCORE_MIN <= previous <= SCORE_MAX:
            raise SmartCityInputError(
                _("Indeks tahun sebelumnya %(value)s di luar skala 0-5.") % {"value": previous},
                field="previous_index",
            )
        improvement = float((index - previous).quantize(TWO_PLACES, rounding=ROUND_HALF_UP))
    return SmartCityResult(
        index=float(index),
        improvement=improvement,
        weights=MappingProxyType(checked_weights),
        components=MappingProxyType(scores),
        exact_index=exact,
    )
