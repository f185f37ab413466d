"""The SPBE self-assessment of a region: one level, justification and evidence per indicator.

The SPBE coordination team fills in the 47 indicators of the rule set over the year; the index
(``simpul.evaluation.spbe``) is shown once every indicator has a level. Finalising needs a level
and a justification for every indicator and makes the assessment read-only; reopening is an
audited admin action. Every change is recorded in the audit trail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.core.audit import record_audit_event
from simpul.core.errors import Conflict, InvalidInput, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.evaluation import spbe
from simpul.evaluation.assessments import repository
from simpul.evaluation.assessments.models import (
    AssessmentStatus,
    SpbeAnswer,
    SpbeAssessment,
)

#: The years an assessment may be made for (the database refuses others too).
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2100


def ruleset_of(assessment: SpbeAssessment) -> spbe.RuleSet:
    return spbe.load_ruleset(assessment.ruleset)


def check_year(year: int) -> None:
    """A year outside the plausible range has no page."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(_("Penilaian SPBE tahun %(year)d tidak ditemukan.") % {"year": year})


def get_assessment(session: Session, region: Region, year: int) -> SpbeAssessment:
    """The region's assessment of ``year``; 404 if there is none (or it is another region's)."""
    check_year(year)
    assessment = repository.get_spbe_assessment(session, region.id, year)
    if assessment is None:
        raise NotFound(_("Penilaian SPBE tahun %(year)d tidak ditemukan.") % {"year": year})
    return assessment


def indicator_of(ruleset: spbe.RuleSet, number: int) -> spbe.Indicator:
    """The rule set's indicator ``number``; 404 naming it if the rule set has none."""
    try:
        return ruleset.indicator(number)
    except KeyError:
        raise NotFound(
            _("Indikator %(number)d tidak ada dalam aturan %(code)s (indikator 1-%(count)d).")
            % {"number": number, "code": ruleset.code, "count": len(ruleset.indicators)}
        ) from None


def audit(
    session: Session,
    region: Region,
    user: User,
    action: str,
    assessment: SpbeAssessment,
    details: dict[str, object],
) -> None:
    record_audit_event(
        session,
        region_id=region.id,
        actor_id=user.id,
        actor_label=user.email,
        action=action,
        target_type="spbe_assessment",
        target_id=str(assessment.id),
        details={"year": assessment.year, **details},
    )


# --- Starting a year ---------------------------------------------------------------------


