"""The region's smart city evaluation: a 0-5 score per dimension and component, the weights.

A component's score is the mean of its six dimension scores; the index is the calculator's
weighted mean of the component scores (``simpul.evaluation.smartcity``). The improvement is
the index minus the previous one: the ``previous_index`` typed in (for the first year, whose
predecessor is not in Simpul), else the previous year's final evaluation.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.evaluation import smartcity
from simpul.evaluation.assessments import repository
from simpul.evaluation.assessments.models import (
    MAX_SCORE_NOTE,
    AssessmentStatus,
    SmartCityEvaluation,
    SmartCityScore,
)

FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100
DIMENSION_CODES: Final = tuple(d.code for d in smartcity.DIMENSIONS)
_NUMBER = re.compile(r"[0-9]{1,3}([.,][0-9]{1,2})?")
_WEIGHT_COLUMNS: Final = {component: f"weight_{component}" for component in smartcity.COMPONENTS}


def score_field(dimension: str, component: str) -> str:
    return f"nilai-{dimension}-{component}"


def note_field(dimension: str, component: str) -> str:
    return f"catatan-{dimension}-{component}"


def weight_field(component: str) -> str:
    return f"bobot-{component}"


PREVIOUS_FIELD: Final = "indeks-sebelumnya"


def form_fields() -> list[str]:
    """Every field name the evaluation form sends."""
    names = [PREVIOUS_FIELD]
    names += [weight_field(c) for c in smartcity.COMPONENTS]
    for dimension in DIMENSION_CODES:
        for component in smartcity.COMPONENTS:
            names += [score_field(dimension, component), note_field(dimension, component)]
    return names


def dimension_label(code: str) -> str:
    for dimension in smartcity.DIMENSIONS:
        if dimension.code == code:
            return _(dimension.label)
    return code


def component_label(code: str) -> str:
    return _(smartcity.COMPONENT_LABELS[code])


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(_("Evaluasi smart city tahun %(year)d tidak ditemukan.") % {"year": year})


def weights_of(evaluation: SmartCityEvaluation | None) -> dict[str, Decimal]:
    if evaluation is None:
        return {c: Decimal(w) for c, w in smartcity.DEFAULT_WEIGHTS.items()}
    return {c: Decimal(getattr(evaluation, column)) for c, column in _WEIGHT_COLUMNS.items()}


def component_scores(
    scores: Sequence[SmartCityScore],
) -> dict[str, Decimal | None]:
    """Each component's mean over the six dimensions; None until all six are scored."""
    by_component: dict[str, list[Decimal]] = {c: [] for c in smartcity.COMPONENTS}
    for score in scores:
        if score.component in by_component and score.dimension in DIMENSION_CODES:
            by_component[score.component].append(Decimal(score.score))
    return {
        component: sum(values, Decimal(0)) / len(DIMENSION_CODES)
        if len(values) == len(DIMENSION_CODES)
        else None
        for component, values in by_component.items()
    }


def _index(
    evaluation: SmartCityEvaluation, scores: Sequence[SmartCityScore]
) -> smartcity.SmartCityResult | None:
    components = component_scores(scores)
    if any(value is None for value in components.values()):
        return None
    complete = {c: v for c, v in components.items() if v is not None}
    return smartcity.compute_index(complete, weights_of(evaluation))


def index_of(session: Session, region_id: uuid.UUID, year: int) -> float | None:
    """The index of the region's final evaluation of ``year`` (None if none or incomplete)."""
    evaluation = repository.get_smart_city_evaluation(session, region_id, year)
    if evaluation is None or evaluation.status is not AssessmentStatus.FINAL:
        return None
    result = _index(
        evaluation, repository.list_smart_city_scores(session, region_id, evaluation.id)
    )
    return result.index if result is not None else None


@dataclass(frozen=True)
class Previous:
    """The index the improvement is measured from, and where it comes from."""

    index: Decimal | None
    manual: bool


def previous_of(
    session: Session, region: Region, year: int, evaluation: SmartCityEvaluation | None
) -> Previous:
    if evaluation is not None and evaluation.previous_index is not None:
        return Previous(Decimal(evaluation.previous_index), manual=True)
    earlier = index_of(session, region.id, year - 1)
    return Previous(Decimal(str(earlier)) if earlier is not None else None, manual=False)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    """A horizontal bar per component on the 0-5 scale (labels above the bars: phone-width)."""

    width: int
    height: int
    left: int
    scale_width: int
    bar_height: int
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[int, float], ...]


def _chart(values: Mapping[str, Decimal | None]) -> Chart:
    width, left, right, row, bar_height, top = 340, 8, 24, 44, 18, 8
    scale_width = width - left - right
    bars = []
    for position, (component, value) in enumerate(values.items()):
        if value is None:
            continue
        bars.append(
            Bar(
                component_label(component),
                value,
                top + position * row,
                float(round(value / smartcity.SCORE_MAX * scale_width, 1)),
            )
        )
    height = top + len(values) * row + 16
    ticks = tuple((tick, left + tick / 5 * scale_width) for tick in range(6))
    return Chart(width, height, left, scale_width, bar_height, tuple(bars), ticks)


