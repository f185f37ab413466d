"""The public IKM page of a region and of each service (publication is part of PermenPANRB
14/2017): the nine element means, the IKM, its grade, the respondents of a period, and the
suggestions the agency answered and published. No login; nothing personal."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from simpul.catalogue.models import Service
from simpul.core.errors import NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.evaluation.ikm import IkmResult, ikm_from_totals
from simpul.evaluation.surveys import repository
from simpul.evaluation.surveys.report import FIRST_YEAR, Period, Row

#: How a period is written in the address: 2026, 2026-s2, 2026-t1.
_PERIOD: Final = re.compile(r"^(\d{4})(?:-(s[12]|t[1-4]))?$")
#: How many years back the period picker offers (any older one can still be typed).
PICKER_YEARS: Final = 3


def parse_public_period(raw: str | None, today: dt.date) -> tuple[Period, dict[str, str]]:
    """The period in ``?periode=`` (this year when absent), or this year with the error."""
    value = (raw or "").strip().lower()
    if not value:
        return Period(today.year), {}
    found = _PERIOD.match(value)
    if found and FIRST_YEAR <= int(found.group(1)) <= today.year:
        return Period(int(found.group(1)), found.group(2) or ""), {}
    return Period(today.year), {
        "periode": _(
            "Periode tidak dikenali: tulis tahun (2026), semester (2026-s1, 2026-s2) atau "
            "triwulan (2026-t1 sampai 2026-t4) dari %(first)d sampai %(last)d."
        )
        % {"first": FIRST_YEAR, "last": today.year}
    }


def period_choices(today: dt.date) -> list[Period]:
    """The periods the picker offers: the last few years, each whole and by semester."""
    return [
        Period(year, part)
        for year in range(today.year, today.year - PICKER_YEARS, -1)
        for part in ("", "s1", "s2")
        if Period(year, part).start <= today
    ]


@dataclass(frozen=True)
class PublicService:
    slug: str
    name: str
    name_en: str
    result: IkmResult | None


@dataclass(frozen=True)
class RegionIkm:
    period: Period
    total: Row
    services: list[PublicService]


def _result(totals: list[repository.AnswerTotals]) -> IkmResult | None:
    respondents = sum(row.respondents for row in totals)
    if not respondents:
        return None
    sums = [sum(column) for column in zip(*(row.totals for row in totals), strict=True)]
    return ikm_from_totals(sums, respondents)


def region_ikm(session: Session, region: Region, period: Period) -> RegionIkm:
    """The region's IKM of the period and each published service's that has respondents."""
    start, end = period.bounds(region.timezone)
    totals = repository.answer_totals_in_period(session, region.id, start, end)
    by_service: dict[uuid.UUID, list[repository.AnswerTotals]] = {}
    for row in totals:
        by_service.setdefault(row.service_id, []).append(row)
    services = [
        PublicService(link.slug, link.name, link.name_en, _result(by_service[link.id]))
        for link in repository.published_services(session, region.id, set(by_service))
    ]
    result = _result(totals)
    total = Row(region.name, result.respondents if result else 0, 0, result)
    return RegionIkm(period, total, services)


@dataclass(frozen=True)
class ServiceIkm:
    period: Period
    service: Service
    total: Row
    suggestions: list[repository.PublishedSuggestion]


def service_ikm(session: Session, region: Region, slug: str, period: Period) -> ServiceIkm:
    """One published service's IKM of the period with its published suggestions."""
    service = repository.published_service_by_slug(session, region.id, slug)
    if service is None:
        raise NotFound(_("Layanan tidak ditemukan."))
    start, end = period.bounds(region.timezone)
    result = _result(
        repository.answer_totals_in_period(session, region.id, start, end, service_ids={service.id})
    )
    total = Row(service.name, result.respondents if result else 0, 0, result)
    suggestions = repository.published_suggestions(session, region.id, service.id, start, end)
    return ServiceIkm(period, service, total, suggestions)