def parse_year(raw: str) -> int:
    """The year typed into the start form; 422 naming the field when it is not a year."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        message = _("Tahun harus berupa angka %(first)d sampai %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        raise InvalidInput(message, details=[{"field": "tahun", "message": message}])
    return int(text)


def start_assessment(
    session: Session,
    region: Region,
    user: User,
    year: int,
    *,
    copy_previous: bool,
    ruleset_code: str = spbe.DEFAULT_RULESET,
) -> SpbeAssessment:
    """Open a draft assessment for ``year``, optionally with the latest earlier year's levels
    and justifications (not its files: evidence belongs to the year it was collected for)."""
    ruleset = spbe.load_ruleset(ruleset_code)
    if repository.get_spbe_assessment(session, region.id, year) is not None:
        message = _("Penilaian SPBE tahun %(year)d sudah ada.") % {"year": year}
        raise InvalidInput(message, details=[{"field": "tahun", "message": message}])
    previous = repository.latest_spbe_before(session, region.id, year) if copy_previous else None
    assessment = SpbeAssessment(region_id=region.id, year=year, ruleset=ruleset.code)
    repository.add(session, assessment)
    copied = 0
    if previous is not None:
        known = {indicator.number for indicator in ruleset.indicators}
        for answer in repository.list_answers(session, region.id, previous.id):
            if answer.indicator not in known:
                continue  # the previous year was scored under another rule set
            session.add(
                SpbeAnswer(
                    region_id=region.id,
                    assessment_id=assessment.id,
                    indicator=answer.indicator,
                    level=answer.level,
                    justification=answer.justification,
                    updated_by_id=user.id,
                )
            )
            copied += 1
        session.flush()
    audit(
        session,
        region,
        user,
        "spbe.assessment_started",
        assessment,
        {
            "ruleset": ruleset.code,
            "copied_from": previous.year if previous is not None else None,
            "copied": copied,
        },
    )
    return assessment


# --- The overview of one year --------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator: spbe.Indicator
    answer: SpbeAnswer | None
    level_name: str | None
    evidence_count: int


@dataclass(frozen=True)
class AspectView:
    code: str
    name: str
    rows: tuple[IndicatorRow, ...]
    index: float | None


@dataclass(frozen=True)
class DomainView:
    code: str
    name: str
    weight: object
    aspects: tuple[AspectView, ...]
    index: float | None
    previous_index: float | None

    @property
    def change(self) -> float | None:
        if self.index is None or self.previous_index is None:
            return None
        return round(self.index - self.previous_index, 2)


@dataclass(frozen=True)
class Overview:
    assessment: SpbeAssessment
    ruleset: spbe.RuleSet
    domains: tuple[DomainView, ...]
    filled: int
    missing: tuple[spbe.Indicator, ...]
    result: spbe.SpbeResult | None
    previous_year: int | None
    previous_result: spbe.SpbeResult | None

    @property
    def total(self) -> int:
        return len(self.ruleset.indicators)

    @property
    def change(self) -> float | None:
        if self.result is None or self.previous_result is None:
            return None
        return round(self.result.index - self.previous_result.index, 2)


def levels_of(answers: Sequence[SpbeAnswer]) -> dict[int, int]:
    return {answer.indicator: answer.level for answer in answers}


def result_of(
    session: Session, region: Region, assessment: SpbeAssessment
) -> spbe.SpbeResult | None:
    """The index of a complete assessment (every indicator has a level), else None."""
    answers = repository.list_answers(session, region.id, assessment.id)
    return _result(levels_of(answers), ruleset_of(assessment))


def _result(levels: dict[int, int], ruleset: spbe.RuleSet) -> spbe.SpbeResult | None:
    if any(indicator.number not in levels for indicator in ruleset.indicators):
        return None
    return spbe.compute_index(levels, ruleset)


def overview(session: Session, region: Region, year: int) -> Overview:
    """Every indicator of the year grouped by domain and aspect, with the indices if complete
    and last year's final indices to compare with."""
    assessment = get_assessment(session, region, year)
    ruleset = ruleset_of(assessment)
    answers = {a.indicator: a for a in repository.list_answers(session, region.id, assessment.id)}
    counts = repository.evidence_counts(session, region.id, assessment.id)
    result = _result(levels_of(list(answers.values())), ruleset)
    previous = repository.latest_final_spbe_before(session, region.id, year)
    previous_result = result_of(session, region, previous) if previous is not None else None
    domain_index = {g.code: g.index for g in result.domains} if result else {}
    aspect_index = {g.code: g.index for g in result.aspects} if result else {}
    previous_domain = {g.code: g.index for g in previous_result.domains} if previous_result else {}
    domains = []
    for domain in ruleset.domains():
        aspects = []
        for aspect in ruleset.aspects():
            rows = tuple(
                _row(ruleset, ruleset.indicator(number), answers, counts)
                for number in aspect.indicators
                if ruleset.indicator(number).domain_code == domain.code
            )
            if rows:
                aspects.append(
                    AspectView(aspect.code, aspect.name, rows, aspect_index.get(aspect.code))
                )
        domains.append(
            DomainView(
                domain.code,
                domain.name,
                domain.weight,
                tuple(aspects),
                domain_index.get(domain.code),
                previous_domain.get(domain.code),
            )
        )
    missing = tuple(i for i in ruleset.indicators if i.number not in answers)
    return Overview(
        assessment=assessment,
        ruleset=ruleset,
        domains=tuple(domains),
        filled=len(ruleset.indicators) - len(missing),
        missing=missing,
        result=result,
        previous_year=previous.year if previous is not None else None,
        previous_result=previous_result,
    )


