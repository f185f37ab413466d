"""The community satisfaction index (Indeks Kepuasan Masyarakat, IKM), PermenPANRB 14/2017.

Each respondent answers nine elements (unsur) U1..U9 on a 1-4 scale. The IKM is the weighted
mean of the per-element means, each element weighing 1/9, converted to a 25-100 scale (x 25).
Arithmetic is exact (``Fraction``); the published IKM and the per-element means are rounded
half-up to two decimals, and the grade is taken from the rounded IKM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from simpul.core.i18n import _, lazy

__all__ = [
    "ANSWER_MAX",
    "ANSWER_MIN",
    "CONVERSION_FACTOR",
    "ELEMENTS",
    "GRADES",
    "Element",
    "IkmInputError",
    "IkmResult",
    "compute_ikm",
    "element_codes",
    "grade_for",
    "ikm_from_totals",
    "krejcie_morgan",
    "sample_sufficient",
]

ANSWER_MIN: Final = 1
ANSWER_MAX: Final = 4
CONVERSION_FACTOR: Final = 25
TWO_PLACES: Final = Decimal("0.01")


@dataclass(frozen=True)
class Element:
    """One element (unsur) of the survey: its code, its label and the four answers, 1 to 4."""

    code: str
    label: str
    answers: tuple[str, str, str, str]


ELEMENTS: Final[tuple[Element, ...]] = (
    Element(
        "u1",
        lazy("Persyaratan"),
        (lazy("Tidak sesuai"), lazy("Kurang sesuai"), lazy("Sesuai"), lazy("Sangat sesuai")),
    ),
    Element(
        "u2",
        lazy("Sistem, mekanisme dan prosedur"),
        (lazy("Tidak mudah"), lazy("Kurang mudah"), lazy("Mudah"), lazy("Sangat mudah")),
    ),
    Element(
        "u3",
        lazy("Waktu penyelesaian"),
        (lazy("Tidak cepat"), lazy("Kurang cepat"), lazy("Cepat"), lazy("Sangat cepat")),
    ),
    Element(
        "u4",
        lazy("Biaya/tarif"),
        (lazy("Sangat mahal"), lazy("Cukup mahal"), lazy("Murah"), lazy("Gratis")),
    ),
    Element(
        "u5",
        lazy("Produk spesifikasi jenis pelayanan"),
        (lazy("Tidak sesuai"), lazy("Kurang sesuai"), lazy("Sesuai"), lazy("Sangat sesuai")),
    ),
    Element(
        "u6",
        lazy("Kompetensi pelaksana"),
        (
            lazy("Tidak kompeten"),
            lazy("Kurang kompeten"),
            lazy("Kompeten"),
            lazy("Sangat kompeten"),
        ),
    ),
    Element(
        "u7",
        lazy("Perilaku pelaksana"),
        (
            lazy("Tidak sopan dan ramah"),
            lazy("Kurang sopan dan ramah"),
            lazy("Sopan dan ramah"),
            lazy("Sangat sopan dan ramah"),
        ),
    ),
    Element(
        "u8",
        lazy("Penanganan pengaduan, saran dan masukan"),
        (
            lazy("Tidak ada"),
            lazy("Ada tetapi tidak berfungsi"),
            lazy("Berfungsi kurang maksimal"),
            lazy("Dikelola dengan baik"),
        ),
    ),
    Element(
        "u9",
        lazy("Sarana dan prasarana"),
        (lazy("Buruk"), lazy("Cukup"), lazy("Baik"), lazy("Sangat baik")),
    ),
)

# (lowest rounded IKM of the grade, grade, label), best first.
GRADES: Final[tuple[tuple[Decimal, str, str], ...]] = (
    (Decimal("88.31"), "A", lazy("Sangat Baik")),
    (Decimal("76.61"), "B", lazy("Baik")),
    (Decimal("65.00"), "C", lazy("Kurang Baik")),
    (Decimal("25.00"), "D", lazy("Tidak Baik")),
)


def element_codes() -> tuple[str, ...]:
    """The element codes in survey order: ``("u1", ..., "u9")``."""
    return tuple(element.code for element in ELEMENTS)


class IkmInputError(ValueError):
    """Survey answers that cannot be scored; ``row`` is 1-based, ``element`` a code like ``u3``."""

    def __init__(self, message: str, *, row: int | None = None, element: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.element = element


@dataclass(frozen=True)
class IkmResult:
    """The IKM (25-100, two decimals), its grade and label, and each element's mean (1-4)."""

    ikm: float
    grade: str
    label: str
    respondents: int
    elements: tuple[float, ...]


