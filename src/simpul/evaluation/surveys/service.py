"""The survey's rules: who may rate which application, reading the form, storing it once,
the region's yearly IKM."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications.models import Application, ApplicationStatus
from simpul.catalogue.models import Service
from simpul.core.errors import Conflict, NotFound
from simpul.core.i18n import _
from simpul.core.models import Region
from simpul.evaluation.ikm import ELEMENTS, IkmResult, ikm_from_totals
from simpul.evaluation.surveys import repository
from simpul.evaluation.surveys.models import MAX_SUGGESTION, SurveyResponse
from simpul.evaluation.surveys.profile import QUESTIONS

#: The form's field names, one per element, in survey order.
ANSWER_FIELDS: Final = tuple(element.code for element in ELEMENTS)
SUGGESTION_FIELD: Final = "saran"


@dataclass(frozen=True)
class SurveyForm:
    """What the citizen sent: the raw values (to show again), errors per field, and, when
    everything is valid, the nine answers."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    answers: tuple[int, ...] | None = None
    suggestion: str = ""
    #: The profile answers by column (gender, age_group, ...); None where left empty.
    profile: dict[str, str | None] = field(default_factory=dict)


def parse_survey_form(form: Mapping[str, str]) -> SurveyForm:
    """Check that each of the nine elements has one of its four answers; the suggestion is
    optional but limited in length. Errors name the element."""
    values = {name: str(form.get(name) or "").strip() for name in ANSWER_FIELDS}
    suggestion = str(form.get(SUGGESTION_FIELD) or "").strip().replace("\r\n", "\n")
    values[SUGGESTION_FIELD] = suggestion
    errors: dict[str, str] = {}
    answers: list[int] = []
    for element in ELEMENTS:
        raw = values[element.code]
        label = _(element.label)
        if not raw:
            errors[element.code] = _("Pilih salah satu jawaban untuk unsur %(element)s.") % {
                "element": label
            }
            continue
        if raw not in ("1", "2", "3", "4"):
            errors[element.code] = _(
                "Jawaban untuk unsur %(element)s harus salah satu dari empat pilihan."
            ) % {"element": label}
            continue
        answers.append(int(raw))
    profile: dict[str, str | None] = {}
    for question in QUESTIONS:
        raw = str(form.get(question.field) or "").strip()
        values[question.field] = raw
        if raw and raw not in question.keys:
            errors[question.field] = _(
                "Pilihan untuk %(question)s tidak dikenali: pilih dari daftar atau kosongkan."
            ) % {"question": _(question.label)}
        profile[question.column] = raw or None
    if len(suggestion) > MAX_SUGGESTION:
        errors[SUGGESTION_FIELD] = _("Saran paling banyak %(n)d karakter (sekarang %(count)d).") % {
            "n": MAX_SUGGESTION,
            "count": len(suggestion),
        }
    if errors:
        return SurveyForm(values, errors)
    return SurveyForm(values, answers=tuple(answers), suggestion=suggestion, profile=profile)


def application_for_survey(
    session: Session, region: Region, user: User, application_id: uuid.UUID
) -> Application:
    """The user's own completed application. Someone else's is not found; one that is not
    completed yet cannot be rated (409)."""
    application = repository.get_application(session, region.id, application_id)
    if application is None or application.applicant_id != user.id:
        raise NotFound(_("Permohonan tidak ditemukan."))
    if application.status is not ApplicationStatus.COMPLETED:
        raise Conflict(
            _(
                "Penilaian layanan baru dapat diberikan setelah permohonan selesai diproses. "
                "Status permohonan ini belum selesai."
            )
        )
    return application


def service_of(session: Session, application: Application) -> Service:
    """The service the application was for (what the survey page names)."""
    found = repository.get_service(session, application.region_id, application.service_id)
    if found is None:  # pragma: no cover - the foreign key guarantees it
        raise NotFound(_("Layanan tidak ditemukan."))
    return found


def has_response(session: Session, region_id: uuid.UUID, application_id: uuid.UUID) -> bool:
    return repository.get_response_for_application(session, region_id, application_id) is not None


def submit_survey(
    session: Session,
    region: Region,
    user: User,
    application_id: uuid.UUID,
    answers: tuple[int, ...],
    suggestion: str = "",
    profile: Mapping[str, str | None] | None = None,
) -> bool:
    """Store the user's rating of their completed application; True when stored now, False
    when the application had been rated already (a double click, the back button)."""
    application = application_for_survey(session, region, user, application_id)
    if len(answers) != len(ANSWER_FIELDS) or not all(1 <= a <= 4 for a in answers):
        raise ValueError("nine answers of 1-4 expected")  # parse_survey_form guarantees it
    chosen = dict(profile or {})
    for question in QUESTIONS:
        if chosen.get(question.column) not in (None, *question.keys):
            raise ValueError(f"{question.column} outside its list")  # parse_survey_form too
    service = service_of(session, application)
    return repository.insert_response_once(
        session,
        {
            "region_id": region.id,
            "application_id": application.id,
            "service_id": service.id,
            "agency_id": service.agency_id,
            "suggestion": suggestion[:MAX_SUGGESTION],
            **{question.column: chosen.get(question.column) for question in QUESTIONS},
            **dict(zip(ANSWER_FIELDS, answers, strict=True)),
        },
    )


@dataclass(frozen=True)
class SurveyInvite:
    """What the citizen's application page shows about the survey."""

    url: str
    rated: bool


def invite_for(
    session: Session, region: Region, user_id: uuid.UUID, application: Application
) -> SurveyInvite | None:
    """The invitation to rate (or the thanks) for the owner of a completed application."""
    if (
        application.region_id != region.id
        or application.applicant_id != user_id
        or application.status is not ApplicationStatus.COMPLETED
    ):
        return None
    return SurveyInvite(
        url=f"/{region.slug}/permohonan/{application.id}/survei",
        rated=has_response(session, region.id, application.id),
    )


def year_bounds(year: int, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The calendar year on the region's wall clock, as aware instants [start, end)."""
    zone = ZoneInfo(timezone)
    return (
        dt.datetime(year, 1, 1, tzinfo=zone),
        dt.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def region_ikm(session: Session, region_id: uuid.UUID, year: int) -> IkmResult | None:
    """The region's IKM over the applications completed in ``year`` (its time zone); None
    when nobody rated one."""
    region = repository.get_region(session, region_id)
    if region is None:
        return None
    start, end = year_bounds(year, region.timezone)
    sums = repository.answer_totals_in_period(session, region_id, start, end)
    respondents = sum(row.respondents for row in sums)
    if not respondents:
        return None
    totals = [sum(column) for column in zip(*(row.totals for row in sums), strict=True)]
    return ikm_from_totals(totals, respondents)


def responses_for_export(
    session: Session, region: Region, application_ids: Collection[uuid.UUID]
) -> Sequence[SurveyResponse]:
    """The survey answers (IKM/SKM) given on these applications: the caller passes only the
    respondent's own applications (their data export)."""
    return repository.responses_of_applications(session, region.id, application_ids)