def _row(
    ruleset: spbe.RuleSet,
    indicator: spbe.Indicator,
    answers: Mapping[int, SpbeAnswer],
    counts: Mapping[int, int],
) -> IndicatorRow:
    answer = answers.get(indicator.number)
    name = ruleset.level_names[indicator.scale][answer.level] if answer is not None else None
    return IndicatorRow(indicator, answer, name, counts.get(indicator.number, 0))


@dataclass(frozen=True)
class YearRow:
    assessment: SpbeAssessment
    filled: int
    total: int
    result: spbe.SpbeResult | None
    change: float | None


def year_rows(session: Session, region: Region) -> list[YearRow]:
    """Every year of the region, the latest first, with its index and the change from the
    previous final year's index (for final, complete years)."""
    assessments = repository.list_spbe_assessments(session, region.id)
    results: dict[int, spbe.SpbeResult | None] = {}
    filled: dict[int, int] = {}
    for assessment in assessments:
        levels = levels_of(repository.list_answers(session, region.id, assessment.id))
        ruleset = ruleset_of(assessment)
        filled[assessment.year] = sum(1 for i in ruleset.indicators if i.number in levels)
        results[assessment.year] = _result(levels, ruleset)
    rows = []
    for assessment in assessments:
        result = results[assessment.year]
        earlier = [
            a
            for a in assessments
            if a.year < assessment.year and a.status is AssessmentStatus.FINAL
        ]
        previous = results[earlier[0].year] if earlier else None
        change = (
            round(result.index - previous.index, 2)
            if result is not None and previous is not None
            else None
        )
        rows.append(
            YearRow(
                assessment,
                filled[assessment.year],
                len(ruleset_of(assessment).indicators),
                result,
                change,
            )
        )
    return rows


def label(indicator: spbe.Indicator) -> str:
    return _("Indikator %(number)d (%(name)s)") % {
        "number": indicator.number,
        "name": indicator.name,
    }


def check_draft(assessment: SpbeAssessment) -> None:
    if assessment.status is AssessmentStatus.FINAL:
        raise Conflict(
            _("Penilaian SPBE %(year)d sudah final. Buka kembali untuk mengubahnya.")
            % {"year": assessment.year}
        )


# --- Finalising and reopening --------------------------------------------------------------


def finalise(session: Session, region: Region, user: User, year: int) -> spbe.SpbeResult:
    """Make the assessment final; 422 listing every indicator without a level or a
    justification (by number and name)."""
    assessment = get_assessment(session, region, year)
    check_draft(assessment)
    ruleset = ruleset_of(assessment)
    answers = {a.indicator: a for a in repository.list_answers(session, region.id, assessment.id)}
    details = []
    for indicator in ruleset.indicators:
        answer = answers.get(indicator.number)
        if answer is None:
            problem = _("%(indicator)s: tingkat dan penjelasan belum diisi.")
        elif not answer.justification.strip():
            problem = _("%(indicator)s: penjelasan belum diisi.")
        else:
            continue
        details.append(
            {
                "field": f"indikator-{indicator.number}",
                "indicator": indicator.number,
                "message": problem % {"indicator": label(indicator)},
            }
        )
    if details:
        raise InvalidInput(
            _("Penilaian belum dapat difinalkan: %(count)d indikator belum lengkap.")
            % {"count": len(details)},
            details=details,
        )
    result = spbe.compute_index(levels_of(list(answers.values())), ruleset)
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_at = utcnow()
    assessment.finalised_by_id = user.id
    session.flush()
    audit(
        session,
        region,
        user,
        "spbe.assessment_finalised",
        assessment,
        {"index": result.index, "predicate": result.predicate},
    )
    return result


def reopen(session: Session, region: Region, user: User, year: int) -> None:
    """Turn a final assessment back into a draft (recorded in the audit trail)."""
    assessment = get_assessment(session, region, year)
    if assessment.status is not AssessmentStatus.FINAL:
        raise Conflict(_("Penilaian SPBE %(year)d masih draf.") % {"year": assessment.year})
    assessment.status = AssessmentStatus.DRAFT
    assessment.finalised_at = None
    assessment.finalised_by_id = None
    session.flush()
    audit(session, region, user, "spbe.assessment_reopened", assessment, {})