def _round2(value: Fraction | Decimal) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _check_answer(answer: object, row: int, element: str) -> int:
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        raise IkmInputError(
            _("Responden %(row)d, unsur %(element)s: jawaban kosong; isi 1-4.")
            % {"row": row, "element": element.upper()},
            row=row,
            element=element,
        )
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise IkmInputError(
            _(
                "Responden %(row)d, unsur %(element)s: jawaban harus bilangan bulat 1-4, "
                "bukan %(value)s."
            )
            % {"row": row, "element": element.upper(), "value": repr(answer)},
            row=row,
            element=element,
        )
    if not ANSWER_MIN <= answer <= ANSWER_MAX:
        raise IkmInputError(
            _("Responden %(row)d, unsur %(element)s: jawaban %(value)d di luar rentang 1-4.")
            % {"row": row, "element": element.upper(), "value": answer},
            row=row,
            element=element,
        )
    return answer


def compute_ikm(responses: Sequence[Sequence[int]]) -> IkmResult:
    """Score a survey: one row per respondent, nine answers (U1..U9) of 1-4 each.

    Raises ``IkmInputError`` naming the respondent row and element for any bad answer.
    """
    codes = element_codes()
    if not responses:
        raise IkmInputError(_("Tidak ada responden: IKM tidak dapat dihitung."))
    totals = [0] * len(codes)
    for row_number, row in enumerate(responses, start=1):
        if len(row) != len(codes):
            raise IkmInputError(
                _("Responden %(row)d memberi %(count)d jawaban; seharusnya 9 (U1 sampai U9).")
                % {"row": row_number, "count": len(row)},
                row=row_number,
            )
        for index, (code, answer) in enumerate(zip(codes, row, strict=True)):
            totals[index] += _check_answer(answer, row_number, code)
    return ikm_from_totals(totals, len(responses))


def ikm_from_totals(totals: Sequence[int], respondents: int) -> IkmResult:
    """Score a survey from each element's sum of answers over ``respondents`` (exact: the
    same result as ``compute_ikm`` over the rows; the database sums stored answers, which
    were checked when they were given)."""
    codes = element_codes()
    if respondents < 1 or len(totals) != len(codes):
        raise ValueError("ikm_from_totals needs nine totals and at least one respondent")
    means = [Fraction(total, respondents) for total in totals]
    ikm = sum((mean * Fraction(1, len(codes)) for mean in means), Fraction(0)) * CONVERSION_FACTOR
    ikm_rounded = _round2(ikm)
    grade, label = grade_for(float(ikm_rounded))
    return IkmResult(
        ikm=float(ikm_rounded),
        grade=grade,
        label=label,
        respondents=respondents,
        elements=tuple(float(_round2(mean)) for mean in means),
    )


def grade_for(ikm: float) -> tuple[str, str]:
    """The grade letter and its (Indonesian) label for an IKM, judged on its two-decimal value."""
    value = _round2(Decimal(str(ikm)))
    for lowest, grade, label in GRADES:
        if value >= lowest:
            return grade, label
    return GRADES[-1][1], GRADES[-1][2]


def krejcie_morgan(population: int) -> int:
    """The minimum sample for a population (Krejcie & Morgan, 95% confidence, 5% error)."""
    if population < 0:
        raise ValueError(_("Jumlah populasi tidak boleh negatif."))
    if population == 0:
        return 0
    chi_square = Fraction("3.841")
    proportion = Fraction(1, 4)
    error_squared = Fraction("0.0025")
    sample = (chi_square * population * proportion) / (
        error_squared * (population - 1) + chi_square * proportion
    )
    return math.ceil(sample)


def sample_sufficient(respondents: int, population: int) -> bool:
    """Whether the respondents reach the Krejcie-Morgan minimum for the population."""
    return respondents >= krejcie_morgan(population)