@dataclass(frozen=True)
class EvaluationView:
    year: int
    evaluation: SmartCityEvaluation | None
    values: dict[str, str]
    components: dict[str, Decimal | None]
    filled: int
    result: smartcity.SmartCityResult | None
    previous: Previous
    chart: Chart

    @property
    def total(self) -> int:
        return len(DIMENSION_CODES) * len(smartcity.COMPONENTS)

    @property
    def is_final(self) -> bool:
        return self.evaluation is not None and self.evaluation.status is AssessmentStatus.FINAL


def _format(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f") if value == value.to_integral() else f"{value:.2f}"


def evaluation_view(
    session: Session, region: Region, year: int, values: dict[str, str] | None = None
) -> EvaluationView:
    """The evaluation of ``year`` (or an empty form with the default weights)."""
    check_year(year)
    evaluation = repository.get_smart_city_evaluation(session, region.id, year)
    scores = (
        repository.list_smart_city_scores(session, region.id, evaluation.id) if evaluation else []
    )
    if values is None:
        values = {PREVIOUS_FIELD: _format(evaluation.previous_index) if evaluation else ""}
        for component, weight in weights_of(evaluation).items():
            values[weight_field(component)] = _format(weight)
        for score in scores:
            values[score_field(score.dimension, score.component)] = _format(Decimal(score.score))
            values[note_field(score.dimension, score.component)] = score.note
    components = component_scores(scores)
    result = None
    previous = previous_of(session, region, year, evaluation)
    if evaluation is not None and all(v is not None for v in components.values()):
        complete = {c: v for c, v in components.items() if v is not None}
        result = smartcity.compute_index(complete, weights_of(evaluation), previous.index)
    return EvaluationView(
        year=year,
        evaluation=evaluation,
        values=values,
        components=components,
        filled=len(scores),
        result=result,
        previous=previous,
        chart=_chart(components),
    )


@dataclass(frozen=True)
class YearRow:
    evaluation: SmartCityEvaluation
    result: smartcity.SmartCityResult | None


def year_rows(session: Session, region: Region) -> list[YearRow]:
    """Every evaluated year, the latest first, with its index and improvement when complete."""
    rows = []
    for evaluation in repository.list_smart_city_evaluations(session, region.id):
        view = evaluation_view(session, region, evaluation.year)
        rows.append(YearRow(evaluation, view.result))
    return rows


@dataclass(frozen=True)
class ParsedForm:
    weights: dict[str, Decimal]
    previous_index: Decimal | None
    scores: dict[tuple[str, str], tuple[Decimal, str]]


def _decimal(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _parse_scores(
    form: Mapping[str, str], errors: dict[str, str]
) -> dict[tuple[str, str], tuple[Decimal, str]]:
    scores: dict[tuple[str, str], tuple[Decimal, str]] = {}
    for dimension in DIMENSION_CODES:
        for component in smartcity.COMPONENTS:
            name = score_field(dimension, component)
            text = form.get(name, "").strip()
            note = form.get(note_field(dimension, component), "").strip()
            where = {
                "dimension": dimension_label(dimension),
                "component": component_label(component),
            }
            if len(note) > MAX_SCORE_NOTE:
                errors[note_field(dimension, component)] = _(
                    "%(dimension)s, %(component)s: catatan paling banyak %(max)d karakter."
                ) % {**where, "max": MAX_SCORE_NOTE}
            if not text:
                continue
            value = _decimal(text)
            if value is None or not smartcity.SCORE_MIN <= value <= smartcity.SCORE_MAX:
                errors[name] = _(
                    "%(dimension)s, %(component)s: nilai harus angka 0 sampai 5 "
                    "(paling banyak dua desimal), bukan \u201c%(value)s\u201d."
                ) % {**where, "value": text[:20]}
                continue
            scores[(dimension, component)] = (value, note)
    return scores


def _parse_weights(form: Mapping[str, str], errors: dict[str, str]) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for component in smartcity.COMPONENTS:
        name = weight_field(component)
        text = form.get(name, "").strip()
        value = _decimal(text)
        if value is None or not 0 <= value <= 100:
            errors[name] = _(
                "Bobot %(component)s harus angka 0 sampai 100 (persen), "
                "bukan \u201c%(value)s\u201d."
            ) % {"component": component_label(component), "value": text[:20]}
        else:
            weights[component] = value
    if len(weights) == len(smartcity.COMPONENTS):
        total = sum(weights.values(), Decimal(0))
        if total != 100:
            errors["bobot"] = _("Bobot komponen berjumlah %(total)s persen, seharusnya 100.") % {
                "total": _format(total).replace(".", ",")
            }
    return weights


def _parse_previous(form: Mapping[str, str], errors: dict[str, str]) -> Decimal | None:
    text = form.get(PREVIOUS_FIELD, "").strip()
    if not text:
        return None
    previous = _decimal(text)
    if previous is None or not smartcity.SCORE_MIN <= previous <= smartcity.SCORE_MAX:
        errors[PREVIOUS_FIELD] = _(
            "Indeks tahun sebelumnya harus angka 0 sampai 5 (paling banyak dua desimal), "
            "bukan \u201c%(value)s\u201d."
        ) % {"value": text[:20]}
    return previous


def parse_form(form: Mapping[str, str]) -> ParsedForm:
    """The scores, weights and previous index of the form; ``InvalidInput`` with one message
    per field at fault (naming the dimension and component) otherwise."""
    errors: dict[str, str] = {}
    scores = _parse_scores(form, errors)
    weights = _parse_weights(form, errors)
    previous = _parse_previous(form, errors)
    if errors:
        raise InvalidInput(
            next(iter(errors.values())),
            details=[{"field": name, "message": message} for name, message in errors.items()],
        )
    return ParsedForm(weights, previous, scores)


def _audit(
    session: Session,
    region: Region,
    user: User,
    action: str,
    evaluation: SmartCityEvaluation,
    details: dict[str, object],
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action=action,
        target_type="smart_city_evaluation",
        target_id=str(evaluation.id),
        details={"year": evaluation.year, **details},
    )


def save_evaluation(
    session: Session, region: Region, user: User, year: int, form: Mapping[str, str]
) -> SmartCityEvaluation:
    """Store the whole form (creating the year's evaluation if needed); nothing on error.

    A blank score is a score not given yet. A final evaluation cannot be changed (409).
    """
    check_year(year)
    parsed = parse_form(form)
    evaluation = repository.get_smart_city_evaluation(session, region.id, year, for_update=True)
    if evaluation is not None and evaluation.status is AssessmentStatus.FINAL:
        raise Conflict(
            _("Evaluasi smart city %(year)d sudah final. Buka kembali untuk mengubahnya.")
            % {"year": year}
        )
    if evaluation is None:
        evaluation = SmartCityEvaluation(region_id=region.id, year=year)
        session.add(evaluation)
    for component, column in _WEIGHT_COLUMNS.items():
        setattr(evaluation, column, parsed.weights[component])
    evaluation.previous_index = parsed.previous_index
    evaluation.updated_at = utcnow()
    session.flush()
    repository.delete_smart_city_scores(session, region.id, evaluation.id)
    for (dimension, component), (value, note) in parsed.scores.items():
        session.add(
            SmartCityScore(
                region_id=region.id,
                evaluation_id=evaluation.id,
                dimension=dimension,
                component=component,
                score=value,
                note=note,
            )
        )
    session.flush()
    _audit(
        session,
        region,
        user,
        "smart_city.evaluation_saved",
        evaluation,
        {
            "scores": len(parsed.scores),
            "weights": {c: str(w) for c, w in parsed.weights.items()},
            "previous_index": str(parsed.previous_index) if parsed.previous_index else None,
        },
    )
    return evaluation


def _existing(session: Session, region: Region, year: int) -> SmartCityEvaluation:
    check_year(year)
    evaluation = repository.get_smart_city_evaluation(session, region.id, year, for_update=True)
    if evaluation is None:
        raise NotFound(_("Evaluasi smart city tahun %(year)d tidak ditemukan.") % {"year": year})
    return evaluation


def finalise(session: Session, region: Region, user: User, year: int) -> None:
    """Make the evaluation final (read-only); 422 while a score is missing."""
    evaluation = _existing(session, region, year)
    if evaluation.status is AssessmentStatus.FINAL:
        raise Conflict(_("Evaluasi smart city %(year)d sudah final.") % {"year": year})
    scores = repository.list_smart_city_scores(session, region.id, evaluation.id)
    given = {(s.dimension, s.component) for s in scores}
    missing = [(d, c) for d in DIMENSION_CODES for c in smartcity.COMPONENTS if (d, c) not in given]
    if missing:
        raise InvalidInput(
            _("Evaluasi belum dapat difinalkan: %(count)d nilai belum diisi.")
            % {"count": len(missing)},
            details=[
                {
                    "field": score_field(d, c),
                    "message": _("%(dimension)s, %(component)s: nilai belum diisi.")
                    % {"dimension": dimension_label(d), "component": component_label(c)},
                }
                for d, c in missing
            ],
        )
    result = _index(evaluation, scores)
    evaluation.status = AssessmentStatus.FINAL
    evaluation.finalised_at = utcnow()
    evaluation.finalised_by_id = user.id
    session.flush()
    _audit(
        session,
        region,
        user,
        "smart_city.evaluation_finalised",
        evaluation,
        {"index": result.index if result else None},
    )


def reopen(session: Session, region: Region, user: User, year: int) -> None:
    """Turn a final evaluation back into a draft (recorded in the audit trail)."""
    evaluation = _existing(session, region, year)
    if evaluation.status is not AssessmentStatus.FINAL:
        raise Conflict(_("Evaluasi smart city %(year)d masih draf.") % {"year": year})
    evaluation.status = AssessmentStatus.DRAFT
    evaluation.finalised_at = None
    evaluation.finalised_by_id = None
    session.flush()
    _audit(session, region, user, "smart_city.evaluation_reopened", evaluation, {})
